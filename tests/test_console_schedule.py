"""The schedule view (s in the object inspector of a schedule object), on the demo building."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Label

from aso_console.screens.confirm import ConfirmScreen
from aso_console.screens.inspector import InspectorScreen
from aso_console.screens.schedule_view import (
    DayEditScreen,
    ExceptionAddScreen,
    ScheduleScreen,
)
from aso_console.screens.session_writes import SessionWritesScreen
from aso_console.widgets.priority_panel import SlotTable
from aso_runtime.bacnet import read_schedule, write_exceptions
from aso_runtime.closeout.audit import read_records

from .test_console import AHU, FAN_SPEED, opened, until
from .test_console_inspector import inspect

SCHEDULE = "schedule,1"


def row(screen: ScheduleScreen, key: str) -> list[str]:
    table = screen.query_one("#week", DataTable)
    return [str(cell) for cell in table.get_row(key)]


async def test_s_opens_the_week_grid_and_a_day_is_edited_with_a_confirmation_and_read_back(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        screen = await inspect(app, pilot, AHU, SCHEDULE)
        await pilot.press("s")
        await until(lambda: isinstance(app.screen, ScheduleScreen) and app.screen.schedule is not None)
        view = app.screen
        assert row(view, "07:00") == ["07:00", "active", "active", "active", "active", "active", "", ""]
        assert row(view, "08:00")[6] == "active"  # Saturday
        exceptions = view.query_one("#exceptions", DataTable)  # the device's order, numbered as `aso schedule`
        assert [str(c) for c in exceptions.get_row_at(0)][:3] == ["1", "10", "calendar,1"]
        assert [str(c) for c in exceptions.get_row_at(1)][:3] == ["2", "5", "2026-12-31"]

        await pilot.press("e")
        await until(lambda: isinstance(app.screen, DayEditScreen))
        app.screen.query_one(Input).value = "sunday 09:15=active,11:00=inactive"
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(lambda: app.screen is view and "09:15" in view.query_one("#week", DataTable).rows)
        assert row(view, "09:15")[7] == "active"
        raw = await app.runtime.client.read(AHU, SCHEDULE, "weekly-schedule")  # what the device holds
        assert [tv["time"] for tv in raw[6]["daySchedule"]] == ["09:15:00.00", "11:00:00.00"]

        await pilot.press("escape")
        await until(lambda: app.screen is screen)


def exception_rows(screen: ScheduleScreen) -> list[list[str]]:
    table = screen.query_one("#exceptions", DataTable)
    return [[str(c) for c in table.get_row_at(n)] for n in range(table.row_count)]


async def test_an_exception_is_added_and_dropped_with_a_confirmation_and_read_back(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await inspect(app, pilot, AHU, SCHEDULE)
        await pilot.press("s")
        await until(lambda: isinstance(app.screen, ScheduleScreen) and app.screen.schedule is not None)
        view = app.screen

        await pilot.press("a")
        await until(lambda: isinstance(app.screen, ExceptionAddScreen))
        form = app.screen
        form.query_one("#period", Input).value = "2026-02-30"
        form.query_one("#entries", Input).value = "00:00=inactive"
        form.query_one("#priority", Input).value = "8"
        form.query_one("#period", Input).focus()
        await pilot.press("enter")  # to the next field, not yet checked
        assert app.screen is form and str(form.query_one("#error", Label).content) == ""
        form.query_one("#priority", Input).focus()
        await pilot.press("enter")
        await until(lambda: "no such day" in str(form.query_one("#error", Label).content))
        form.query_one("#period", Input).value = "2026-12-24..2026-12-26"
        form.query_one("#priority", Input).focus()
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        question = app.screen.question
        assert "AHU-1 Occupancy Schedule (schedule,1) on device 1001" in question
        assert "2026-12-24..2026-12-26 at priority 8: 00:00=inactive" in question
        await pilot.press("y")
        await until(lambda: app.screen is view and len(exception_rows(view)) == 3)
        assert exception_rows(view)[2] == ["3", "8", "2026-12-24..2026-12-26", "00:00=inactive"]
        raw = await app.runtime.client.read(AHU, SCHEDULE, "exception-schedule")  # what the device holds
        assert len(raw) == 3 and raw[2]["eventPriority"] == 8

        table = view.query_one("#exceptions", DataTable)
        table.focus()
        table.move_cursor(row=1)
        await pilot.press("d")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        assert "Drop exception #2" in app.screen.question and "2026-12-31 at priority 5" in app.screen.question
        await pilot.press("n")  # not dropped
        await until(lambda: app.screen is view)
        await pilot.press("d")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(lambda: app.screen is view and len(exception_rows(view)) == 2)
        assert [row[2] for row in exception_rows(view)] == ["calendar,1", "2026-12-24..2026-12-26"]
        raw = await app.runtime.client.read(AHU, SCHEDULE, "exception-schedule")
        assert [event["eventPriority"] for event in raw] == [10, 8]

        # Someone else edits the exceptions while the view shows the old ones: the drop is refused, in one line.
        current = await read_schedule(app.runtime.client, AHU, SCHEDULE)
        await write_exceptions(app.runtime.client, AHU, SCHEDULE, current.exceptions[::-1])
        table.move_cursor(row=0)
        await pilot.press("d")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(lambda: any("changed since it was read" in notice for notice in app.notices))
        assert app.screen is view
        assert len(await app.runtime.client.read(AHU, SCHEDULE, "exception-schedule")) == 2  # nothing dropped


async def test_s_does_nothing_on_other_objects(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        screen = await inspect(app, pilot, AHU, FAN_SPEED)
        await pilot.press("s")
        await pilot.pause()
        assert app.screen is screen and isinstance(screen, InspectorScreen)


async def test_edits_are_in_the_session_writes_and_u_puts_the_day_back(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        inspector = await inspect(app, pilot, AHU, SCHEDULE)
        await pilot.press("s")
        await until(lambda: isinstance(app.screen, ScheduleScreen) and app.screen.schedule is not None)
        view = app.screen
        await pilot.press("e")
        await until(lambda: isinstance(app.screen, DayEditScreen))
        app.screen.query_one(Input).value = "sunday 09:15=active,11:00=inactive"
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(lambda: app.screen is view and "09:15" in view.query_one("#week", DataTable).rows)
        table = view.query_one("#exceptions", DataTable)
        table.focus()
        await pilot.press("d")  # exception #1, the holidays
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(lambda: app.screen is view and len(exception_rows(view)) == 1)

        day, dropped = read_records()  # in the journal on disk, as the console's
        assert (day.tool, day.object_id, day.property, day.index, day.priority, day.before, day.after, day.outcome) \
            == ("console", SCHEDULE, "weekly-schedule", 7, None, "(none)", "09:15=active, 11:00=inactive", "ok")
        assert (dropped.property, dropped.after) == ("exception-schedule",
                                                     "2026-12-31 at priority 5: 07:00=active, 14:00=inactive")
        assert dropped.before.startswith("calendar,1 at priority 10: 00:00=inactive; ")

        await pilot.press("escape")
        await until(lambda: app.screen is inspector)
        await pilot.press("escape")
        app.query_one(SlotTable).focus()
        await pilot.press("U")
        await until(lambda: isinstance(app.screen, SessionWritesScreen))
        writes = app.screen.query_one("#writes", DataTable)
        await until(lambda: writes.row_count == 2)
        assert [str(c) for c in writes.get_row_at(0)][2:5] == [f"{AHU} SCH1 exc", "2 exc", "1 exc"]
        assert [str(c) for c in writes.get_row_at(1)][2:5] == [f"{AHU} SCH1 Sun", "0 times", "2 times"]
        writes.move_cursor(row=1)
        await pilot.pause()
        detail = str(app.screen.query_one("#detail").render())
        assert f"wrote 09:15=active, 11:00=inactive to {AHU} {SCHEDULE} weekly-schedule[7], before: (none)" in detail
        await pilot.press("u")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        assert "write (none) back to" in app.screen.question
        await pilot.press("y")
        await until(lambda: writes.row_count == 3)
        raw = await app.runtime.client.read(AHU, SCHEDULE, "weekly-schedule")  # what the device holds
        assert raw[6]["daySchedule"] == []
        assert read_records()[-1].undoes == day.id and "undone" in str(writes.get_row_at(2)[5])
