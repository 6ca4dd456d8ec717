"""The F2 pane through Textual's pilot: output in command order, whatever finishes first."""

from __future__ import annotations

import asyncio

from aso_console.widgets.command_pane import CommandPane

from .test_console import opened


async def until(pilot, condition, what: str, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"not reached within {timeout} s: {what}"
        await pilot.pause(0.02)


async def type_line(pilot, line: str) -> None:
    await pilot.press(*line, "enter")


async def test_a_slow_commands_result_stays_under_its_own_line(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await pilot.press("f2")
        pane = app.query_one(CommandPane)
        # whois listens for 4 s of quiet; the read is answered in milliseconds (seconds on a loaded machine).
        await type_line(pilot, "whois --quiet 4 --max-wait 8")
        await type_line(pilot, "read 1001 ao,1 object-name")
        slow, fast = pane.entries
        await until(pilot, lambda: not fast.running, "the read finished")
        assert slow.running  # the read finished first, in its own place
        await until(pilot, lambda: not pane.running, "the whois finished")
        transcript = pane.transcript()
        order = [transcript.index(text) for text in (
            "> whois --quiet 4 --max-wait 8", "8 devices in", "> read 1001 ao,1 object-name",
            "AHU-1 Supply Fan Speed Command")]
        assert order == sorted(order), transcript


async def test_clear_empties_the_output_and_a_late_result_does_not_come_back(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await pilot.press("f2")
        pane = app.query_one(CommandPane)
        await type_line(pilot, "whois --quiet 1 --max-wait 3")
        await until(pilot, lambda: len(pane.entries) == 1, "the whois has its place")
        await type_line(pilot, "clear")
        await until(pilot, lambda: not pane.entries, "the output is cleared")
        await type_line(pilot, "read 1001 ao,1 units")
        await until(pilot, lambda: pane.entries and not pane.running, "the read finished")
        commands = [worker for worker in app.workers if worker.group == "command"]
        await until(pilot, lambda: all(worker.is_finished for worker in commands), "the cleared whois ended too")
        assert [entry.line for entry in pane.entries] == ["read 1001 ao,1 units"]
        assert "percent" in pane.transcript() and "devices" not in pane.transcript()
