"""A schedule object as a week grid (days x times) with its exceptions; edit a day behind a confirmation.

Opened with ``s`` from the object inspector on a schedule object. The grid
has one row per time any day changes; a cell holds the value set at that
time on that day. ``e`` edits a day: typed as ``DAY HH:MM=VALUE,...``,
confirmed, written, then read back (the grid shows what the device holds).
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Label, Static

from aso_runtime.bacnet import (
    DAYS,
    BacnetClient,
    DeviceInfo,
    InvalidInput,
    Schedule,
    parse_day,
    parse_entries,
    read_schedule,
    write_day,
)

from ..messages import ReportsFailedWork
from ..widgets.key_bar import KeyBar
from .confirm import ConfirmScreen
from .dialog import Dialog


def value_text(value: object) -> str:
    return "default" if value is None else str(value)


def grid_rows(schedule: Schedule) -> list[list[str]]:
    """One row per time any day changes: [time, monday's value then, ..., sunday's] ('' when that day has none)."""
    times = sorted({when for day in schedule.days for when, _ in day})
    return [[when, *(next((value_text(v) for t, v in day if t == when), "") for day in schedule.days)]
            for when in times]


class DayEditScreen(Dialog["tuple[int, list] | None"]):
    """Ask for ``DAY HH:MM=VALUE,...``; returns (day 0..6, entries) or None."""

    DEFAULT_CSS = """
    DayEditScreen { align: center middle; }
    DayEditScreen > Vertical { width: 72; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    DayEditScreen #error { color: $error; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="schedule_edit.cancel")]

    def __init__(self, schedule: Schedule) -> None:
        super().__init__()
        self.schedule = schedule

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Edit a day of {self.schedule.name} ({self.schedule.kind} values, null = default)")
            yield Label("e.g.  monday 06:30=active,17:00=inactive   (an empty list clears the day)")
            yield Input(id="day-entries", placeholder="DAY HH:MM=VALUE,...")
            yield Label("", id="error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        day_text, _, entries_text = event.value.strip().partition(" ")
        try:
            self.dismiss((parse_day(day_text), parse_entries(entries_text)))
        except InvalidInput as exc:
            self.query_one("#error", Label).update(str(exc))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ScheduleScreen(ReportsFailedWork, Dialog[None]):
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
        Binding("r", "reload", "Reload", id="schedule.reload"),
    ]

    def __init__(self, client: BacnetClient, device: DeviceInfo, object_id: str, *, read_only: bool = False) -> None:
        super().__init__()
        self.client = client
        self.device = device
        self.object_id = object_id
        self.read_only = read_only
        self.schedule: Schedule | None = None

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
        for n, exc in enumerate(sorted(schedule.exceptions, key=lambda e: e.priority)):
            exceptions.add_row(str(exc.priority), exc.period,
                               ", ".join(f"{t}={value_text(v)}" for t, v in exc.entries) or "(none)", key=str(n))

    def action_reload(self) -> None:
        self.load()

    def action_edit_day(self) -> None:
        if self.read_only:
            self.notify("Read-only mode (--read-only): writes are disabled.", severity="warning", title="Refused")
        elif self.schedule is not None:
            self.edit_day()

    @work(exclusive=True, group="schedule-write", exit_on_error=False, name="Write schedule")
    async def edit_day(self) -> None:
        schedule = self.schedule
        answer = await self.app.push_screen_wait(DayEditScreen(schedule))
        if answer is None:
            return
        day, entries = answer
        old = ", ".join(f"{t}={value_text(v)}" for t, v in schedule.days[day]) or "(empty)"
        new = ", ".join(f"{t}={v}" for t, v in entries) or "(empty)"
        question = (f"Write {DAYS[day]} of {schedule.name} ({schedule.object_id}) on device "
                    f"{self.device.instance}?\nnow: {old}\nnew: {new}")
        if not await self.app.push_screen_wait(ConfirmScreen(question)):
            return
        after = await write_day(self.client, self.device, self.object_id, day, entries, kind=schedule.kind)
        self.show(after)
        self.notify(f"Wrote {DAYS[day]} of {schedule.object_id}; read back as written", title="Written")

    def action_close(self) -> None:
        self.dismiss(None)
