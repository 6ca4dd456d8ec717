"""The schedule view (s in the object inspector of a schedule object), on the demo building."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from aso_console.screens.confirm import ConfirmScreen
from aso_console.screens.inspector import InspectorScreen
from aso_console.screens.schedule_view import DayEditScreen, ScheduleScreen

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
        exceptions = view.query_one("#exceptions", DataTable)
        assert [str(c) for c in exceptions.get_row_at(0)][:2] == ["5", "2026-12-31"]
        assert [str(c) for c in exceptions.get_row_at(1)][:2] == ["10", "calendar,1"]

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


async def test_s_does_nothing_on_other_objects(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        screen = await inspect(app, pilot, AHU, FAN_SPEED)
        await pilot.press("s")
        await pilot.pause()
        assert app.screen is screen and isinstance(screen, InspectorScreen)
