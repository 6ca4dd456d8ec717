"""The Trends tab (F8): chosen points plotted over time, with every ASO write to them marked.

Points are added with ``p`` in Explore (on a point in the table or the tree) and come with the
history the console already kept of them (``history.py``). While a point is plotted it is
polled every 2 s whether or not Explore shows it; the site's COV and polling feed it too.

Keys: space pauses (the plot stays put while values keep being recorded), Left/Right scroll
back and forward in time, ``+``/``-`` zoom between 1 minute and 24 hours, ``x`` takes the
highlighted series off, ``e`` exports what is plotted to CSV. An ASO's write or release of a
plotted point is drawn as a vertical mark labelled with the ASO, so a strategy's effect (load
shed stages against the building's kW) is visible at a glance.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import platformdirs
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import OptionList
from textual.widgets.option_list import Option
from textual_plotext import PlotextPlot

from aso_runtime.aso import AsoEvent
from aso_runtime.bacnet import short_id
from aso_runtime.verbs.text import units_symbol

from ..history import Key, Marker
from ..live import LivePoller
from ..messages import Pane
from ..runtime import ConsoleRuntime
from ..site import Site
from ..widgets.info_line import InfoLine

WINDOWS = (60, 300, 900, 3600, 4 * 3600, 24 * 3600)  # seconds shown: 1 min .. 24 h
POLL_SECONDS = 2.0
REDRAW_SECONDS = 1.0
MAX_SERIES = 8


def window_text(seconds: float) -> str:
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds / 60:g} min"


class TrendsPane(Pane):
    DEFAULT_CSS = """
    TrendsPane { height: 1fr; }
    TrendsPane #trend-summary { height: 1; padding: 0 1; background: $boost; }
    TrendsPane #trend-series { width: 34; border-right: solid $primary-darken-2; }
    TrendsPane PlotextPlot { width: 1fr; }
    """

    BINDINGS = [
        Binding("space", "pause", "Pause", id="trends.pause"),
        Binding("left", "scroll(-1)", "Back", id="trends.back"),
        Binding("right", "scroll(1)", "Forward", id="trends.forward"),
        Binding("plus,equals_sign", "zoom(-1)", "Zoom in", id="trends.zoom_in"),
        Binding("minus", "zoom(1)", "Zoom out", id="trends.zoom_out"),
        Binding("x", "remove", "Remove", id="trends.remove"),
        Binding("e", "export", "Export CSV", id="trends.export"),
    ]

    def __init__(self, runtime: ConsoleRuntime, site: Site, **kwargs) -> None:
        super().__init__(**kwargs)
        self.runtime = runtime
        self.site = site
        self.history = site.history
        self.poller = LivePoller(runtime.client, site)
        self.plotted: list[Key] = []
        self.paused_at: float | None = None  # the plot's right edge while paused
        self.scrolled_back = 0.0  # s scrolled back from now (or from paused_at)
        self.window_seconds = WINDOWS[1]
        self._poll_worker = None

    def compose(self) -> ComposeResult:
        yield InfoLine(id="trend-summary")
        with Horizontal():
            yield OptionList(id="trend-series")
            yield PlotextPlot(id="trend-plot")

    def on_mount(self) -> None:
        self.series_list = self.query_one("#trend-series", OptionList)
        self.plot = self.query_one("#trend-plot", PlotextPlot)
        self.runtime.runner.events.on_event(self._aso_event)
        self.set_interval(POLL_SECONDS, self._poll_plotted)
        self.set_interval(REDRAW_SECONDS, self._redraw_if_shown)
        self.redraw()

    def focus_main(self) -> None:
        self.series_list.focus()
        self.redraw()

    # ----- what is plotted -----------------------------------------------------------------------------

    def label(self, key: Key) -> str:
        instance, object_id = key
        point = self.site.point(instance, object_id)
        name = (point.name if point else None) or short_id(object_id)
        units = units_symbol(point.units) if point else ""
        return f"{instance} {name}" + (f" ({units})" if units else "")

    def toggle(self, key: Key) -> bool:
        """Plot the point, or take it off if it is plotted; True when it is plotted now."""
        if key in self.plotted:
            self.plotted.remove(key)
        else:
            if len(self.plotted) >= MAX_SERIES:
                self.notify(f"At most {MAX_SERIES} series on one plot: x takes one off (F8)", severity="warning")
                return False
            self.plotted.append(key)
        self.series_list.clear_options()
        self.series_list.add_options([Option(self.label(k), id=f"{k[0]}|{k[1]}") for k in self.plotted])
        self.redraw()
        return key in self.plotted

    def action_remove(self) -> None:
        index = self.series_list.highlighted
        if index is not None and 0 <= index < len(self.plotted):
            self.toggle(self.plotted[index])

    # ----- time window ----------------------------------------------------------------------------------

    def action_pause(self) -> None:
        self.paused_at = None if self.paused_at is not None else time.time()
        self.redraw()

    def action_scroll(self, direction: int) -> None:
        self.scrolled_back = max(0.0, self.scrolled_back - direction * self.window_seconds / 2)
        self.redraw()

    def action_zoom(self, direction: int) -> None:
        index = max(0, min(len(WINDOWS) - 1, WINDOWS.index(self.window_seconds) + direction))
        self.window_seconds = WINDOWS[index]
        self.redraw()

    def span(self) -> tuple[float, float]:
        right = (self.paused_at or time.time()) - self.scrolled_back
        return right - self.window_seconds, right

    # ----- live ----------------------------------------------------------------------------------------

    def _aso_event(self, event: AsoEvent) -> None:
        """An ASO's write or release of a point: a mark for the plot (kept even if not plotted yet)."""
        data = event.data
        if event.kind not in ("override", "release") or not data.get("object_id"):
            return
        device = str(data.get("device", ""))
        if not device.isdigit():
            return
        what = f"@{data.get('priority')} = {data['value']}" if event.kind == "override" and "value" in data \
            else f"released @{data.get('priority')}"
        self.history.mark(Marker(event.time, (int(device), str(data["object_id"])), f"{event.aso} {what}"))

    def _poll_plotted(self) -> None:
        if self.plotted and (self._poll_worker is None or not self._poll_worker.is_running):
            self._poll_worker = self.poll(list(self.plotted))

    @work(group="trend-poll", exit_on_error=False, name="Trend poll")
    async def poll(self, points: list[Key]) -> None:
        await self.poller.poll(points)
        now = time.time()
        for key in points:  # unchanged values too: the line runs on
            self.history.record(key, now, self.site.live.get(key, {}).get("present-value"))

    # ----- drawing -------------------------------------------------------------------------------------

    def _redraw_if_shown(self) -> None:
        if self.is_on_screen and self.paused_at is None:
            self.redraw()

    def redraw(self) -> None:
        start, end = self.span()
        plt = self.plot.plt
        plt.clear_data()
        plt.clear_figure()
        plotted_any = False
        for key in self.plotted:
            series = self.history.series(key, start, end)
            if series:
                plt.plot([t - end for t, _ in series], [v for _, v in series], label=self.label(key),
                         marker="braille")
                plotted_any = True
            labelled: tuple[float, str] | None = None
            for marker in self.history.markers_of(key, start, end):
                plt.vline(marker.time - end, "orange")
                # An ASO writing every step would print its label on every mark: one per change of
                # text, or per eighth of the window.
                if labelled is None or labelled[1] != marker.text or marker.time - labelled[0] > self.window_seconds / 8:
                    plt.text(marker.text, marker.time - end, max((v for _, v in series), default=0.0), color="orange")
                    labelled = (marker.time, marker.text)
        plt.xlim(start - end, 0)
        ticks = [start - end + i * self.window_seconds / 4 for i in range(5)]
        plt.xticks(ticks, [time.strftime("%H:%M:%S", time.localtime(end + t)) for t in ticks])
        if not plotted_any:
            plt.title("p on a point in Explore plots it here" if not self.plotted else "waiting for values...")
        self.plot.refresh()
        state = "paused" if self.paused_at is not None else "live"
        back = f", {window_text(self.scrolled_back)} back" if self.scrolled_back else ""
        marks = sum(len(self.history.markers_of(k, start, end)) for k in self.plotted)
        self.query_one("#trend-summary", InfoLine).update(Text.assemble(
            (f"{len(self.plotted)} series", "bold"), f"  {window_text(self.window_seconds)} window{back}  ",
            (state, "yellow" if self.paused_at is not None else "green"),
            (f"  {marks} ASO write(s) marked" if marks else "", "dark_orange"), "  ",
            ("space pause, Left/Right scroll, +/- zoom, x remove, e export", "dim")))

    # ----- export --------------------------------------------------------------------------------------

    def action_export(self) -> None:
        if not self.plotted:
            self.notify("Nothing is plotted: p on a point in Explore adds it", severity="warning")
            return
        folder = platformdirs.user_data_path("aso-console") / "trends"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / time.strftime("trend-%Y%m%d-%H%M%S.csv")
        self.write_csv(path)
        self.notify(f"{path}", title="Trend exported")

    def write_csv(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["time", "device", "object_id", "value"])
            writer.writerows(self.history.csv_rows(self.plotted))
