"""The Trends tab (F8): chosen points plotted over time, with every ASO write to them marked.

Points are added with ``p`` in Explore (on a point in the table or the tree) and come with the
history the console already kept of them (``history.py``). While a point is plotted it is
polled every 2 s whether or not Explore shows it; the site's COV and polling feed it too.

Keys: space pauses (the plot stays put while values keep being recorded), Left/Right scroll
back and forward in time, ``+``/``-`` zoom between 1 minute and 24 hours, ``x`` takes the
highlighted series off, ``e`` exports what is plotted to CSV. An ASO's write or release of a
plotted point is drawn as a vertical mark labelled with the ASO, so a strategy's effect (load
shed stages against the building's kW) is visible at a glance.

A trend log's buffer joins the same plot (``l`` asks DEV OBJ and how far back; ``t`` in the
inspector of a trend-log object; ``p`` on one in Explore): read with ReadRange in a worker,
labelled "log" with the logged object's units, and static: live values never extend it, ``r``
reads it again. A trend-log-multiple comes as one such series per logged property (a column),
each labelled with the logged object's name and units; ``r`` on any of them reads the log again
for every column still plotted, ``x`` takes one column off. While a log is read the status line
counts the records (a few times a second). Every series is thinned to two samples per plot
column for drawing (``history.downsample``) while ``e`` exports every record.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
from aso_runtime.bacnet import BacnetError, logged_columns, read_range, short_id
from aso_runtime.verbs.text import units_symbol

from ..history import Key, LogSeries, Marker, column_key, downsample, plotted_value
from ..live import LivePoller
from ..messages import Pane
from ..runtime import ConsoleRuntime
from ..screens.trend_log_modal import (
    DEFAULT_WINDOW,
    TrendLogRequest,
    TrendLogScreen,
    parse_window,
)
from ..site import Site
from ..widgets.info_line import InfoLine

WINDOWS = (60, 300, 900, 3600, 4 * 3600, 24 * 3600)  # seconds shown: 1 min .. 24 h
POLL_SECONDS = 2.0
REDRAW_SECONDS = 2.0  # live redraws: as often as the plotted points are polled (a redraw costs ~25 ms)
MAX_SERIES = 8
PROGRESS_SECONDS = 0.2  # the record count of a log being read: at most five updates a second


class TrendPlot(PlotextPlot):
    """A plotext plot that builds its picture only after :meth:`changed` (or a resize).

    Building costs ~25 ms at 120x40 (plotext's canvas, then parsing its ANSI); Textual asks
    for a render on every layout too (a tab switch), where the last picture is still right.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._version = 0
        self._built: tuple[tuple, Any] | None = None

    def changed(self) -> None:
        self._version += 1
        self.refresh()

    def render(self) -> Any:
        key = (self._version, self.size, self.app.theme)
        if self._built is None or self._built[0] != key:
            self._built = (key, super().render())
        return self._built[1]


def throttled(show: Callable[[int], None], every: float = PROGRESS_SECONDS,
              clock: Callable[[], float] = time.monotonic) -> Callable[[int], None]:
    """``show(n)`` at most once every ``every`` seconds: the first call at once, those between dropped."""
    last = -math.inf

    def call(n: int) -> None:
        nonlocal last
        now = clock()
        if now - last >= every:
            last = now
            show(n)

    return call


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
        Binding("l", "ask_log", "Trend log", id="trends.log"),
        Binding("r", "reload_log", "Reload log", id="trends.reload_log"),
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
            yield TrendPlot(id="trend-plot")

    def on_mount(self) -> None:
        self.series_list = self.query_one("#trend-series", OptionList)
        self.plot = self.query_one("#trend-plot", TrendPlot)
        self.runtime.runner.events.on_event(self._aso_event)
        self.set_interval(POLL_SECONDS, self._poll_plotted)
        self.set_interval(REDRAW_SECONDS, self._redraw_if_shown)
        self.redraw()

    def focus_main(self) -> None:
        self.series_list.focus()
        # The tab's first frame shows the last picture (no build in the key's frame); the
        # fresh one follows right after it.
        self.call_after_refresh(self._redraw_if_shown)

    # ----- what is plotted -----------------------------------------------------------------------------

    def label(self, key: Key) -> str:
        log = self.history.logs.get(key)
        if log is not None:
            return f"{key[0]} {log.name} log" + (f" ({log.units})" if log.units else "")
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
        if key not in self.plotted:
            self.history.drop_log(key)  # a log taken off is read again when wanted
        self._list_series()
        self.redraw()
        return key in self.plotted

    def _list_series(self) -> None:
        self.series_list.clear_options()
        self.series_list.add_options([Option(self.label(k), id=f"{k[0]}|{k[1]}") for k in self.plotted])

    def is_log(self, key: Key) -> bool:
        return key in self.history.logs

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
        live = [key for key in self.plotted if not self.is_log(key)]  # a log is static: r reads it again
        if live and (self._poll_worker is None or not self._poll_worker.is_running):
            self._poll_worker = self.poll(live)

    @work(group="trend-poll", exit_on_error=False, name="Trend poll")
    async def poll(self, points: list[Key]) -> None:
        await self.poller.poll(points)
        now = time.time()
        for key in points:  # unchanged values too: the line runs on
            self.history.record(key, now, self.site.live.get(key, {}).get("present-value"))

    # ----- trend logs --------------------------------------------------------------------------------

    def action_ask_log(self) -> None:
        def chosen(request: TrendLogRequest | None) -> None:
            if request is not None:
                self.load_log(request.device, request.object_id, request.window_seconds)

        self.app.push_screen(TrendLogScreen(), chosen)

    def action_reload_log(self) -> None:
        index = self.series_list.highlighted
        key = self.plotted[index] if index is not None and 0 <= index < len(self.plotted) else None
        if key is None or not self.is_log(key):
            self.notify("r reads a trend log again: highlight a log series (l loads one)", severity="warning")
            return
        log = self.history.logs[key]
        self.load_log(key[0], log.object_id, log.window_seconds, again=True)

    def load_log(self, device: int, object_id: str, window_seconds: float | None = None, *,
                 again: bool = False) -> None:
        """Read trend log ``object_id`` of ``device`` (its last ``window_seconds``, default 24 h) into the plot.

        A trend-log-multiple plots a series per logged property; ``again`` (``r``) reads only
        the columns still plotted. Runs in a worker: the status line says what is being read
        and counts the records; a failure (no such object, no ReadRange) is one line there.
        Reading it again replaces it.
        """
        key = (device, object_id)
        multiple = object_id.startswith("trend-log-multiple,")
        if not multiple and key not in self.plotted and len(self.plotted) >= MAX_SERIES:
            self.notify(f"At most {MAX_SERIES} series on one plot: x takes one off (F8)", severity="warning")
            return
        self.read_log(key, window_seconds or parse_window(DEFAULT_WINDOW), again)

    @work(group="trend-log", exit_on_error=False, name="Trend log")
    async def read_log(self, key: Key, window_seconds: float, again: bool = False) -> None:
        device, object_id = key
        client = self.runtime.client
        began = time.monotonic()
        self.status(f"Reading {device} {object_id}: the last {window_text(window_seconds)}...", busy=True)
        name = str(await client.read(device, object_id, "object-name"))
        if object_id.startswith("trend-log-multiple,"):
            columns = await self._columns(device, object_id)
        else:
            units, logged = await self._logged(device, await self._reference(device, object_id))
            columns = [(key, name, units, logged)]
        keys = [column[0] for column in columns]
        wanted = [k for k in keys if k in self.plotted] if again else keys
        room = MAX_SERIES - sum(k not in wanted for k in self.plotted)
        if len(wanted) > room:
            self.notify(f"{name} logs {len(wanted)} properties; the plot has room for {room} more of its "
                        f"{MAX_SERIES} series: x takes one off (F8)", severity="warning")
            self.status(f"{name}: not read (no room on the plot)", busy=False)
            return

        def counted(read: int) -> None:
            self.status(f"Reading {device} {object_id}: {read:,} records...", busy=True)

        read_at = time.time()
        records = await read_range(client, device, object_id, since=read_at - window_seconds,
                                   progress=throttled(counted))
        for index, (column, column_name, units, logged) in enumerate(columns):
            if column not in wanted:
                continue
            if column == key:
                pairs = tuple((r.epoch, plotted_value(r.value) if r.kind == "value" else None) for r in records)
            else:  # a trend-log-multiple's column: a log-status record has no value for any of them
                pairs = tuple((r.epoch, plotted_value(r.values[index])
                               if r.kind == "value" and index < len(r.values) else None) for r in records)
            self.history.load_log(LogSeries(column, column_name, units, logged, window_seconds, read_at, pairs,
                                            column=0 if column == key else index + 1))
            if column not in self.plotted:
                self.plotted.append(column)
        self._list_series()
        oldest = records[0].epoch if records else None
        count = len(records)
        del records
        # A log stays until it is taken off: keep its samples out of the full collections, as the app
        # does with what it builds at start-up (a 10,000-record log made the longest one 8 -> 18 ms).
        gc.collect()
        gc.freeze()
        if oldest is not None:  # show the whole log: widen the window to fit it (never narrow what the technician chose)
            span = read_at - oldest
            fit = next((w for w in WINDOWS if w >= span), WINDOWS[-1])
            self.window_seconds = max(self.window_seconds, fit)
            self.scrolled_back = 0.0
        self.redraw()
        self.status(f"{name}: {count} record(s) of the last {window_text(window_seconds)} in "
                    f"{time.monotonic() - began:.2f} s (F8)", busy=False)

    async def _columns(self, device: int, object_id: str) -> list[tuple[Key, str, str, str]]:
        """A trend-log-multiple's columns: (plot key, logged object's name, its units, what is logged)."""
        client = self.runtime.client
        names = await logged_columns(client, device, object_id)
        references = await client.read(device, object_id, "log-device-object-property")
        references = references if isinstance(references, list) else [references]
        described = await asyncio.gather(*(self._logged(device, reference) for reference in references))
        return [(column_key((device, object_id), index + 1), name, units, logged)
                for index, (name, (units, logged)) in enumerate(zip(names, described))]

    async def _reference(self, device: int, object_id: str) -> Any:
        """A trend-log's log-device-object-property, None without one (optional: a log filled by writes)."""
        try:
            return await self.runtime.client.read(device, object_id, "log-device-object-property")
        except BacnetError:
            return None

    async def _logged(self, device: int, reference: Any) -> tuple[str, str]:
        """The logged object's units symbol and a description of it; ("", "") when the log does not say.

        ``reference``: a log-device-object-property entry of a log on ``device``.
        """
        client = self.runtime.client
        if not isinstance(reference, dict) or not reference.get("objectIdentifier"):
            return "", ""
        where = str(reference.get("deviceIdentifier") or f"device,{device}").split(",")[-1]
        source = int(where) if where.isdigit() else device
        logged = f"{reference['objectIdentifier']} {reference.get('propertyIdentifier', '')} on {source}"
        try:
            units = await client.read(source, reference["objectIdentifier"], "units")
        except BacnetError:
            units = None  # binary and multi-state objects have none
        return (units_symbol(units) if isinstance(units, str) else ""), logged

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
        columns = max(10, self.plot.size.width)
        for key in self.plotted:
            series = self.history.series(key, start, end)
            if series:
                # Two samples a column is all a plot can show; 10,000 log records draw like 200.
                drawn = downsample(series, start, end, columns)
                plt.plot([t - end for t, _ in drawn], [v for _, v in drawn], label=self.label(key),
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
            plt.title("p on a point in Explore (l: a trend log) plots it here" if not self.plotted
                      else "waiting for values...")
        self.plot.changed()
        state = "paused" if self.paused_at is not None else "live"
        back = f", {window_text(self.scrolled_back)} back" if self.scrolled_back else ""
        marks = sum(len(self.history.markers_of(k, start, end)) for k in self.plotted)
        logs = sum(self.is_log(k) for k in self.plotted)
        self.query_one("#trend-summary", InfoLine).update(Text.assemble(
            (f"{len(self.plotted)} series", "bold"), f" ({logs} log)" if logs else "", f"  {window_text(self.window_seconds)} window{back}  ",
            (state, "yellow" if self.paused_at is not None else "green"),
            (f"  {marks} ASO write(s) marked" if marks else "", "dark_orange"), "  ",
            ("space pause, Left/Right scroll, +/- zoom, x remove, e export, l trend log", "dim")))

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
