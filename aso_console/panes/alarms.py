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
Those writes go into the audit journal.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from dataclasses import dataclass

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
    EventSummary,
    acknowledge_alarm,
    add_this_client,
    get_event_information,
    listen_for_events,
    remove_entry,
    short_id,
)
from aso_runtime.bacnet.recipients import this_client
from aso_runtime.closeout.audit import AuditError
from aso_runtime.closeout.audited import one_line
from aso_runtime.closeout.records import ACKNOWLEDGE_ALARM, acknowledgement_text

from ..messages import Pane
from ..runtime import ConsoleRuntime
from ..screens.confirm import ConfirmScreen
from ..site import Site
from ..widgets.info_line import InfoLine

log = logging.getLogger("aso.console")

SWEEP_LIMIT = 8  # devices asked at once (the per-device limit of the client still applies)
FLUSH_SECONDS = 0.5  # notifications are coalesced and drawn at most this often
TOAST_SECONDS = 4  # short: at 80x24 a toast covers part of the table
REMOVE_ON_EXIT_SECONDS = 5.0  # bound on taking our recipient entries out when the console quits
NOT_SUPPORTED = ("unrecognized-service", "service-request-denied", "optional-functionality-not-supported")
VIA = {"get-event-information": "GEI", "get-alarm-summary": "GAS", "get-enrollment-summary": "GES",
       "notification": "EVT"}
# Sized to fit 80 columns with the cell padding; wider screens give the object name the room.
COLUMNS = (("device", "Device", 10), ("object", "Object", 18), ("state", "State", 10), ("acked", "Acked", 6),
           ("since", "Since", 8), ("p", "Pri", 3), ("notify", "Notify", 5), ("via", "Via", 3))
WIDE = 100  # from this width the object column grows
TRANSITION_LETTERS = (("to-offnormal", "O"), ("to-fault", "F"), ("to-normal", "N"))


@dataclass
class AlarmRow:
    """What the table shows for one object (from a listing or a notification)."""

    instance: int
    object_id: str
    event_state: str
    acked: dict[str, bool]
    time_stamps: list[str | None]
    priority: int | None
    notify_type: str | None
    via: str

    @property
    def key(self) -> str:
        return f"{self.instance}|{self.object_id}"

    @property
    def unacknowledged(self) -> list[str]:
        return [t for t, _ in TRANSITION_LETTERS if not self.acked.get(t, True)]

    @property
    def transition(self) -> str:
        return "to-normal" if self.event_state == "normal" else "to-fault" if self.event_state == "fault" \
            else "to-offnormal"

    @property
    def active_stamp(self) -> str | None:
        index = [t for t, _ in TRANSITION_LETTERS].index(self.transition)
        return self.time_stamps[index] if index < len(self.time_stamps) else None

    @property
    def worth_showing(self) -> bool:
        return self.event_state != "normal" or bool(self.unacknowledged)

    @classmethod
    def of(cls, instance: int, event: EventSummary) -> AlarmRow:
        stamps = list(event.time_stamps or [None, None, None])
        index = [t for t, _ in TRANSITION_LETTERS].index(
            "to-normal" if event.event_state == "normal" else "to-fault" if event.event_state == "fault"
            else "to-offnormal")
        priority = event.priorities[index] if event.priorities and index < len(event.priorities) else None
        return cls(instance, event.object_id, event.event_state, dict(event.acked_transitions), stamps, priority,
                   event.notify_type, VIA.get(event.source, event.source))

    def heard(self, notice: EventNotice) -> None:
        """Apply a notification: the new state, its time stamp, and whether it waits for an acknowledgement."""
        self.event_state = notice.to_state
        index = [t for t, _ in TRANSITION_LETTERS].index(self.transition)
        while len(self.time_stamps) < 3:
            self.time_stamps.append(None)
        self.time_stamps[index] = notice.time_stamp
        if notice.ack_required is not None:
            self.acked[self.transition] = not notice.ack_required
        self.priority = notice.priority
        self.notify_type = notice.notify_type
        self.via = VIA["notification"]


def acked_text(row: AlarmRow) -> Text:
    """``O F N`` with the unacknowledged transitions in bold red (to-offnormal, to-fault, to-normal)."""
    text = Text()
    for transition, letter in TRANSITION_LETTERS:
        done = row.acked.get(transition, True)
        text.append(letter + " " if done else letter.lower() + "!", style="dim" if done else "bold red")
    return text


def since_text(stamp: str | None) -> str:
    """The time of day of a stamp (the date and hundredths left out: the column is 8 wide), ``#N`` as is."""
    if stamp is None:
        return "-"
    return stamp.split(" ")[-1][:8]


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
        self.enrollments: list[tuple[Enrollment, str | None]] = []  # with the audit record id of the addition
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
        extra = max(0, self.app.size.width - WIDE)
        for key, label, width in COLUMNS:
            self.table.add_column(label, key=key, width=width + (extra if key == "object" else 0))
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
        number = int(await self.client.read(row.instance, row.object_id, "notification-class"))
        device = self.site.devices.get(row.instance)
        where = f"notification-class,{number} on device {device.label if device else row.instance}"
        if any(e.device == str(row.instance) and e.notification_class == f"notification-class,{number}"
               for e, _ in self.enrollments):
            self.notify(f"This console is already in the recipient list of {where}", title="Recipient list")
            return
        entry = this_client(self.client, confirmed=True)
        if not await self.app.push_screen_wait(ConfirmScreen(
                f"Write the recipient-list of {where} ({short_id(row.object_id)} reports to it): the list as "
                f"read, plus one entry: {entry.text()}. Read back afterwards; taken out again when the console "
                "exits (or N).")):
            return
        try:
            enrollment = await add_this_client(self.client, row.instance, number, confirmed=True)
        except BacnetError as exc:
            self._record(row.instance, f"notification-class,{number}", None, None, str(exc))
            raise
        record_id = self._record(row.instance, enrollment.notification_class, list(enrollment.before),
                                 list(enrollment.after), "ok") if enrollment.added else None
        if enrollment.added:
            self.enrollments.append((enrollment, record_id))
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
        listed = ", ".join(f"{e.notification_class} on device {e.device}" for e, _ in self.enrollments)
        if not await self.app.push_screen_wait(ConfirmScreen(
                f"Take this console's entry out of the recipient-list of {listed}? Every other entry is left "
                "as it is; each list is read back.")):
            return
        failed = await self.remove_all()
        if failed:
            raise BacnetError("; ".join(failed))
        self.notify("This console's recipient entries are taken out", title="Recipient list", timeout=TOAST_SECONDS)

    async def remove_all(self) -> list[str]:
        """Take out every recipient entry this console added (each recorded); returns the failures, one line each.

        The app calls it on exit, bounded by REMOVE_ON_EXIT_SECONDS.
        """
        failed = []
        for enrollment, record_id in list(self.enrollments):
            try:
                after = await remove_entry(self.client, enrollment)
            except BacnetError as exc:
                self._record(int(enrollment.device), enrollment.notification_class, list(enrollment.after), None,
                             str(exc), undoes=record_id)
                failed.append(f"{enrollment.notification_class} on device {enrollment.device}: {exc}")
                continue
            if after is not None:
                self._record(int(enrollment.device), enrollment.notification_class, list(enrollment.after),
                             list(after), "ok", undoes=record_id)
            self.enrollments.remove((enrollment, record_id))
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
