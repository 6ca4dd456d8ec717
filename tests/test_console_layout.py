"""What a technician sees at 80x24 over SSH and at 120x40: every key, every column that matters.

Driven through the real app on the in-process demo building.
"""

from __future__ import annotations

import json

from textual.widgets import Input

from aso_console.screens.help import HelpScreen
from aso_console.screens.load_modal import LoadScreen
from aso_console.widgets.key_bar import KeyBar
from aso_console.widgets.point_table import PointTable
from aso_console.widgets.priority_panel import PriorityPanel, SlotTable
from aso_console.widgets.runner_tables import InstanceTable, OverrideTable

from .test_console import AHU, FAN_SPEED, discovered, make_app, select_point


def footer_keys(app) -> set[str]:
    """The keys the footer shows on screen (their display names), not cut off at the right."""
    bar = app.screen.query_one(KeyBar)
    drawn = bar.render().plain
    return {display for _, display, description in bar.keys if f" {display} {description}" in drawn}


def fully_on_screen(app, widget) -> bool:
    screen = app.screen.region
    region = widget.region
    return region.width > 0 and region.height > 0 and screen.contains_region(region)


async def open_app(cleanup, size, **run):
    app = make_app()
    cleanup.append(app)
    return app, app.run_test(size=size, **run)


async def test_80x24_footer_shows_every_global_key(cleanup_vlans):
    app, running = await open_app(cleanup_vlans, (80, 24))
    async with running as pilot:
        await discovered(app, pilot)
        keys = footer_keys(app)
        assert {"f5", "f6", "/", "?", "q"} <= {k.lower() for k in keys}, keys


async def test_80x24_points_take_the_whole_width_and_names_fit(cleanup_vlans):
    app, running = await open_app(cleanup_vlans, (80, 24))
    async with running as pilot:
        await discovered(app, pilot)
        await select_point(app, pilot, AHU, FAN_SPEED)
        table = app.query_one(PointTable)
        table.focus()
        await pilot.pause()
        name_width = dict(table.column_widths())["Name"]
        assert name_width >= 25  # "AHU-1 Supply Fan Speed Command" is 29; it was 11
        await pilot.press("escape")  # back to the tree, which gets the width back
        await pilot.pause()
        assert app.focused is app.explore.device_tree


async def test_80x24_runner_keeps_held_and_last_error_on_screen(cleanup_vlans):
    app, running = await open_app(cleanup_vlans, (80, 24))
    async with running as pilot:
        await discovered(app, pilot)
        await pilot.press("f3")
        await pilot.pause()
        table = app.query_one(InstanceTable)
        labels = [str(column.label) for column in table.columns.values()]
        widths = [column.get_render_width(table) for column in table.columns.values()]
        right_edge = {label: sum(widths[: i + 1]) for i, label in enumerate(labels)}
        assert right_edge["Held"] <= 78 and right_edge["Last error"] <= 78, right_edge


async def test_80x24_held_overrides_show_their_whole_status(cleanup_vlans):
    app, running = await open_app(cleanup_vlans, (80, 24))
    async with running as pilot:
        await discovered(app, pilot)
        await pilot.press("f3")
        await pilot.pause()
        table = app.query_one(OverrideTable)
        assert fully_on_screen(app, table)
        drawn = sum(column.get_render_width(table) for column in table.columns.values())
        assert drawn <= table.content_region.width, (drawn, table.content_region)


async def test_120x40_shows_all_16_slots(cleanup_vlans):
    app, running = await open_app(cleanup_vlans, (120, 40))
    async with running as pilot:
        await discovered(app, pilot)
        await select_point(app, pilot, AHU, FAN_SPEED)
        slots = app.query_one(SlotTable)
        assert slots.size.height >= 17  # header row + 16 slots, no scrolling
        assert app.query_one(PriorityPanel).region.height >= 18


async def test_80x24_load_modal_keeps_its_buttons_on_screen_with_the_file_browser(cleanup_vlans):
    app, running = await open_app(cleanup_vlans, (80, 24), notifications=True)
    async with running as pilot:
        await discovered(app, pilot)
        app.notify("a long notice that would sit on the buttons at 80x24", timeout=30)
        await pilot.pause()
        await pilot.press("f3", "l")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, LoadScreen)
        assert not app.screen.query("Toast"), "a toast covers the dialog"
        await pilot.press("ctrl+o")
        await pilot.pause()
        for button in app.screen.query("Button"):
            assert fully_on_screen(app, button), button.id
        assert fully_on_screen(app, app.screen.query_one("#source", Input))


async def test_write_modal_shows_two_digit_priorities(cleanup_vlans):
    app, running = await open_app(cleanup_vlans, (80, 24))
    async with running as pilot:
        await discovered(app, pilot)
        await select_point(app, pilot, AHU, FAN_SPEED)
        app.explore.request_write(AHU, FAN_SPEED, 13)
        await pilot.pause(0.3)
        priority = app.screen.query_one("#priority", Input)
        assert priority.value == "13"
        assert priority.content_region.width >= 3  # both digits and the cursor
        assert "Available" in str(app.screen.query_one("#priority-name").render())


async def test_first_screen_starts_on_a_device_with_a_hint(cleanup_vlans):
    app, running = await open_app(cleanup_vlans, (120, 40))
    async with running as pilot:
        await discovered(app, pilot)
        await pilot.pause(0.3)
        header = str(app.query_one("#pa-header").render())
        assert "not commandable" not in header and "Enter opens a device" in header


async def test_orphans_released_at_start_are_told_on_screen(cleanup_vlans, tmp_path):
    from aso_runtime.aso.ledger import ledger_dir

    journal = ledger_dir() / "host-1-1-0.jsonl"  # a dead host's journal (its lock is free)
    journal.write_text(json.dumps({"event": "write", "aso": "shed", "device": "1001", "object_id": "analog-value,1",
                                   "property": "present-value", "priority": 12, "value": 61.0, "since": 1.0}) + "\n")
    app = make_app()
    app.options.release_orphans = True
    cleanup_vlans.append(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await discovered(app, pilot)
        assert any(notice.startswith("Previous run: Released 1 override(s)") for notice in app.notices), app.notices


async def test_a_click_on_a_key_in_the_key_bar_presses_it(cleanup_vlans):
    app, running = await open_app(cleanup_vlans, (80, 24))
    async with running as pilot:
        await discovered(app, pilot)
        bar = app.screen.query_one(KeyBar)
        column = bar.render().plain.index(" ? Help") + 1
        await pilot.click(KeyBar, offset=(column, 0))
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
