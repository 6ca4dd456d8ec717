"""Interoperability with an independent BACnet stack: rusty-bacnet (Rust, PyPI).

Our tests elsewhere talk bacpypes3 to bacpypes3, which cannot catch two
copies of the same misunderstanding. Here the other side is a different
implementation, over real UDP on loopback (127.0.0.1 only, ports 47600-47699).
rusty binds the wildcard 0.0.0.0:port whatever ``interface`` says unless
``share_port_by_address=True`` (then 127.0.0.1, 127.255.255.255 and a
receive-only 255.255.255.255 socket): ``rusty_peer`` always sets it.

What rusty-bacnet 0.14 does on the wire, as measured by these tests:

- I-Am: max APDU 1476, segmentation NONE (``no-segmentation``), vendor 555
  ("Rusty BACnet"), protocol revision 22.
- Priority-array slots are application-tagged with the point's own type:
  Real (analog), Enumerated (binary), Unsigned (multi-state), Null when empty.
  Current-command-priority is Null once every slot is relinquished.
- It records who commanded a point: Value_Source (and Value_Source_Array)
  names the B/IP address of the writer (our client's IP and port).
- It answers ReadPropertyMultiple. An unknown property or unknown object
  inside an RPM comes back as a per-property error in the ACK; even an RPM
  naming only a missing object gets an ACK, where bacpypes3 answers Error.
- It never segments: a whole object-list of a few hundred objects, or an RPM
  of 60 objects x 3 properties, is aborted with segmentation-not-supported.
  Our discovery falls back to object-list[0] and index-by-index reads.
- Out of range multi-state writes are refused with property /
  value-out-of-range; a wrong datatype written to our device gets
  Error(property, invalid-data-type), as from a field controller (bacpypes3
  alone answers Reject(invalid-tag)).

rusty's client, reading us:

- A whole priority-array read gives ``.value`` as a plain Python list with
  None for empty slots (not PropertyValues); an indexed read a PropertyValue.
- Errors are ``BacnetProtocolError`` with integer ``error_class`` /
  ``error_code``; RPM errors are ``(ErrorClass, ErrorCode)`` tuples.
- Its addresses are ``ip:port`` only (``"2:5"`` is a ValueError): a routed
  device is reached only "by device instance", once its routed I-Am is in
  the client's device table. The Python binding has no Who-Is to a remote
  network and its broadcasts stay on its own port on loopback, so the I-Am
  gets there by registering rusty as a foreign device with our BBMD/router:
  its global Who-Is is distributed, forwarded onto network 2, and the
  device's I-Am comes back through the router with SNET 2 / SADR.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
from dataclasses import dataclass

import pytest

rb = pytest.importorskip("rusty_bacnet")

from bacpypes3.local.analog import AnalogInputObject, AnalogValueObject  # noqa: E402
from bacpypes3.local.binary import BinaryValueObject  # noqa: E402
from bacpypes3.local.cmd import Commandable  # noqa: E402

from aso_runtime.bacnet import (  # noqa: E402
    BacnetAbort,
    BacnetClient,
    BacnetRemoteError,
    DeviceInfo,
    InvalidInput,
    discover_objects,
    read_many,
    who_is,
)
from aso_runtime.bacnet.application import AsoApplication  # noqa: E402
from aso_runtime.bacnet.local import (  # noqa: E402
    LocalDevice,
    build_application,
    close_application,
    device_object,
    drop_virtual_network,
    ensure_virtual_network,
    parse_local_address,
    udp_port,
    virtual_port,
    wait_until_bound,
)

from .rusty_peer import (  # noqa: E402
    free_port,
    local_value,
    ours,  # noqa: F401 (a fixture)
    rusty_client,
    rusty_oid,
    rusty_prop,
    rusty_server,
    wait_for_device,
)

RUSTY_INSTANCE = 4321
OUR_INSTANCE = 2001

# BACnet engineering units: 64 degrees-fahrenheit, 98 percent.
DEG_F, PERCENT = 64, 98

RUSTY_OBJECTS = {
    f"device,{RUSTY_INSTANCE}": "Rusty Field Controller",
    "analog-input,1": "Zone Temperature",
    "analog-output,1": "Chilled Water Valve",
    "analog-value,1": "Cooling Setpoint",
    "binary-output,1": "Supply Fan Start",
    "binary-value,1": "Occupied Mode",
    "multi-state-value,1": "Occupancy",
}


def b_ip_mac(address: str) -> str:
    """``127.0.0.1:47601`` -> the 6-octet B/IP MAC in hex, as Value_Source shows it."""
    host, _, port = address.rpartition(":")
    return (socket.inet_aton(host) + int(port).to_bytes(2, "big")).hex()


# ----- our client against a rusty device --------------------------------------


@dataclass
class RustyDevice:
    server: "rb.BACnetServer"
    address: str
    instance: int


@pytest.fixture
async def rusty_device():
    """A rusty-bacnet device with one point of each commandable kind, on loopback."""
    port = free_port()
    server = rusty_server(RUSTY_INSTANCE, RUSTY_OBJECTS[f"device,{RUSTY_INSTANCE}"], port)
    server.add_analog_input(1, "Zone Temperature", units=DEG_F, present_value=72.5)
    server.add_analog_output(1, "Chilled Water Valve", units=PERCENT)
    server.add_analog_value(1, "Cooling Setpoint", units=DEG_F)
    server.add_binary_output(1, "Supply Fan Start")
    server.add_binary_value(1, "Occupied Mode")
    server.add_multistate_value(1, "Occupancy", 3)
    await server.start()
    try:
        yield RustyDevice(server, f"127.0.0.1:{port}", RUSTY_INSTANCE)
    finally:
        await server.stop()


def our_address(client: BacnetClient) -> str:
    """``127.0.0.1/8:47601`` (the client's label) -> ``127.0.0.1:47601``."""
    ip_prefix, _, port = client.local_address.rpartition(":")
    return f"{ip_prefix.split('/')[0]}:{port}"


async def found(client: BacnetClient, device: RustyDevice) -> DeviceInfo:
    devices = await who_is(client, address=device.address)
    assert len(devices) == 1, f"no I-Am from the rusty device at {device.address}"
    return devices[0]


async def test_directed_who_is_finds_rusty_device_as_it_announces_itself(ours, rusty_device):
    info = await found(ours, rusty_device)

    assert info.instance == RUSTY_INSTANCE
    assert info.address == rusty_device.address
    assert info.network is None
    # The I-Am must agree with what the device object says about itself.
    device_id = f"device,{RUSTY_INSTANCE}"
    assert info.max_apdu == await ours.read(info, device_id, "max-apdu-length-accepted") == 1476
    assert info.segmentation == await ours.read(info, device_id, "segmentation-supported") == "no-segmentation"
    assert info.vendor_id == await ours.read(info, device_id, "vendor-identifier")
    assert ours.devices[RUSTY_INSTANCE] == info


async def test_read_present_value_and_object_name(ours, rusty_device):
    address = rusty_device.address

    assert await ours.read(address, "analog-input,1") == 72.5
    assert await ours.read(address, "analog-input,1", "object-name") == "Zone Temperature"
    assert await ours.read(address, "analog-input,1", "units") == "degrees-fahrenheit"
    assert await ours.read(address, "analog-output,1", "units") == "percent"
    assert await ours.read(address, "binary-output,1") == "inactive"
    assert await ours.read(address, "multi-state-value,1") == 1
    assert await ours.read(address, "multi-state-value,1", "number-of-states") == 3
    # Device by the wildcard instance, as discovery does for a bare address.
    assert await ours.read(address, "device,4194303", "object-identifier") == f"device,{RUSTY_INSTANCE}"


# object, value to command, what rusty holds for it, relinquish default
COMMANDS = [
    ("analog-output,1", 42.5, 42.5, 0.0),
    ("analog-value,1", 68.0, 68.0, 0.0),
    ("binary-output,1", "active", 1, "inactive"),
    ("binary-value,1", "active", 1, "inactive"),
    ("multi-state-value,1", 2, 2, 1),
]


@pytest.mark.parametrize(("object_id", "value", "held", "relinquish"), COMMANDS, ids=[c[0] for c in COMMANDS])
async def test_command_at_priority_8_then_release(ours, rusty_device, object_id, value, held, relinquish):
    """Write @8 wins the priority array and moves the present value; release undoes it."""
    address = rusty_device.address
    before = await ours.priority_array(address, object_id)
    assert before.winning is None
    assert before.present_value == before.relinquish_default == relinquish

    await ours.write(address, object_id, value, priority=8)

    commanded = await ours.priority_array(address, object_id)
    assert commanded.winning is not None
    assert (commanded.winning.priority, commanded.winning.value) == (8, value)
    assert [slot.priority for slot in commanded.slots if slot.active] == [8]
    assert commanded.current_command_priority == 8
    assert commanded.present_value == value
    assert await ours.read(address, object_id) == value
    # rusty's own view of the point, not just what it tells us on the wire.
    assert await local_value(rusty_device.server, object_id) == held
    # rusty keeps the commander's address in Value_Source.
    source = await ours.read(address, object_id, "value-source")
    assert source == {"networkNumber": 0, "macAddress": b_ip_mac(our_address(ours))}

    await ours.release(address, object_id, 8)

    released = await ours.priority_array(address, object_id)
    assert released.at(8).kind == "null"
    assert released.winning is None
    assert released.current_command_priority is None
    assert released.present_value == released.relinquish_default == relinquish


async def test_lower_priority_command_waits_behind_priority_8(ours, rusty_device):
    address = rusty_device.address
    await ours.write(address, "analog-output,1", 30.0, priority=8)
    await ours.write(address, "analog-output,1", 55.0, priority=12)

    array = await ours.priority_array(address, "analog-output,1")
    assert (array.at(8).value, array.at(12).value) == (30.0, 55.0)
    assert array.winning.priority == 8
    assert array.present_value == 30.0

    await ours.release(address, "analog-output,1", 8)
    array = await ours.priority_array(address, "analog-output,1")
    assert array.winning.priority == 12
    assert array.current_command_priority == 12
    assert array.present_value == 55.0


async def test_read_property_multiple_with_per_property_errors(ours, rusty_device):
    """One RPM, several objects; a bad property or object costs only its own slot."""
    before = ours.requests_sent
    values = await ours.read_multiple(
        rusty_device.address,
        [
            ("analog-input,1", ["object-name", "present-value", "units", "status-flags", "out-of-service"]),
            ("binary-output,1", ["object-name", "present-value", "priority-array", "relinquish-default"]),
            ("analog-output,1", ["state-text"]),
            ("analog-input,99", ["present-value"]),
        ],
    )
    assert ours.requests_sent - before == 1  # one RPM, no fallback to single reads

    got = {(v.object_id, v.property): v for v in values}
    assert got["analog-input,1", "object-name"].value == "Zone Temperature"
    assert got["analog-input,1", "present-value"].value == 72.5
    assert got["analog-input,1", "units"].value == "degrees-fahrenheit"
    assert got["analog-input,1", "status-flags"].value == []  # no flag set
    assert got["analog-input,1", "out-of-service"].value is False
    assert got["binary-output,1", "object-name"].value == "Supply Fan Start"
    assert got["binary-output,1", "priority-array"].value == [None] * 16
    assert got["binary-output,1", "relinquish-default"].value == "inactive"
    assert got["analog-output,1", "state-text"].error == "property:unknown-property"
    assert got["analog-input,99", "present-value"].error == "object:unknown-object"


@pytest.mark.parametrize("object_id", [oid for oid in RUSTY_OBJECTS])
async def test_rpm_all_properties_decode(ours, rusty_device, object_id):
    """Every property rusty serves for each object type decodes on our side."""
    values = await ours.read_multiple(rusty_device.address, [(object_id, ["all"])])
    names = {v.property for v in values}
    assert {"object-identifier", "object-name", "object-type"} <= names
    assert [f"{v.property}: {v.error}" for v in values if not v.ok] == []
    assert next(v.value for v in values if v.property == "object-name") == RUSTY_OBJECTS[object_id]


async def test_discover_objects_lists_every_point_with_its_name(ours, rusty_device):
    info = await found(ours, rusty_device)

    points = await discover_objects(ours, info)

    assert {p.object_id: p.name for p in points} == RUSTY_OBJECTS
    assert [p for p in points if p.errors] == []
    by_id = {p.object_id: p for p in points}
    assert by_id["analog-input,1"].present_value == 72.5
    assert by_id["analog-input,1"].units == "degrees-fahrenheit"
    assert by_id["binary-output,1"].present_value == "inactive"
    assert by_id["analog-output,1"].out_of_service is False


@pytest.fixture
async def big_rusty_device():
    """A rusty device whose object-list is too big for one unsegmented APDU."""
    port = free_port()
    server = rusty_server(RUSTY_INSTANCE + 1, "Rusty Big Controller", port)
    for n in range(320):
        server.add_analog_input(100 + n, f"Sensor {n:03d} Temperature", units=DEG_F, present_value=float(n))
    await server.start()
    try:
        yield RustyDevice(server, f"127.0.0.1:{port}", RUSTY_INSTANCE + 1)
    finally:
        await server.stop()


async def test_big_rpm_aborts_and_read_many_falls_back(ours, big_rusty_device):
    """60 objects x 3 properties do not fit 1476 octets; rusty aborts rather than segment."""
    requests = [(f"analog-input,{100 + n}", ["object-name", "present-value", "units"]) for n in range(60)]
    with pytest.raises(BacnetAbort) as aborted:
        await ours.read_multiple(big_rusty_device.address, requests)
    assert aborted.value.reason == "segmentation-not-supported"

    values = await read_many(ours, big_rusty_device.address, requests)

    assert len(values) == 180 and all(v.ok for v in values)
    assert {v.value for v in values if v.property == "object-name"} == {f"Sensor {n:03d} Temperature" for n in range(60)}


async def test_discover_objects_on_a_device_that_cannot_segment(ours, big_rusty_device):
    """321 objects: the whole object-list aborts, it is read index by index (by discovery and by a plain read)."""
    info = (await who_is(ours, address=big_rusty_device.address))[0]
    assert info.segmentation == "no-segmentation"
    with pytest.raises(BacnetAbort) as aborted:
        await ours.read_multiple(info, [(f"device,{info.instance}", ["object-list"])])
    assert aborted.value.reason == "segmentation-not-supported"
    whole = await ours.read(info, f"device,{info.instance}", "object-list")
    assert len(whole) == 321

    points = await discover_objects(ours, info)

    assert len(points) == 321
    assert points[0].object_id == f"device,{info.instance}"
    assert [p for p in points if p.errors or p.name is None] == []
    by_id = {p.object_id: p for p in points}
    assert by_id["analog-input,419"].name == "Sensor 319 Temperature"
    assert by_id["analog-input,419"].present_value == 319.0


@pytest.mark.parametrize(
    ("object_id", "prop", "error_class", "error_code"),
    [
        ("analog-input,99", "present-value", "object", "unknown-object"),
        ("analog-input,1", "priority-array", "property", "unknown-property"),
    ],
)
async def test_unknown_object_or_property_is_a_one_line_remote_error(ours, rusty_device, object_id, prop, error_class, error_code):
    with pytest.raises(BacnetRemoteError) as raised:
        await ours.read(rusty_device.address, object_id, prop)

    error = raised.value
    assert (error.error_class, error.error_code) == (error_class, error_code)
    message = str(error)
    assert "\n" not in message
    assert object_id in message and prop in message and error_code in message


async def test_out_of_range_multistate_command_is_refused_by_the_device(ours, rusty_device):
    """Type is right (Unsigned) so it is sent; rusty refuses state 4 of 3."""
    with pytest.raises(BacnetRemoteError) as raised:
        await ours.write(rusty_device.address, "multi-state-value,1", 4, priority=8)
    assert (raised.value.error_class, raised.value.error_code) == ("property", "value-out-of-range")
    array = await ours.priority_array(rusty_device.address, "multi-state-value,1")
    assert array.winning is None and array.present_value == 1


@pytest.mark.parametrize(
    ("object_id", "value", "priority"),
    [
        ("analog-output,1", "hot", 8),
        ("analog-output,1", True, 8),
        ("binary-output,1", "maybe", 8),
        ("multi-state-value,1", "two", 8),
        ("analog-output,1", 50.0, 17),
        ("analog-output,1", 50.0, 0),
    ],
)
async def test_wrong_write_is_refused_locally_and_nothing_changes(ours, rusty_device, object_id, value, priority):
    address = rusty_device.address
    before_value = await local_value(rusty_device.server, object_id)
    sent = ours.requests_sent

    with pytest.raises(InvalidInput):
        await ours.write(address, object_id, value, priority=priority)

    assert ours.requests_sent == sent  # refused before anything went out
    assert await local_value(rusty_device.server, object_id) == before_value
    assert await local_value(rusty_device.server, object_id, "priority-array") == [None] * 16


# ----- rusty's client against our bacpypes3 device ----------------------------


class CommandableAnalogValue(Commandable, AnalogValueObject):
    pass


class CommandableBinaryValue(Commandable, BinaryValueObject):
    pass


@dataclass
class OurDevice:
    app: AsoApplication
    setpoint: CommandableAnalogValue
    fan: CommandableBinaryValue
    address: str
    instance: int


@pytest.fixture
async def our_device():
    """Our own served device (bacpypes3 + AsoApplication) with two commandable values."""
    port = free_port()
    flags = [0, 0, 0, 0]
    setpoint = CommandableAnalogValue(
        objectIdentifier=("analog-value", 1), objectName="Cooling Setpoint", presentValue=74.0,
        relinquishDefault=74.0, units="degreesFahrenheit", statusFlags=flags, outOfService=False,
    )
    fan = CommandableBinaryValue(
        objectIdentifier=("binary-value", 1), objectName="Fan Enable", presentValue="active",
        relinquishDefault="active", statusFlags=flags, outOfService=False,
    )
    app = build_application(
        AsoApplication,
        [
            device_object(LocalDevice(instance=OUR_INSTANCE, name="ASO Interop Device")),
            udp_port(parse_local_address(f"127.0.0.1/8:{port}")),
            setpoint,
            fan,
        ],
    )
    try:
        await wait_until_bound(app)  # rusty's directed Who-Is is sent once, unconfirmed
        yield OurDevice(app, setpoint, fan, f"127.0.0.1:{port}", OUR_INSTANCE)
    finally:
        await close_application(app)


@pytest.fixture
async def rusty():
    """rusty-bacnet's client on its own loopback port."""
    client = rusty_client(free_port())
    await client.__aenter__()
    try:
        yield client
    finally:
        await client.__aexit__(None, None, None)


async def rusty_read(client, address: str, object_id: str, prop: str = "present-value", index: int | None = None):
    return await asyncio.wait_for(client.read_property(address, rusty_oid(object_id), rusty_prop(prop), index), 5)


async def test_rusty_finds_our_device_with_a_directed_who_is(rusty, our_device):
    await rusty.who_is_directed(our_device.address)

    device = await wait_for_device(rusty, OUR_INSTANCE)

    assert device is not None, "rusty heard no I-Am from our device"
    assert device.object_identifier == rb.ObjectIdentifier(rb.ObjectType.DEVICE, OUR_INSTANCE)
    assert device.mac_address.hex() == b_ip_mac(our_device.address)
    assert device.max_apdu_length == 1476
    assert device.segmentation_supported == rb.Segmentation.BOTH
    assert device.vendor_id == LocalDevice().vendor_id
    assert device.source_network is None


async def test_rusty_reads_our_points(rusty, our_device):
    address = our_device.address

    value = await rusty_read(rusty, address, "analog-value,1")
    assert (value.tag, value.value) == ("real", 74.0)
    name = await rusty_read(rusty, address, "analog-value,1", "object-name")
    assert (name.tag, name.value) == ("character_string", "Cooling Setpoint")
    units = await rusty_read(rusty, address, "analog-value,1", "units")
    assert (units.tag, units.value) == ("enumerated", DEG_F)
    fan = await rusty_read(rusty, address, "binary-value,1")
    assert (fan.tag, fan.value) == ("enumerated", 1)  # active
    objects = await rusty_read(rusty, address, f"device,{OUR_INSTANCE}", "object-list")
    assert rusty_oid("analog-value,1") in objects.value
    assert rusty_oid("binary-value,1") in objects.value


async def test_rusty_commands_our_point_and_releases_it(rusty, our_device):
    address, setpoint = our_device.address, our_device.setpoint
    oid, pv = rusty_oid("analog-value,1"), rb.PropertyIdentifier.PRESENT_VALUE

    await rusty.write_property(address, oid, pv, rb.PropertyValue.real(68.5), 8)

    assert setpoint.presentValue == 68.5
    assert setpoint.priorityArray[7]._choice == "real"
    assert [n for n, slot in enumerate(setpoint.priorityArray, 1) if slot._choice != "null"] == [8]
    # rusty's client sees the same array: a plain list with None for empty slots.
    array = await rusty_read(rusty, address, "analog-value,1", "priority-array")
    assert array.value == [None] * 7 + [68.5] + [None] * 8
    slot = await rusty_read(rusty, address, "analog-value,1", "priority-array", 8)
    assert (slot.tag, slot.value) == ("real", 68.5)
    winner = await rusty_read(rusty, address, "analog-value,1", "current-command-priority")
    assert (winner.tag, winner.value) == ("unsigned", 8)

    await rusty.write_property(address, oid, pv, rb.PropertyValue.null(), 8)

    assert setpoint.presentValue == 74.0
    assert all(slot._choice == "null" for slot in setpoint.priorityArray)


async def test_rusty_commands_our_binary_point(rusty, our_device):
    """Binary commands travel as Enumerated: 0 = inactive."""
    await rusty.write_property(
        our_device.address, rusty_oid("binary-value,1"), rb.PropertyIdentifier.PRESENT_VALUE,
        rb.PropertyValue.enumerated(0), 8,
    )
    assert str(our_device.fan.presentValue) == "inactive"
    assert our_device.fan.priorityArray[7]._choice == "enumerated"
    fan = await rusty_read(rusty, our_device.address, "binary-value,1")
    assert (fan.tag, fan.value) == ("enumerated", 0)


async def test_rusty_wrong_typed_write_is_refused_by_our_device_with_invalid_data_type(rusty, our_device):
    # A field controller's answer: Error(property, invalid-data-type), not bacpypes3's Reject(invalid-tag).
    with pytest.raises(rb.BacnetProtocolError) as raised:
        await rusty.write_property(
            our_device.address, rusty_oid("analog-value,1"), rb.PropertyIdentifier.PRESENT_VALUE,
            rb.PropertyValue.character_string("hot"), 8,
        )
    assert (raised.value.error_class, raised.value.error_code) == (
        rb.ErrorClass.PROPERTY.to_raw(), rb.ErrorCode.INVALID_DATA_TYPE.to_raw())
    assert our_device.setpoint.presentValue == 74.0
    assert all(slot._choice == "null" for slot in our_device.setpoint.priorityArray)


async def test_rusty_rpm_of_our_device(rusty, our_device):
    pid = rb.PropertyIdentifier
    results = await asyncio.wait_for(
        rusty.read_property_multiple(
            our_device.address,
            [
                (rusty_oid("analog-value,1"), [(pid.PRESENT_VALUE, None), (pid.OBJECT_NAME, None), (pid.STATE_TEXT, None)]),
                (rusty_oid("analog-value,9"), [(pid.PRESENT_VALUE, None)]),
            ],
        ),
        5,
    )
    setpoint, missing = results
    assert setpoint["object_id"] == rusty_oid("analog-value,1")
    value, name, state_text = setpoint["results"]
    assert value["value"].value == 74.0 and value["error"] is None
    assert name["value"].value == "Cooling Setpoint"
    assert state_text["value"] is None
    assert state_text["error"] == (rb.ErrorClass.PROPERTY, rb.ErrorCode.UNKNOWN_PROPERTY)
    assert missing["results"][0]["error"] == (rb.ErrorClass.OBJECT, rb.ErrorCode.UNKNOWN_OBJECT)


async def test_rusty_reading_an_unknown_object_of_ours_gets_unknown_object(rusty, our_device):
    with pytest.raises(rb.BacnetProtocolError) as raised:
        await rusty_read(rusty, our_device.address, "analog-value,9")
    assert raised.value.error_class == rb.ErrorClass.OBJECT.to_raw()
    assert raised.value.error_code == rb.ErrorCode.UNKNOWN_OBJECT.to_raw()


# ----- rusty through our router ---------------------------------------------------

ROUTER_INSTANCE = 100
ROUTED_INSTANCE = 2005
_vlans = itertools.count(1)


@dataclass
class RoutedSite:
    router_address: str
    zone_temp: AnalogInputObject


@pytest.fixture
async def routed_site():
    """Our bacpypes3 router (B/IP network 1, BBMD) with a VAV on virtual network 2, MAC 5."""
    vlan = f"interop-rusty-{os.getpid()}-{next(_vlans)}"
    ensure_virtual_network(vlan)
    port = free_port()
    router = build_application(
        AsoApplication,
        [
            device_object(LocalDevice(instance=ROUTER_INSTANCE, name="ASO Router")),
            udp_port(parse_local_address(f"127.0.0.1/8:{port}"), network=1, bbmd=True),
            virtual_port(vlan, 1, port_instance=2, network=2),
        ],
    )
    zone_temp = AnalogInputObject(
        objectIdentifier=("analog-input", 1), objectName="VAV-1-05 Zone Temperature", presentValue=71.5,
        units="degreesFahrenheit", statusFlags=[0, 0, 0, 0], outOfService=False,
    )
    box = build_application(
        AsoApplication,
        [device_object(LocalDevice(instance=ROUTED_INSTANCE, name="VAV-1-05")), virtual_port(vlan, 5, network=2), zone_temp],
    )
    try:
        await wait_until_bound(router)
        yield RoutedSite(f"127.0.0.1:{port}", zone_temp)
    finally:
        await close_application(box)
        await close_application(router)
        drop_virtual_network(vlan)


async def test_rusty_reads_a_routed_device_through_our_router(routed_site):
    """rusty as a foreign device of our BBMD finds VAV 2005 at 2:5 and reads it by instance."""
    async with rusty_client(free_port(), bbmd=routed_site.router_address) as rusty:
        # The first broadcasts wait for the registration to be answered.
        await rusty.who_is(ROUTED_INSTANCE, ROUTED_INSTANCE)
        device = await wait_for_device(rusty, ROUTED_INSTANCE)
        assert device is not None, "no routed I-Am reached rusty through the BBMD and router"
        assert device.source_network == 2
        assert device.source_address == bytes([5])
        assert device.mac_address.hex() == b_ip_mac(routed_site.router_address)  # the router relays

        value = await asyncio.wait_for(
            rusty.read_property_from_device(ROUTED_INSTANCE, rusty_oid("analog-input,1"), rb.PropertyIdentifier.PRESENT_VALUE), 5
        )
        assert (value.tag, value.value) == ("real", 71.5)
        name = await asyncio.wait_for(
            rusty.read_property_from_device(ROUTED_INSTANCE, rusty_oid("analog-input,1"), rb.PropertyIdentifier.OBJECT_NAME), 5
        )
        assert name.value == "VAV-1-05 Zone Temperature"
        # And the router's own device object, directly by its B/IP address.
        router_name = await rusty_read(rusty, routed_site.router_address, f"device,{ROUTER_INSTANCE}", "object-name")
        assert router_name.value == "ASO Router"


# ----- rusty in the simulated building --------------------------------------------


@pytest.fixture
async def building():
    """The simulated building over UDP: router/BBMD on loopback, 8 devices on network 2 behind it.

    The model steps once at start and then every 60 s, so values hold still
    for the length of a test.
    """
    sim = pytest.importorskip("aso_runtime.sim")
    site = await sim.SimulatedBuilding.start(address=f"127.0.0.1/8:{free_port()}", devices=8, step=60.0)
    try:
        yield site
    finally:
        await site.stop()


async def rusty_in(building) -> "rb.BACnetClient":
    """rusty registered as a foreign device with the building's BBMD, every device found."""
    client = rusty_client(free_port(), bbmd=building.router_address)
    await client.__aenter__()
    await client.who_is()  # global: distributed by the BBMD, forwarded onto network 2
    for device in building.devices:
        if await wait_for_device(client, device.instance) is None:
            await client.__aexit__(None, None, None)
            raise AssertionError(f"rusty heard no I-Am from simulated device {device.instance} ({device.address})")
    return client


async def test_rusty_reads_the_simulated_building_through_its_router(building):
    rusty = await rusty_in(building)
    try:
        vav = building.device(2001)
        network, _, mac = vav.address.partition(":")
        seen = await rusty.get_device(vav.instance)
        assert (seen.source_network, seen.source_address) == (int(network), bytes([int(mac)]))
        assert seen.mac_address.hex() == b_ip_mac(building.router_address)

        zone_temp = building.point(vav.instance, "analog-input,1")
        value = await asyncio.wait_for(
            rusty.read_property_from_device(vav.instance, rusty_oid("analog-input,1"), rb.PropertyIdentifier.PRESENT_VALUE), 5
        )
        assert value.tag == "real"
        assert value.value == pytest.approx(zone_temp.presentValue, abs=1e-4)  # REAL is 32-bit on the wire
        name = await asyncio.wait_for(
            rusty.read_property_from_device(vav.instance, rusty_oid("analog-input,1"), rb.PropertyIdentifier.OBJECT_NAME), 5
        )
        assert name.value == str(zone_temp.objectName) == f"{vav.name} Zone Temperature"

        # The meter is a small controller: 480-octet APDU, no segmentation, no RPM.
        meter = await rusty.get_device(4001)
        assert (meter.max_apdu_length, meter.segmentation_supported) == (480, rb.Segmentation.NONE)
        with pytest.raises(rb.BacnetRejectError) as rejected:
            await asyncio.wait_for(
                rusty.read_property_multiple_from_device(4001, [(rusty_oid("analog-input,1"), [(rb.PropertyIdentifier.PRESENT_VALUE, None)])]), 5
            )
        assert rejected.value.reason == 9  # unrecognized-service
        kw = await asyncio.wait_for(
            rusty.read_property_from_device(4001, rusty_oid("analog-input,1"), rb.PropertyIdentifier.PRESENT_VALUE), 5
        )
        assert kw.value == pytest.approx(building.point(4001, "analog-input,1").presentValue, abs=1e-3)

        # The router's own device answers at its B/IP address.
        router = await rusty_read(rusty, building.router_address, "device,100", "object-name")
        assert router.value == "aso-sim-router"
    finally:
        await rusty.__aexit__(None, None, None)


async def test_rusty_commands_a_simulated_setpoint_through_the_router(building):
    rusty = await rusty_in(building)
    try:
        setpoint = building.point(2001, "analog-value,1")  # VAV-1-01 Cooling Setpoint
        before = float(setpoint.presentValue)
        oid, pv = rusty_oid("analog-value,1"), rb.PropertyIdentifier.PRESENT_VALUE

        await asyncio.wait_for(rusty.write_property_to_device(2001, oid, pv, rb.PropertyValue.real(76.0), 8), 5)

        assert setpoint.presentValue == 76.0
        assert setpoint.priorityArray[7]._choice == "real"
        array = await asyncio.wait_for(rusty.read_property_from_device(2001, oid, rb.PropertyIdentifier.PRIORITY_ARRAY), 5)
        assert array.value[7] == 76.0

        await asyncio.wait_for(rusty.write_property_to_device(2001, oid, pv, rb.PropertyValue.null(), 8), 5)

        assert setpoint.priorityArray[7]._choice == "null"
        assert setpoint.presentValue == before
    finally:
        await rusty.__aexit__(None, None, None)
