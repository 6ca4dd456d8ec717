"""Points in the words on the equipment: state text everywhere, and a write modal that knows the point.

Driven through the real app on the in-process demo building: the AHU's
occupancy (multi-state: occupied / unoccupied / standby), its supply fan
command (binary: Start / Stop) and its fan speed (0..100 %).
"""

from __future__ import annotations

import textwrap

from textual.widgets import Input, Label

from aso_console.screens.confirm import TypeToConfirm
from aso_console.screens.write_modal import WriteScreen
from aso_console.widgets.point_table import PointTable
from aso_console.widgets.priority_panel import SlotTable
from aso_console.widgets.runner_tables import OverrideTable

from .test_console import AHU, FAN_SPEED, opened, select_point
from .waiting import until

OCCUPANCY, FAN_COMMAND = "multi-state-value,1", "binary-output,1"


async def test_the_table_shows_state_text_not_numbers(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await select_point(app, pilot, AHU, OCCUPANCY)
        table = app.query_one(PointTable)
        assert str(table.get_cell(f"{AHU}/{OCCUPANCY}", "value")) == "occupied"  # it was "1"
        await select_point(app, pilot, AHU, FAN_COMMAND)
        assert str(table.get_cell(f"{AHU}/{FAN_COMMAND}", "value")) == "Start"  # it was "inactiv"/"active"


async def test_the_priority_array_shows_state_text(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await app.runtime.client.write(AHU, OCCUPANCY, 2, priority=8)
        try:
            await select_point(app, pilot, AHU, OCCUPANCY)
            await until(lambda: str(app.query_one(SlotTable).get_cell("8", "value")) == "2 (unoccupied)")
            assert "2 (unoccupied)" in str(app.query_one("#pa-header").render())
        finally:
            await app.runtime.client.release(AHU, OCCUPANCY, 8)


async def test_the_write_modal_offers_the_points_own_words(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await select_point(app, pilot, AHU, FAN_COMMAND)
        app.explore.request_write(AHU, FAN_COMMAND, 8)
        await until(lambda: isinstance(app.screen, WriteScreen))
        await pilot.pause()
        options = [words for words, _ in app.screen.choices]
        assert "active (Start)" in options and "inactive (Stop)" in options
        await pilot.press("escape")


async def test_the_write_modal_refuses_nan_infinity_and_values_outside_the_points_range(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await select_point(app, pilot, AHU, FAN_SPEED)
        sent = app.runtime.client.writes_sent
        app.explore.request_write(AHU, FAN_SPEED, 8)
        await until(lambda: isinstance(app.screen, WriteScreen))
        await pilot.pause()
        assert "% (0..100)" in str(app.screen.query_one("#units", Label).render())
        for typed, refusal in (("nan", "not a number a controller can hold"), ("inf", "not a number a controller"),
                               ("150", "outside the point's range 0..100")):
            app.screen.query_one("#value", Input).value = typed
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert refusal in str(app.screen.query_one("#error", Label).render()), typed
        await pilot.press("escape")
        assert app.runtime.client.writes_sent == sent  # nothing was sent


async def test_releasing_a_life_safety_slot_needs_the_points_name(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        client = app.runtime.client
        await client.write(AHU, FAN_SPEED, 33.0, priority=1)
        try:
            await select_point(app, pilot, AHU, FAN_SPEED)
            slots = app.query_one(SlotTable)
            slots.focus()
            slots.move_cursor(row=0)
            await pilot.press("x")
            await until(lambda: isinstance(app.screen, TypeToConfirm))
            app.screen.query_one(Input).value = "wrong name"
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, TypeToConfirm)
            assert (await client.priority_array(AHU, FAN_SPEED)).at(1).value == 33.0  # nothing released
            app.screen.query_one(Input).value = "AHU-1 Supply Fan Speed Command"
            await pilot.press("enter")
            await until(lambda: _slot_empty(client, 1))
        finally:
            await client.release(AHU, FAN_SPEED, 1)


async def _slot_empty(client, priority: int) -> bool:
    return (await client.priority_array(AHU, FAN_SPEED)).at(priority).value is None


HOLDS_UNOCCUPIED = textwrap.dedent('''
    from aso_runtime import Aso

    class Unoccupied(Aso):
        step_interval = 0.2

        async def on_step(self):
            await self.bacnet_write(1001, "multi-state-value,1", 2)
''')


async def test_held_overrides_show_state_text(cleanup_vlans, tmp_path):
    script = tmp_path / "unoccupied.py"
    script.write_text(HOLDS_UNOCCUPIED)
    async with opened(cleanup_vlans) as (app, pilot):
        app.runtime.runner.load(str(script)).start()
        await pilot.press("f3")
        overrides = app.query_one(OverrideTable)
        await until(lambda: overrides.row_count == 1)
        assert str(overrides.get_row_at(0)[2]) == "unoccupied"
