"""Any tagged BACnet value into plain data, when the stack has no datatype for it.

Proprietary properties, object types bacpypes3 has no class for, and
constructed values of a shape it does not know arrive as raw tags. What a
technician needs is what the device sent, not a placeholder, so every tag
list decodes:

- application tags are typed on the wire: their value (``72.5``, ``"AHU-1"``,
  ``True``, ``"analog-input,3"``, ``None`` for Null...);
- a context tag's type is not on the wire (only the standard's definition of
  the structure knows it): its octets as ``0x..`` hex, under its tag number;
- an opening/closing pair is a nested value under its tag number;
- a structure of context-tagged fields is a dict keyed by tag number as
  text (``{"0": "0x05", "1": [...]}``); when a tag number repeats, a new
  structure starts: a list of structures;
- several application-tagged values are a list; one is the value itself.

The property value of a ReadProperty / ReadPropertyMultiple answer arrives
inside its own opening/closing tag (3, or 4 in an RPM result): that wrapper
is stepped into, never shown.

Character strings are decoded here rather than by bacpypes3, which refuses
the zero-length strings real devices send (an object-name of "").
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from bacpypes3.primitivedata import Tag, TagClass

Plain = Callable[[Any], Any]  # a decoded primitive (Real, Enumerated...) into plain Python: values.to_plain

# BACnet character sets (clause 20.2.9) and the Python codec for each.
_CHARSETS = {0: "utf-8", 1: "cp932", 2: "euc_jp", 3: "utf-32-be", 4: "utf-16-be", 5: "latin-1"}
_CHARACTER_STRING = 7


def decode_tag_list(tags: list[Tag], plain: Plain) -> Any:
    """Plain data for a whole tag list (see the module docstring for the shapes).

    ``plain`` turns each application-tagged primitive into Python (it lives
    with the other conversions, in ``values.py``, which imports this module).
    """
    tags = list(tags)
    if _one_wrapper(tags):
        tags = tags[1:-1]
    items, _ = _decode_run(tags, 0, plain)
    return _shape(items)


def character_string(data: bytes) -> str:
    """A CharacterString's octets (character-set byte first) as text; empty is ""."""
    if len(data) <= 1:
        return ""
    codec = _CHARSETS.get(data[0])
    if codec is None:
        return data[1:].hex()  # an unknown character set: the octets, not a guess
    return data[1:].decode(codec, errors="replace")


def _one_wrapper(tags: list[Tag]) -> bool:
    """True when the list is one opening tag ... its closing tag, nothing outside."""
    if len(tags) < 2 or tags[0].tag_class != TagClass.opening or tags[-1].tag_class != TagClass.closing:
        return False
    if tags[0].tag_number != tags[-1].tag_number:
        return False
    _, end = _decode_run(tags, 1, lambda value: None)
    return end == len(tags) - 1


def _decode_run(tags: list[Tag], start: int, plain: Plain) -> tuple[list[tuple[int | None, Any]], int]:
    """Decode tags from ``start`` until a closing tag (or the end).

    Returns (items, index of the closing tag or len): each item is
    (context tag number or None for an application tag, value).
    """
    items: list[tuple[int | None, Any]] = []
    i = start
    while i < len(tags):
        tag = tags[i]
        if tag.tag_class == TagClass.closing:
            return items, i
        if tag.tag_class == TagClass.opening:
            inner, end = _decode_run(tags, i + 1, plain)
            items.append((tag.tag_number, _shape(inner)))
            i = end + 1
            continue
        if tag.tag_class == TagClass.context:
            items.append((tag.tag_number, "0x" + bytes(tag.tag_data).hex()))
        else:
            items.append((None, _application_value(tag, plain)))
        i += 1
    return items, i


def _shape(items: list[tuple[int | None, Any]]) -> Any:
    if not items:
        return None
    if all(number is None for number, _ in items):
        values = [value for _, value in items]
        return values[0] if len(values) == 1 else values
    structures: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    loose: list[Any] = []  # application values between context fields (a BACnetTimeValue inside [n]...)
    for number, value in items:
        if number is None:
            loose.append(value)
            continue
        key = str(number)
        if key in current:
            structures.append(current)
            current = {}
        current[key] = value
    structures.append(current)
    if loose:
        structures[-1]["values"] = loose if len(loose) > 1 else loose[0]
    return structures[0] if len(structures) == 1 else structures


# Application tags read straight from their octets: the same values bacpypes3's objects and
# values.to_plain give, without building an object per tag (16 per priority array).
_NULL, _BOOLEAN, _UNSIGNED, _REAL, _ENUMERATED = 0, 1, 2, 4, 9


def _application_value(tag: Tag, plain: Plain) -> Any:
    number = tag.tag_number
    if number == _CHARACTER_STRING:
        return character_string(bytes(tag.tag_data))
    if number == _NULL and not tag.tag_data:
        return None
    if number in (_UNSIGNED, _ENUMERATED) and 1 <= len(tag.tag_data) <= 4:
        return int.from_bytes(tag.tag_data, "big")
    if number == _REAL and len(tag.tag_data) == 4:
        value = struct.unpack(">f", tag.tag_data)[0]
        # values.to_plain: a 32-bit Real holds seven significant digits (69.6 arrives as 69.5999984...).
        return float(f"{value:.7g}")
    if number == _BOOLEAN and not tag.tag_data and tag.tag_lvt in (0, 1):
        return bool(tag.tag_lvt)
    try:
        return plain(tag.app_to_object())
    except Exception:
        # A value the stack refuses (an odd length, a reserved tag): its octets, not a failure.
        return "0x" + bytes(tag.tag_data).hex()
