"""Decode answers: RPM results element by element, priority-array slots.

Each RPM element is decoded on its own so one odd value (an unknown object
type, a Null where a Real belongs) cannot poison the whole batch.
"""

from __future__ import annotations

from typing import Any

from bacpypes3.apdu import ReadPropertyMultipleACK

from .ids import ObjectId
from .objecttypes import ValueKind, value_kind
from .priority import priority_name
from .types import PrioritySlot, PropertyValue
from .values import decode_property, object_id_text


def _property_text(prop: Any) -> str:
    text = str(prop)
    return text if text else str(int(prop))


def decode_rpm(ack: ReadPropertyMultipleACK) -> list[PropertyValue]:
    """Decode each element on its own so one odd value cannot poison the batch."""
    results = []
    for access_result in ack.listOfReadAccessResults:
        raw_oid = access_result.objectIdentifier
        oid_text = object_id_text(raw_oid)
        for element in access_result.listOfResults:
            prop = element.propertyIdentifier
            index = element.propertyArrayIndex
            read_result = element.readResult
            name = _property_text(prop)
            if read_result.propertyAccessError is not None:
                error = read_result.propertyAccessError
                results.append(PropertyValue(oid_text, name, index, None, f"{error.errorClass}:{error.errorCode}"))
                continue
            try:
                value = decode_property(int(raw_oid[0]), prop, read_result.propertyValue, index)
            except Exception as exc:
                results.append(PropertyValue(oid_text, name, index, None, f"decode:{exc}"))
                continue
            results.append(PropertyValue(oid_text, name, index, value))
    return results


def priority_slots(oid: ObjectId, raw: Any) -> list[PrioritySlot]:
    """Plain slots from the decoded priority array (list of 16 values or Nones).

    ``decode_any`` already reduced each PriorityValue choice to its value;
    binary slots arrive as enumerated ints or names: show them as
    active/inactive like the present value.
    """
    values = list(raw or [])[:16] + [None] * max(0, 16 - len(raw or []))
    slots = []
    for priority, value in enumerate(values, start=1):
        kind = _kind(value)
        if value_kind(oid) is ValueKind.BINARY and kind in ("unsigned", "enumerated"):
            value = {0: "inactive", 1: "active"}.get(value, value)
            kind = "enumerated"
        slots.append(PrioritySlot(priority, priority_name(priority), value, kind))
    return slots


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, float):
        return "real"
    if isinstance(value, int):
        return "unsigned"
    if isinstance(value, str):
        return "enumerated"
    return "constructed"
