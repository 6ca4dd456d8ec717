"""The Overrides tab (F7): every held slot and every point out of service on the site, who holds
each, and a release that is confirmed, verified and recorded.

Slot 16 held by a device's own program is not an override: those rows are hidden until ``d`` (or a
filter naming ``device`` or ``p16``). The sweep is ``aso_runtime.closeout.sweep_overrides`` (the same as ``aso overrides``), attributed
with the ASO ledgers and the audit journal; rows stream in device by device. The filter line takes
the words of ``overrides_filter`` (``1001 p8 unknown >1h oos``...). Space selects rows; ``x``
releases the selection (or the row under the cursor; an out-of-service point is put back in
service). The confirmation says how many slots on how many devices; life-safety slots and slots
a running ASO holds need their own explicit confirmation. The release is ``closeout.release``
(as ``aso overrides --release``): a slot no longer holding what the sweep showed is left alone,
each release is read back, and recorded in the session's audit journal (undo: U in Explore).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input

from aso_runtime.bacnet import DeviceInfo, short_id
from aso_runtime.closeout.records import HeldSlot, OutOfServicePoint
from aso_runtime.closeout.release import Selection, release_recorded
from aso_runtime.closeout.sweep import DeviceSweep, sweep_overrides
from aso_runtime.closeout.attribution import load_holders
from aso_runtime.closeout.audit import read_records

from ..messages import Pane
from ..overrides_filter import Row, RowFilter, parse_filter
from ..runtime import ConsoleRuntime
from ..screens.confirm import ConfirmScreen, TypeToConfirm
from ..screens.release_results import ReleaseLine, ReleaseResultsScreen
from ..site import Site
from ..widgets.info_line import InfoLine

SORTS = ("device", "priority", "holder", "age")
# (key, label, width); below NARROW columns the level, the value without it and the age are left out.
COLUMNS = (("mark", " ", 1), ("device", "Device", 12), ("point", "Point", 27), ("p", "P", 3),
           ("level", "Level", 12), ("value", "Value", 11), ("without", "Without it", 11),
           ("holder", "Holder", 20), ("age", "Age", 5))
WIDE_ONLY = {"level", "without", "age"}
NARROW = 110
HOLDER_STYLES = {"aso": "cyan", "console": "yellow", "cli": "yellow", "device": "dim", "unknown": "bold red"}
LIFE_SAFETY_WORD = "RELEASE"  # typed to release slots 1 and 2 in bulk


def row_key(row: Row) -> str:
    where = f"p{row.priority}" if isinstance(row, HeldSlot) else "oos"
    return f"{row.device}|{row.object_id}|{where}"


def age_text(since: float | None, now: float) -> str:
    if since is None:
        return "-"
    seconds = max(0, now - since)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


class OverridesPane(Pane):
    DEFAULT_CSS = """
    OverridesPane { height: 1fr; }
    OverridesPane #ov-summary { height: 1; padding: 0 1; background: $boost; }
    OverridesPane #ov-filter { height: 3; }
    OverridesPane #ov-table { height: 1fr; }
    """

    BINDINGS = [
        Binding("r", "sweep", "Sweep", id="overrides.sweep"),
        Binding("space", "mark", "Select", id="overrides.mark"),
        Binding("a", "mark_all", "Select all", id="overrides.mark_all"),
        Binding("x", "release", "Release", id="overrides.release"),
        Binding("g", "sort", "Sort", id="overrides.sort"),
        Binding("f", "filter", "Filter", id="overrides.filter"),
        Binding("d", "programs", "Programs at 16", id="overrides.programs"),
    ]

    def __init__(self, runtime: ConsoleRuntime, site: Site, **kwargs) -> None:
        super().__init__(**kwargs)
        self.runtime = runtime
        self.client = runtime.client
        self.site = site
        self.rows: dict[str, Row] = {}
        self.marked: set[str] = set()
        self.row_filter = RowFilter()
        self.sort = SORTS[0]
        self.devices_swept: list[DeviceSweep] = []
        self.sweep_seconds: float | None = None
        self.sweeping = False
        self._summary_due = False
        self.show_programs = False  # slot 16 held by the device's own program: not an override

    def compose(self) -> ComposeResult:
        yield InfoLine(id="ov-summary")
        yield Input(placeholder="filter: 1001  p8  p1-15  aso|console|cli|device|unknown  oos  >1h  words of a name",
                    id="ov-filter")
        yield DataTable(id="ov-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.table = self.query_one("#ov-table", DataTable)
        self.columns: tuple[str, ...] = ()
        self._summary()

    def on_resize(self) -> None:
        wanted = tuple(key for key, _, _ in COLUMNS if self.size.width >= NARROW or key not in WIDE_ONLY)
        if wanted != self.columns:
            self.columns = wanted
            self.table.clear(columns=True)
            for key, label, width in COLUMNS:
                if key in wanted:
                    self.table.add_column(label, key=key, width=width)
            self._redraw()

    def focus_main(self) -> None:
        self.table.focus()
        if not self.rows and not self.sweeping:
            self.action_sweep()

    # ----- sweeping ----------------------------------------------------------------------------------

    def action_sweep(self) -> None:
        self.sweep()

    @work(exclusive=True, group="overrides", exit_on_error=False, name="Override sweep")
    async def sweep(self) -> None:
        self.sweeping = True
        self.rows.clear()
        self.marked.clear()
        self.devices_swept = []
        self._redraw()
        started = time.monotonic()
        holders = load_holders(read_records())
        known: Sequence[DeviceInfo] | None = [d.info for d in self.site.devices.values()] or None
        try:
            async for row in sweep_overrides(self.client, known, holders=holders, on_device=self._device_done):
                self.rows[row_key(row)] = row
                self._add(row)
        finally:
            self.sweeping = False
            self.sweep_seconds = time.monotonic() - started
            self._redraw()

    def _device_done(self, summary: DeviceSweep) -> None:
        self.devices_swept.append(summary)
        self._summary_soon()

    def _summary_soon(self) -> None:
        """Redraw the summary once for a burst of rows: it counts every row, so once per row
        would make a 2,000-row sweep quadratic."""
        if not self._summary_due:
            self._summary_due = True
            self.set_timer(0.1, self._summary)

    # ----- drawing -----------------------------------------------------------------------------------

    def _summary(self) -> None:
        self._summary_due = False
        every = [r for r in self.rows.values() if isinstance(r, HeldSlot)]
        held = [r for r in every if not (r.priority == 16 and r.holder == "device")]
        programs = len(every) - len(held)
        oos = len(self.rows) - len(every)
        devices = len({r.device for r in held})
        failed = [d for d in self.devices_swept if d.error]
        text = Text.assemble(
            (f"{len(held)} override(s) on {devices} device(s), {oos} point(s) out of service", "bold"),
            (f", {programs} program slot(s) at 16 " + ("shown" if self.show_programs else "hidden (d)"), "dim"),
            f"  ({len(self.devices_swept)} device(s) swept",
            (f", {len(failed)} not answering" if failed else "", "red"),
            (", sweeping...)" if self.sweeping else
             f" in {self.sweep_seconds:.2f} s)" if self.sweep_seconds is not None else ")  r sweeps", "dim"),
            (f"  {len(self.marked)} selected" if self.marked else "", "yellow"),
            (f"  sorted by {self.sort}", "dim"),
        )
        self.query_one("#ov-summary", InfoLine).update(text)

    def _cells(self, row: Row, now: float) -> list:
        """The row's cells for the columns shown (see COLUMNS)."""
        device = f"{row.device} {row.device_name or ''}".strip()
        point = f"{short_id(row.object_id)} {row.object_name or ''}".strip()
        holder = Text(f"{row.holder}: {row.holder_detail}" if row.holder_detail else row.holder,
                      style=HOLDER_STYLES.get(row.holder, ""))
        mark = Text("*", style="bold yellow") if row_key(row) in self.marked else Text(" ")
        if isinstance(row, HeldSlot):
            cells = {"p": Text(str(row.priority), style="bold red" if row.priority <= 2 else ""), "level": row.level,
                     "value": Text(row.value_text.strip(), style="bold" if row.winning else ""),
                     "without": row.without_text.strip()}
        else:
            cells = {"p": Text("OOS", style="bold yellow"), "level": "out of service",
                     "value": row.value_text.strip(), "without": "-"}
        cells.update(mark=mark, device=device, point=point, holder=holder, age=age_text(row.since, now))
        return [cells[key] for key in self.columns]

    def _shown(self, row: Row, now: float | None = None) -> bool:
        """Matches the filter; a program's slot 16 only when asked for (d, or the filter names it)."""
        program = isinstance(row, HeldSlot) and row.priority == 16 and row.holder == "device"
        asked = self.show_programs or "device" in self.row_filter.holders or 16 in self.row_filter.priorities
        return (asked or not program) and self.row_filter.matches(row, now)

    def action_programs(self) -> None:
        self.show_programs = not self.show_programs
        self._redraw()

    def _add(self, row: Row) -> None:
        if self._shown(row):
            self.table.add_row(*self._cells(row, time.time()), key=row_key(row))
        self._summary_soon()

    def _sort_key(self, row: Row):  # noqa: ANN202
        priority = row.priority if isinstance(row, HeldSlot) else 17
        if self.sort == "priority":
            return (priority, row.device, row.object_id)
        if self.sort == "holder":
            return (row.holder, row.device, priority)
        if self.sort == "age":
            return (row.since if row.since is not None else float("inf"), row.device)
        return (row.device, row.object_id, priority)

    def _redraw(self) -> None:
        cursor = self.table.cursor_row
        self.table.clear()
        now = time.time()
        for row in sorted(self.rows.values(), key=self._sort_key):
            if self._shown(row, now):
                self.table.add_row(*self._cells(row, now), key=row_key(row))
        if self.table.row_count:
            self.table.move_cursor(row=min(max(cursor, 0), self.table.row_count - 1))
        self._summary()

    # ----- filter, sort, selection -------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one("#ov-filter", Input).focus()

    @on(Input.Changed, "#ov-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.row_filter = parse_filter(event.value)
        self._redraw()

    @on(Input.Submitted, "#ov-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._redraw()

    def _current(self) -> str | None:
        if not self.table.row_count or self.table.cursor_row < 0:
            return None
        return str(self.table.coordinate_to_cell_key((self.table.cursor_row, 0)).row_key.value)

    def action_mark(self) -> None:
        key = self._current()
        if key is None:
            return
        self.marked.symmetric_difference_update({key})
        self.table.update_cell(key, "mark", Text("*", style="bold yellow") if key in self.marked else Text(" "))
        self.table.action_cursor_down()
        self._summary()

    def action_mark_all(self) -> None:
        """Select every row the filter shows (again: clear the selection)."""
        shown = {str(key.value) for key in self.table.rows}
        self.marked = set() if shown <= self.marked else shown
        self._redraw()

    # ----- release -----------------------------------------------------------------------------------

    def action_release(self) -> None:
        if self.runtime.read_only:
            self.notify("Read-only mode (--read-only): releases are disabled.", severity="warning", title="Refused")
            return
        keys = sorted(self.marked) or ([self._current()] if self._current() else [])
        rows = [self.rows[key] for key in keys if key in self.rows]
        if rows:
            self.release(rows)

    @work(exclusive=True, group="overrides-release", exit_on_error=False, name="Release overrides")
    async def release(self, rows: list[Row]) -> None:
        selection = Selection(tuple(r for r in rows if isinstance(r, HeldSlot)),
                              tuple(r for r in rows if isinstance(r, OutOfServicePoint)))
        if not await self.app.push_screen_wait(ConfirmScreen(
                f"Release {selection.describe()}? Each is read back afterwards.")):
            return
        if selection.life_safety:
            typed = await self.app.push_screen_wait(TypeToConfirm(
                f"{len(selection.life_safety)} of them are life-safety slots (priority 1 or 2). "
                f"Type {LIFE_SAFETY_WORD} to release them too.", LIFE_SAFETY_WORD))
            if typed is None:
                return
        if selection.running_aso and not await self.app.push_screen_wait(ConfirmScreen(
                f"{len(selection.running_aso)} slot(s) are held by a running ASO: it writes them again at its "
                "next step unless it is stopped (F3). Release them anyway?")):
            return
        results, warnings = await release_recorded(self.client, selection, self.runtime.audit)
        for warning in warnings:
            self.notify(warning, severity="warning", title="Audit journal")
        self.app.push_screen(ReleaseResultsScreen([ReleaseLine.of(result) for result in results]))
        self.sweep()
