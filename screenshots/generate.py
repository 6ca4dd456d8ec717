"""Regenerate screenshots/*.png from the real app in demo mode.

    .venv/bin/python screenshots/generate.py

Runs the console headless against the embedded simulated building, drives
it like a technician would, saves Textual's SVG of each screen and turns it
into PNG with rsvg-convert (Debian: librsvg2-bin fonts-firacode).
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZE = (110, 32)

NUDGE = '''
from aso_runtime import Aso

class HeatingValveNudge(Aso):
    """Holds the AHU heating valve at 35 % (demo)."""
    step_interval = 1.0

    async def on_step(self):
        sat = await self.bacnet_read(1001, "analog-input,2")
        print(f"supply air {sat:.1f} F: holding heating valve at 35 %")
        await self.bacnet_write(1001, "analog-output,2", 35.0)
'''


_TEXT = re.compile(r'(<text [^>]*?x=")([\d.]+)("[^>]*?textLength=")([\d.]+)("[^>]*>)([^<]*)(</text>)')


def _keep_leading_spaces(svg: str) -> str:
    """rsvg-convert drops leading spaces of each text run: start the run later instead."""

    def fix(match: re.Match) -> str:
        head, x, mid, length, tail, body, close = match.groups()
        text = html.unescape(body)
        stripped = text.lstrip("\u00a0 ")
        lead = len(text) - len(stripped)
        if lead == 0 or not stripped:
            return match.group(0)
        cell = float(length) / len(text)
        return (f"{head}{float(x) + lead * cell:.1f}{mid}{float(length) - lead * cell:.1f}{tail}"
                f"{html.escape(stripped, quote=False)}{close}")

    return _TEXT.sub(fix, svg)


async def shoot(app, name: str) -> None:
    svg = HERE / f"{name}.svg"
    app.save_screenshot(filename=svg.name, path=str(HERE))
    svg.write_text(_keep_leading_spaces(svg.read_text(encoding="utf-8")), encoding="utf-8")
    png = HERE / f"{name}.png"
    subprocess.run(["rsvg-convert", "-o", str(png), str(svg)], check=True)
    svg.unlink()
    print(f"wrote {png.relative_to(HERE.parent)}")


async def main() -> None:
    if shutil.which("rsvg-convert") is None:
        sys.exit("rsvg-convert not found: apt-get install librsvg2-bin fonts-firacode")
    scratch = Path(tempfile.mkdtemp(prefix="aso-shots-"))
    os.environ.setdefault("XDG_DATA_HOME", str(scratch / "data"))
    os.environ.setdefault("XDG_STATE_HOME", str(scratch / "state"))
    from aso_console.app import AsoConsoleApp
    from aso_console.runtime import ConsoleOptions
    from aso_console.widgets.device_tree import DeviceTree
    from aso_console.widgets.priority_panel import SlotTable
    from textual.widgets import Input

    app = AsoConsoleApp(options=ConsoleOptions(demo=True, vlan="aso-screenshots", release_orphans=False))
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(app.tree_complete.wait(), 30)
        await app.runtime.client.write(1001, "analog-output,1", 55.0, priority=8)  # an operator override
        tree = app.query_one(DeviceTree)
        tree.select_point(1001, "analog-output,1")
        await pilot.pause(1.0)
        tree.focus()
        await pilot.pause(2.5)  # a poll or two for live values
        await shoot(app, "explore")

        slots = app.query_one(SlotTable)
        slots.focus()
        slots.move_cursor(row=7)
        await pilot.pause(0.5)
        await shoot(app, "priority-array")

        # The inspector on the supply air sensor, with COV on.
        tree.select_point(1001, "analog-input,2")
        await pilot.pause(1.0)
        tree.focus()
        await pilot.press("i")
        await pilot.pause(1.5)
        await pilot.press("c")
        await pilot.pause(3.0)
        await shoot(app, "inspector")
        await pilot.press("escape")
        await pilot.pause(0.5)
        tree.select_point(1001, "analog-output,1")
        await pilot.pause(1.0)
        slots.focus()
        slots.move_cursor(row=7)
        await pilot.pause(0.5)

        await pilot.press("w")
        await pilot.pause(0.5)
        app.screen.query_one("#value", Input).value = "60"
        await pilot.pause(0.3)
        await shoot(app, "write-modal")
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("f2")
        for line in ("whois 1000 2002", "pa 1001 ao,1", "rpm 4001 ai,1 present-value,units ai,2 present-value"):
            await pilot.press(*line, "enter")
            await app.workers.wait_for_complete()
            await pilot.pause(0.3)
        await shoot(app, "command-line")

        script = scratch / "heating_valve_nudge.py"
        script.write_text(NUDGE)
        app.runtime.runner.load(str(script)).start()
        shed = app.runtime.runner.load("examples:load_shed", name="load-shed", step_interval=2.0)
        shed.start()
        await pilot.press("f3")
        await pilot.pause(4.0)
        await shoot(app, "runner")

        # Trends: the valve the nudge holds and the supply air it moves, its writes marked.
        await pilot.press("f1")
        for point in ("analog-output,2", "analog-input,2"):
            tree.select_point(1001, point)
            await pilot.pause(0.5)
            app.explore.points.focus()
            await pilot.press("p")
        await pilot.press("f8")
        await pilot.pause(8.0)
        await shoot(app, "trends")

        # A trend log's buffer beside the live points: VAV-1-01's zone temperature log.
        app.trends.load_log(2001, "trend-log,1")
        await app.workers.wait_for_complete()
        await pilot.pause(2.0)
        await shoot(app, "trend-log")

        # Alarms: the zone of VAV-1-01 passes its high limit (airflow setpoint overridden to 0).
        await app.runtime.client.write(2001, "analog-value,3", 0.0, priority=8)
        app.runtime.building.advance(1200, dt=5.0)
        await pilot.press("f9")
        await pilot.pause(0.5)
        await pilot.press("r")
        await pilot.pause(2.0)
        await shoot(app, "alarms")
        await app.runtime.client.release(2001, "analog-value,3", 8)

        # The AHU's occupancy schedule as a week grid, from the inspector (s).
        await pilot.press("f1")
        tree.select_point(1001, "schedule,1")
        await pilot.pause(0.5)
        tree.focus()
        await pilot.press("i")
        await pilot.pause(1.5)
        await pilot.press("s")
        await pilot.pause(1.5)
        await shoot(app, "schedule")
        await pilot.press("escape")
        await pilot.pause(0.3)
        await pilot.press("escape")
        await pilot.pause(0.3)

        # Device management on VAV-1-01 (m in the tree): time sync, DCC, reinitialize.
        tree.move_cursor(tree.device_node(2001))
        tree.focus()
        await pilot.pause(0.3)
        await pilot.press("m")
        await pilot.pause(1.5)
        await shoot(app, "device-management")
        await pilot.press("escape")
        await pilot.pause(0.3)

        # The Overrides tab: the operator override at 8, the nudge's slot 13, the programs' 16s.
        await pilot.press("f7")
        await pilot.pause(3.0)
        await shoot(app, "overrides")

        await pilot.press("f1", "question_mark")
        await pilot.pause(0.5)
        await shoot(app, "help")
        await pilot.press("escape")
        await app.runtime.client.release(1001, "analog-output,1", 8)


if __name__ == "__main__":
    asyncio.run(main())
