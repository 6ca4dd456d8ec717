"""No override left behind, under faults: lost, late and repeated datagrams, refused writes,
a device that vanishes, a full disk, a host killed between its journal and the wire.

Genuine bacpypes3 devices over loopback UDP. The ASO host reaches the
device through a relay (tests/relay.py) that drops, delays or duplicates
chosen datagrams; the verdict always comes from an independent client that
reads the priority array straight from the device, never from the runtime's
own bookkeeping. Ports 47301-47304 on 127.0.0.1 only (tests/fault_site.py).
"""

from __future__ import annotations

import errno
import os

import pytest

from aso_runtime import Aso, AsoRunner
from aso_runtime.aso import Ledger, RestartPolicy, release_orphans
from aso_runtime.aso.journal import JournalError, JournalFile
from aso_runtime.bacnet import open_client

from . import wire
from .fault_site import DEVICE, DIRECT, HOST_PORT, held_slots, until


def is_write_request(datagram: bytes) -> bool:
    kind = wire.classify(datagram)
    return kind is not None and kind[0] == wire.CONFIRMED and kind[1] == wire.WRITE_PROPERTY


class DropWrites:
    """Relay rule: drop the next ``count`` WriteProperty requests (a write and its retry)."""

    def __init__(self, count: int) -> None:
        self.left = count

    def __call__(self, direction: str, datagram: bytes) -> str:
        if direction == "up" and self.left and is_write_request(datagram):
            self.left -= 1
            return "drop"
        return "pass"


@pytest.fixture
async def host(relay, tmp_path):
    client = await open_client(address=f"127.0.0.1/8:{HOST_PORT}", instance=599, timeout=0.5)
    runner = AsoRunner(client, ledger=Ledger.open(tmp_path / "ledger"), serve_points=False, release_orphans=False)
    await runner.open()
    yield runner
    await runner.close()
    await client.close()


class Sequence_(Aso):
    """Writes the next value of ``values`` to av,1 at 13 each step, then keeps writing the last."""

    step_interval = 0.05
    values: tuple = (61.0, 62.0)
    point = "av,1"

    def __init__(self, **params):
        super().__init__(**params)
        self.index = 0

    async def on_step(self):
        value = self.values[min(self.index, len(self.values) - 1)]
        self.index += 1
        await self.bacnet_write(DEVICE, self.point, value)


# ----- 1. the ledger never forgets an earlier value of ours ----------------------------------


async def test_a_lost_write_leaves_our_earlier_value_and_it_is_released(host, relay, loopback_checker):
    """61 lands; 62 and its retry are lost; the slot still holds 61, which is ours, so it is released."""
    instance = host.load(Sequence_, restart=RestartPolicy(retries=0))
    relay.rule = lambda direction, datagram: "pass"
    instance.start()
    await until(lambda: instance.steps >= 1)
    relay.rule = DropWrites(2)  # the next write and bacpypes3's one retry
    await until(lambda: instance.state == "faulted")
    assert "no answer" in instance.last_error
    assert await held_slots(loopback_checker, "av,1") == {"av,1": []}
    assert host.ledger.held() == []


async def test_a_refused_write_keeps_the_earlier_value_held_until_released(host, loopback_checker):
    """72 lands, 500 is refused (value-out-of-range): 72 is still ours and must be released on stop."""
    class Refused(Sequence_):
        values = (72.0, 500.0)
        point = "av,50"

    instance = host.load(Refused, restart=RestartPolicy(retries=0))
    instance.start()
    await until(lambda: instance.state == "faulted")
    assert "value-out-of-range" in instance.last_error
    assert await held_slots(loopback_checker, "av,50") == {"av,50": []}
    assert host.ledger.held() == []


async def test_killed_between_journal_and_wire_the_previous_value_is_released(loopback_device, loopback_checker, tmp_path):
    """The journal has synced 62 but the host died before sending it: the slot holds 61, ours."""
    directory = tmp_path / "ledger"
    await loopback_checker.write(DIRECT, "av,1", 61.0, priority=12)
    await loopback_checker.write(DIRECT, "av,1", 65.0, priority=14)  # someone else's, at another priority
    pid = os.fork()
    if pid == 0:  # the host: journals 61 (sent) then 62 (never sent), then dies like kill -9
        try:
            ledger = Ledger.open(directory)
            ledger.record_write("shed", DIRECT, "analog-value,1", "present-value", 12, 61.0)
            ledger.record_write("shed", DIRECT, "analog-value,1", "present-value", 12, 62.0)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    client = await open_client(address=f"127.0.0.1/8:{HOST_PORT}", instance=599, timeout=1.0)
    try:
        sweep = await release_orphans(client, directory)
    finally:
        await client.close()
    assert [r.outcome for r in sweep.results] == ["released"] and sweep.ok
    assert await held_slots(loopback_checker, "av,1") == {"av,1": [14]}  # only theirs is left
    await loopback_checker.release(DIRECT, "av,1", 14)


async def test_a_slot_holding_a_value_we_never_wrote_is_left_alone(loopback_device, loopback_checker, tmp_path):
    directory = tmp_path / "ledger"
    pid = os.fork()
    if pid == 0:
        try:
            Ledger.open(directory).record_write("shed", DIRECT, "analog-value,1", "present-value", 12, 61.0)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    await loopback_checker.write(DIRECT, "av,1", 55.0, priority=12)  # written by someone else after we died
    client = await open_client(address=f"127.0.0.1/8:{HOST_PORT}", instance=599, timeout=1.0)
    try:
        sweep = await release_orphans(client, directory)
    finally:
        await client.close()
    assert [r.outcome for r in sweep.results] == ["taken-over"]
    assert (await loopback_checker.priority_array(DIRECT, "av,1")).at(12).value == 55.0
    await loopback_checker.release(DIRECT, "av,1", 12)


# ----- 2. a failed release is retried until verified ------------------------------------------


class TwoPoints(Aso):
    step_interval = 0.05

    async def on_step(self):
        await self.bacnet_write(DEVICE, "av,1", 66.0)
        await self.bacnet_write(DEVICE, "bv,1", "inactive", priority=9)


async def test_releases_that_fail_stay_pending_and_are_retried_until_verified(host, relay, loopback_checker):
    events = []
    host.events.on_event(lambda e: events.append(e.message) if e.kind == "release" else None)
    instance = host.load(TwoPoints, restart=RestartPolicy(retries=0))
    instance.start()
    await until(lambda: len(instance.held()) == 2 and instance.steps >= 1)
    relay.vanish()  # the device stops answering
    results = await instance.stop()
    assert [r.outcome for r in results] == ["failed", "failed"]
    assert instance.state == "stopped"
    pending = host.pending_releases()
    assert len(pending) == 2 and all("no answer" in o.pending for o in pending)
    assert any(message.startswith("release pending") for message in events)
    assert await held_slots(loopback_checker, "av,1", "bv,1") == {"av,1": [13], "bv,1": [9]}  # still in the building
    relay.come_back()
    await until(lambda: not host.ledger.held(), timeout=15)
    assert await held_slots(loopback_checker, "av,1", "bv,1") == {"av,1": [], "bv,1": []}


async def test_a_device_that_vanishes_and_returns_is_left_clean(host, relay, loopback_checker):
    instance = host.load(TwoPoints, restart=RestartPolicy(retries=None, backoff=0.1, max_backoff=0.5))
    instance.start()
    await until(lambda: instance.steps >= 2)
    relay.vanish()
    await until(lambda: instance.faults >= 2, timeout=15)  # faults, restarts, faults again while it is gone
    relay.come_back()
    await until(lambda: instance.state == "running" and not host.pending_releases(), timeout=15)
    await instance.stop()
    assert await held_slots(loopback_checker, "av,1", "bv,1") == {"av,1": [], "bv,1": []}
    assert host.ledger.held() == []


async def test_duplicated_and_delayed_datagrams_leave_nothing_behind(host, relay, loopback_checker):
    class Alternating(Aso):
        step_interval = 0.01

        def __init__(self, **params):
            super().__init__(**params)
            self.n = 0

        async def on_step(self):
            self.n += 1
            await self.bacnet_write(DEVICE, "av,1", 60.0 + self.n % 7)

    count = {"writes": 0}

    def mangle(direction: str, datagram: bytes):
        if direction == "up" and is_write_request(datagram):
            count["writes"] += 1
            if count["writes"] % 3 == 0:
                return ("delay", 0.2)  # late, but within the request timeout
            return "duplicate"
        return "pass"

    relay.rule = mangle
    instance = host.load(Alternating, restart=RestartPolicy(retries=0))
    instance.start()
    await until(lambda: instance.steps >= 30)
    await instance.stop()  # a write still on the wire is let finish before the release
    await until(lambda: relay.held_back == 0)  # every delayed datagram has been sent on
    await loopback_checker.priority_array(DIRECT, "av,1")  # ...and the device has handled what came before
    assert relay.counts["duplicated"] and relay.counts["delayed"]
    assert await held_slots(loopback_checker, "av,1") == {"av,1": []}


# ----- 4. a full disk: writes refused, releases go on -----------------------------------------


class FullDisk(JournalFile):
    """A journal on a disk that fills up on demand (ENOSPC from the write)."""

    full = False

    def append(self, records):
        if FullDisk.full:
            raise JournalError(errno.ENOSPC, f"override journal {self.path}: No space left on device")
        super().append(records)


async def test_a_full_disk_refuses_writes_and_never_stops_a_release(relay, loopback_checker, tmp_path):
    directory = tmp_path / "ledger"
    directory.mkdir()
    client = await open_client(address=f"127.0.0.1/8:{HOST_PORT}", instance=599, timeout=0.5)
    runner = AsoRunner(client, ledger=Ledger(FullDisk.create(directory, "aso")), serve_points=False,
                       release_orphans=False)
    await runner.open()
    try:
        instance = runner.load(TwoPoints, restart=RestartPolicy(retries=None, backoff=0.1, max_backoff=0.2))
        instance.start()
        await until(lambda: len(instance.held()) == 2)
        FullDisk.full = True
        await until(lambda: instance.state == "faulted")
        assert "No space left on device" in instance.last_error and "nothing sent" in instance.last_error
        assert await held_slots(loopback_checker, "av,1", "bv,1") == {"av,1": [], "bv,1": []}  # released anyway
        assert runner.ledger.held() == []
        # Not a zombie: it keeps trying (and being refused), and it stops cleanly.
        await until(lambda: instance.faults >= 2)
        assert await runner.close(grace=1.0) == []
    finally:
        FullDisk.full = False
        await client.close()
    assert await held_slots(loopback_checker, "av,1", "bv,1") == {"av,1": [], "bv,1": []}
