"""`aso run` under faults, as a real process: kill -9 mid-write, a script that blocks the loop,
a full disk, the systemd watchdog.

The simulated building runs in the test's loop over loopback UDP
(127.0.0.1:47320, BBMD/router); the host and the independent checker
register with it as foreign devices. The checker reads priority arrays
straight from the devices: the verdict never comes from the host itself.
Ports 47320-47329 on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import socket
import subprocess
import textwrap
import time

import pytest

from .hosts import AsoProcess, aso_env, loopback_site
from .waiting import until

SIM = "127.0.0.1/8:47320"
BBMD = "127.0.0.1:47320"
HOST = "127.0.0.1/8:47321"
HOST_DEVICE = "127.0.0.1:47321"
CHECKER = "127.0.0.1/8:47322"
CLEANER = "127.0.0.1/8:47323"

# Every point the scripts below (and load shed on an 8-device building) may hold at priority 13.
WATCHED = [(1001, "analog-output,1"), (1001, "analog-output,2"), *[(2001 + n, "analog-value,1") for n in range(5)],
           *[(3001, f"binary-output,{n}") for n in range(1, 5)]]

BACK_TO_BACK = textwrap.dedent('''
    from aso_runtime import Aso

    class BackToBack(Aso):
        """Writes two points as fast as the devices answer."""
        step_interval = 0

        def __init__(self, **params):
            super().__init__(**params)
            self.n = 0

        async def on_step(self):
            self.n += 1
            await self.bacnet_write("2001", "analog-value,1", 70.0 + self.n % 10)
            await self.bacnet_write("1001", "analog-output,2", float(self.n % 50))
''')

SHED = textwrap.dedent('''
    from aso_runtime.examples.load_shed import LoadShed

    class Shed(LoadShed):
        """Load shed that sheds at once on the small test building."""
        kw_limit = 1.0
        stage_up_delay = 0.1
        stage_down_delay = 600.0
        heat_pumps_kept = 0
''')

BLOCKER = textwrap.dedent('''
    import os
    import time
    from aso_runtime import Aso

    class Blocker(Aso):
        """The mistake: a blocking sleep in async code, every step from the third on."""
        step_interval = 0.3

        def __init__(self, **params):
            super().__init__(**params)
            self.n = 0

        async def on_step(self):
            self.n += 1
            if self.n >= 3:
                time.sleep(float(os.environ.get("BLOCK_FOR", "1.2")))
''')


@pytest.fixture
async def checker():
    async with loopback_site(SIM, BBMD, CHECKER) as client:
        yield client


async def held(checker, points=WATCHED) -> list[str]:
    """Every slot held at any priority 9..15 (where ASOs write) on the watched points."""
    found = []
    for device, point in points:
        array = await checker.priority_array(device, point)
        found += [f"{device} {point} @{s.priority}={s.value}" for s in array.slots if s.active and 9 <= s.priority <= 15]
    return found


async def holds_at_13(checker, device: int, point: str) -> bool:
    return (await checker.priority_array(device, point)).at(13).active


def script(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


async def run_host(tmp_path, *args: str, env_extra: dict | None = None, prefix: tuple = ()) -> AsoProcess:
    env = aso_env(tmp_path, **(env_extra or {}))
    return await AsoProcess.start(HOST, "--foreign", BBMD, "--timeout", "1", *args, env=env, prefix=prefix)


async def release_orphans(tmp_path) -> tuple[int, str]:
    process = await AsoProcess.start(CLEANER, "--foreign", BBMD, "--timeout", "1", "release-orphans",
                                     env=aso_env(tmp_path))
    return await process.finish(None), process.output


# ----- kill -9 mid-write ------------------------------------------------------------------------


async def test_kill_9_of_a_host_writing_back_to_back_leaves_nothing(checker, tmp_path):
    """Killed at a random moment of back-to-back writes; then restart or release-orphans: 0 left."""
    path = script(tmp_path, "back_to_back.py", BACK_TO_BACK)
    rng = random.Random(8)
    for run in range(4):
        host = await run_host(tmp_path, "run", path)
        await until(lambda: holds_at_13(checker, 2001, "analog-value,1"))
        await asyncio.sleep(rng.uniform(0.0, 0.3))
        await host.kill()
        if run % 2:
            code, output = await release_orphans(tmp_path)
            assert code == 0, output
        else:  # the next start releases the orphans first, then runs again until SIGTERM
            again = await run_host(tmp_path, "run", path)
            await again.wait_for_line("hosting ASO BackToBack")
            assert again.saw("released orphan of a previous run"), again.output
            assert await again.finish() == 0, again.output
        assert await held(checker) == [], f"run {run}"


async def test_an_operators_off_survives_kill_9_and_restart(checker, tmp_path):
    path = script(tmp_path, "back_to_back.py", BACK_TO_BACK)
    host = await run_host(tmp_path, "run", path)
    await until(lambda: holds_at_13(checker, 2001, "analog-value,1"))
    await checker.write(HOST_DEVICE, "binary-value,1", "inactive", priority=8)
    await host.wait_for_line("optimization-enabled is now inactive")
    await until(lambda: _nothing_held(checker))
    await host.kill()
    again = await run_host(tmp_path, "run", path)
    try:
        await again.wait_for_line("hosting ASO BackToBack")
        assert again.saw("optimization-enabled restored from the last run: inactive @8"), again.output
        assert await checker.read(HOST_DEVICE, "multi-state-value,11") == 4  # disabled from the start
        assert await checker.read(HOST_DEVICE, "analog-value,11") == 0.0  # not one step
        assert await held(checker) == []
        await checker.release(HOST_DEVICE, "binary-value,1", 8)  # the operator says "on"
        await until(lambda: holds_at_13(checker, 2001, "analog-value,1"))
    finally:
        code = await again.finish()
    assert code == 0, again.output
    assert await held(checker) == []


async def _nothing_held(checker) -> bool:
    return await held(checker) == []


CRASHES = textwrap.dedent('''
    from aso_runtime import Aso

    class Crashes(Aso):
        step_interval = 0.1

        async def on_step(self):
            await self.bacnet_write("2001", "analog-value,1", 71.0)
            raise RuntimeError("sensor table is empty")
''')


async def test_a_faulted_aso_does_not_end_the_host_unless_asked(checker, tmp_path):
    path = script(tmp_path, "crashes.py", CRASHES)
    host = await run_host(tmp_path, "run", path, "--retries", "0")
    try:
        await host.wait_for_line("state: faulted")
        assert await checker.read(HOST_DEVICE, "multi-state-value,11") == 7  # faulted, and the host answers
        assert await checker.read(HOST_DEVICE, "binary-value,1", "object-name") == "optimization-enabled"
        assert host.process.returncode is None
        assert await held(checker) == []
    finally:
        code = await host.finish()
    assert code == 0, host.output
    # Exiting is an explicit choice (e.g. to let systemd restart the whole process).
    quitter = await run_host(tmp_path, "run", path, "--retries", "0", "--exit-when-faulted")
    assert await quitter.finish(None) == 1
    assert quitter.saw("every ASO has faulted for good")
    assert await held(checker) == []


# ----- a script that blocks the loop beside a well-behaved one -----------------------------------


async def test_a_blocking_script_is_stopped_and_load_shed_keeps_running(checker, tmp_path):
    shed, blocker = script(tmp_path, "shed.py", SHED), script(tmp_path, "blocker.py", BLOCKER)
    host = await run_host(tmp_path, "run", shed, blocker, "--step", "0.3")
    try:
        await until(lambda: holds_at_13(checker, 2001, "analog-value,1"))
        await host.wait_for_line("Blocker blocked the event loop")
        await host.wait_for_line("stopped: on_step blocked the event loop")
        beats = await checker.read(HOST_DEVICE, "analog-value,11")  # Shed's heartbeat
        await until(lambda: _beyond(checker, "analog-value,11", beats + 5))
        assert await checker.read(HOST_DEVICE, "multi-state-value,11") == 3  # Shed: running
        assert await checker.read(HOST_DEVICE, "multi-state-value,12") == 7  # Blocker: faulted
    finally:
        code = await host.finish()
    assert code == 0, host.output
    assert not host.saw("aso.script.Shed: state: faulted"), host.output
    assert await held(checker) == []


async def _beyond(checker, point: str, value: float) -> bool:
    return await checker.read(HOST_DEVICE, point) >= value


# ----- a full disk under the journal -------------------------------------------------------------


FILLS_THE_DISK = textwrap.dedent('''
    import os
    from aso_runtime import Aso

    class FillsTheDisk(Aso):
        """Holds two points; on its fifth step something else fills the journal's disk."""
        step_interval = 0.1

        def __init__(self, **params):
            super().__init__(**params)
            self.n = 0

        async def on_step(self):
            self.n += 1
            if self.n == 5:
                try:
                    with open(os.path.join(os.environ["XDG_DATA_HOME"], "filler"), "wb") as filler:
                        filler.write(b"x" * 4_000_000)
                except OSError:
                    pass  # ENOSPC: the disk is full now
            await self.bacnet_write("2001", "analog-value,1", 72.0)
            await self.bacnet_write("1001", "analog-output,2", 40.0)
''')


def _can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                           capture_output=True, timeout=10)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs unshare -rm and tmpfs (a private mount namespace)")
async def test_a_full_disk_refuses_writes_keeps_the_kill_switch_and_releases(checker, tmp_path):
    """The journal's file system is a 512 KiB tmpfs in a mount namespace only the host sees."""
    data = tmp_path / "data"
    data.mkdir()
    path = script(tmp_path, "fills.py", FILLS_THE_DISK)
    # Mount the tmpfs over the data directory, then exec the host inside that namespace.
    prefix = ("unshare", "-rm", "sh", "-c", f'mount -t tmpfs -o size=512k tmpfs "{data}" && exec "$0" "$@"')
    host = await run_host(tmp_path, "run", path, prefix=prefix)
    try:
        await host.wait_for_line("No space left on device")
        await host.wait_for_line("state: faulted")
        assert await held(checker) == []  # released although nothing more can be journaled
        # Not a zombie: the kill switch still disables it, and it comes back when released.
        await checker.write(HOST_DEVICE, "binary-value,1", "inactive", priority=8)
        await host.wait_for_line("optimization-enabled is now inactive")
        await checker.release(HOST_DEVICE, "binary-value,1", 8)
        await host.wait_for_line("optimization-enabled is now active")
    finally:
        code = await host.finish()
    assert code == 0, host.output
    assert "Traceback" not in host.output.split("hook failed")[0]
    assert await held(checker) == []


# ----- systemd's watchdog ------------------------------------------------------------------------


async def test_systemd_watchdog_is_fed_from_the_loop_and_stops_when_it_is_blocked(checker, tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify = str(tmp_path / "notify.sock")
    sock.bind(notify)
    sock.setblocking(False)
    messages: list[tuple[float, str]] = []

    def collect() -> None:
        while True:
            try:
                messages.append((time.monotonic(), sock.recv(4096).decode()))
            except BlockingIOError:
                return

    loop = asyncio.get_running_loop()
    loop.add_reader(sock.fileno(), collect)
    blocker = script(tmp_path, "blocker.py", BLOCKER)
    host = await run_host(tmp_path, "run", blocker, env_extra={"NOTIFY_SOCKET": notify, "WATCHDOG_USEC": "300000",
                                                                 "BLOCK_FOR": "1.2"})
    try:
        await until(lambda: any("READY=1" in m for _, m in messages))
        await host.wait_for_line("Blocker blocked the event loop")
        await until(lambda: sum("WATCHDOG=1" in m for _, m in messages) >= 10)
    finally:
        code = await host.finish()
        loop.remove_reader(sock.fileno())
        collect()
        sock.close()
    assert code == 0, host.output
    pings = [at for at, m in messages if m == "WATCHDOG=1"]
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    assert max(gaps) >= 1.0  # no ping while the loop was blocked: systemd would have noticed
    assert any(m.startswith("STOPPING=1") for _, m in messages)
