"""The runner pane: load, start, watch, stop, disable, quit; driven through the real app."""

from __future__ import annotations

import asyncio
import os
import pty
import signal
import subprocess
import sys
import textwrap

from textual.widgets import Input, Label

from aso_console.screens.confirm import ConfirmScreen
from aso_console.screens.load_modal import LoadScreen
from aso_console.panes.runner import RunnerPane
from aso_console.widgets.runner_tables import InstanceTable, OverrideTable
from aso_runtime.bacnet import open_client
from aso_runtime.sim import SimulatedBuilding

from .test_console import discovered, make_app, opened
from .waiting import until

VALVE = "analog-output,2"  # AHU-1 heating valve

NUDGE = textwrap.dedent('''
    from aso_runtime import Aso

    class Nudge(Aso):
        step_interval = 0.1

        async def on_step(self):
            print("nudging the heating valve")
            await self.bacnet_write(1001, "analog-output,2", 42.0)
''')

CRASH = textwrap.dedent('''
    from aso_runtime import Aso

    class Crash(Aso):
        step_interval = 0.1

        async def on_step(self):
            await self.bacnet_write(1001, "analog-value,1", 1.3)
            raise RuntimeError("sensor table is empty")
''')


async def load_through_modal(app, pilot, source: str, start: bool = True) -> None:
    await pilot.press("f3")
    await pilot.pause()
    await pilot.press("l")
    await pilot.pause()
    assert isinstance(app.screen, LoadScreen)
    app.screen.query_one("#source", Input).value = source
    await pilot.press("ctrl+r" if start else "ctrl+s")
    await pilot.pause()


def log_text(app) -> str:
    return "\n".join(str(line.text) for line in app.query_one("#aso-log").lines)


async def slot13(app, point: str = VALVE):
    return (await app.runtime.client.priority_array(1001, point)).at(13).value


async def test_load_start_watch_stop_and_release(cleanup_vlans, tmp_path):
    script = tmp_path / "nudge.py"
    script.write_text(NUDGE)
    async with opened(cleanup_vlans) as (app, pilot):
        await load_through_modal(app, pilot, str(script))
        assert not isinstance(app.screen, LoadScreen)
        instance = app.runtime.runner.instances["Nudge"]
        await until(lambda: instance.steps >= 2)
        await until(lambda: slot13(app))
        await pilot.pause(0.3)
        assert "nudging the heating valve" in log_text(app)
        overrides = app.query_one(OverrideTable)
        assert overrides.row_count == 1
        assert str(overrides.get_row_at(0)[0]) == "1001 AO2"
        table = app.query_one(InstanceTable)
        assert str(table.get_cell("Nudge", "state")) == "running"
        # Stop with one key: the release is verified in the point's priority array.
        table.focus()
        await pilot.press("t")
        await until(lambda: instance.state == "stopped")
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        assert await slot13(app) is None
        assert overrides.row_count == 0
        assert any("released and verified" in notice for notice in app.notices)
        assert "stopped" in str(table.get_cell("Nudge", "state"))


async def test_log_lines_written_while_another_tab_is_shown_are_not_wrapped_narrow(cleanup_vlans, tmp_path):
    """Lines that arrive while Explore is shown used to wrap at the log's 20-column minimum."""
    script = tmp_path / "nudge.py"
    script.write_text(NUDGE)
    async with opened(cleanup_vlans) as (app, pilot):
        await load_through_modal(app, pilot, str(script))
        await pilot.press("f1")  # watch the building, not the runner
        instance = app.runtime.runner.instances["Nudge"]
        steps = instance.steps
        await until(lambda: instance.steps >= steps + 3)
        await pilot.pause(0.3)
        await pilot.press("f3")
        await pilot.pause()
        await pilot.pause()
        lines = [str(line.text) for line in app.query_one("#aso-log").lines]
        nudges = [line for line in lines if "nudging" in line]
        assert len(nudges) > steps and all("nudging the heating valve" in line for line in nudges), lines[-5:]


async def test_broken_script_and_missing_example_are_refused_inline(cleanup_vlans, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("from aso_runtime import Aso\nclass X(Aso)\n")
    async with opened(cleanup_vlans) as (app, pilot):
        await load_through_modal(app, pilot, str(broken))
        assert isinstance(app.screen, LoadScreen)
        assert "syntax error" in str(app.screen.query_one("#error", Label).render())
        app.screen.query_one("#source", Input).value = "examples:no_such_thing"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "no example called" in str(app.screen.query_one("#error", Label).render())
        await pilot.press("escape")
        assert app.runtime.runner.instances == {}


async def test_packaged_example_is_listed_and_loads(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await pilot.press("f3", "l")
        await pilot.pause()
        options = app.screen.query_one("#examples")
        assert options.option_count >= 1
        options.focus()
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        source = app.screen.query_one("#source", Input).value
        assert source.startswith("examples:")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert len(app.runtime.runner.instances) == 1
        assert next(iter(app.runtime.runner.instances.values())).state == "loaded"


async def test_disable_from_a_bacnet_client_shows_and_releases(cleanup_vlans, tmp_path):
    script = tmp_path / "nudge.py"
    script.write_text(NUDGE)
    async with opened(cleanup_vlans) as (app, pilot):
        await load_through_modal(app, pilot, str(script))
        instance = app.runtime.runner.instances["Nudge"]
        await until(lambda: slot13(app))
        bas = await open_client(vlan=app.test_vlan, mac=200, instance=9999, timeout=1.0)
        try:
            # The console's own device is at MAC 1 on the demo network.
            await bas.write("0x01", "binary-value,1", "inactive", priority=8)
            await until(lambda: instance.state == "disabled", timeout=1.5)
            await pilot.pause(0.3)
            assert str(app.query_one(InstanceTable).get_cell("Nudge", "state")) == "disabled"
            assert await slot13(app) is None
            assert "optimization-enabled" in log_text(app)
            await bas.release("0x01", "binary-value,1", 8)
            await until(lambda: instance.state == "running")
        finally:
            await bas.close()


async def test_a_faulting_script_shows_its_traceback_while_another_runs(cleanup_vlans, tmp_path):
    (tmp_path / "crash.py").write_text(CRASH)
    (tmp_path / "nudge.py").write_text(NUDGE)
    async with opened(cleanup_vlans) as (app, pilot):
        await load_through_modal(app, pilot, str(tmp_path / "nudge.py"))
        await load_through_modal(app, pilot, str(tmp_path / "crash.py"))
        crash = app.runtime.runner.instances["Crash"]
        nudge = app.runtime.runner.instances["Nudge"]
        await until(lambda: crash.state == "faulted")
        steps = nudge.steps
        await until(lambda: nudge.steps > steps + 2)
        assert nudge.state == "running"
        await pilot.pause(0.3)
        table = app.query_one(InstanceTable)
        assert "sensor table is empty" in str(table.get_cell("Crash", "error"))
        app.query_one(RunnerPane).show_log("Crash")
        text = log_text(app)
        assert "Traceback" in text and "RuntimeError: sensor table is empty" in text
        assert (await app.runtime.client.priority_array(1001, "analog-value,1")).at(13).value is None


async def test_quit_with_running_asos_asks_then_releases(cleanup_vlans, tmp_path):
    script = tmp_path / "nudge.py"
    script.write_text(NUDGE)
    async with opened(cleanup_vlans) as (app, pilot):
        await load_through_modal(app, pilot, str(script))
        await until(lambda: slot13(app))
        valve = app.runtime.building.point(1001, VALVE)  # the simulated device's own object
        assert valve.priorityArray[12].real == 42.0
        app.query_one(InstanceTable).focus()
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and app.runtime.runner.instances["Nudge"].running
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    # The app released before closing the network: the device's own slot 13 is empty.
    assert valve.priorityArray[12].null is not None
    assert app.runtime.runner.instances["Nudge"].state == "stopped"


async def test_a_release_that_cannot_be_verified_is_shown_pending_and_named_on_quit(cleanup_vlans, tmp_path):
    script = tmp_path / "nudge.py"
    script.write_text(NUDGE)
    app = make_app()
    app.options.timeout, app.options.release_grace = 0.5, 0.5
    cleanup_vlans.append(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await discovered(app, pilot)
        await load_through_modal(app, pilot, str(script))
        await until(lambda: slot13(app))
        await app.runtime.building.stop_device(1001)  # the AHU controller goes off line
        await pilot.press("t")  # stop: its release cannot be verified
        await until(lambda: app.runtime.runner.pending_releases())
        await pilot.pause(0.5)  # the pane's event flush
        pane = app.query_one(RunnerPane)
        status = str(app.query_one(OverrideTable).get_row_at(0)[-1])
        assert status.startswith("pending #") and status.endswith("no answer")
        assert "Held by Nudge: 1 (1 release pending)" in str(pane.query_one("#overrides-title").render())
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        question = str(app.screen.query_one(Label).render())
        assert "still in the building, release pending: " in question and "Nudge" in question
        await pilot.press("y")
        await pilot.pause()
    # Still held after the grace period: kept in the journal for the next start, not forgotten.
    assert [o.object_id for o in app.runtime.runner.ledger.held()] == [VALVE]
    assert app.runtime.runner.ledger.path.exists()


def test_profile_loads_and_starts_at_launch(cleanup_vlans, tmp_path):
    script = tmp_path / "nudge.py"
    script.write_text(NUDGE)
    profile = tmp_path / "site.toml"
    profile.write_text(f'[[aso]]\nsource = "{script}"\nname = "nudger"\nstart = true\n'
                       f'params = {{ step_interval = 0.2 }}\n')

    async def scenario():
        app = make_app()
        cleanup_vlans.append(app)
        app.options.profile = str(profile)
        async with app.run_test(size=(120, 40)) as pilot:
            await discovered(app, pilot)
            instance = await until(lambda: app.runtime.runner.instances.get("nudger"))
            await until(lambda: instance.steps > 0)
            assert instance.aso.step_interval == 0.2

    asyncio.run(scenario())


SIM = "127.0.0.1/8:47880"


async def test_sighup_releases_every_aso_override_and_exits(tmp_path):
    """A dropped SSH session: the console under a real pseudo-terminal gets SIGHUP."""
    building = await SimulatedBuilding.start(address=SIM, devices=8, step=0.5)
    checker = await open_client(address="127.0.0.1/8:47882", foreign="127.0.0.1:47880", timeout=1.0)
    script = tmp_path / "nudge.py"
    script.write_text(NUDGE.replace("step_interval = 0.1", "step_interval = 0.3"))
    profile = tmp_path / "site.toml"
    profile.write_text(f'[[aso]]\nsource = "{script}"\nstart = true\n')
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "aso_console", "--address", "127.0.0.1/8:47881", "--foreign", "127.0.0.1:47880",
         "--timeout", "1", "--profile", str(profile)],
        stdin=follower, stdout=follower, stderr=follower, env=env, start_new_session=True)
    os.close(follower)
    screen = bytearray()

    async def drain():
        while True:
            try:
                chunk = await asyncio.to_thread(os.read, leader, 65536)
            except OSError:
                return
            if not chunk:
                return
            screen.extend(chunk)

    reader = asyncio.create_task(drain())
    try:
        await until(lambda: _held(checker), timeout=20)
        process.send_signal(signal.SIGHUP)
        for _ in range(200):
            if process.poll() is not None:
                break
            await asyncio.sleep(0.05)
        assert process.returncode == 0
        array = await checker.priority_array(1001, VALVE)
        assert array.at(13).value is None
        log = (tmp_path / "state" / "aso-console" / "log" / "aso-console.log").read_text()
        assert "SIGHUP received" in log and "every ASO override released" in log
        assert b"Traceback" not in bytes(screen)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
        reader.cancel()
        await checker.close()
        await building.stop()


async def _held(checker) -> bool:
    try:
        return (await checker.priority_array(1001, VALVE)).at(13).value == 42.0
    except Exception:
        return False


async def test_load_modal_file_picker_and_completion(cleanup_vlans, tmp_path, monkeypatch):
    (tmp_path / "nudge_valve.py").write_text(NUDGE)
    (tmp_path / "notes.txt").write_text("not a script")
    monkeypatch.chdir(tmp_path)
    async with opened(cleanup_vlans) as (app, pilot):
        await pilot.press("f3", "l")
        await pilot.pause()
        source = app.screen.query_one("#source", Input)
        await pilot.press(*"nudge_v")
        await pilot.pause(0.3)
        await pilot.press("right")  # accept the completion
        await pilot.pause()
        assert source.value == "nudge_valve.py"
        source.value = ""
        await pilot.press("ctrl+o")
        await pilot.pause(0.5)
        browser = app.screen.query_one("#browser")
        assert not browser.has_class("hidden")
        shown = [str(node.label) for node in browser.root.children]
        assert "nudge_valve.py" in shown and "notes.txt" not in shown
        node = next(n for n in browser.root.children if str(n.label) == "nudge_valve.py")
        browser.move_cursor(node)
        await pilot.press("enter")
        await pilot.pause()
        assert source.value.endswith("nudge_valve.py")
