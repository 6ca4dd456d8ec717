"""`aso run` as a real process against the simulated building over loopback UDP.

The building runs in the test's own loop (127.0.0.1:47850, a BBMD/router);
the host and the test's client each register as foreign devices, exactly as
a technician would on a laptop.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from aso_runtime.bacnet.identity import HOST_DESCRIPTION

from .hosts import loopback_site

SIM = "127.0.0.1/8:47850"
BBMD = "127.0.0.1:47850"
HOST = "127.0.0.1/8:47851"
HOST_DEVICE = "127.0.0.1:47851"
CHECKER = "127.0.0.1/8:47852"

SCRIPT = textwrap.dedent('''
    import asyncio
    from aso_runtime import EasyASO

    class ValveNudge(EasyASO):
        step_interval = 0.2

        async def on_step(self):
            sensor = await self.bacnet_read("1001", "analog-input,1")
            await self.bacnet_write("1001", "analog-output,2", sensor + 5.0)
            await self.bacnet_write("1001", "analog-value,1", 1.4)   # forgotten in on_stop
            print("Executing step actions... The system is being optimized!")
            await asyncio.sleep(60)

        async def on_stop(self):
            await self.bacnet_write("1001", "analog-output,2", 'null')
''')


@pytest.fixture
async def checker():
    async with loopback_site(SIM, BBMD, CHECKER) as client:
        yield client


def start_host(tmp_path, *extra: str) -> subprocess.Popen:
    script = tmp_path / "valve_nudge.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state")}
    return subprocess.Popen(
        [sys.executable, "-m", "aso_runtime.cli.main", "--address", HOST, "--foreign", BBMD, "--timeout", "1",
         "run", str(script), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )


async def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached")


async def held_at_13(client, point: str) -> bool:
    return (await client.priority_array(1001, point)).at(13).active


async def finish(process: subprocess.Popen, sig: int) -> tuple[int, str]:
    process.send_signal(sig)
    for _ in range(200):
        if process.poll() is not None:
            break
        await asyncio.sleep(0.05)
    output = process.communicate(timeout=10)[0]
    return process.returncode, output


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
async def test_signal_releases_every_override_then_exits(checker, tmp_path, sig):
    host = start_host(tmp_path)
    try:
        await wait_for(lambda: held_at_13(checker, "analog-value,1"))
        assert await held_at_13(checker, "analog-output,2")
    finally:
        code, output = await finish(host, sig)
    assert code == 0, output
    assert "Traceback" not in output
    assert not await held_at_13(checker, "analog-output,2")
    assert not await held_at_13(checker, "analog-value,1")  # released by the runtime, not the script
    assert "analog-value,1 @13: released" in output


async def test_kill_switch_from_another_process_releases_and_resumes(checker, tmp_path):
    host = start_host(tmp_path)
    try:
        await wait_for(lambda: held_at_13(checker, "analog-output,2"))
        assert await checker.read(HOST_DEVICE, "binary-value,1", "object-name") == "optimization-enabled"
        assert await checker.read(HOST_DEVICE, "device,4194300", "description") == HOST_DESCRIPTION
        await checker.write(HOST_DEVICE, "binary-value,1", "inactive", priority=8)
        await wait_for(lambda: _not(held_at_13(checker, "analog-output,2")), timeout=10.0)  # how fast is a benchmark's question
        # The runtime releases its points one after the other: on a loaded machine the second
        # lands a moment after the first.
        await wait_for(lambda: _not(held_at_13(checker, "analog-value,1")), timeout=10.0)
        await wait_for(lambda: _equals(checker.read(HOST_DEVICE, "multi-state-value,11"), 4))  # disabled
        await checker.release(HOST_DEVICE, "binary-value,1", 8)
        await wait_for(lambda: held_at_13(checker, "analog-output,2"))
    finally:
        code, output = await finish(host, signal.SIGTERM)
    assert code == 0, output
    assert "optimization-enabled is now inactive" in output


async def _readable(client, device: str, point: str) -> bool:
    try:
        await client.read(device, point)
    except Exception:
        return False
    return True


async def _equals(awaitable, expected) -> bool:
    return await awaitable == expected


async def _not(awaitable) -> bool:
    return not await awaitable


async def test_sigkill_leaves_orphans_that_the_next_start_releases(checker, tmp_path):
    host = start_host(tmp_path)
    await wait_for(lambda: held_at_13(checker, "analog-value,1"))
    host.kill()  # no chance to release anything
    host.communicate(timeout=10)
    assert await held_at_13(checker, "analog-value,1")
    # Someone else's override on another point must survive the clean-up.
    await checker.write(1001, "analog-value,2", 55.0, priority=13)
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    # Asynchronously: the building lives in this test's loop and must keep answering.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aso_runtime.cli.main", "--address", HOST, "--foreign", BBMD, "--timeout", "1",
        "--json", "release-orphans", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stdout.decode() + stderr.decode()
    assert '"outcome": "released"' in stdout.decode()
    assert not await held_at_13(checker, "analog-value,1")
    assert not await held_at_13(checker, "analog-output,2")
    assert (await checker.priority_array(1001, "analog-value,2")).at(13).value == 55.0
    await checker.release(1001, "analog-value,2", 13)


async def test_next_aso_run_releases_orphans_on_start(checker, tmp_path):
    host = start_host(tmp_path)
    await wait_for(lambda: held_at_13(checker, "analog-value,1"))
    host.kill()
    host.communicate(timeout=10)
    again = start_host(tmp_path, "--step", "30")
    try:
        # The ASO's state point appears once it is loaded, after the orphans were released.
        await wait_for(lambda: _readable(checker, HOST_DEVICE, "multi-state-value,11"))
    finally:
        code, output = await finish(again, signal.SIGTERM)
    assert "released orphan of a previous run" in output, output
    assert code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "/no/such/file.py"], "no such file"),
        (["run", "examples:no_such_example"], "no example called"),
        (["run", "BROKEN"], "syntax error"),
        (["run", "GOOD", "--param", "colour=red"], "no parameter 'colour'"),
    ],
)
def test_bad_scripts_give_one_line_and_exit_2(tmp_path, args, message):
    broken = tmp_path / "broken.py"
    broken.write_text("def nope(:\n")
    good = tmp_path / "good.py"
    good.write_text("from aso_runtime import Aso\nclass Good(Aso):\n    async def on_step(self): pass\n")
    args = [str(broken) if a == "BROKEN" else str(good) if a == "GOOD" else a for a in args]
    result = subprocess.run([sys.executable, "-m", "aso_runtime.cli.main", "--address", HOST, *args],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
