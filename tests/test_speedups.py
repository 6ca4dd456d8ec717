"""The cached getattr_static gives bacpypes3 the answers the standard one gives."""

from __future__ import annotations

import inspect

import pytest
from bacpypes3.apdu import ReadAccessResult, ReadPropertyMultipleACK
from bacpypes3.basetypes import DeviceObjectPropertyReference, PriorityValue, StatusFlags
from bacpypes3.local.analog import AnalogValueObject
from bacpypes3.local.device import DeviceObject

from aso_runtime.bacnet import speedups


def answer(lookup, obj, attr):
    try:
        return lookup(obj, attr)
    except AttributeError:
        return AttributeError


@pytest.mark.parametrize("obj", [
    ReadAccessResult(objectIdentifier="analog-value,1"),
    ReadPropertyMultipleACK(),
    DeviceObjectPropertyReference(objectIdentifier="analog-input,2", propertyIdentifier="present-value"),
    PriorityValue(real=1.5),
    AnalogValueObject(objectIdentifier="analog-value,1", objectName="av", presentValue=1.0,
                      statusFlags=StatusFlags([0, 0, 0, 0])),
    DeviceObject(objectIdentifier="device,5", objectName="d"),
], ids=lambda o: type(o).__name__)
def test_every_element_is_answered_as_the_standard_lookup_answers(obj):
    names = set(getattr(type(obj), "_elements", {})) | set(dir(obj)) | {"not-an-attribute", "__dict__"}
    for attr in sorted(names):
        assert answer(speedups.getattr_static_cached, obj, attr) is answer(inspect.getattr_static, obj, attr), attr


def test_an_instance_value_and_a_property_on_the_class_keep_their_order():
    class Point:
        kind = "class"

        @property
        def value(self):
            return 1

    point = Point()
    point.kind = "instance"
    point.__dict__["value"] = "shadowed"
    for attr in ("kind", "value", "missing"):
        assert answer(speedups.getattr_static_cached, point, attr) is answer(inspect.getattr_static, point, attr)
    assert speedups.getattr_static_cached(point, "missing", None) is None
