"""The Overrides tab (F7), driven through the real app at 80x24 on the demo building."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from aso_console.panes.overrides import OverridesPane
from aso_console.screens.confirm import ConfirmScreen
from aso_console.screens.release_results import ReleaseResultsScreen

from .test_console import AHU, FAN_SPEED, discovered, make_app, until

SUPPLY_AIR = "analog-input,2"


async def swept(app, pilot) -> OverridesPane:
    await pilot.press("f7")
    pane = app.query_one(OverridesPane)
    await until(lambda: not pane.sweeping and pane.rows)
    await pilot.pause()
    return pane


def shown(pane: OverridesPane) -> list[str]:
    return [str(key.value) for key in pane.query_one("#ov-table", DataTable).rows]


async def test_every_override_is_found_attributed_and_released_with_proof(cleanup_vlans):
    app = make_app()
    cleanup_vlans.append(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await discovered(app, pilot)
        other = app.runtime.client  # a write that bypasses the console's journal: nobody we know
        await other.write(AHU, FAN_SPEED, 55.0, priority=8)
        await other.write(AHU, SUPPLY_AIR, True, property="out-of-service")
        pane = await swept(app, pilot)
        slot = pane.rows[f"{AHU}|{FAN_SPEED}|p8"]
        assert (slot.value, slot.holder, slot.winning) == (55.0, "unknown", True)
        assert pane.rows[f"{AHU}|{SUPPLY_AIR}|oos"].holder == "unknown"
        assert all(r.holder == "device" for r in pane.rows.values() if getattr(r, "priority", None) == 16)

        await pilot.press("f")
        await pilot.press(*"p8", "enter")
        assert shown(pane) == [f"{AHU}|{FAN_SPEED}|p8"]
        await pilot.press("space", "x")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        assert "1 slot on 1 device" in str(app.screen.query_one("Label").render())
        await pilot.press("y")
        await until(lambda: isinstance(app.screen, ReleaseResultsScreen))
        assert "1 released" in str(app.screen.query_one("#results-summary").render())
        assert await app.runtime.client.read(AHU, FAN_SPEED, "priority-array", 8) is None
        await pilot.press("escape")
        await until(lambda: not pane.sweeping and f"{AHU}|{FAN_SPEED}|p8" not in pane.rows and pane.rows)

        pane.query_one("#ov-filter", Input).value = "oos"
        await pilot.pause()
        assert shown(pane) == [f"{AHU}|{SUPPLY_AIR}|oos"]
        pane.query_one("#ov-table", DataTable).focus()
        await pilot.press("x")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(lambda: isinstance(app.screen, ReleaseResultsScreen))
        assert "back in service" in str(app.screen.query_one("#results-summary").render())
        assert await app.runtime.client.read(AHU, SUPPLY_AIR, "out-of-service") is False


async def test_a_console_write_is_attributed_to_the_console(cleanup_vlans):
    app = make_app()
    cleanup_vlans.append(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await discovered(app, pilot)
        await pilot.press("f2")
        await pilot.press(*f"write {AHU} ao,1 42 8", "enter")
        await app.workers.wait_for_complete()
        pane = await swept(app, pilot)
        slot = pane.rows[f"{AHU}|{FAN_SPEED}|p8"]
        assert slot.holder == "console", slot
        assert slot.value == 42.0


async def test_read_only_refuses_release(cleanup_vlans):
    app = make_app(read_only=True)
    cleanup_vlans.append(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await discovered(app, pilot)
        pane = await swept(app, pilot)
        await pilot.press("x")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("Read-only" in notice for notice in app.notices)
        assert pane.rows
