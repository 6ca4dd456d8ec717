"""Every property of an object in words: what ``aso props`` prints and the console's inspector shows.

One formatter per kind of value a technician meets: values with the
object's units and state texts, status flags spelled out, object references
as ``device 1001 AI1``, priority arrays as their held slots, and
constructed values as compact text (the JSON output keeps the raw shape).
"""

from __future__ import annotations

from typing import Any

from aso_runtime.bacnet import PropertyValue, short_id

from .text import PointLabels, flags_text, format_value, value_text

# Properties whose value is the point's value: formatted with its units and state texts.
_POINT_VALUES = {"present-value", "relinquish-default", "tracking-value", "feedback-value", "alarm-value",
                 "high-limit", "low-limit", "min-pres-value", "max-pres-value", "cov-increment", "deadband"}
_FLAG_LISTS = {"status-flags", "event-enable", "acked-transitions", "limit-enable"}


def labels_of(values: list[PropertyValue]) -> PointLabels:
    """The object's own units and state texts, from the properties just read."""
    return PointLabels.from_properties({v.property: v.value for v in values if v.ok and v.index is None})


def property_text(prop: str, value: Any, labels: PointLabels | None = None) -> str:
    """One property's value for people (errors are shown by the caller)."""
    if value == "":
        return '""'  # an empty name or description, as the device holds it
    if prop in _POINT_VALUES:
        return format_value(value, labels)
    if prop in _FLAG_LISTS and isinstance(value, list):
        return flags_text([str(flag) for flag in value])
    if prop == "priority-array" and isinstance(value, list):
        held = [f"{slot}: {format_value(v, labels)}" for slot, v in enumerate(value, start=1) if v is not None]
        return ", ".join(held) if held else "(all 16 slots empty)"
    if prop in ("state-text", "object-list", "structured-object-list", "property-list") and isinstance(value, list):
        return f"{len(value)}: " + ", ".join(_object_ref(item) for item in value)
    return _compact(value)


def _object_ref(item: Any) -> str:
    """``analog-input,1`` -> ``AI1``; anything else as it is."""
    if isinstance(item, str) and "," in item:
        return short_id(item)  # text that is not an object id comes back as it was
    return value_text(item)


def _compact(value: Any) -> str:
    """Constructed values as short text: object references spelled as a technician says them."""
    if isinstance(value, dict):
        reference = _reference(value)
        if reference is not None:
            return reference
        return "{" + ", ".join(f"{key}: {_compact(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_compact(item) for item in value) + "]"
    return _object_ref(value)


def _reference(value: dict) -> str | None:
    """A (device) object property reference: ``device 1001 AI1 present-value``."""
    oid = value.get("objectIdentifier")
    if not isinstance(oid, str):
        return None
    parts = []
    device = value.get("deviceIdentifier")
    if isinstance(device, str) and device.startswith("device,"):
        parts.append("device " + device.split(",", 1)[1])
    parts.append(_object_ref(oid))
    prop = value.get("propertyIdentifier")
    if prop is not None:
        parts.append(str(prop))
    index = value.get("propertyArrayIndex")
    if index is not None:
        parts[-1] += f"[{index}]"
    return " ".join(parts)
