"""Writes the standard forbids, refused on every object we serve (issue 12).

A genuine ASO host (an AsoRunner serving its points) and the simulator (its
router/BBMD and the devices behind it) run on 127.0.0.1; requests are made
by hand (``wire.py``) from a raw UDP socket, so exactly the bytes a BAS
front end or an EPICS tool would send arrive, and what changed is read back
with an independent client. Everything binds 127.0.0.1 on ports 48600-48649.

The contract: a network write changes only what a technician is meant to
change (``WRITABLE`` below); every other property of every object answers
Error(property, write-access-denied), whatever datatype was sent, and stays
as it was. A value of the wrong datatype for a writable present-value is
Error(property, invalid-data-type), not a Reject.
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass

import pytest
from bacpypes3.basetypes import PropertyIdentifier
from bacpypes3.primitivedata import ObjectType

from aso_runtime import Aso, AsoRunner
from aso_runtime.aso import Ledger
from aso_runtime.bacnet import BacnetClient, BacnetRemoteError, open_client
from aso_runtime.sim import SimulatedBuilding

from . import wire as w
from .waiting import until
from . import ports

HOST_INSTANCE, OBSERVER_INSTANCE = 598, 776
ROUTER_INSTANCE = 100
ENABLE = 11  # the ASO's enable BV, state MSV and heartbeat AV
PORTS = range(48600, 48650)

# What a network write may change, by object type (the simulator's points) or by object
# (the host's). Everything else must be write-access-denied.
SIM_WRITABLE = {
    "analog-input": {"description", "cov-increment", "out-of-service"},
    "binary-input": {"description", "out-of-service"},
    "analog-output": {"description", "cov-increment", "present-value"},
    "analog-value": {"description", "cov-increment", "present-value"},
    "binary-output": {"description", "present-value"},
    "binary-value": {"description", "present-value"},
    "multi-state-value": {"description", "present-value"},
    # Schedules, calendars and trend logs are edited as on a real controller (sim/schedules.py, trends.py).
    "schedule": {"description", "weekly-schedule", "exception-schedule"},
    "calendar": {"description", "date-list"},
    "trend-log": {"description", "enable"},
}
HOST_WRITABLE = {"binary-value,1": {"present-value"}, f"binary-value,{ENABLE}": {"present-value"}}

EVENT_STATE, STATUS_FLAGS, PROTOCOL_REVISION, VENDOR_IDENTIFIER, RELIABILITY = 36, 111, 139, 120, 103


def free_ports(count: int) -> list[int]:
    """``count`` free loopback ports of this file's range (tests/ports.py)."""
    return ports.free_ports(PORTS, count)


class Wire:
    """A raw UDP socket on 127.0.0.1 that asks one target port, and returns the answer datagram."""

    def __init__(self, port: int, target: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.setblocking(False)
        self.target = target
        self.invoke_ids = iter(range(1, 1_000_000))

    async def ask_raw(self, build, *args, timeout: float = 3.0, **kwargs) -> bytes:
        """Send ``build(invoke_id, *args, **kwargs)`` and return the datagram answering it."""
        invoke_id = next(self.invoke_ids) % 256
        self.sock.sendto(build(invoke_id, *args, **kwargs), ("127.0.0.1", self.target))
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                data = await asyncio.wait_for(loop.sock_recv(self.sock, 2048), left)
            except TimeoutError:
                break
            shape = w.classify(data)
            if shape is not None and shape[0] != w.CONFIRMED and shape[2] == invoke_id:
                return data
        raise AssertionError(f"no answer to invoke id {invoke_id} within {timeout:g} s")

    async def ask(self, build, *args, **kwargs) -> w.Answer:
        return w.answer(await self.ask_raw(build, *args, **kwargs))

    def close(self) -> None:
        self.sock.close()


@dataclass
class Target:
    """One device as the raw socket reaches it, and as the independent client names it."""

    wire: Wire
    observer: BacnetClient
    address: str  # for the observer: "127.0.0.1:P" or "2:5"
    instance: int
    route: dict  # network= / mac= for wire.py when behind the router

    async def read(self, object_id: str, prop: str):
        return await self.observer.read(self.address, object_id, prop)

    async def objects(self) -> list[str]:
        return await self.read(f"device,{self.instance}", "object-list")

    async def write(self, object_id: str, number: int, value: bytes, *, via=w.write_property,
                    priority: int | None = None) -> w.Answer:
        object_type, instance = _oid(object_id)
        return await self.wire.ask(via, object_type, instance, number, value, priority=priority, **self.route)


def _oid(object_id: str) -> tuple[int, int]:
    name, _, instance = object_id.partition(",")
    return int(ObjectType(name)), int(instance)


def _wrong_datatype(value: bytes) -> bytes:
    """A value of another datatype than ``value`` (whose first tag says its own)."""
    return w.app_character_string("x") if value[:1] == b"\x44" else w.app_real(1.0)


async def refusals(target: Target, writable) -> tuple[list[str], set[tuple[str, str]]]:
    """Write every property of every object of ``target`` outside ``writable(object_id)``.

    Each is written back with its own value (so a write that got through would
    not even show), with a value of another datatype, and through
    WritePropertyMultiple; every answer must be write-access-denied. Returns
    what was answered otherwise, and the (object type, property) pairs tried.
    """
    wrong, tried = [], set()
    for object_id in await target.objects():
        allowed = writable(object_id)
        object_type, instance = _oid(object_id)
        # property-list leaves out the three every object has (clause 12.1.1.4.1)
        listed = ["object-identifier", "object-name", "object-type", *await target.read(object_id, "property-list")]
        for name in listed:
            if name in allowed:
                continue
            number = int(PropertyIdentifier(name))
            tried.add((object_id.partition(",")[0], name))
            data = await target.wire.ask_raw(w.read_property, object_type, instance, number, **target.route)
            value = w.read_ack_value(data)
            if value is None and name == "log-buffer":
                continue  # read with ReadRange only: ReadProperty answers read-access-denied, by design
            if value is None:
                wrong.append(f"{object_id} {name}: unreadable ({w.answer(data)})")
                continue
            for how, build, sent in (("same value", w.write_property, value),
                                     ("other datatype", w.write_property, _wrong_datatype(value)),
                                     ("WritePropertyMultiple", w.write_property_multiple, value)):
                answer = await target.write(object_id, number, sent, via=build)
                if answer.error != ("property", "write-access-denied"):
                    wrong.append(f"{object_id} {name} ({how}): {answer}")
    return wrong, tried


# Never writable on any object type that has them, whoever serves it.
STRUCTURAL = {"object-identifier", "object-name", "object-type", "status-flags", "event-state"}
NO_STATUS = {"calendar", "schedule", "trend-log", "notification-class"}


# ----- the host -----------------------------------------------------------------------------------


class Heartbeat(Aso):
    step_interval = 0.1

    async def on_step(self) -> None:
        pass


@pytest.fixture
async def host(tmp_path):
    port, observer_port, wire_port = free_ports(3)
    client = await open_client(address=f"127.0.0.1/8:{port}", instance=HOST_INSTANCE, name="aso-host", timeout=1.0)
    runner = AsoRunner(client, ledger=Ledger.open(tmp_path / "ledger"), serve_points=True, capture_prints=False)
    await runner.open()
    observer = await open_client(address=f"127.0.0.1/8:{observer_port}", instance=OBSERVER_INSTANCE,
                                 name="observer", timeout=2.0)
    wire = Wire(wire_port, port)
    try:
        runner.load(Heartbeat, name="beat").start()
        await until(lambda: runner.get("beat").steps >= 2, what="the ASO stepping")
        yield Target(wire, observer, f"127.0.0.1:{port}", HOST_INSTANCE, {})
    finally:
        wire.close()
        await runner.close()
        await observer.close()
        await client.close()


async def test_host_refuses_every_write_outside_its_commands(host):
    objects = await host.objects()
    assert {"binary-value,1", f"binary-value,{ENABLE}", f"multi-state-value,{ENABLE}", f"analog-value,{ENABLE}",
            "network-port,1", f"device,{HOST_INSTANCE}"} <= set(objects)
    wrong, tried = await refusals(host, lambda object_id: HOST_WRITABLE.get(object_id, set()))
    assert not wrong, "\n".join(wrong)
    for object_type in ("binary-value", "multi-state-value", "analog-value"):
        assert {(object_type, name) for name in STRUCTURAL} <= tried, object_type
    assert {("device", "protocol-revision"), ("device", "vendor-identifier"), ("device", "apdu-timeout"),
            ("network-port", "apdu-length"), ("network-port", "reliability")} <= tried


# Identity and structure: a correctly typed write of a new value, refused and without effect.
IDENTITY_WRITES = [
    ("object-type", 79, w.app_enumerated(3)),  # a binary-value would become a binary-input
    ("event-state", EVENT_STATE, w.app_enumerated(2)),  # offnormal
    ("status-flags", STATUS_FLAGS, bytes([0x82, 0x04, 0xF0])),  # every flag set
    ("reliability", RELIABILITY, w.app_enumerated(7)),  # unreliable-other
]
DEVICE_WRITES = [
    ("protocol-revision", PROTOCOL_REVISION, w.app_unsigned(5)),
    ("vendor-identifier", VENDOR_IDENTIFIER, w.app_unsigned(5)),
    ("object-type", 79, w.app_enumerated(2)),
]


async def assert_refused_and_unchanged(target: Target, writes: list[tuple[str, list]]) -> None:
    before = {}
    for object_id, props in writes:
        for name, _, _ in props:
            before[object_id, name] = await _read_or_error(target, object_id, name)
    wrong = []
    for object_id, props in writes:
        for name, number, value in props:
            for via in (w.write_property, w.write_property_multiple):
                answer = await target.write(object_id, number, value, via=via)
                # reliability: the host's and simulator's points have none (unknown-property is
                # as good a refusal); every property they have must be write-access-denied.
                allowed = {("property", "write-access-denied")}
                if isinstance(before[object_id, name], Exception):
                    allowed.add(("property", "unknown-property"))
                if answer.error not in allowed:
                    wrong.append(f"{via.__name__} {object_id} {name}: {answer}")
    assert not wrong, "\n".join(wrong)
    for (object_id, name), value in before.items():
        after = await _read_or_error(target, object_id, name)
        assert repr(after) == repr(value), (object_id, name, value, after)


async def _read_or_error(target: Target, object_id: str, name: str):
    try:
        return await target.read(object_id, name)
    except Exception as exc:  # noqa: BLE001 (a property the object does not have: compared as such)
        return exc


async def test_host_identity_and_structure_are_not_writable(host):
    await assert_refused_and_unchanged(host, [
        ("binary-value,1", IDENTITY_WRITES),
        (f"multi-state-value,{ENABLE}", IDENTITY_WRITES),
        (f"analog-value,{ENABLE}", IDENTITY_WRITES),
        ("network-port,1", IDENTITY_WRITES),
        (f"device,{HOST_INSTANCE}", DEVICE_WRITES),
    ])


async def test_host_kill_switch_answers_a_wrong_datatype_with_invalid_data_type(host):
    for value in (w.app_real(1.0), w.app_character_string("inactive"), w.app_unsigned(0)):
        for via in (w.write_property, w.write_property_multiple):
            answer = await host.write("binary-value,1", w.PRESENT_VALUE, value, via=via, priority=8)
            assert answer.error == ("property", "invalid-data-type"), (value, via.__name__, answer)
    array = await host.observer.priority_array(host.address, "binary-value,1")
    assert array.winning is None and array.present_value == "active"  # still running: nothing was written
    # A read-only property is write-access-denied whatever the datatype sent.
    answer = await host.write(f"analog-value,{ENABLE}", w.PRESENT_VALUE, w.app_character_string("x"))
    assert answer.error == ("property", "write-access-denied")
    # And the right datatype is still taken.
    answer = await host.write("binary-value,1", w.PRESENT_VALUE, w.app_enumerated(1), priority=8)
    assert answer.kind == "simple-ack", answer


# ----- the simulator --------------------------------------------------------------------------------


@dataclass
class Site:
    building: SimulatedBuilding
    wire: Wire
    observer: BacnetClient
    port: int

    def device(self, instance: int) -> Target:
        if instance == ROUTER_INSTANCE:
            return Target(self.wire, self.observer, f"127.0.0.1:{self.port}", instance, {})
        address = self.building.device(instance).address  # "2:5"
        network, _, mac = address.partition(":")
        return Target(self.wire, self.observer, address, instance, {"network": int(network), "mac": bytes([int(mac, 0)])})


@pytest.fixture
async def site():
    port, observer_port, wire_port = free_ports(3)
    building = await SimulatedBuilding.start(address=f"127.0.0.1/8:{port}", devices=8, step=0.5)
    observer = await open_client(address=f"127.0.0.1/8:{observer_port}", instance=OBSERVER_INSTANCE, name="observer",
                                 foreign=f"127.0.0.1:{port}", timeout=2.0)
    wire = Wire(wire_port, port)
    try:
        yield Site(building, wire, observer, port)
    finally:
        wire.close()
        await observer.close()
        await building.stop()


def _sim_writable(object_id: str) -> set[str]:
    return SIM_WRITABLE.get(object_id.partition(",")[0], set())


@pytest.mark.parametrize("instance", [1001, 4001, ROUTER_INSTANCE], ids=["ahu", "meter", "router"])
async def test_simulated_devices_refuse_every_write_outside_what_a_technician_changes(site, instance):
    """Every object type the simulator serves is in the AHU; the meter is a small controller; the router has two ports."""
    target = site.device(instance)
    wrong, tried = await refusals(target, _sim_writable)
    assert not wrong, "\n".join(wrong)
    types = {object_id.partition(",")[0] for object_id in await target.objects()} - {"device", "network-port"}
    # Calendars, schedules, trend logs and notification classes have no status of their own to write.
    for object_type in types:
        structural = STRUCTURAL if object_type not in NO_STATUS else STRUCTURAL - {"status-flags", "event-state"}
        assert {(object_type, name) for name in structural} <= tried, object_type
    if types & {"analog-input", "binary-input"}:  # a sensor's value only out of service
        assert {(t, "present-value") for t in types & {"analog-input", "binary-input"}} <= tried
    assert {("device", "protocol-revision"), ("device", "vendor-identifier"), ("network-port", "apdu-length")} <= tried


async def test_simulated_identity_and_structure_are_not_writable(site):
    ahu, router = site.device(1001), site.device(ROUTER_INSTANCE)
    points = ["analog-input,1", "analog-output,1", "analog-value,1", "binary-input,1", "binary-output,1",
              "multi-state-value,1"]
    await assert_refused_and_unchanged(ahu, [(point, IDENTITY_WRITES) for point in points]
                                       + [("network-port,1", IDENTITY_WRITES), ("device,1001", DEVICE_WRITES)])
    await assert_refused_and_unchanged(router, [("network-port,1", IDENTITY_WRITES), ("network-port,2", IDENTITY_WRITES),
                                                (f"device,{ROUTER_INSTANCE}", DEVICE_WRITES)])


# (AHU object, a value of the wrong datatype, priority): a REAL or a string where an
# enumeration is, a string or an enumeration where a REAL is, a REAL where an Unsigned is.
# (The host's binary-value is tried above.)
WRONG_DATATYPES = [
    ("binary-output,1", w.app_real(1.0), 8),
    ("binary-output,1", w.app_character_string("active"), 8),
    ("analog-output,1", w.app_character_string("50"), 8),
    ("analog-output,1", w.app_enumerated(1), 8),
    ("analog-value,1", w.app_character_string("1.5"), 8),
    ("multi-state-value,1", w.app_real(2.0), 8),
    ("analog-input,1", w.app_character_string("70"), None),  # out of service (below)
    ("binary-input,1", w.app_real(1.0), None),
]


async def test_a_wrong_datatype_to_a_present_value_is_invalid_data_type(site):
    ahu = site.device(1001)
    for sensor in ("analog-input,1", "binary-input,1"):  # a sensor's present-value is writable only out of service
        assert (await ahu.write(sensor, w.OUT_OF_SERVICE, w.app_boolean(True))).kind == "simple-ack"
    before = {point: await ahu.read(point, "present-value") for point, _, _ in WRONG_DATATYPES}
    wrong = []
    for point, value, priority in WRONG_DATATYPES:
        for via in (w.write_property, w.write_property_multiple):
            answer = await ahu.write(point, w.PRESENT_VALUE, value, via=via, priority=priority)
            if answer.error != ("property", "invalid-data-type"):
                wrong.append(f"{via.__name__} {point} {value.hex()}: {answer}")
    assert not wrong, "\n".join(wrong)
    for point, value in before.items():
        if point.startswith(("analog-output", "analog-value", "binary-output", "multi-state-value")):
            array = await site.observer.priority_array(ahu.address, point)
            assert not array.at(8).active, (point, array.at(8))  # no command landed
        else:
            assert await ahu.read(point, "present-value") == value  # out of service: frozen, not overwritten


async def test_our_client_names_the_refused_write_of_a_write_property_multiple(site):
    ahu = site.device(1001)
    with pytest.raises(BacnetRemoteError) as refused:
        await site.observer.write_multiple(ahu.address, [("analog-value,1", "present-value", 2.0, 8),
                                                         ("analog-input,1", "units", "percent", None)])
    assert (refused.value.error_class, refused.value.error_code) == ("property", "write-access-denied")
    assert "analog-input,1 units" in str(refused.value)
    # The write before it stays, as the standard says; undo it.
    assert (await site.observer.priority_array(ahu.address, "analog-value,1")).at(8).active
    await site.observer.release(ahu.address, "analog-value,1", 8)
