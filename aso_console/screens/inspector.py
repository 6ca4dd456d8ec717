"""The object inspector: every property of one object, decoded, writable, and live on request.

Opened with ``i`` on a point (or a device) in Explore. It reads every
property the way ``aso props`` does (``read_all_properties``), shows each
formatted for people with the full value of the highlighted one below
(``v`` shows it raw, as plain JSON), and writes any property in a dialog
that fits its datatype. Out-of-service has its own key, since putting an
input out of service and writing its value is how a sensor is simulated.

``c`` subscribes to the object's changes of value (``C``: confirmed
notifications) for as long as the inspector is open; each notification
updates its row and is listed with its time. Closing the inspector (Esc)
cancels the subscription on the device.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, RichLog, Static
from textual.worker import Worker

from aso_runtime.bacnet import (
    BacnetClient,
    DeviceInfo,
    PropertyValue,
    cov_capable,
    is_commandable,
    parse_object_id,
    property_shape,
    read_all_properties,
)
from aso_runtime.closeout.audit import AuditJournal
from aso_runtime.closeout.audited import audited_write
from aso_runtime.verbs.property_text import labels_of, property_text

from ..messages import ReportsFailedWork
from ..widgets.info_line import InfoLine
from ..widgets.key_bar import KeyBar
from .confirm import ConfirmScreen
from .dialog import Dialog
from .property_modal import PropertyToWrite, PropertyWrite, PropertyWriteScreen

log = logging.getLogger("aso.console")

COV_LIFETIME = 300  # s; the subscription is renewed while the inspector is open
PROPERTY_WIDTH = 34  # "lighting-command-default-priority" is 33


@dataclass(frozen=True)
class Inspected:
    """The object to inspect and where it lives."""

    device: DeviceInfo
    object_id: str
    name: str
    read_only: bool = False


class InspectorScreen(ReportsFailedWork, Dialog[None]):
    DEFAULT_CSS = """
    InspectorScreen { align: center middle; }
    InspectorScreen > Vertical { width: 100%; height: 100%; background: $surface; }
    InspectorScreen #title { height: 2; padding: 0 1; background: $boost; }
    InspectorScreen #props { height: 1fr; }
    InspectorScreen #detail { height: auto; max-height: 8; padding: 0 1; border-top: solid $primary-darken-2; }
    InspectorScreen #changes { height: 6; display: none; border-top: solid $primary-darken-2; }
    InspectorScreen.-cov #changes { display: block; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="inspector.close"),
        Binding("w", "write", "Write", id="inspector.write"),
        Binding("o", "out_of_service", "Out of service", id="inspector.oos"),
        Binding("c", "cov(False)", "COV", id="inspector.cov"),
        Binding("C", "cov(True)", "COV confirmed", show=False, id="inspector.cov_confirmed"),
        Binding("v", "raw", "Raw", id="inspector.raw"),
        Binding("r", "reload", "Reload", id="inspector.reload"),
        Binding("s", "schedule", "Schedule", id="inspector.schedule"),  # schedule and calendar objects only (check_action)
        Binding("t", "plot_log", "Plot log", id="inspector.plot_log"),  # trend-log objects only (check_action)
    ]

    def __init__(self, client: BacnetClient, target: Inspected, *, audit: AuditJournal | None = None) -> None:
        super().__init__()
        self.client = client
        self.target = target
        self.audit = audit or AuditJournal(tool="console")  # every write is recorded (undo: U in Explore)
        self.oid = parse_object_id(target.object_id)
        self.values: dict[str, PropertyValue] = {}  # property (with [index]) -> last value read or notified
        self.raw = False
        self._cov: Worker | None = None
        self._cov_state = "off"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield InfoLine(id="title")
            yield DataTable(id="props", cursor_type="row", zebra_stripes=True)
            yield Static("", id="detail")
            yield RichLog(id="changes", max_lines=200, markup=False, highlight=False)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#props", DataTable)
        table.add_column("Property", key="property", width=PROPERTY_WIDTH)
        table.add_column("Value", key="value")
        table.focus()
        self._title("reading every property...")
        self.load()

    # ----- reading -----------------------------------------------------------------------------------

    @work(exclusive=True, group="inspect", exit_on_error=False, name="Inspect")
    async def load(self) -> None:
        values = await read_all_properties(self.client, self.target.device, self.oid)
        self.values = {_key(v): v for v in values}
        self._fill()

    def _fill(self) -> None:
        table = self.query_one("#props", DataTable)
        row = table.cursor_row
        table.clear()
        for key in self.values:
            table.add_row(key, self._cell(key), key=key)
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))
        self._title()
        self._show_detail()

    def _cell(self, key: str) -> Text:
        value = self.values[key]
        if not value.ok:
            return Text(f"error: {value.error}", style="red")
        text = Text(property_text(value.property, value.value, labels_of(list(self.values.values()))), no_wrap=True)
        text.truncate(self._value_width(), overflow="ellipsis")  # the whole value is shown below the table
        return text

    def _value_width(self) -> int:
        return max(20, self.size.width - PROPERTY_WIDTH - 4)

    def on_resize(self) -> None:
        if self.values:
            self._fill()

    def _title(self, note: str = "") -> None:
        t = self.target
        oos = self.values.get("out-of-service")
        marks = []
        if oos is not None and oos.ok and oos.value is True:
            marks.append(("  OUT OF SERVICE", "bold yellow"))
        cov = {"off": ("COV off (c)", "dim"), "on": ("COV on", "bold green")}.get(self._cov_state,
                                                                                  (self._cov_state, "yellow"))
        title = Text.assemble((f"{t.name} ", "bold"), f"{self.oid} on device {t.device.instance}",
                              f"  {len(self.values)} properties" if self.values else "", *marks,
                              "  ", cov)
        hint = Text(note or "w writes the highlighted property; o puts the object in or out of service; "
                            "v shows the raw value", style="dim")
        self.query_one("#title", InfoLine).update(Text("\n").join([title, hint]))

    @on(DataTable.RowHighlighted, "#props")
    def _show_detail(self) -> None:
        key = self._current()
        detail = self.query_one("#detail", Static)
        if key is None:
            detail.update("")
            return
        value = self.values[key]
        if not value.ok:
            detail.update(Text(f"{key}: the device answered {value.error}", style="red"))
        elif self.raw:
            detail.update(Text(json.dumps(value.value, indent=1, default=str)))
        else:
            detail.update(Text(f"{key}: {property_text(value.property, value.value, labels_of(list(self.values.values())))}"))

    def _current(self) -> str | None:
        table = self.query_one("#props", DataTable)
        if not table.row_count or table.cursor_row < 0:
            return None
        return str(table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value)

    def action_raw(self) -> None:
        self.raw = not self.raw
        self._show_detail()

    def action_reload(self) -> None:
        self.load()

    # ----- writing -----------------------------------------------------------------------------------

    def _refused(self) -> bool:
        if self.target.read_only:
            self.notify("Read-only mode (--read-only): writes are disabled.", severity="warning", title="Refused")
        return self.target.read_only

    def action_write(self) -> None:
        key = self._current()
        if key is not None and not self._refused():
            self.write_property(key.split("[")[0])

    @work(exclusive=True, group="write", exit_on_error=False, name="Write property")
    async def write_property(self, prop: str) -> None:
        shown = self.values.get(prop)
        current = self._cell(prop).plain if shown is not None else "(not read)"
        commandable = prop == "present-value" and is_commandable(self.oid)
        target = PropertyToWrite(self.target.object_id, self.target.name, prop, property_shape(self.oid, prop),
                                 current, commandable)
        request: PropertyWrite | None = await self.app.push_screen_wait(PropertyWriteScreen(target))
        if request is None:
            return
        await self._write(prop, request)

    async def _write(self, prop: str, request: PropertyWrite) -> None:
        device = self.target.device
        recorded = await audited_write(self.client, self.audit, device, self.oid, request.value, request.priority,
                                       prop, request.index)
        if recorded.warning:
            self.notify(recorded.warning, severity="warning", title="Audit journal")
        at = f" at priority {request.priority}" if request.priority else ""
        where = f"{prop}[{request.index}]" if request.index is not None else prop
        log.warning("operator wrote %r to device %s %s %s%s", request.value, device.instance, self.oid, where, at)
        self.notify(f"Wrote {request.value!r} to {self.oid} {where}{at}", title="Written")
        await self._reread([prop, "present-value", "status-flags", "out-of-service"])

    async def _reread(self, props: list[str]) -> None:
        wanted = [p for p in dict.fromkeys(props) if p in self.values]
        for value in await self.client.read_many(self.target.device, [(self.oid, wanted)]):
            self.values[_key(value)] = value
        self._fill()

    def action_out_of_service(self) -> None:
        if not self._refused():
            self.toggle_out_of_service()

    @work(exclusive=True, group="write", exit_on_error=False, name="Out of service")
    async def toggle_out_of_service(self) -> None:
        now = self.values.get("out-of-service")
        if now is None or not now.ok:
            self.notify(f"{self.oid} has no out-of-service property", severity="warning")
            return
        going = not bool(now.value)
        question = (f"Put {self.target.name} ({self.oid}) OUT of service? Its present-value stops following "
                    "the field and can be written (a simulated sensor) until you put it back."
                    if going else f"Put {self.target.name} ({self.oid}) back IN service?")
        if not await self.app.push_screen_wait(ConfirmScreen(question)):
            return
        await self._write("out-of-service", PropertyWrite(going))

    # ----- change of value -----------------------------------------------------------------------------

    def action_cov(self, confirmed: bool) -> None:
        if self._cov is not None and self._cov.is_running:
            self._cov.cancel()  # leaving the subscription's block cancels it on the device
            self._cov = None
            return
        if not cov_capable(self.oid):
            self.notify(f"{self.oid.type} objects do not report changes of value (no COV in the standard)",
                        severity="warning")
            return
        self.add_class("-cov")
        self._cov = self.watch_changes(confirmed)

    @work(exclusive=True, group="cov", exit_on_error=False, name="COV")
    async def watch_changes(self, confirmed: bool) -> None:
        changes = self.query_one("#changes", RichLog)
        kind = "confirmed" if confirmed else "unconfirmed"
        self._cov_state = f"COV subscribing ({kind})..."
        self._title()
        try:
            async with self.client.cov(self.target.device, self.oid, lifetime=COV_LIFETIME,
                                       confirmed=confirmed) as feed:
                self._cov_state = "on"
                self._title()
                changes.write(f"{time.strftime('%H:%M:%S')} subscribed ({kind}, lifetime {COV_LIFETIME} s, renewed)")
                async for change in feed:
                    self._changed(change.object_id, change.property, change.value)
                    labels = labels_of(list(self.values.values()))
                    changes.write(f"{time.strftime('%H:%M:%S')} {change.property} = "
                                  f"{property_text(change.property, change.value, labels)}")
        finally:
            self._cov_state = "off"
            if self.is_attached:
                self.remove_class("-cov")
                self._title()

    def _changed(self, object_id: str, prop: str, value: object) -> None:
        self.values[prop] = PropertyValue(object_id, prop, None, value)
        table = self.query_one("#props", DataTable)
        if prop in table.rows:
            table.update_cell(prop, "value", self._cell(prop))
        else:
            self._fill()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "plot_log":
            return self.oid.type in ("trend-log", "trend-log-multiple")
        return self.oid.type in ("schedule", "calendar") if action == "schedule" else True

    def action_plot_log(self) -> None:
        """Read this trend log's buffer (the last 24 h) into the Trends tab and show it (F8)."""
        self.action_close()  # ends a COV subscription too
        self.app.trends.load_log(self.target.device.instance, self.target.object_id)
        self.app.action_show_tab("trends")

    def action_schedule(self) -> None:
        from .calendar_view import CalendarScreen  # a calendar's date list (issue 13)
        from .schedule_view import ScheduleScreen  # the week grid (issue 13)

        view = CalendarScreen if self.oid.type == "calendar" else ScheduleScreen
        self.app.push_screen(view(self.client, self.target.device, self.target.object_id,
                                  read_only=self.target.read_only, audit=self.audit))

    def action_close(self) -> None:
        if self._cov is not None:
            self._cov.cancel()
        self.dismiss(None)


def _key(value: PropertyValue) -> str:
    return value.property if value.index is None else f"{value.property}[{value.index}]"
