"""The Alarms tab (F9): active and unacknowledged events on every discovered device, live.

``r`` sweeps the devices the console has discovered (GetEventInformation, falling back to
GetAlarmSummary then GetEnrollmentSummary: the Via column says which answered; devices without
alarm services are skipped quietly). While the console runs, event notifications sent to it
update the rows as they arrive (a short toast for a new alarm); confirmed ones are answered by
the runtime. ``a`` acknowledges the selected alarm after a confirmation naming the device and
object, then reads it back; each acknowledgement sent (accepted or refused) goes into the audit
journal (property ``acknowledge-alarm``; ``aso undo`` leaves it alone). ``n`` adds this console
to the recipient list of the selected object's notification class (so the controller sends it
the notifications); every entry added is taken out again on ``N`` and when the console exits.
Those writes go into the audit journal (the consent itself: ``alarm_consent``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.widgets import DataTable

from aso_runtime.bacnet import (
    BacnetError,
    BacnetReject,
    BacnetRemoteError,
    Enrollment,
    EventNotice,
    acknowledge_alarm,
    get_event_information,
    listen_for_events,
    short_id,
)
from aso_runtime.closeout.audit import AuditError
from aso_runtime.closeout.audited import one_line
from aso_runtime.closeout.records import ACKNOWLEDGE_ALARM, acknowledgement_text

from ..messages import Pane
from ..runtime import ConsoleRuntime
from ..screens.confirm import ConfirmScreen
from ..site import Site
from ..widgets.info_line import InfoLine
from .alarm_consent import RecipientConsent
from .alarm_rows import TRANSITION_LETTERS, AlarmRow, acked_text, since_text

log = logging.getLogger("aso.console")

SWEEP_LIMIT = 8  # devices asked at once (the per-device limit of the client still applies)
FLUSH_SECONDS = 0.5  # notifications are coalesced and drawn at most this often
TOAST_SECONDS = 4  # short: at 80x24 a toast covers part of the table
REMOVE_ON_EXIT_SECONDS = 5.0  # bound on taking our recipient entries out when the console quits
NOT_SUPPORTED = ("unrecognized-service", "service-request-denied", "optional-functionality-not-supported")
# Sized to fit 80 columns with the cell padding; wider screens give the object name the room.
COLUMNS = (("device", "Device", 10), ("object", "Object", 18), ("state", "State", 10), ("acked", "Acked", 6),
           ("since", "Since", 8), ("p", "Pri", 3), ("notify", "Notify", 5), ("via", "Via", 3))
DEVICE_MORE = 8  # a wider screen first gives the device its whole name ("2001 VAV-1-01"), then the object


def column_widths(screen_width: int) -> dict[str, int]:
    """Each column's width: the 80-column sizes, the room left over to the device's and the object's names."""
    widths = {key: width for key, _, width in COLUMNS}
    used = sum(widths.values()) + 2 * len(COLUMNS) + 2  # cell padding, the scroll bar
    extra = max(0, screen_width - used)
    widths["device"] += min(DEVICE_MORE, extra)
    widths["object"] += max(0, extra - DEVICE_MORE)
    return widths


class AlarmsPane(Pane):
    DEFAULT_CSS = """
    AlarmsPane { height: 1fr; }
    AlarmsPane #alarm-summary { height: 1; padding: 0 1; background: $boost; }
    AlarmsPane #alarm-table { height: 1fr; }
    """

    BINDINGS = [
        Binding("r", "sweep", "Reload", id="alarms.reload"),
        Binding("a", "acknowledge", "Acknowledge", id="alarms.acknowledge"),
        Binding("n", "consent", "Send me alarms", id="alarms.consent"),
        Binding("N", "remove_consent", "Stop sending", id="alarms.remove_consent"),
    ]

    def __init__(self, runtime: ConsoleRuntime, site: Site, **kwargs) -> None:
        super().__init__(**kwargs)
        self.runtime = runtime
        self.client = runtime.client
        self.site = site
        self.rows: dict[str, AlarmRow] = {}
        self.recipients = RecipientConsent(self.client, site, self._record)
        self.notices: collections.deque[EventNotice] = collections.deque(maxlen=500)
        self.heard_count = 0
        self.sweeping = False
        self.swept_at: float | None = None
        self.problems: dict[int, str] = {}
        self._stop_listening = None

    def compose(self) -> ComposeResult:
        yield InfoLine(id="alarm-summary")
        yield DataTable(id="alarm-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.table = self.query_one("#alarm-table", DataTable)
        widths = column_widths(self.app.size.width)
        for key, label, _ in COLUMNS:
            self.table.add_column(label, key=key, width=widths[key])
        # Notifications reach the console whichever tab is shown: listen from the start.
        self._stop_listening = listen_for_events(self.client, self.notices.append)
        self.set_interval(FLUSH_SECONDS, self._flush_notices)
        self._summary()

    def on_unmount(self) -> None:
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None

    def focus_main(self) -> None:
        self.table.focus()
        if self.swept_at is None and not self.sweeping:
            self.action_sweep()

    @property
    def enrollments(self) -> list[tuple[Enrollment, str | None]]:
        """The recipient entries this console added (with the audit record id of each addition)."""
        return self.recipients.enrollments

    @property
    def unacknowledged_count(self) -> int:
        return sum(1 for row in self.rows.values() if row.unacknowledged)

    @property
    def active_count(self) -> int:
        return sum(1 for row in self.rows.values() if row.event_state != "normal")

    # ----- sweeping ------------------------------------------------------------------------------

    def action_sweep(self) -> None:
        self.sweep()

    @work(exclusive=True, group="alarms", exit_on_error=False, name="Alarm sweep")
    async def sweep(self) -> None:
        self.sweeping = True
        self.problems = {}
        self._summary()
        instances = sorted(i for i in self.site.devices if i != self.client.device_instance)
        gate = asyncio.Semaphore(SWEEP_LIMIT)
        found: dict[str, AlarmRow] = {}

        async def one(instance: int) -> None:
            async with gate:
                try:
                    events = await get_event_information(self.client, instance)
                except (BacnetReject, BacnetRemoteError) as exc:
                    reason = getattr(exc, "reason", None) or getattr(exc, "error_code", None)
                    if reason not in NOT_SUPPORTED:
                        self.problems[instance] = str(exc)
                    return  # a device without alarm services has no alarms to show
                except BacnetError as exc:
                    self.problems[instance] = str(exc)
                    return
            for event in events:
                row = AlarmRow.of(instance, event)
                found[row.key] = row

        try:
            await asyncio.gather(*(one(i) for i in instances))
        finally:
            self.sweeping = False
        self.swept_at = time.time()
        self.rows = found
        self._redraw()

    # ----- drawing -------------------------------------------------------------------------------

    def _cells(self, row: AlarmRow) -> list:
        device = self.site.devices.get(row.instance)
        name = self.site.object_name(row.instance, row.object_id)
        point = short_id(row.object_id) + (f" {name}" if name != row.object_id else "")
        state_style = "bold red" if row.event_state not in ("normal",) else "green"
        return [device.label if device else str(row.instance), point, Text(row.event_state, style=state_style),
                acked_text(row), since_text(row.active_stamp), "-" if row.priority is None else str(row.priority),
                row.notify_type or "-", row.via]

    def _redraw(self) -> None:
        cursor = self.table.cursor_row
        self.table.clear()
        for row in sorted(self.rows.values(), key=lambda r: (r.instance, r.object_id)):
            self.table.add_row(*self._cells(row), key=row.key)
        if self.table.row_count:
            self.table.move_cursor(row=min(max(cursor, 0), self.table.row_count - 1))
        self._summary()

    def _update_row(self, row: AlarmRow) -> None:
        if row.key in self.table.rows:
            for (key, _, _), cell in zip(COLUMNS, self._cells(row)):
                self.table.update_cell(row.key, key, cell)
        else:
            self._redraw()

    def _summary(self) -> None:
        swept = ("sweeping..." if self.sweeping else
                 f"{len(self.site.devices)} device(s) swept at {time.strftime('%H:%M:%S', time.localtime(self.swept_at))}"
                 if self.swept_at else "r sweeps the discovered devices")
        listening = f"; {len(self.enrollments)} recipient entr{'y' if len(self.enrollments) == 1 else 'ies'} of ours" \
            if self.enrollments else ""
        self.query_one("#alarm-summary", InfoLine).update(Text.assemble(
            (f"{self.unacknowledged_count} unacknowledged", "bold red" if self.unacknowledged_count else "bold"),
            f", {self.active_count} active  ",
            (f"{len(self.problems)} device(s) not answering  ", "red") if self.problems else "",
            (f"{swept}; {self.heard_count} notification(s) heard{listening}  ", "dim"),
            ("a ack, n send me alarms, N stop", "dim")))

    # ----- live notifications --------------------------------------------------------------------

    def _flush_notices(self) -> None:
        if not self.notices:
            return
        new_alarms = []
        with self.app.batch_update():
            while self.notices:
                notice = self.notices.popleft()
                self.heard_count += 1
                key = f"{notice.device_instance}|{notice.object_id}"
                row = self.rows.get(key)
                if row is None:
                    row = AlarmRow(notice.device_instance, notice.object_id, notice.to_state,
                                   {t: True for t, _ in TRANSITION_LETTERS}, [None, None, None], None, None, "EVT")
                    self.rows[key] = row
                was = row.event_state
                row.heard(notice)
                if row.event_state not in ("normal", "fault") and was != row.event_state:
                    new_alarms.append(row)
                self._update_row(row)
            self._summary()
        if new_alarms:
            first = new_alarms[0]
            more = f" (+{len(new_alarms) - 1} more)" if len(new_alarms) > 1 else ""
            self.notify(f"{first.instance} {short_id(first.object_id)} {first.event_state}{more}", title="Alarm",
                        severity="warning", timeout=TOAST_SECONDS)

    # ----- acknowledging -------------------------------------------------------------------------

    def _selected(self) -> AlarmRow | None:
        if not self.table.row_count or self.table.cursor_row < 0:
            return None
        key = str(self.table.coordinate_to_cell_key((self.table.cursor_row, 0)).row_key.value)
        return self.rows.get(key)

    def _describe(self, row: AlarmRow) -> str:
        device = self.site.devices.get(row.instance)
        name = self.site.object_name(row.instance, row.object_id)
        named = f" ({name})" if name != row.object_id else ""
        return f"{row.object_id}{named} on device {device.label if device else row.instance}"

    def action_acknowledge(self) -> None:
        row = self._selected()
        if row is None:
            return
        if self.runtime.read_only:
            self.notify("Read-only mode (--read-only): acknowledging is disabled.", severity="warning",
                        title="Refused")
            return
        if row.transition not in row.unacknowledged:
            self.notify(f"{self._describe(row)}: its {row.transition} transition is already acknowledged",
                        title="Acknowledge")
            return
        self.acknowledge(row)

    @work(exclusive=True, group="alarms-ack", exit_on_error=False, name="Acknowledge alarm")
    async def acknowledge(self, row: AlarmRow) -> None:
        stamp = row.active_stamp
        if stamp is None:  # from GetAlarmSummary / GetEnrollmentSummary: ask the device for the stamp
            fresh = [e for e in await get_event_information(self.client, row.instance) if e.object_id == row.object_id]
            stamp = fresh[0].active_time_stamp if fresh else None
            if stamp is None:
                raise BacnetError(f"{self._describe(row)}: the device gives no time stamp for its "
                                  f"{row.transition} transition, so it cannot be acknowledged from here")
        if not await self.app.push_screen_wait(ConfirmScreen(
                f"Acknowledge {row.event_state} of {self._describe(row)} ({row.transition} at {stamp})? "
                "It is read back afterwards.")):
            return
        acknowledged = acknowledgement_text(row.event_state, row.transition, stamp)
        try:
            await acknowledge_alarm(self.client, row.instance, row.object_id, row.event_state, stamp,
                                    source=f"aso-console {self.runtime.audit.user}")
        except BacnetError as exc:
            self._record(row.instance, row.object_id, None, acknowledged, one_line(exc), property=ACKNOWLEDGE_ALARM)
            raise
        except asyncio.CancelledError:
            self._record(row.instance, row.object_id, None, acknowledged, "cancelled before the device answered (it "
                         "may have taken the acknowledgement)", property=ACKNOWLEDGE_ALARM)
            raise
        self._record(row.instance, row.object_id, None, acknowledged, "ok", property=ACKNOWLEDGE_ALARM)
        after = [e for e in await get_event_information(self.client, row.instance) if e.object_id == row.object_id]
        if after:
            self.rows[row.key] = AlarmRow.of(row.instance, after[0])
            self._update_row(self.rows[row.key])
        else:  # back to normal and nothing left to acknowledge: it leaves the list
            self.rows.pop(row.key, None)
            self._redraw()
        self._summary()
        still = after and row.transition in after[0].unacknowledged
        if still:
            raise BacnetError(f"{self._describe(row)} still shows {row.transition} unacknowledged after the "
                              "acknowledgement")
        self.notify(f"{self._describe(row)} acknowledged", title="Acknowledged", timeout=TOAST_SECONDS)

    # ----- recipient-list consent ----------------------------------------------------------------

    def action_consent(self) -> None:
        row = self._selected()
        if row is None:
            return
        if self.runtime.read_only:
            self.notify("Read-only mode (--read-only): recipient lists are not changed.", severity="warning",
                        title="Refused")
            return
        self.consent(row)

    @work(exclusive=True, group="alarms-consent", exit_on_error=False, name="Add this console as a recipient")
    async def consent(self, row: AlarmRow) -> None:
        number, where = await self.recipients.target(row.instance, row.object_id)
        if self.recipients.holds(row.instance, number):
            self.notify(f"This console is already in the recipient list of {where}", title="Recipient list")
            return
        if not await self.app.push_screen_wait(ConfirmScreen(self.recipients.question(row.object_id, where))):
            return
        enrollment = await self.recipients.add(row.instance, number)
        self._summary()
        self.notify(f"This console now receives the alarms of {where}" if enrollment.added else
                    f"This console was already in the recipient list of {where} (left as it was)",
                    title="Recipient list", timeout=TOAST_SECONDS)

    def action_remove_consent(self) -> None:
        if not self.enrollments:
            self.notify("This console added no recipient entries", title="Recipient list")
            return
        self.remove_consent()

    @work(exclusive=True, group="alarms-consent", exit_on_error=False, name="Remove this console as a recipient")
    async def remove_consent(self) -> None:
        if not await self.app.push_screen_wait(ConfirmScreen(self.recipients.removal_question())):
            return
        failed = await self.remove_all()
        if failed:
            raise BacnetError("; ".join(failed))
        self.notify("This console's recipient entries are taken out", title="Recipient list", timeout=TOAST_SECONDS)

    async def remove_all(self) -> list[str]:
        """Take out every recipient entry this console added (each recorded); returns the failures, one line each.

        The app calls it on exit, bounded by REMOVE_ON_EXIT_SECONDS.
        """
        failed = await self.recipients.remove_all()
        if self.is_mounted:  # on exit the header may be gone already
            with contextlib.suppress(NoMatches):
                self._summary()
        return failed

    def _record(self, instance: int, object_id: str, before: list | None, after: list | str | None, outcome: str, *,
                undoes: str | None = None, property: str = "recipient-list") -> str | None:
        """A recipient-list write or an acknowledgement (``property`` ACKNOWLEDGE_ALARM) in the audit journal.

        No priority: never taken for an override. An acknowledgement has no "before" and is never undone.
        """
        journal = self.runtime.audit
        record = journal.new_record(device=str(instance), device_instance=instance, object_id=object_id,
                                    property=property, priority=None, index=None, before=before,
                                    before_known=before is not None, after=after, outcome=outcome, undoes=undoes)
        try:
            journal.append(record)
        except AuditError as exc:
            self.notify(f"not recorded: {exc}", severity="warning", title="Audit journal")
        return record.id
