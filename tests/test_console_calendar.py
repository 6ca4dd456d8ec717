"""The calendar view (s in the object inspector of a calendar object, or Enter on an exception that references it).

On the demo building: the AHU's calendar,1 "AHU-1 Holidays" holds Christmas
(any year), a range over the 2026 holidays and Thanksgiving (week-n-day).
"""

from __future__ import annotations

from textual.widgets import DataTable, Input, Label

from aso_console.screens.calendar_view import CalendarScreen, DateAddScreen
from aso_console.screens.confirm import ConfirmScreen
from aso_console.screens.schedule_view import ScheduleScreen
from aso_runtime.closeout.audit import read_records

from .test_console import AHU, opened, until
from .test_console_inspector import inspect

CALENDAR = "calendar,1"
LISTED = ["*-12-25", "2026-12-24..2027-01-02", "week-n-day month 11, 4th week, Thu"]


def dates(screen: CalendarScreen) -> list[list[str]]:
    table = screen.query_one("#dates", DataTable)
    return [[str(c) for c in table.get_row_at(n)] for n in range(table.row_count)]


def title(screen: CalendarScreen) -> str:
    return str(screen.query_one("#calendar-title").render())


async def test_s_lists_the_dates_and_a_date_is_added_and_dropped_with_a_confirmation_and_read_back(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        client = app.runtime.client
        inspector = await inspect(app, pilot, AHU, CALENDAR)
        await pilot.press("s")
        await until(lambda: isinstance(app.screen, CalendarScreen) and app.screen.calendar is not None)
        view = app.screen
        assert dates(view) == [[str(n), d] for n, d in enumerate(LISTED, start=1)]  # as `aso calendar` lists them
        today = await client.read(AHU, CALENDAR, "present-value")  # an independent read of present-value
        assert ("today is in it" if today else "today is not in it") in title(view)
        assert "AHU-1 Holidays (calendar,1) on device 1001" in title(view)

        await pilot.press("a")
        await until(lambda: isinstance(app.screen, DateAddScreen))
        form = app.screen
        form.query_one("#date", Input).value = "2027-02-30"
        await pilot.press("enter")
        await until(lambda: "no such day" in str(form.query_one("#error", Label).content))
        assert app.screen is form  # nothing asked, nothing sent
        form.query_one("#date", Input).value = "week-n-day 5, last, mon"
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        question = app.screen.question
        assert "Add date #4 to AHU-1 Holidays (calendar,1) on device 1001" in question
        assert "week-n-day month 5, last 7 days, Mon" in question  # shown as the device will list it
        await pilot.press("y")
        await until(lambda: app.screen is view and len(dates(view)) == 4)
        assert dates(view)[3] == ["4", "week-n-day month 5, last 7 days, Mon"]
        assert len(await client.read(AHU, CALENDAR, "date-list")) == 4  # what the device holds

        table = view.query_one("#dates", DataTable)
        table.move_cursor(row=1)
        await pilot.press("d")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        assert "Drop date #2 of AHU-1 Holidays (calendar,1) on device 1001" in app.screen.question
        assert "2026-12-24..2027-01-02" in app.screen.question
        await pilot.press("n")  # not dropped
        await until(lambda: app.screen is view)
        assert len(await client.read(AHU, CALENDAR, "date-list")) == 4
        await pilot.press("d")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(lambda: app.screen is view and len(dates(view)) == 3)
        assert [row[1] for row in dates(view)] == [LISTED[0], LISTED[2], "week-n-day month 5, last 7 days, Mon"]
        assert len(await client.read(AHU, CALENDAR, "date-list")) == 3

        await pilot.press("escape")
        await until(lambda: app.screen is inspector)


async def test_enter_on_an_exception_that_references_the_calendar_opens_it_read_only_refuses_edits(cleanup_vlans):
    async with opened(cleanup_vlans, read_only=True) as (app, pilot):
        await inspect(app, pilot, AHU, "schedule,1")
        await pilot.press("s")
        await until(lambda: isinstance(app.screen, ScheduleScreen) and app.screen.schedule is not None)
        schedule = app.screen
        exceptions = schedule.query_one("#exceptions", DataTable)
        exceptions.focus()
        exceptions.move_cursor(row=1)  # 2026-12-31: a date, no calendar to open
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is schedule
        exceptions.move_cursor(row=0)  # calendar,1 at priority 10
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, CalendarScreen) and app.screen.calendar is not None)
        view = app.screen
        assert [row[1] for row in dates(view)] == LISTED

        await pilot.press("a")
        await until(lambda: any("Read-only" in notice for notice in app.notices))
        assert app.screen is view  # no form: nothing can be sent
        await pilot.press("escape")
        await until(lambda: app.screen is schedule)


async def test_date_edits_are_recorded_with_the_list_before_and_after(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await inspect(app, pilot, AHU, CALENDAR)
        await pilot.press("s")
        await until(lambda: isinstance(app.screen, CalendarScreen) and app.screen.calendar is not None)
        view = app.screen
        await pilot.press("a")
        await until(lambda: isinstance(app.screen, DateAddScreen))
        app.screen.query_one("#date", Input).value = "2027-04-05"
        await pilot.press("enter")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(lambda: app.screen is view and len(dates(view)) == 4)
        view.query_one("#dates", DataTable).move_cursor(row=0)
        await pilot.press("d")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(lambda: app.screen is view and len(dates(view)) == 3)

        added, dropped = read_records()  # in the journal on disk
        assert [r.id for r in app.runtime.audit.session_records()] == [added.id, dropped.id]  # the session's (U)
        assert (added.tool, added.object_id, added.property, added.priority, added.outcome) == (
            "console", CALENDAR, "date-list", None, "ok")
        assert added.before == "; ".join(LISTED) and added.after == "; ".join([*LISTED, "2027-04-05"])
        assert dropped.after == "; ".join([*LISTED[1:], "2027-04-05"])
