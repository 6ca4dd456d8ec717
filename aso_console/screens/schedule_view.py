"""A schedule object as a week grid (days x times) with its exceptions; edit them behind a confirmation.

Opened with ``s`` from the object inspector on a schedule object. The grid
has one row per time any day changes; a cell holds the value set at that
time on that day. Below it, the exceptions in the device's order (# is
the exception-schedule array index, as ``aso schedule`` numbers them).
``e`` edits a day (typed as ``DAY HH:MM=VALUE,...``), ``a`` adds an
exception (period, entries, priority), ``d`` drops the exception under the
cursor; each is confirmed naming the device and object, written, then read
back (the view shows what the device holds). Each edit sent, done or
refused, goes into the audit journal (the day, the exceptions before and
after, as text): U in Explore lists it and undoes it. Enter on an exception that
references a calendar (calendar,N) opens that calendar's date list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Label, Static

from aso_runtime.bacnet import (
    DAYS,
    BacnetClient,
    BacnetError,
    DeviceInfo,
    InvalidInput,
    Schedule,
    ScheduleException,
    parse_day,
    parse_entries,
    read_schedule,
    schedule_edit,
    write_day,
)
from aso_runtime.bacnet.schedule_edit import entries_text, exception_text, value_text
from aso_runtime.bacnet.schedule_text import parse_period
from aso_runtime.closeout.audit import AuditJournal
from aso_runtime.closeout.schedule_audit import (
    EXCEPTION_SCHEDULE,
    WEEKLY_SCHEDULE,
    audited_edit,
    exceptions_text,
)

from ..messages import ReportsFailedWork
from ..widgets.key_bar import KeyBar
from .confirm import ConfirmScreen
from .dialog import Dialog


def grid_rows(schedule: Schedule) -> list[list[str]]:
    """One row per time any day changes: [time, monday's value then, ..., sunday's] ('' when that day has none)."""
    times = sorted({when for day in schedule.days for when, _ in day})
    return [[when, *(next((value_text(v) for t, v in day if t == when), "") for day in schedule.days)]
            for when in times]


class EditForm(Dialog["tuple | str | None"]):
    """A small form over a schedule or calendar view: Enter moves to the next field, in the last checks them all.

    What is wrong shows in one line under the fields (an ``#error`` Label); nothing is sent from here.
    """

    DEFAULT_CSS = """
    EditForm { align: center middle; }
    EditForm > Vertical { width: 72; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    EditForm Label { width: 100%; }
    EditForm Horizontal { height: auto; }
    EditForm Horizontal > Label { width: 10; padding-top: 1; }
    EditForm #error { color: $error; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="schedule_edit.cancel")]

    def answer(self) -> tuple | str:
        """The parsed fields; raises InvalidInput with what to fix."""
        raise NotImplementedError

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input is not list(self.query(Input))[-1]:
            self.focus_next()
            return
        try:
            self.dismiss(self.answer())
        except InvalidInput as exc:
            self.query_one("#error", Label).update(str(exc))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ScheduleDialog(EditForm):
    """A form about one schedule (its name and value kind go in the form's text)."""

    def __init__(self, schedule: Schedule) -> None:
        super().__init__()
        self.schedule = schedule


class DayEditScreen(ScheduleDialog):
    """Ask for ``DAY HH:MM=VALUE,...``; returns (day 0..6, entries) or None."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Edit a day of {self.schedule.name} ({self.schedule.kind} values, null = default)")
            yield Label("e.g.  monday 06:30=active,17:00=inactive   (an empty list clears the day)")
            yield Input(id="day-entries", placeholder="DAY HH:MM=VALUE,...")
            yield Label("", id="error")

    def answer(self) -> tuple[int, list]:
        day_text, _, entries = self.query_one("#day-entries", Input).value.strip().partition(" ")
        return parse_day(day_text), parse_entries(entries)


class ExceptionAddScreen(ScheduleDialog):
    """Ask for an exception's period, entries and event priority; returns (period, entries, priority) or None."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Add an exception to {self.schedule.name} ({self.schedule.kind} values, null = default)")
            yield Label("When: 2026-12-25, 2026-12-24..2026-12-26, calendar,1 or week-n-day 11, 4, thu")
            for key, title, value, hint in (("period", "When", "", "date, range, calendar,N, week-n-day"),
                                            ("entries", "Entries", "", "HH:MM=VALUE,...  e.g. 00:00=inactive"),
                                            ("priority", "Priority", "16", "1 (wins) .. 16")):
                with Horizontal():
                    yield Label(title)
                    yield Input(value, id=key, placeholder=hint)
            yield Label("", id="error")

    def answer(self) -> tuple[str, list, int]:
        period = self.query_one("#period", Input).value.strip()
        parse_period(period)
        entries = parse_entries(self.query_one("#entries", Input).value)
        priority_text = self.query_one("#priority", Input).value.strip()
        if not priority_text.isdigit() or not 1 <= int(priority_text) <= 16:
            raise InvalidInput(f"priority {priority_text!r}: an event priority is 1 (wins) .. 16")
        return period, entries, int(priority_text)


class ReadBackView(ReportsFailedWork, Dialog[None]):
    """A view of one object of a device whose edits are confirmed, written, then shown as read back.

    Subclasses read the object in ``load`` (a worker), draw it in ``show`` and
    return what they show from ``shown`` (None until the first read).
    """

    def __init__(self, client: BacnetClient, device: DeviceInfo, object_id: str, *, read_only: bool = False,
                 audit: AuditJournal | None = None) -> None:
        super().__init__()
        self.client = client
        self.device = device
        self.object_id = object_id
        self.read_only = read_only
        self._audit = audit

    @property
    def audit(self) -> AuditJournal:
        """Where edits are recorded: the one given, else the console session's (U in Explore lists them)."""
        if self._audit is None:
            runtime = getattr(self.app, "runtime", None)
            self._audit = runtime.audit if runtime is not None else AuditJournal(tool="console")
        return self._audit

    async def _recorded(self, prop: str, index: int | None, before: str, intended: str,
                        edit: Callable[[], Awaitable[Any]]) -> Any:
        """The edit with its audit record (a journal that cannot be written is told; the edit stands)."""
        after, audited = await audited_edit(self.client, self.audit, self.device, self.object_id, prop, index,
                                            before, intended, edit)
        if audited.warning:
            self.notify(audited.warning, severity="warning", title="Audit journal")
        return after

    def shown(self) -> object | None:
        raise NotImplementedError

    def load(self) -> None:
        raise NotImplementedError

    def show(self, read_back: object) -> None:
        raise NotImplementedError

    def _writable(self) -> bool:
        if self.read_only:
            self.notify("Read-only mode (--read-only): writes are disabled.", severity="warning", title="Refused")
            return False
        return self.shown() is not None

    async def _confirm_write(self, question: str, write: Callable[[], Awaitable[object]], done: str) -> None:
        """Ask, write, show what the device reads back; errors go to the app's one handler (ReportsFailedWork)."""
        if not await self.app.push_screen_wait(ConfirmScreen(question)):
            return
        try:
            after = await write()
        except BacnetError:
            self.load()  # show what the device holds now, next to the error
            raise
        self.show(after)
        self.notify(done, title="Written")


class ScheduleScreen(ReadBackView):
    DEFAULT_CSS = """
    ScheduleScreen { align: center middle; }
    ScheduleScreen > Vertical { width: 100%; height: 100%; background: $surface; }
    ScheduleScreen #schedule-title { height: auto; padding: 0 1; background: $boost; }
    ScheduleScreen #week { height: 1fr; }
    ScheduleScreen #exceptions { height: auto; max-height: 8; border-top: solid $primary-darken-2; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close", id="schedule.close"),
        Binding("e", "edit_day", "Edit day", id="schedule.edit_day"),
        Binding("a", "add_exception", "Add exception", id="schedule.add_exception"),
        Binding("d", "drop_exception", "Drop exception", id="schedule.drop_exception"),
        Binding("r", "reload", "Reload", id="schedule.reload"),
    ]

    def __init__(self, client: BacnetClient, device: DeviceInfo, object_id: str, *, read_only: bool = False,
                 audit: AuditJournal | None = None) -> None:
        super().__init__(client, device, object_id, read_only=read_only, audit=audit)
        self.schedule: Schedule | None = None

    def shown(self) -> Schedule | None:
        return self.schedule

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("reading the schedule...", id="schedule-title")
            yield DataTable(id="week", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="exceptions", cursor_type="row")
        yield KeyBar()

    def on_mount(self) -> None:
        week = self.query_one("#week", DataTable)
        week.add_column("Time", key="time", width=6)
        for day in DAYS:
            week.add_column(day[:3].title(), key=day, width=9)
        exceptions = self.query_one("#exceptions", DataTable)
        exceptions.add_column("#", key="number", width=2)
        exceptions.add_column("Prio", key="priority", width=4)
        exceptions.add_column("When", key="when", width=34)
        exceptions.add_column("Entries", key="entries")
        week.focus()
        self.load()

    @work(exclusive=True, group="schedule", exit_on_error=False, name="Read schedule")
    async def load(self) -> None:
        self.show(await read_schedule(self.client, self.device, self.object_id))

    def show(self, schedule: Schedule) -> None:
        self.schedule = schedule
        self.query_one("#schedule-title", Static).update(
            f"{schedule.name} ({schedule.object_id}) on device {self.device.instance}: now "
            f"{value_text(schedule.present_value)}, default {value_text(schedule.default)}\n"
            f"effective {schedule.effective_period[0]}..{schedule.effective_period[1]}; controls "
            f"{', '.join(schedule.controls) or 'nothing'}")
        week = self.query_one("#week", DataTable)
        week.clear()
        for row in grid_rows(schedule):
            week.add_row(*row, key=row[0])
        exceptions = self.query_one("#exceptions", DataTable)
        exceptions.clear()
        for n, exc in enumerate(schedule.exceptions, start=1):  # the device's order: # is the array index
            exceptions.add_row(str(n), str(exc.priority), exc.period, entries_text(exc.entries), key=str(n))

    def action_reload(self) -> None:
        self.load()

    def _where(self) -> str:
        return f"{self.schedule.name} ({self.schedule.object_id}) on device {self.device.instance}"

    def action_edit_day(self) -> None:
        if self._writable():
            self.edit_day()

    def action_add_exception(self) -> None:
        if self._writable():
            self.add_exception()

    def action_drop_exception(self) -> None:
        if not self._writable():
            return
        if not self.schedule.exceptions:
            self.notify(f"{self.schedule.object_id} has no exceptions to drop.", severity="warning")
            return
        self.drop_exception(self.query_one("#exceptions", DataTable).cursor_row + 1)

    @work(exclusive=True, group="schedule-write", exit_on_error=False, name="Write schedule")
    async def edit_day(self) -> None:
        schedule = self.schedule
        answer = await self.app.push_screen_wait(DayEditScreen(schedule))
        if answer is None:
            return
        day, entries = answer
        await self._confirm_write(
            f"Write {DAYS[day]} of {self._where()}?\n"
            f"now: {entries_text(schedule.days[day])}\nnew: {entries_text(entries)}",
            lambda: self._recorded(WEEKLY_SCHEDULE, day + 1, entries_text(schedule.days[day]), entries_text(entries),
                                   lambda: write_day(self.client, self.device, self.object_id, day, entries,
                                                     kind=schedule.kind)),
            f"Wrote {DAYS[day]} of {schedule.object_id}; read back as written")

    @work(exclusive=True, group="schedule-write", exit_on_error=False, name="Add exception")
    async def add_exception(self) -> None:
        schedule = self.schedule
        answer = await self.app.push_screen_wait(ExceptionAddScreen(schedule))
        if answer is None:
            return
        period, entries, priority = answer
        await self._confirm_write(
            f"Add exception #{len(schedule.exceptions) + 1} to {self._where()}?\n"
            f"{period} at priority {priority}: {entries_text(entries)}",
            lambda: self._recorded(
                EXCEPTION_SCHEDULE, None, exceptions_text(schedule.exceptions),
                exceptions_text([*schedule.exceptions, ScheduleException(period, None, entries, priority)]),
                lambda: schedule_edit.add_exception(self.client, self.device, self.object_id, period, entries,
                                                    priority, kind=schedule.kind)),
            f"Added exception #{len(schedule.exceptions) + 1} to {schedule.object_id}; read back as written")

    @work(exclusive=True, group="schedule-write", exit_on_error=False, name="Drop exception")
    async def drop_exception(self, number: int) -> None:
        schedule = self.schedule
        shown = schedule.exceptions[number - 1]
        await self._confirm_write(
            f"Drop exception #{number} of {self._where()}?\n{exception_text(shown)}",
            lambda: self._recorded(
                EXCEPTION_SCHEDULE, None, exceptions_text(schedule.exceptions),
                exceptions_text(schedule.exceptions[:number - 1] + schedule.exceptions[number:]),
                lambda: schedule_edit.drop_exception(self.client, self.device, self.object_id, number,
                                                     expected=shown, kind=schedule.kind)),
            f"Dropped exception #{number} of {schedule.object_id}; read back without it")

    @on(DataTable.RowSelected, "#exceptions")
    def _open_calendar(self, event: DataTable.RowSelected) -> None:
        """Enter on an exception that references a calendar opens that calendar's date list."""
        exception = self.schedule.exceptions[event.cursor_row] if self.schedule else None
        if exception is None or exception.calendar is None:
            return
        from .calendar_view import CalendarScreen  # it builds on this module's form and view

        self.app.push_screen(CalendarScreen(self.client, self.device, exception.calendar, read_only=self.read_only,
                                            audit=self.audit))

    def action_close(self) -> None:
        self.dismiss(None)
