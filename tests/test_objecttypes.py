"""The one table of object-type knowledge: what it says, checked against bacpypes3's own classes.

bacpypes3 transcribes every standard object type's properties (required and
optional) from ASHRAE 135; the table must agree with it on the priority
array, the properties discovery reads, COV increments and value kinds.
"""

from __future__ import annotations

import pytest
from bacpypes3.local.object import Object as LocalObject
from bacpypes3.object import CalendarObject, get_vendor_info
from bacpypes3.primitivedata import BitString, Double, Enumerated, Integer, ObjectType as StackObjectType, Real, Unsigned

from aso_runtime.bacnet import (
    ObjectId,
    ValueKind,
    cov_capable,
    discover_objects,
    discovery_properties,
    is_commandable,
    object_type,
    open_client,
    parse_object_id,
    value_kind,
)
from aso_runtime.bacnet.application import AsoApplication
from aso_runtime.bacnet.local import LocalDevice, build_application, close_application, device_object, virtual_port
from aso_runtime.bacnet.objecttypes import OBJECT_TYPES, TABLE, Cov, PriorityArrayRule
from aso_runtime.bacnet.served import Served

from .peers import field_objects

# Types whose standard present-value is not a point value a points list shows.
NOT_A_POINT_VALUE = {"group", "global-group", "alert-enrollment"}
CAMEL = {"present-value": "presentValue", "units": "units", "status-flags": "statusFlags",
         "out-of-service": "outOfService", "object-name": "objectName"}


def stack_class(number: int):
    return get_vendor_info(0).get_object_class(StackObjectType(number))


def required(cls) -> set[str]:
    return {name for klass in cls.__mro__ for name in getattr(klass, "_required", ())}


def test_the_table_has_every_standard_type_in_enumeration_order():
    assert [row.number for row in TABLE] == list(range(65))
    assert OBJECT_TYPES[0] == "analog-input" and OBJECT_TYPES[64] == "color-temperature"
    assert len(set(OBJECT_TYPES)) == 65


@pytest.mark.parametrize("row", [r for r in TABLE if stack_class(r.number) is not None], ids=lambda r: r.name)
def test_the_table_agrees_with_the_standard_as_bacpypes3_transcribed_it(row):
    cls = stack_class(row.number)
    elements, must = set(cls._elements), required(cls)
    # A priority array: required for outputs, optional for values, absent otherwise.
    if "priorityArray" in must:
        assert row.priority_array is PriorityArrayRule.REQUIRED
    elif "priorityArray" in elements:
        assert row.priority_array is PriorityArrayRule.OPTIONAL
    else:
        assert row.priority_array is None
    # Discovery asks only for what the type has...
    assert all(CAMEL[p] in elements for p in discovery_properties(ObjectId(row.name, 1)))
    # ...and, for a type with a point value, for every points-list column it may have.
    if "presentValue" in must and row.name not in NOT_A_POINT_VALUE:
        for prop in ("present-value", "units", "status-flags", "out-of-service"):
            assert (prop in row.reads) == (CAMEL[prop] in elements), prop
    else:
        assert row.reads == ()
    # A COV increment is only promised where the type has one.
    if row.cov is Cov.INCREMENT:
        assert "covIncrement" in elements
    present = cls._elements.get("presentValue")
    if row.kind is ValueKind.BINARY:
        assert present.__name__ == "BinaryPV"
    elif row.kind is ValueKind.MULTI_STATE:
        assert issubclass(present, Unsigned) and "numberOfStates" in must
    elif row.kind is ValueKind.ANALOG:
        assert issubclass(present, (Real, Double, Unsigned, Integer)) and not issubclass(present, (Enumerated, BitString))


@pytest.mark.parametrize(
    ("typed", "commandable", "cov", "kind"),
    [
        ("ao,1", True, True, ValueKind.ANALOG),
        ("av,1", True, True, ValueKind.ANALOG),
        ("ai,1", False, True, ValueKind.ANALOG),
        ("bv,2", True, True, ValueKind.BINARY),
        ("msv,3", True, True, ValueKind.MULTI_STATE),
        ("binary-lighting-output,1", True, True, ValueKind.OTHER),  # on/off/warn..., not active/inactive
        ("lighting-output,1", True, True, ValueKind.ANALOG),
        ("characterstring-value,1", True, True, ValueKind.OTHER),
        ("accumulator,1", False, False, ValueKind.ANALOG),
        ("schedule,1", False, False, ValueKind.OTHER),
        ("device,1001", False, False, ValueKind.OTHER),
        ("trend-log,1", False, False, ValueKind.OTHER),
        ("proprietary-128,1", False, False, ValueKind.OTHER),
    ],
)
def test_what_a_technician_can_do_with_each_kind_of_point(typed, commandable, cov, kind):
    oid = parse_object_id(typed)
    assert (is_commandable(oid), cov_capable(oid), value_kind(oid)) == (commandable, cov, kind)


def test_discovery_asks_each_type_only_for_what_it_has():
    assert discovery_properties(parse_object_id("ai,1")) == (
        "object-name", "present-value", "units", "status-flags", "out-of-service")
    assert discovery_properties(parse_object_id("bv,1")) == (
        "object-name", "present-value", "status-flags", "out-of-service")
    assert discovery_properties(parse_object_id("calendar,1")) == ("object-name", "present-value")
    assert discovery_properties(parse_object_id("averaging,1")) == ("object-name",)  # it has no present value
    assert discovery_properties(parse_object_id("device,1")) == ("object-name",)
    assert discovery_properties(parse_object_id("proprietary-700,1")) == ("object-name",)


def test_types_the_stack_cannot_decode_in_a_batch_are_read_alone():
    assert not object_type(parse_object_id("color,1")).batch_safe
    assert not object_type(parse_object_id("proprietary-128,1")).batch_safe
    assert object_type(parse_object_id("ai,1")).batch_safe


def test_every_short_name_reads_back_as_its_type():
    for row in TABLE:
        if row.short:
            assert parse_object_id(f"{row.short}7") == ObjectId(row.name, 7)
            assert ObjectId(row.name, 7).short == f"{row.short}7"


class ServedCalendar(Served, LocalObject, CalendarObject):
    """A calendar: a present value but no status-flags or out-of-service."""


async def test_discovery_of_a_calendar_asks_nothing_it_does_not_have(vlan_name):
    """Asking a calendar for status-flags used to come back as a per-property error on every one."""
    device = build_application(AsoApplication, [
        device_object(LocalDevice(instance=1005, name="FC-1005")), virtual_port(vlan_name, 5), *field_objects(),
        ServedCalendar(objectIdentifier=("calendar", 1), objectName="Holidays", presentValue=False, dateList=[]),
    ])
    client = await open_client(vlan=vlan_name, mac=1, timeout=1.0)
    try:
        points = {p.object_id: p for p in await discover_objects(client, 1005)}
        holidays = points["calendar,1"]
        assert (holidays.name, holidays.present_value, holidays.errors) == ("Holidays", False, {})
        assert all(p.errors == {} for p in points.values()), {k: p.errors for k, p in points.items() if p.errors}
        assert points["analog-input,1"].oid == ObjectId("analog-input", 1)
    finally:
        await client.close()
        await close_application(device)
