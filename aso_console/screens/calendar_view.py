"""A calendar object's date list, and whether today is in it; add or drop a date behind a confirmation.

Opened with ``s`` from the object inspector on a calendar object (or Enter
on an exception of the schedule view that references the calendar). The
dates are listed in the device's order and numbered as ``aso calendar``
numbers them (# is the date-list position). ``a`` adds a date, a range or
a week-n-day (typed as ``aso calendar --add`` takes it), ``d`` drops the
date under the cursor; each is confirmed naming the device and object,
written, then read back: the list shows what the device holds. Each edit
sent, done or refused, goes into the audit journal (the date list before
and after, as text): U in Explore lists it and undoes it.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Label, Static

from aso_runtime.bacnet import (
    BacnetClient,
    Calendar,
    DeviceInfo,
    read_calendar,
    schedule_edit,
)
from aso_runtime.bacnet.schedule_text import calendar_entry_text, parse_calendar_entry
from aso_runtime.closeout.audit import AuditJournal
from aso_runtime.closeout.schedule_audit import DATE_LIST, dates_text

from ..widgets.key_bar import KeyBar
from .schedule_view import EditForm, ReadBackView


def today_text(calendar: Calendar) -> str:
    """The calendar's present-value in words: the schedules that reference it act on it today or not."""
    return "today is in it" if calendar.present_value else "today is not in it"


class DateAddScreen(EditForm):
    """Ask for one date-list entry; returns it as typed (checked, and shown back the way the device will) or None."""

    def __init__(self, calendar: Calendar) -> None:
        super().__init__()
        self.calendar = calendar

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Add a date to {self.calendar.name} ({self.calendar.object_id})")
            yield Label("e.g.  2027-04-05   *-07-04 (every year)   2027-08-02..2027-08-13   week-n-day 5, last, mon")
            yield Input(id="date", placeholder="DATE, DATE..DATE or week-n-day MONTH, WEEK, DAY")
            yield Label("", id="error")

    def answer(self) -> str:
        text = self.query_one("#date", Input).value.strip()
        parse_calendar_entry(text)  # InvalidInput with what to fix, before any question
        return text


class CalendarScreen(ReadBackView):
    DEFAULT_CSS = """
    CalendarScreen { align: center middle; }
    CalendarScreen > Vertical { width: 100%; height: 100%; background: $surface; }
    CalendarScreen #calendar-title { height: auto; padding: 0 1; background: $boost; }
    CalendarScreen #dates { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close", id="calendar.close"),
        Binding("a", "add_date", "Add date", id="calendar.add_date"),
        Binding("d", "drop_date", "Drop date", id="calendar.drop_date"),
        Binding("r", "reload", "Reload", id="calendar.reload"),
    ]

    def __init__(self, client: BacnetClient, device: DeviceInfo, object_id: str, *,
                 read_only: bool = False, audit: AuditJournal | None = None) -> None:
        super().__init__(client, device, object_id, read_only=read_only, audit=audit)
        self.calendar: Calendar | None = None

    def shown(self) -> Calendar | None:
        return self.calendar

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("reading the calendar...", id="calendar-title")
            yield DataTable(id="dates", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        dates = self.query_one("#dates", DataTable)
        dates.add_column("#", key="number", width=3)
        dates.add_column("Date", key="date")
        dates.focus()
        self.load()

    @work(exclusive=True, group="calendar", exit_on_error=False, name="Read calendar")
    async def load(self) -> None:
        self.show(await read_calendar(self.client, self.device, self.object_id))

    def show(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self.query_one("#calendar-title", Static).update(
            f"{calendar.name} ({calendar.object_id}) on device {self.device.instance}: {today_text(calendar)}; "
            f"{len(calendar.dates)} date(s)")
        dates = self.query_one("#dates", DataTable)
        row = dates.cursor_row
        dates.clear()
        for n, text in enumerate(calendar.dates, start=1):  # the device's order: # is the date-list position
            dates.add_row(str(n), text, key=str(n))
        if dates.row_count:
            dates.move_cursor(row=min(max(row, 0), dates.row_count - 1))

    def action_reload(self) -> None:
        self.load()

    def _where(self) -> str:
        return f"{self.calendar.name} ({self.calendar.object_id}) on device {self.device.instance}"

    def action_add_date(self) -> None:
        if self._writable():
            self.add_date()

    def action_drop_date(self) -> None:
        if not self._writable():
            return
        if not self.calendar.dates:
            self.notify(f"{self.calendar.object_id} has no dates to drop.", severity="warning")
            return
        self.drop_date(self.query_one("#dates", DataTable).cursor_row + 1)

    @work(exclusive=True, group="calendar-write", exit_on_error=False, name="Add date")
    async def add_date(self) -> None:
        calendar = self.calendar
        text = await self.app.push_screen_wait(DateAddScreen(calendar))
        if text is None:
            return
        number = len(calendar.dates) + 1
        new = calendar_entry_text(parse_calendar_entry(text))
        await self._confirm_write(
            f"Add date #{number} to {self._where()}?\n{new}",
            lambda: self._recorded(DATE_LIST, None, dates_text(calendar.dates), dates_text([*calendar.dates, new]),
                                   lambda: schedule_edit.add_calendar_entry(self.client, self.device,
                                                                            self.object_id, text)),
            f"Added date #{number} to {calendar.object_id}; read back as written")

    @work(exclusive=True, group="calendar-write", exit_on_error=False, name="Drop date")
    async def drop_date(self, number: int) -> None:
        calendar = self.calendar
        shown = calendar.dates[number - 1]
        await self._confirm_write(
            f"Drop date #{number} of {self._where()}?\n{shown}",
            # expected: refused if someone else changed that entry since it was read
            lambda: self._recorded(DATE_LIST, None, dates_text(calendar.dates),
                                   dates_text(calendar.dates[:number - 1] + calendar.dates[number:]),
                                   lambda: schedule_edit.drop_calendar_entry(self.client, self.device,
                                                                             self.object_id, number, expected=shown)),
            f"Dropped date #{number} of {calendar.object_id}; read back without it")

    def action_close(self) -> None:
        self.dismiss(None)
