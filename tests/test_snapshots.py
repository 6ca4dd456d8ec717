"""Snapshots of the key screens (pytest-textual-snapshot).

A deterministic site: one bacpypes3 field device with fixed values on a
virtual network (the demo building's values move with the clock). Update
baselines locally with `pytest tests/test_snapshots.py --snapshot-update`
after looking at the diff; never in CI.
"""

from __future__ import annotations

import asyncio
import itertools
import os


from aso_console.app import AsoConsoleApp
from aso_console.runtime import ConsoleOptions
from aso_console.widgets.device_tree import DeviceTree
from aso_console.widgets.priority_panel import SlotTable
from aso_runtime.bacnet.local import (
    close_application,
    drop_virtual_network,
    ensure_virtual_network,
)

from .peers import serve_field_device

_names = itertools.count(1)


class SnapshotApp(AsoConsoleApp):
    """The real app on a quiet site: no live polling, a fixed status line."""

    def __init__(self, vlan: str) -> None:
        super().__init__(options=ConsoleOptions(vlan=vlan, release_orphans=False), discover_on_start=False,
                         poll_interval=3600)
        self.vlan = vlan
        self.field_device = None

    async def prepare(self, point: str | None = "analog-value,1") -> None:
        ensure_virtual_network(self.vlan)
        self.field_device = serve_field_device(self.vlan, 2, 1001)
        await self.runtime.client.write(1001, "analog-value,1", 68.0, priority=8)
        self.action_discover()
        await asyncio.wait_for(self.tree_complete.wait(), 10)
        if point:
            self.query_one(DeviceTree).select_point(1001, point)
            for _ in range(5):
                await asyncio.sleep(0.05)
            await self.workers.wait_for_complete()
        # The discovery's own summary (with its timing) arrives as a message: wait for it,
        # then replace it with a fixed line so the snapshot does not depend on timing.
        for _ in range(100):
            if "point(s) in" in str(self.status_bar.message):
                break
            await asyncio.sleep(0.01)
        self.status_bar.say("1 device(s), 7 point(s)")

    async def on_unmount(self) -> None:
        await super().on_unmount()
        if self.field_device is not None:
            await close_application(self.field_device)
        drop_virtual_network(self.vlan)


def new_app() -> SnapshotApp:
    return SnapshotApp(f"snap-{os.getpid()}-{next(_names)}")


def test_explore_with_override(snap_compare):
    app = new_app()

    async def run_before(pilot):
        await app.prepare()
        app.query_one(DeviceTree).focus()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


def test_explore_at_80x24(snap_compare):
    app = new_app()

    async def run_before(pilot):
        await app.prepare()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_write_modal(snap_compare):
    app = new_app()

    async def run_before(pilot):
        await app.prepare()
        slots = app.query_one(SlotTable)
        slots.focus()
        slots.move_cursor(row=9)
        await pilot.press("w")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_command_line_help(snap_compare):
    app = new_app()

    async def run_before(pilot):
        await app.prepare(point=None)
        await pilot.press("f2", *"help", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_runner_with_a_loaded_aso(snap_compare, tmp_path):
    script = tmp_path / "nudge.py"
    script.write_text("from aso_runtime import Aso\n\nclass Nudge(Aso):\n    async def on_step(self):\n        pass\n")
    app = new_app()

    async def run_before(pilot):
        await app.prepare(point=None)
        instance = app.runtime.runner.load(str(script))
        instance.source = "nudge.py"
        await pilot.press("f3")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_help_screen(snap_compare):
    app = new_app()

    async def run_before(pilot):
        await app.prepare(point=None)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
