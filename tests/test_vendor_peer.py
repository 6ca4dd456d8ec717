"""The vendor peer serves on the wire what non-bacpypes3 devices send, and what our client makes of it.

Two readers: our client (``open_client``: read, read_multiple, read_many,
object_list) and a stock bacpypes3 Application that looks at the raw answer
(the tags inside the ack, an Abort), independent of our decoders.
Every value is compared with the expected plain value of
``vendor_peer.EXPECTED`` (a value the client could not decode yet would be
marked ``pending`` there and run as xfail).
"""

from __future__ import annotations

import asyncio

import pytest
from bacpypes3.apdu import (
    AbortPDU,
    ErrorRejectAbortNack,
    ReadPropertyACK,
    ReadPropertyMultipleACK,
    ReadPropertyMultipleRequest,
    ReadPropertyRequest,
)
from bacpypes3.app import Application
from bacpypes3.basetypes import (
    PropertyIdentifier,
    PropertyReference,
    ReadAccessSpecification,
)
from bacpypes3.pdu import Address
from bacpypes3.primitivedata import ClosingTag, ObjectIdentifier, OpeningTag, Unsigned

from aso_runtime.bacnet import (
    BacnetAbort,
    BacnetRemoteError,
    object_list,
    open_client,
    parse_object_id,
    parse_property,
    read_all_properties,
    who_is,
)
from aso_runtime.bacnet.local import (
    LocalDevice,
    build_application,
    close_application,
    device_object,
    virtual_port,
)

from .vendor_peer import (
    EXPECTED,
    SMALL_DEVICE,
    SMALL_OBJECTS,
    SMALL_POINTS,
    STATE_TEXT,
    VENDOR_DEVICE,
    VENDOR_OBJECTS,
    VENDOR_RAW,
    vendor_site,
)


@pytest.fixture
async def site(vlan_name):
    async with vendor_site(vlan_name) as site:
        yield site


@pytest.fixture
async def client(vlan_name, site):
    """Our client (overrides conftest's, which comes with the field device)."""
    client = await open_client(vlan=vlan_name, mac=1, timeout=1.0)
    yield client
    await client.close()


@pytest.fixture
async def wire(vlan_name, site):
    """A stock bacpypes3 Application: sees the answers as they arrive, none of our decoding."""
    app = build_application(Application, [device_object(LocalDevice(instance=598, name="wire-reader")),
                                          virtual_port(vlan_name, 8)])
    yield app
    await close_application(app)


def _marks(served):
    return [pytest.mark.xfail(strict=False, reason=served.pending)] if served.pending else []


def _cases(device=None):
    return [pytest.param(key, id="{}:{}:{}".format(*key), marks=_marks(served))
            for key, served in EXPECTED.items() if device is None or key[0] == device]


def _bacnet_id(object_id: str) -> ObjectIdentifier:
    oid = parse_object_id(object_id)
    return ObjectIdentifier((oid.type_number, oid.instance))


def _bacnet_prop(prop: str) -> PropertyIdentifier:
    name, _ = parse_property(prop)
    return PropertyIdentifier(int(name) if name.isdigit() else name)


def _tags(tags) -> list[tuple]:
    return [(int(t.tag_class), int(t.tag_number), t.tag_lvt, bytes(t.tag_data)) for t in tags]


async def _ask(app: Application, request):
    """The raw answer: an ack, or the Error/Reject/Abort PDU (bacpypes3 raises those)."""
    try:
        return await asyncio.wait_for(app.request(request), 5.0)
    except ErrorRejectAbortNack as answer:  # a BaseException in bacpypes3
        return answer


# ----- every served value, through our client -------------------------------------------------


@pytest.mark.parametrize("key", _cases())
async def test_read_decodes_the_served_value(site, client, key):
    served = EXPECTED[key]
    assert await client.read(served.device, served.object_id, served.property) == served.expected


@pytest.mark.parametrize("key", _cases(VENDOR_DEVICE))
async def test_rpm_decodes_the_served_value(site, client, key):
    served = EXPECTED[key]
    [value] = await client.read_multiple(served.device, [(served.object_id, [served.property])])
    assert value.ok, value.error
    assert value.value == served.expected


# ----- what is on the wire ----------------------------------------------------------------


@pytest.mark.parametrize("key", [pytest.param(key, id="{}:{}".format(*key)) for key in VENDOR_RAW])
async def test_the_raw_value_arrives_inside_context_tag_3(site, wire, key):
    object_id, prop = key
    ack = await _ask(wire, ReadPropertyRequest(objectIdentifier=_bacnet_id(object_id),
                                               propertyIdentifier=_bacnet_prop(prop), destination=Address(site.vendor_address)))
    assert isinstance(ack, ReadPropertyACK), ack
    assert _tags(ack.propertyValue.tagList) == _tags([OpeningTag(3), *VENDOR_RAW[key].tags, ClosingTag(3)])


async def test_rpm_results_carry_the_raw_value_inside_context_tag_4(site, wire):
    specs = [ReadAccessSpecification(objectIdentifier=_bacnet_id(object_id),
                                     listOfPropertyReferences=[PropertyReference(propertyIdentifier=_bacnet_prop(prop))])
             for object_id, prop in (("analog-value,1", "4194328"), ("color,1", "present-value"),
                                     ("analog-value,9", "object-name"))]
    ack = await _ask(wire, ReadPropertyMultipleRequest(listOfReadAccessSpecs=specs, destination=Address(site.vendor_address)))
    assert isinstance(ack, ReadPropertyMultipleACK), ack
    got = [_tags(result.listOfResults[0].readResult.propertyValue.tagList) for result in ack.listOfReadAccessResults]
    assert got == [_tags([OpeningTag(4), *VENDOR_RAW[key].tags, ClosingTag(4)])
                   for key in (("analog-value,1", "4194328"), ("color,1", "present-value"),
                               ("analog-value,9", "object-name"))]


async def test_an_empty_object_name_is_sent_as_a_zero_length_string(site, wire):
    ack = await _ask(wire, ReadPropertyRequest(objectIdentifier=_bacnet_id("analog-value,9"),
                                               propertyIdentifier=PropertyIdentifier("object-name"),
                                               destination=Address(site.vendor_address)))
    # opening 3, CharacterString of one octet (the UTF-8 character set, no characters), closing 3
    assert _tags(ack.propertyValue.tagList)[1] == (0, 7, 1, b"\x00")


# ----- the vendor device ----------------------------------------------------------------


async def test_who_is_finds_both_devices_with_their_limits(site, client):
    found = {d.instance: d for d in await who_is(client)}
    assert (found[VENDOR_DEVICE].max_apdu, found[VENDOR_DEVICE].segmentation) == (1476, "segmented-both")
    assert (found[SMALL_DEVICE].max_apdu, found[SMALL_DEVICE].segmentation) == (480, "no-segmentation")
    assert found[VENDOR_DEVICE].address == site.vendor_address


async def test_object_list_names_the_types_bacpypes3_has_no_class_for(site, client):
    listed = await client.read(VENDOR_DEVICE, f"device,{VENDOR_DEVICE}", "object-list")
    assert listed == VENDOR_OBJECTS
    assert {parse_object_id(text).type_number for text in listed} >= {63, 64, 200, 700}


async def test_color_reads_the_same_by_name_and_by_number(site, client):
    by_name = await client.read(VENDOR_DEVICE, "color,1", "object-name")
    assert by_name == await client.read(VENDOR_DEVICE, "63,1", "object-name") == "Lobby Light Color"
    assert await client.read(VENDOR_DEVICE, "64,1", "present-value") == 4000


async def test_raw_objects_answer_errors_like_a_device(site, client):
    with pytest.raises(BacnetRemoteError) as missing:
        await client.read(VENDOR_DEVICE, "color,1", "units")
    assert missing.value.error_code == "unknown-property"
    with pytest.raises(BacnetRemoteError) as not_array:
        await client.read(VENDOR_DEVICE, "proprietary-200,1", "present-value", 1)
    assert not_array.value.error_code == "property-is-not-an-array"
    with pytest.raises(BacnetRemoteError) as absent:
        await client.read(VENDOR_DEVICE, "color,2", "object-name")
    assert absent.value.error_code == "unknown-object"


async def test_a_raw_array_reads_by_index(site, client):
    assert await client.read(VENDOR_DEVICE, "proprietary-700,1", "property-list", 0) == 3
    assert await client.read(VENDOR_DEVICE, "proprietary-700,1", "property-list", 3) == 1000
    with pytest.raises(BacnetRemoteError) as beyond:
        await client.read(VENDOR_DEVICE, "proprietary-700,1", "property-list", 4)
    assert beyond.value.error_code == "invalid-array-index"


async def test_property_list_of_a_standard_object_lists_its_proprietary_properties(site, client):
    listed = await client.read(VENDOR_DEVICE, "analog-value,1", "property-list")
    assert "present-value" in listed
    assert {512, 513, 514, 515, 600, 4194328, 4194342} <= {p for p in listed if isinstance(p, int)}


async def test_rpm_all_of_the_unnamed_object_gives_the_empty_name(site, client):
    values = {v.property: v for v in await client.read_multiple(VENDOR_DEVICE, [("analog-value,9", ["all"])])}
    assert values["present-value"].value == 0.0
    assert values["object-name"].ok and values["description"].ok
    expected = EXPECTED[(VENDOR_DEVICE, "analog-value,9", "object-name")]
    assert values["object-name"].value == expected.expected == ""


async def test_rpm_all_of_a_raw_object_gives_its_properties_but_property_list(site, client):
    values = await client.read_multiple(VENDOR_DEVICE, [("proprietary-700,1", ["all"])])
    assert [v.property for v in values] == ["object-identifier", "object-name", "object-type", "present-value",
                                            "description", "1000"]
    assert all(v.ok for v in values)


async def test_one_rpm_mixing_standard_and_unknown_types_is_not_poisoned(site, client):
    values = await client.read_multiple(VENDOR_DEVICE, [
        ("analog-value,1", ["present-value", "4194328"]), ("color,1", ["present-value"]),
        ("proprietary-200,1", ["present-value"]), ("schedule,1", ["weekly-schedule"])])
    assert all(v.ok for v in values), values
    assert values[0].value == 21.5
    assert values[2].value == [0.3127, 0.329]
    assert values[4].value == EXPECTED[(VENDOR_DEVICE, "schedule,1", "weekly-schedule")].expected


# ----- the small device: no segmentation, max APDU 480 -----------------------------------------


async def test_whole_object_list_is_refused_on_the_wire(site, wire):
    device = ObjectIdentifier(("device", SMALL_DEVICE))
    answer = await _ask(wire, ReadPropertyRequest(objectIdentifier=device, propertyIdentifier=PropertyIdentifier("object-list"),
                                                  destination=Address(site.small_address)))
    assert isinstance(answer, AbortPDU), answer
    assert str(answer.apduAbortRejectReason) == "segmentation-not-supported"
    count = await _ask(wire, ReadPropertyRequest(objectIdentifier=device, propertyIdentifier=PropertyIdentifier("object-list"),
                                                 propertyArrayIndex=0, destination=Address(site.small_address)))
    assert isinstance(count, ReadPropertyACK) and count.propertyValue.cast_out(Unsigned) == len(SMALL_OBJECTS)


async def test_long_state_text_is_refused_whole_and_served_by_index(site, wire, client):
    answer = await _ask(wire, ReadPropertyRequest(objectIdentifier=ObjectIdentifier(("multi-state-value", 1)),
                                                  propertyIdentifier=PropertyIdentifier("state-text"),
                                                  destination=Address(site.small_address)))
    assert isinstance(answer, AbortPDU) and str(answer.apduAbortRejectReason) == "segmentation-not-supported"
    assert await client.read(SMALL_DEVICE, "msv,1", "state-text", 0) == len(STATE_TEXT)
    assert await client.read(SMALL_DEVICE, "msv,1", "state-text", 40) == STATE_TEXT[-1]


async def test_rpm_of_many_objects_is_aborted_and_read_many_recovers(site, client):
    requests = [(f"analog-input,{n}", ["object-name", "present-value"]) for n in range(1, 31)]
    with pytest.raises(BacnetAbort) as aborted:
        await client.read_multiple(SMALL_DEVICE, requests)
    assert aborted.value.reason == "segmentation-not-supported"
    values = await client.read_many(SMALL_DEVICE, requests)
    assert [v.value for v in values[:4]] == ["Zone 001 Temperature", 20.1, "Zone 002 Temperature", 20.2]
    assert len(values) == 60 and all(v.ok for v in values)


async def test_a_small_rpm_still_fits(site, client):
    values = await client.read_multiple(SMALL_DEVICE, [("ai,120", ["object-name", "present-value"])])
    assert [v.value for v in values] == ["Zone 120 Temperature", 32.0]


async def test_object_list_of_the_small_device_is_read_index_by_index(site, client):
    [device] = await who_is(client, SMALL_DEVICE, SMALL_DEVICE)
    listed = await object_list(client, device)
    assert listed == SMALL_OBJECTS
    assert len(listed) == SMALL_POINTS + 3


# ----- loopback UDP ----------------------------------------------------------------------


async def test_the_site_also_serves_on_loopback_udp():
    async with vendor_site("127.0.0.1:47871") as site:
        assert (site.vendor_address, site.small_address) == ("127.0.0.1:47871", "127.0.0.1:47872")
        client = await open_client(address="127.0.0.1/8:47873", instance=597, timeout=1.0)
        try:
            assert await client.read(site.vendor_address, "analog-value,1", "513") == 3.25
            assert await client.read(site.small_address, f"device,{SMALL_DEVICE}", "object-list", 0) == len(SMALL_OBJECTS)
        finally:
            await client.close()


# ----- the inspector: every property of every object, as `aso props` reads it ----------------


@pytest.mark.parametrize("instance", [VENDOR_DEVICE, SMALL_DEVICE])
async def test_every_property_of_every_object_reads_back_as_served(site, client, instance):
    """No placeholder, nothing missing: each served value comes back as served, in one read per object."""
    objects = VENDOR_OBJECTS if instance == VENDOR_DEVICE else SMALL_OBJECTS
    if instance == SMALL_DEVICE:
        objects = [o for o in objects if not o.startswith("analog-input,") or o == "analog-input,1"]
    shown = {}
    for oid in objects:
        values = await read_all_properties(client, instance, oid)
        assert [v.property for v in values[:3]] == ["object-identifier", "object-name", "object-type"], oid
        for v in values:
            assert v.ok or v.error.startswith("property:"), (oid, v.property, v.error)
            assert not (isinstance(v.value, str) and "undecodable" in v.value), (oid, v.property)
            shown[(oid, v.property if v.index is None else f"{v.property}[{v.index}]")] = v.value
    for (device, oid, prop), served in EXPECTED.items():
        if device == instance and (oid, prop) in shown:
            assert shown[(oid, prop)] == served.expected, (oid, prop)
    served_here = {(oid, prop) for (device, oid, prop) in EXPECTED if device == instance and "[" not in prop}
    missing = {key for key in served_here if key not in shown and key[0] in objects}
    assert not missing, missing


async def test_discover_names_every_object_of_every_type_and_loses_none(site, client):
    """Types 63/64/200/700 read alone, the empty name is a name: no object without a name or an error."""
    from aso_runtime.bacnet import discover_objects

    for instance, objects in ((VENDOR_DEVICE, VENDOR_OBJECTS), (SMALL_DEVICE, SMALL_OBJECTS)):
        points = await discover_objects(client, instance)
        assert [p.object_id for p in points] == objects
        assert [(p.object_id, p.errors) for p in points if p.errors or p.name is None] == []
    names = {p.object_id: p.name for p in await discover_objects(client, VENDOR_DEVICE)}
    assert names["analog-value,9"] == "" and names["proprietary-700,1"] and names["color,1"]
