"""The object inspector (i), driven through the real app on the demo building."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Select

from aso_console.screens.confirm import ConfirmScreen
from aso_console.screens.inspector import InspectorScreen
from aso_console.screens.property_modal import PropertyWriteScreen

from .test_console import AHU, FAN_SPEED, opened, select_point, until

SUPPLY_AIR = "analog-input,2"  # AHU-1 Supply Air Temperature


async def inspect(app, pilot, instance: int, object_id: str) -> InspectorScreen:
    await select_point(app, pilot, instance, object_id)
    app.explore.points.focus()
    await pilot.pause()
    await pilot.press("i")
    await until(lambda: isinstance(app.screen, InspectorScreen) and app.screen.values)
    await pilot.pause()
    return app.screen


def cell(screen: InspectorScreen, prop: str) -> str:
    return screen.query_one("#props", DataTable).get_cell(prop, "value").plain


async def to_row(screen: InspectorScreen, pilot, prop: str) -> None:
    table = screen.query_one("#props", DataTable)
    table.move_cursor(row=table.get_row_index(prop))
    await pilot.pause()


async def covs_of(app, object_id: str) -> int:
    subscriptions = await app.runtime.client.read(AHU, f"device,{AHU}", "active-cov-subscriptions")
    return sum(1 for s in subscriptions or []
               if s.get("monitoredPropertyReference", {}).get("objectIdentifier") == object_id)


async def test_i_shows_every_property_formatted(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        screen = await inspect(app, pilot, AHU, FAN_SPEED)
        rows = [str(key.value) for key in screen.query_one("#props", DataTable).rows]
        assert rows[:3] == ["object-identifier", "object-name", "object-type"]
        assert {"present-value", "priority-array", "units", "status-flags", "property-list"} <= set(rows)
        assert cell(screen, "object-name") == "AHU-1 Supply Fan Speed Command"
        assert cell(screen, "present-value").endswith(" %") and cell(screen, "status-flags") == "ok"
        await to_row(screen, pilot, "property-list")
        await pilot.press("v")  # the raw value below the table
        assert '"present-value"' in str(screen.query_one("#detail").render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, InspectorScreen)


async def test_a_description_is_written_from_the_inspector(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        screen = await inspect(app, pilot, AHU, FAN_SPEED)
        await to_row(screen, pilot, "description")
        await pilot.press("w")
        await until(lambda: isinstance(app.screen, PropertyWriteScreen))
        app.screen.query_one("#value", Input).value = "VFD-1 speed, rebalanced 2026-11"
        await pilot.press("enter")
        await until(lambda: cell(screen, "description") == "VFD-1 speed, rebalanced 2026-11")
        assert await app.runtime.client.read(AHU, FAN_SPEED, "description") == "VFD-1 speed, rebalanced 2026-11"


async def test_an_enumerated_property_is_offered_by_name_and_a_wrong_value_is_refused_in_the_dialog(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        screen = await inspect(app, pilot, AHU, FAN_SPEED)
        await to_row(screen, pilot, "units")
        await pilot.press("w")
        await until(lambda: isinstance(app.screen, PropertyWriteScreen))
        assert "percent" in [str(label) for label, _ in app.screen.query_one("#value", Select)._options]
        await pilot.press("escape")
        await to_row(screen, pilot, "cov-increment")
        await pilot.press("w")
        await until(lambda: isinstance(app.screen, PropertyWriteScreen))
        app.screen.query_one("#value", Input).value = "nan"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PropertyWriteScreen)  # refused before anything was sent
        assert "not a valid number" in str(app.screen.query_one("#error").render())


async def test_out_of_service_simulates_a_sensor_and_is_put_back(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        screen = await inspect(app, pilot, AHU, SUPPLY_AIR)
        await pilot.press("o")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(lambda: cell(screen, "out-of-service") == "true")
        assert "OUT OF SERVICE" in str(screen.query_one("#title").render())
        await to_row(screen, pilot, "present-value")
        await pilot.press("w")
        await until(lambda: isinstance(app.screen, PropertyWriteScreen))
        app.screen.query_one("#value", Input).value = "48.5"
        await pilot.press("enter")
        await until(lambda: cell(screen, "present-value").startswith("48.5"))
        assert await app.runtime.client.read(AHU, SUPPLY_AIR) == 48.5
        await pilot.press("o")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(lambda: cell(screen, "out-of-service") == "false")


async def test_cov_on_demand_updates_live_and_is_cancelled_when_the_inspector_closes(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        screen = await inspect(app, pilot, AHU, FAN_SPEED)
        before = await covs_of(app, FAN_SPEED)
        await pilot.press("c")
        await until(lambda: "COV on" in str(screen.query_one("#title").render()))
        assert await covs_of(app, FAN_SPEED) == before + 1
        log = screen.query_one("#changes")
        await until(lambda: any("present-value =" in line.text for line in log.lines))
        await pilot.press("escape")
        await pilot.pause()
        for _ in range(50):
            if await covs_of(app, FAN_SPEED) == before:
                break
            await pilot.pause(0.1)
        assert await covs_of(app, FAN_SPEED) == before


async def test_read_only_refuses_writes_in_the_inspector(cleanup_vlans):
    async with opened(cleanup_vlans, read_only=True) as (app, pilot):
        screen = await inspect(app, pilot, AHU, FAN_SPEED)
        await to_row(screen, pilot, "description")
        await pilot.press("w")
        await pilot.pause()
        assert app.screen is screen
        assert any("Read-only" in notice for notice in app.notices)
