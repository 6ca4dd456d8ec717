"""Hostile packets against a genuine ASO host and the simulator (issue 8).

The host is a real AsoRunner serving its points over UDP on 127.0.0.1 with
a small ASO stepping every 0.1 s; the simulator serves through its
router/BBMD on 127.0.0.1. Packets are made by hand (``wire.py``) and sent
from a raw UDP socket on 127.0.0.1; what the device must say back is parsed
from the answer datagram, and what it must NOT have done is checked by an
independent BACnet client reading the properties back. Everything binds
127.0.0.1 on ports 47400-47499 only.
"""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import socket
import threading
import time
from dataclasses import dataclass

import pytest

from aso_runtime import Aso, AsoRunner
from aso_runtime.aso import Ledger
from aso_runtime.bacnet import (
    BacnetClient,
    BacnetTimeout,
    open_client,
)
from aso_runtime.bacnet.hardening import BadPacketLimiter
from aso_runtime.sim import SimulatedBuilding

from . import wire as w
from .waiting import until
from . import ports

HOST_INSTANCE, OBSERVER_INSTANCE = 599, 777
ENABLE = 11  # the first ASO's enable BV, state MSV and heartbeat AV
PORTS = range(47400, 47500)


def free_ports(count: int) -> list[int]:
    """``count`` free loopback ports of this file's range (tests/ports.py)."""
    return ports.free_ports(PORTS, count)


class Attacker:
    """A raw UDP socket on 127.0.0.1 speaking hand-made BACnet to one target port."""

    def __init__(self, port: int, target: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.setblocking(False)
        self.port, self.target = port, target
        self.invoke_ids = iter(range(1, 10_000))
        self.notifications: list[w.Notification] = []

    def next_id(self) -> int:
        return next(self.invoke_ids) % 256

    def send(self, datagram: bytes) -> None:
        self.sock.sendto(datagram, ("127.0.0.1", self.target))

    async def receive(self, timeout: float) -> bytes | None:
        try:
            data, _ = await asyncio.wait_for(asyncio.get_running_loop().sock_recvfrom(self.sock, 2048), timeout)
        except TimeoutError:  # asyncio's is the builtin since 3.11
            return None
        return data

    async def ask(self, build, *args, timeout: float = 3.0, **kwargs) -> w.Answer:
        """Send ``build(invoke_id, *args, **kwargs)`` (a wire.py service) and return its answer.

        COV notifications arriving meanwhile are kept for :meth:`notification`.
        """
        invoke_id = self.next_id()
        self.send(build(invoke_id, *args, **kwargs))
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            data = await self.receive(left)
            if data is None:
                break
            if (note := w.cov_notification(data)) is not None:
                self.notifications.append(note)
                continue
            got = w.answer(data)
            if got is not None and got.invoke_id == invoke_id and got.kind != "confirmed-request":
                return got
        raise AssertionError(f"no answer to invoke id {invoke_id} within {timeout:g} s")

    async def notification(self, match, timeout: float = 5.0) -> w.Notification:
        """The first (kept or new) COV notification for which ``match(n)`` is true."""
        deadline = time.monotonic() + timeout
        while True:
            for note in self.notifications:
                if match(note):
                    self.notifications.remove(note)
                    return note
            left = deadline - time.monotonic()
            data = await self.receive(left) if left > 0 else None
            if data is None:
                raise AssertionError(f"no matching COV notification within {timeout:g} s")
            if (note := w.cov_notification(data)) is not None:
                self.notifications.append(note)

    def close(self) -> None:
        self.sock.close()


class Heartbeat(Aso):
    """The smallest ASO: it only steps (the host publishes each step on its heartbeat point)."""

    step_interval = 0.1

    async def on_step(self) -> None:
        pass


@dataclass
class Host:
    runner: AsoRunner
    client: BacnetClient
    port: int
    observer: BacnetClient
    observer_port: int
    attacker: Attacker

    @property
    def aso(self):
        return self.runner.get("beat")

    async def still_stepping(self) -> None:
        """The ASO runs, never faulted, and keeps stepping."""
        steps = self.aso.steps
        await until(lambda: self.aso.steps >= steps + 2 or self.aso.faults, what="two more ASO steps")
        assert self.aso.state == "running" and self.aso.faults == 0, f"ASO {self.aso.state}: {self.aso.last_error}"

    async def read(self, object_id: str, prop: str = "present-value"):
        """Read back with the independent client; an error reads as its text."""
        try:
            return await self.observer.read(f"127.0.0.1:{self.port}", object_id, prop)
        except Exception as exc:  # noqa: BLE001 (the error IS the value: compared before/after)
            return f"error: {exc}"


@pytest.fixture
async def host(tmp_path):
    port, observer_port, attacker_port = free_ports(3)
    client = await open_client(address=f"127.0.0.1/8:{port}", instance=HOST_INSTANCE, name="aso-host", timeout=1.0)
    runner = AsoRunner(client, ledger=Ledger.open(tmp_path / "ledger"), serve_points=True, capture_prints=False)
    await runner.open()
    observer = await open_client(address=f"127.0.0.1/8:{observer_port}", instance=OBSERVER_INSTANCE,
                                 name="observer", timeout=2.0)
    attacker = Attacker(attacker_port, port)
    try:
        runner.load(Heartbeat, name="beat").start()
        await until(lambda: runner.get("beat").steps >= 2, what="the ASO stepping")
        yield Host(runner, client, port, observer, observer_port, attacker)
    finally:
        attacker.close()
        await runner.close()
        await observer.close()
        await client.close()


# ----- 1. COV on every served point ------------------------------------------------------


async def test_cov_on_the_heartbeat_does_not_fault_the_aso(host):
    """One SubscribeCOV to the heartbeat used to make the next beat raise TypeError: the ASO faulted."""
    subscribed = await host.attacker.ask(w.subscribe_cov, w.ANALOG_VALUE, ENABLE)
    assert subscribed.kind == "simple-ack"
    await host.still_stepping()
    first = await host.attacker.notification(lambda n: n.monitored == (w.ANALOG_VALUE, ENABLE))
    later = await host.attacker.notification(
        lambda n: n.monitored == (w.ANALOG_VALUE, ENABLE) and n.values[w.PRESENT_VALUE] >= first.values[w.PRESENT_VALUE] + 2)
    assert later.values[w.PRESENT_VALUE] <= host.aso.steps
    await host.still_stepping()


async def test_a_failing_served_point_update_is_logged_once_and_never_faults_the_aso(host, caplog):
    """Whatever listens on the heartbeat (a COV algorithm, another monitor) may fail: the ASO must not."""
    def broken_listener(old, new):  # noqa: ANN001
        raise TypeError("unsupported operand type(s) for -: 'Real' and 'NoneType'")

    # Listens as COV algorithms do: a property monitor, run inside every change.
    host.aso.points.heartbeat.watch(broken_listener)
    steps = host.aso.steps
    await until(lambda: host.aso.steps >= steps + 5 or host.aso.faults, what="five more steps")
    await host.still_stepping()
    failures = [r for r in caplog.records if "could not update served point" in r.getMessage()]
    assert len(failures) == 1 and "beat-heartbeat" in failures[0].getMessage()


async def test_cov_on_every_host_point_and_writes_still_acknowledged(host):
    attacker = host.attacker
    points = [(w.BINARY_VALUE, 1), (w.BINARY_VALUE, ENABLE), (w.MULTI_STATE_VALUE, ENABLE), (w.ANALOG_VALUE, ENABLE)]
    for object_type, instance in points:
        answer = await attacker.ask(w.subscribe_cov, object_type, instance, process_id=instance)
        assert answer.kind == "simple-ack", (object_type, instance, answer)
        await attacker.notification(lambda n, point=(object_type, instance): n.monitored == point)
    # The device object has no COV: a clean refusal, not a half-made subscription.
    refused = await attacker.ask(w.subscribe_cov, w.DEVICE, HOST_INSTANCE)
    assert refused.error == ("services", "cov-subscription-failed")

    # Writes and releases during the subscriptions: acknowledged, and notified.
    disable = await attacker.ask(w.write_property, w.BINARY_VALUE, ENABLE, w.PRESENT_VALUE,
                                                              w.app_enumerated(0), priority=8)
    assert disable.kind == "simple-ack"
    await attacker.notification(lambda n: n.monitored == (w.BINARY_VALUE, ENABLE) and n.values[w.PRESENT_VALUE] == 0)
    disabled = 1 + ("loaded", "starting", "running", "disabled").index("disabled")
    await attacker.notification(lambda n: n.monitored == (w.MULTI_STATE_VALUE, ENABLE)
                                and n.values[w.PRESENT_VALUE] == disabled)
    release = await attacker.ask(w.write_property, w.BINARY_VALUE, ENABLE, w.PRESENT_VALUE, w.app_null(),
                                                              priority=8)
    assert release.kind == "simple-ack"
    await attacker.notification(lambda n: n.monitored == (w.MULTI_STATE_VALUE, ENABLE)
                                and n.values[w.PRESENT_VALUE] == disabled - 1)  # running again
    # The independent client's writes to the kill switch are acknowledged too (it raises otherwise).
    await host.observer.write(f"127.0.0.1:{host.port}", "binary-value,1", "inactive", priority=8)
    await attacker.notification(lambda n: n.monitored == (w.BINARY_VALUE, 1) and n.values[w.PRESENT_VALUE] == 0)
    await host.observer.release(f"127.0.0.1:{host.port}", "binary-value,1", 8)
    await host.still_stepping()


async def test_cov_subscribers_that_never_acknowledge_do_not_freeze_the_host(host):
    """40 SubscribeCOV asking confirmed notifications, from a subscriber that never answers.

    bacpypes3 spins for good looking for a free invoke id once 256 requests to
    one peer are open: the heartbeat's notifications got there in 0.7 s and the
    host's loop froze. A frozen loop cannot fail this test from inside, so a hard
    deadline ends the whole run (with every thread's traceback) instead of a hang.
    """
    faulthandler.dump_traceback_later(60, exit=True)
    try:
        for process_id in range(1, 41):
            answer = await host.attacker.ask(w.subscribe_cov, w.ANALOG_VALUE, ENABLE, process_id=process_id,
                                             confirmed_notifications=True, lifetime=300)
            assert answer.kind == "simple-ack"
        steps = host.aso.steps
        await until(lambda: host.aso.steps >= steps + 15, what="1.5 s of steps")  # past the 256th notification
        await host.still_stepping()
        assert await host.read(f"device,{HOST_INSTANCE}", "object-name") == "aso-host"
    finally:
        faulthandler.cancel_dump_traceback_later()


async def test_the_cov_subscription_table_is_bounded(host):
    async def subscribe(process_id: int, **options) -> w.Answer:
        return await host.attacker.ask(w.subscribe_cov, w.BINARY_VALUE, 1, process_id=process_id, lifetime=300,
                                       **options)

    for process_id in range(1, 129):
        assert (await subscribe(process_id)).kind == "simple-ack", process_id
    refused = await subscribe(129)
    assert refused.error == ("resources", "no-space-to-add-list-element")
    assert (await subscribe(7)).kind == "simple-ack"  # a renewal still fits
    assert (await subscribe(7, cancel=True)).kind == "simple-ack"
    assert (await subscribe(129)).kind == "simple-ack"  # room again
    await host.still_stepping()


# ----- 2. configuration and identity are read-only over the network --------------------------

NETWORK_PORT = (w.NETWORK_PORT, 1)
DEVICE = (w.DEVICE, HOST_INSTANCE)
READ_ONLY = [
    (DEVICE, "max-apdu-length-accepted", 62, w.app_unsigned(5)),
    (DEVICE, "apdu-timeout", 11, w.app_unsigned(1)),
    (DEVICE, "number-of-apdu-retries", 73, w.app_unsigned(0)),
    (DEVICE, "object-identifier", 75, w.app_object_id(w.DEVICE, 77)),
    (DEVICE, "segmentation-supported", 107, w.app_enumerated(3)),
    (DEVICE, "protocol-revision", 139, w.app_unsigned(1)),
    (DEVICE, "vendor-identifier", 120, w.app_unsigned(5)),
    (DEVICE, "object-type", 79, w.app_enumerated(0)),
    (DEVICE, "object-name", 77, w.app_character_string("pwned")),
    (NETWORK_PORT, "bacnet-ip-udp-port", 412, w.app_unsigned(47999)),
    (NETWORK_PORT, "fd-bbmd-address", 418, w.host_n_port("127.0.0.1", 47808)),
    (NETWORK_PORT, "network-number", 425, w.app_unsigned(7)),
    ((w.BINARY_VALUE, 1), "object-identifier", 75, w.app_object_id(w.BINARY_VALUE, 7)),
    ((w.BINARY_VALUE, 1), "object-type", 79, w.app_enumerated(0)),
    ((w.BINARY_VALUE, 1), "event-state", 36, w.app_enumerated(3)),
    ((w.BINARY_VALUE, 1), "out-of-service", 81, w.app_boolean(True)),
    ((w.BINARY_VALUE, ENABLE), "object-name", 77, w.app_character_string("x")),
    ((w.MULTI_STATE_VALUE, ENABLE), "present-value", 85, w.app_unsigned(2)),
    ((w.MULTI_STATE_VALUE, ENABLE), "event-state", 36, w.app_enumerated(3)),
    ((w.ANALOG_VALUE, ENABLE), "present-value", 85, w.app_real(99.0)),
    ((w.ANALOG_VALUE, ENABLE), "object-identifier", 75, w.app_object_id(w.ANALOG_VALUE, 70)),
]
_TYPE_NAMES = {w.DEVICE: "device", w.NETWORK_PORT: "network-port", w.BINARY_VALUE: "binary-value",
               w.MULTI_STATE_VALUE: "multi-state-value", w.ANALOG_VALUE: "analog-value"}


async def test_configuration_and_identity_are_read_only(host):
    """WriteProperty and WritePropertyMultiple of each: write-access-denied, and nothing changed."""
    before = {}
    for (object_type, instance), name, _, _ in READ_ONLY:
        before[(object_type, instance, name)] = await host.read(f"{_TYPE_NAMES[object_type]},{instance}", name)
    wrong = []
    for (object_type, instance), name, number, value in READ_ONLY:
        for how, build in (("WriteProperty", w.write_property), ("WritePropertyMultiple", w.write_property_multiple)):
            try:
                answer = await host.attacker.ask(build, object_type, instance, number, value)
            except AssertionError as no_answer:
                answer = no_answer
            if getattr(answer, "error", None) != ("property", "write-access-denied"):
                wrong.append(f"{how} {_TYPE_NAMES[object_type]},{instance} {name}: {answer}")
    assert not wrong, "\n".join(wrong)
    for (object_type, instance), name, _, _ in READ_ONLY:
        after = await host.read(f"{_TYPE_NAMES[object_type]},{instance}", name)
        if (object_type, instance, name) == (w.ANALOG_VALUE, ENABLE, "present-value"):
            # The heartbeat counts steps by itself: not the attacker's 99, and still counting.
            assert after != 99.0 and after >= before[(object_type, instance, name)], after
            continue
        assert after == before[(object_type, instance, name)], name
    # The host's own requests still work (a 1 ms apdu-timeout or max APDU 50 broke them).
    assert await host.client.read(f"127.0.0.1:{host.observer_port}", f"device,{OBSERVER_INSTANCE}",
                                  "object-name") == "observer"
    await host.still_stepping()


# ----- 3. values and priorities outside their range ------------------------------------------


async def test_kill_switch_refuses_values_that_are_not_active_or_inactive(host):
    for value in (2, 255, 0xFFFFFFFF):
        answer = await host.attacker.ask(w.write_property, w.BINARY_VALUE, 1, w.PRESENT_VALUE,
                                                                      w.app_enumerated(value), priority=8)
        assert answer.error == ("property", "value-out-of-range"), (value, answer)
    array = await host.observer.priority_array(f"127.0.0.1:{host.port}", "binary-value,1")
    assert array.winning is None and array.present_value == "active"
    assert host.runner.enabled
    await host.still_stepping()


async def test_priorities_outside_1_to_16_are_rejected(host):
    for object_instance in (1, ENABLE):
        for priority in (0, 17, 255):
            answer = await host.attacker.ask(w.write_property, w.BINARY_VALUE, object_instance, w.PRESENT_VALUE,
                                             w.app_enumerated(0), priority=priority)
            assert (answer.kind, answer.reason) == ("reject", "parameter-out-of-range"), (object_instance, priority)
            answer = await host.attacker.ask(w.write_property_multiple, w.BINARY_VALUE, object_instance,
                                             w.PRESENT_VALUE, w.app_enumerated(0), priority=priority)
            assert (answer.kind, answer.reason) == ("reject", "parameter-out-of-range"), (object_instance, priority)
        array = await host.observer.priority_array(f"127.0.0.1:{host.port}", f"binary-value,{object_instance}")
        assert array.winning is None and array.present_value == "active"  # slot 16 untouched
    await host.still_stepping()


# ----- 4. malformed datagrams: one log line, no traceback -------------------------------------

MALFORMED = [
    b"\x81",  # shorter than a BVLC header
    b"\x81\x0a\x00\x40\x01\x00",  # BVLC length says 64
    b"\x81\x7f\x00\x06\x01\x00",  # no such BVLC function
    b"\x81\x0a\x00\x08\x07\x00\x10\x08",  # NPDU version 7
    b"\x81\x0a\x00\x07\x01\x20\x00",  # DNET cut short
    b"\x81\x0a\x00\x07\x01\x80\x77",  # unknown network message
    w.datagram(b"\x90\x01\x02"),  # APDU type 9
    w.datagram(b"\x00\x05"),  # confirmed request cut short
    b"\x81\x04\x00\x08\x7f\x00\x00\x01",  # forwarded NPDU cut short
    b"\x81\x00\x00\x06\x00\x30",  # a BVLC result nobody asked for
]


async def test_malformed_datagrams_log_one_line_per_source_and_no_traceback(host, caplog):
    caplog.set_level(logging.WARNING)
    for _ in range(30):
        for datagram in MALFORMED:
            host.attacker.send(datagram)
        # Handled in order of arrival; a round at a time so the socket buffer never overflows.
        answer = await host.attacker.ask(w.read_property, w.DEVICE, HOST_INSTANCE, 77)
        assert answer.kind == "complex-ack"

    def about_network() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name.startswith(("bacpypes3", "aso.bacnet", "asyncio"))]

    await until(about_network, what="a log line about the bad packets")
    assert len(about_network()) == 1, f"{len(about_network())} lines for {30 * len(MALFORMED)} bad datagrams"
    line = about_network()[0]
    assert f"127.0.0.1:{host.attacker.port}" in line.getMessage() and line.levelno == logging.WARNING
    assert line.exc_info is None and "\n" not in line.getMessage()
    await host.still_stepping()


def test_the_limiter_counts_what_it_left_out_and_bounds_its_table():
    now = [1000.0]
    limiter = BadPacketLimiter(interval=60.0, max_sources=2, clock=lambda: now[0])

    def record() -> logging.LogRecord:
        try:
            raise ValueError("no more packet data")
        except ValueError as exc:
            return logging.LogRecord("bacpypes3.ipv4", logging.ERROR, __file__, 1, "error: %r", (exc,),
                                     (ValueError, exc, exc.__traceback__))

    first = record()
    assert limiter.admit(first, "10.0.0.9:47808")
    assert first.exc_info is None and first.levelno == logging.WARNING
    assert first.getMessage() == "bad packet from 10.0.0.9:47808: error: ValueError('no more packet data')"
    assert not any(limiter.admit(record(), "10.0.0.9:47808") for _ in range(4))
    now[0] += 61
    again = record()
    assert limiter.admit(again, "10.0.0.9:50000")  # the same host from another port
    assert "(4 more from 10.0.0.9 not logged in the last 60 s)" in again.getMessage()
    # Spoofed sources beyond the table share one line.
    assert limiter.admit(record(), "10.0.0.10:1")
    assert limiter.admit(record(), "10.0.0.11:1")
    assert not limiter.admit(record(), "10.0.0.12:1")


# ----- 5. a flood of segmented requests ------------------------------------------------------


def _flood(target: int, ports: list[int], count: int, stop: threading.Event) -> dict[str, int]:
    """Send ``count`` first segments of segmented ReadProperty requests, round robin over ``ports``.

    Runs in a thread; counts what comes back (segment-acks admitted, aborts refused).
    """
    socks = []
    for port in ports:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", port))
        sock.setblocking(False)
        socks.append(sock)
    payload = w.context_object_id(0, w.DEVICE, HOST_INSTANCE) + w.context_unsigned(1, 77)
    seen = {"sent": 0, "segment-ack": 0, "abort": 0, "out-of-resources": 0}

    def drain() -> None:
        for sock in socks:
            while True:
                try:
                    data = sock.recv(2048)
                except BlockingIOError:
                    break
                got = w.answer(data)
                if got is not None and got.kind in seen:
                    seen[got.kind] += 1
                    seen["out-of-resources"] += got.reason == "out-of-resources"
    try:
        for n in range(count):
            if stop.is_set():
                break
            invoke_id = (n // len(socks)) % 256
            segment = w.confirmed(w.READ_PROPERTY, payload, invoke_id, segmented=True, more_follows=True)
            socks[n % len(socks)].sendto(w.datagram(segment), ("127.0.0.1", target))
            seen["sent"] += 1
            if n % 50 == 49:
                drain()
                time.sleep(0.01)  # ~5,000 datagrams a second
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            drain()
            time.sleep(0.02)
    finally:
        for sock in socks:
            sock.close()
    return seen


async def test_segmented_request_flood_is_bounded_and_the_host_keeps_working(host, caplog):
    caplog.set_level(logging.WARNING)
    flood_ports = free_ports(8)
    stop = threading.Event()
    flood = asyncio.ensure_future(asyncio.to_thread(_flood, host.port, flood_ports, 10_000, stop))
    answered = 0
    try:
        while not flood.done():
            # Normal requests are answered during the flood.
            try:
                answered += await host.observer.read(f"127.0.0.1:{host.port}", f"device,{HOST_INSTANCE}",
                                                     "object-name") == "aso-host"
            except BacnetTimeout:
                pass
        seen = await flood
    finally:
        stop.set()
        if not flood.done():
            await flood
    assert answered > 0 and seen["sent"] == 10_000
    # The bound: a few reassemblies admitted, the rest refused as a real device would.
    assert seen["out-of-resources"] > 0, seen
    assert seen["segment-ack"] < seen["sent"] // 10, seen
    await host.still_stepping()
    assert len(caplog.records) < 20, [r.getMessage() for r in caplog.records[:20]]


async def test_a_segmented_request_longer_than_we_accept_is_aborted(host):
    attacker = host.attacker
    payload = w.context_object_id(0, w.DEVICE, HOST_INSTANCE) + w.context_unsigned(1, 77)
    first = w.confirmed(w.WRITE_PROPERTY, payload + b"\x00" * 1400, 99, segmented=True, more_follows=True, window=1)
    attacker.send(w.datagram(first))
    for sequence in range(1, 40):
        data = await attacker.receive(3.0)
        got = w.answer(data) if data else None
        assert got is not None, f"no answer after segment {sequence - 1}"
        if got.kind == "abort":
            assert got.reason == "buffer-overflow" and sequence > 10
            break
        assert got.kind == "segment-ack"
        segment = w.confirmed(w.WRITE_PROPERTY, b"\x00" * 1400, 99, segmented=True, more_follows=True,
                              sequence=sequence, window=1)
        attacker.send(w.datagram(segment))
    else:
        raise AssertionError("40 segments of 1400 octets accepted: reassembly is unbounded")
    answer = await attacker.ask(w.read_property, w.DEVICE, HOST_INSTANCE, 77)
    assert answer.kind == "complex-ack"
    await host.still_stepping()


# ----- the simulator -----------------------------------------------------------------------------


@dataclass
class Site:
    building: SimulatedBuilding
    attacker: Attacker
    mac: bytes  # the AHU's MAC on the simulator's internal network 2

    def route(self) -> dict:
        return {"network": 2, "mac": self.mac}


@pytest.fixture
async def site():
    port, attacker_port = free_ports(2)
    building = await SimulatedBuilding.start(address=f"127.0.0.1/8:{port}", devices=8, step=0.05, speed=60.0)
    attacker = Attacker(attacker_port, port)
    try:
        ahu = building.device(1001)
        yield Site(building, attacker, bytes([int(ahu.address.partition(":")[2], 0)]))
    finally:
        attacker.close()
        await building.stop()


# Every object type the simulator serves, with a value to command (or, for inputs, to
# set out of service): (type, instance, property to unlock or None, value, decoded value)
SIM_POINTS = [
    (w.ANALOG_INPUT, 1, w.OUT_OF_SERVICE, w.app_real(0.75), 0.75),  # duct static
    (w.ANALOG_OUTPUT, 1, None, w.app_real(33.0), 33.0),  # fan speed
    (w.ANALOG_VALUE, 1, None, w.app_real(2.5), 2.5),  # duct static setpoint
    (w.BINARY_INPUT, 1, w.OUT_OF_SERVICE, w.app_enumerated(0), 0),  # fan status
    (w.BINARY_OUTPUT, 1, None, w.app_enumerated(0), 0),  # fan command
    (w.MULTI_STATE_VALUE, 1, None, w.app_unsigned(3), 3),  # occupancy: standby
]


@pytest.mark.parametrize(("object_type", "instance", "unlock", "value", "expected"), SIM_POINTS,
                         ids=["ai", "ao", "av", "bi", "bo", "msv"])
async def test_cov_on_every_simulated_point_type_and_writes_still_acknowledged(site, object_type, instance, unlock,
                                                                               value, expected):
    """SubscribeCOV to a multi-state value used to fail AND make every later write answer operational-problem."""
    attacker, route = site.attacker, site.route()
    subscribed = await attacker.ask(w.subscribe_cov, object_type, instance, **route)
    priority = 8
    if unlock is not None:  # a sensor: out of service first, then its value
        answer = await attacker.ask(w.write_property, object_type, instance, unlock, w.app_boolean(True),
                                                                 **route)
        assert answer.kind == "simple-ack", answer
        priority = None
    answer = await attacker.ask(w.write_property, object_type, instance, w.PRESENT_VALUE, value,
                                                             priority=priority, **route)
    assert answer.kind == "simple-ack", f"write answered {answer} (the SubscribeCOV before it: {subscribed})"
    assert subscribed.kind == "simple-ack", subscribed
    await attacker.notification(lambda n: n.monitored == (object_type, instance))  # the first, on subscribing
    await attacker.notification(lambda n: n.monitored == (object_type, instance)
                                and n.values.get(w.PRESENT_VALUE) == expected)
    if unlock is not None:
        undone = await attacker.ask(w.write_property, object_type, instance, unlock, w.app_boolean(False), **route)
    else:
        undone = await attacker.ask(w.write_property, object_type, instance, w.PRESENT_VALUE, w.app_null(),
                                    priority=8, **route)
    assert undone.kind == "simple-ack", undone


async def test_simulated_devices_refuse_what_a_real_controller_refuses(site):
    attacker, route = site.attacker, site.route()

    async def write(object_type, instance, prop, value, priority=None, via=w.write_property):
        return await attacker.ask(via, object_type, instance, prop, value, priority=priority, **route)

    for object_type, instance, value in [(w.BINARY_OUTPUT, 1, w.app_enumerated(2)),
                                         (w.MULTI_STATE_VALUE, 1, w.app_unsigned(0)),
                                         (w.MULTI_STATE_VALUE, 1, w.app_unsigned(4)),
                                         (w.ANALOG_OUTPUT, 1, w.app_real(150.0)),
                                         (w.ANALOG_OUTPUT, 1, w.app_real(float("nan")))]:
        answer = await write(object_type, instance, w.PRESENT_VALUE, value, 8)
        assert answer.error == ("property", "value-out-of-range"), (object_type, instance, answer)
    for priority in (0, 17):
        answer = await write(w.ANALOG_OUTPUT, 1, w.PRESENT_VALUE, w.app_real(10.0), priority)
        assert (answer.kind, answer.reason) == ("reject", "parameter-out-of-range")
    for object_type, instance, prop, value in [(w.DEVICE, 1001, 11, w.app_unsigned(1)),
                                               (w.DEVICE, 1001, 62, w.app_unsigned(50)),
                                               (w.ANALOG_INPUT, 1, w.OBJECT_IDENTIFIER, w.app_object_id(0, 9)),
                                               (w.ANALOG_OUTPUT, 1, w.OUT_OF_SERVICE, w.app_boolean(True)),
                                               (w.NETWORK_PORT, 1, 425, w.app_unsigned(9))]:
        for via in (w.write_property, w.write_property_multiple):
            answer = await write(object_type, instance, prop, value, via=via)
            assert answer.error == ("property", "write-access-denied"), (object_type, prop, via.__name__, answer)
    ahu = site.building.application(1001)
    assert ahu.device_object.apduTimeout != 1 and ahu.device_object.maxApduLengthAccepted == 1476
    # A relinquish (Null) is only for commands: not for an input's present-value.
    await write(w.ANALOG_INPUT, 1, w.OUT_OF_SERVICE, w.app_boolean(True))
    answer = await write(w.ANALOG_INPUT, 1, w.PRESENT_VALUE, w.app_null(), 8)
    assert answer.error == ("property", "invalid-data-type")
