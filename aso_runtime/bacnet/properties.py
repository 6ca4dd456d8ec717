"""Every property of one object: what an inspector shows and ``aso props`` prints.

Devices differ in how they can be asked, so three ways are tried in turn:

1. ReadPropertyMultiple of ``all``: one request, every property the object
   has, each with its value or its own error.
2. The object's ``property-list`` (required since protocol revision 14; it
   leaves out object-identifier, object-name, object-type and itself), then
   those properties read with RPM and single-read fallbacks.
3. For older devices without a property-list: every property the standard
   defines for the type, read singly; the ones the object answers
   unknown-property for are left out (it does not have them).

Whole arrays that do not fit one answer are read index by index (the
client does that). Nothing is dropped silently: a property the device has
but could not return comes back with the device's error.
"""

from __future__ import annotations

import logging

from .client import BacnetClient, Device
from .errors import BacnetError, BacnetTimeout, InvalidInput
from .ids import ObjectId, parse_object_id
from .types import PropertyValue

log = logging.getLogger("aso.bacnet")

# Never in a property-list (clause 12.1.1.4.1), always in an object.
ALWAYS = ("object-identifier", "object-name", "object-type", "property-list")
_ABSENT = "unknown-property"


async def read_all_properties(client: BacnetClient, device: Device, object_id: "str | ObjectId") -> list[PropertyValue]:
    """Every property of the object, in the device's order (the four standard ones first)."""
    oid = parse_object_id(object_id)
    try:
        values = await client.read_multiple(device, [(oid, ["all"])])
        if values and any(v.ok for v in values):
            # Some stacks (bacpypes3 among them) leave property-list out of `all`.
            have = {v.property for v in values}
            missing = [name for name in ALWAYS if name not in have]
            if missing:
                values += [v for v in await client.read_singly(device, [(oid, missing)])
                           if v.ok or not (v.error or "").endswith(_ABSENT)]
            return _ordered(values)
    except (BacnetTimeout, InvalidInput):
        raise
    except BacnetError as exc:
        log.info("%s %s: RPM of all refused (%s); reading its property-list", device, oid, exc)
    names = await _property_list(client, device, oid)
    if names is None:
        names = standard_properties(oid)
        values = await client.read_singly(device, [(oid, names)])
        return _ordered([v for v in values if v.ok or not (v.error or "").endswith(_ABSENT)])
    return _ordered(await client.read_many(device, [(oid, [*ALWAYS, *(n for n in names if n not in ALWAYS)])]))


async def _property_list(client: BacnetClient, device: Device, oid: ObjectId) -> list[str] | None:
    """The property-list as property names (numbers for proprietary ones), or None if the object has none."""
    try:
        value = await client.read(device, oid, "property-list")
    except BacnetTimeout:
        raise
    except BacnetError as exc:
        log.info("%s %s: no property-list (%s); asking for the standard's properties", device, oid, exc)
        return None
    items = value if isinstance(value, list) else [value]
    return [_property_name(item) for item in items if item is not None]


def _property_name(item: object) -> str:
    """A property-list entry (a name, or a number the stack has no name for) as a readable property."""
    return str(item)


def standard_properties(oid: ObjectId) -> list[str]:
    """Every property the standard defines for the object's type (bacpypes3's class), or the four always there."""
    from .values import object_class  # bacpypes3 stays behind values.py

    cls = object_class(oid)
    if cls is None:
        return list(ALWAYS)
    names = [_hyphenated(name) for name in getattr(cls, "_elements", {})]
    return [*ALWAYS, *(n for n in names if n not in ALWAYS)]


def _hyphenated(name: str) -> str:
    return "".join("-" + c.lower() if c.isupper() else c for c in name)


def _ordered(values: list[PropertyValue]) -> list[PropertyValue]:
    """The four standard properties first, the rest in the device's order; one entry per property."""
    seen: dict[tuple[str, int | None], PropertyValue] = {}
    for value in values:
        seen.setdefault((value.property, value.index), value)
    first = [seen.pop((name, None)) for name in ALWAYS if (name, None) in seen]
    return first + list(seen.values())
