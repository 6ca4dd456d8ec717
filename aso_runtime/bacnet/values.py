"""Convert between bacpypes3 values and plain Python.

Reads turn every decoded value into float, int, str, bool, None, list or dict.
Writes take plain values (or the text a technician typed) and let bacpypes3
cast them to the property's datatype, with our checks first so that a wrong
type is refused with a one-line message before anything is sent.
"""

from __future__ import annotations

import math
import re
from typing import Any

from bacpypes3.basetypes import PriorityValue
from bacpypes3.constructeddata import Any as AnyValue
from bacpypes3.constructeddata import Array, List, Sequence, Choice
from bacpypes3.primitivedata import (
    BitString,
    Boolean,
    CharacterString,
    Date,
    Double,
    Enumerated,
    Integer,
    Null,
    ObjectIdentifier,
    OctetString,
    Real,
    TagClass,
    Time,
    Unsigned,
)

from .errors import InvalidInput
from .objecttypes import type_name
from .tags import decode_tag_list
from .types import PropertyShape

# Values that mean "release": what old easy-aso scripts pass and what people type.
NULL_WORDS = {"null", "none", "release", "relinquish"}


def is_null(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in NULL_WORDS)


def object_id_text(oid: Any) -> str:
    """``ObjectIdentifier`` -> ``analog-input,1``: always the canonical text parse_object_id reads back.

    Named by number, not by the stack's name: bacpypes3 has no name for
    color (63) and color-temperature (64), and proprietary types have none.
    """
    obj_type, instance = oid
    return f"{type_name(int(obj_type))},{int(instance)}"


def to_plain(value: Any) -> Any:
    """Turn a decoded bacpypes3 value into JSON-able plain Python."""
    if value is None or isinstance(value, Null):
        return None
    if isinstance(value, Boolean):
        return bool(value)
    if isinstance(value, Enumerated):
        # A generic Enumerated (priority-array slot of a binary point) has no
        # names: give the number, the caller knows the object type.
        text = str(value)
        return int(value) if text.isdigit() or not text else text
    if isinstance(value, Real):
        # A BACnet Real is 32-bit: 69.6 arrives as 69.5999984741211. Seven
        # significant digits is all it holds, so give back what was meant.
        return float(f"{float(value):.7g}")
    if isinstance(value, Double):
        return float(value)
    if isinstance(value, (Unsigned, Integer)):
        return int(value)
    if isinstance(value, CharacterString):
        return str(value)
    if isinstance(value, ObjectIdentifier):
        return object_id_text(value)
    if isinstance(value, BitString):
        names = getattr(value, "_bitstring_names", None) or {}
        by_position = {pos: _hyphen(name) for name, pos in names.items()}
        return [by_position.get(i, str(i)) for i, bit in enumerate(value) if bit]
    if isinstance(value, (Date, Time)):
        return str(value)
    if isinstance(value, OctetString):
        return bytes(value).hex()
    if isinstance(value, AnyValue):
        return decode_tags(value)  # typed by its own tags: any shape, never a placeholder
    if isinstance(value, Choice):
        choice = getattr(value, "_choice", None)
        return to_plain(getattr(value, choice)) if choice else None
    if isinstance(value, (Array, List, list, tuple)):
        return [to_plain(item) for item in value]
    if isinstance(value, Sequence):
        return {
            name: to_plain(getattr(value, name, None))
            for name, _ in getattr(value, "_elements", {}).items()
            if getattr(value, name, None) is not None
        }
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def coerce_for_write(value: Any, datatype: type | None, where: str) -> Any:
    """Check and convert a plain value for a property of ``datatype``.

    Refuses, with a one-line :class:`InvalidInput`, what would fail or be
    silently misread: text for an analog, 7 for a binary, a word for a
    multi-state. ``where`` names the device/object/property for the message.
    """
    if datatype is None:
        return value
    text = value.strip() if isinstance(value, str) else None
    if text is not None and not issubclass(datatype, CharacterString) and not _PLAIN_NUMBER.fullmatch(text):
        # float()/int() also take '１５', '1_000' and ' 8 ': a site's numbers are ASCII.
        if not text.isascii() or "_" in text:
            raise InvalidInput(f"{where}: {value!r} is not a valid {_describe(datatype)} (ASCII digits only)")
    try:
        if issubclass(datatype, (Real, Double)):
            if isinstance(value, bool):
                raise ValueError
            number = float(text if text is not None else value)
            if not math.isfinite(number):
                raise ValueError  # NaN / inf would be sent and confuse every controller
            return number
        if issubclass(datatype, Boolean):
            if text is not None:
                lowered = text.lower()
                if lowered in {"true", "1", "yes", "on"}:
                    return True
                if lowered in {"false", "0", "no", "off"}:
                    return False
                raise ValueError
            return bool(value)
        if issubclass(datatype, Enumerated):
            names = set(datatype._enum_map)
            if text is not None:
                if text.isdigit():
                    number = int(text)
                else:
                    if text not in names:
                        raise ValueError
                    return datatype(text)
            elif isinstance(value, int) and not isinstance(value, bool):
                number = value
            else:
                raise ValueError
            if number not in set(datatype._enum_map.values()):
                raise ValueError
            return datatype(number)
        if issubclass(datatype, (Unsigned, Integer)):
            if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
                raise ValueError  # int(inf) raises OverflowError
            number = int(text if text is not None else value)
            if issubclass(datatype, Unsigned) and number < 0:
                raise ValueError
            return number
        if issubclass(datatype, CharacterString):
            return str(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(f"{where}: {value!r} is not a valid {_describe(datatype)}") from None
    return value


def _hyphen(name: str) -> str:
    return "".join("-" + c.lower() if c.isupper() else c for c in name)


def _describe(datatype: type) -> str:
    if issubclass(datatype, (Real, Double)):
        return "number"
    if issubclass(datatype, Boolean):
        return "true/false value"
    if issubclass(datatype, Enumerated):
        names = sorted(k for k in datatype._enum_map if "-" in k or k.islower())
        return "value, expected one of " + "/".join(names[:8])
    if issubclass(datatype, Unsigned):
        return "whole number >= 0"
    if issubclass(datatype, Integer):
        return "whole number"
    return datatype.__name__


def _vendor_info():
    from bacpypes3.vendor import get_vendor_info

    return get_vendor_info(0)


def object_class(oid: Any) -> type | None:
    """bacpypes3's class for an object id's type (the standard's properties), or None (color, proprietary)."""
    from bacpypes3.primitivedata import ObjectType

    number = getattr(oid, "type_number", None)
    if number is None:
        return None
    try:
        return _vendor_info().get_object_class(ObjectType(number))
    except (ValueError, TypeError):
        return None


def property_datatype(object_type: int | str, property_id: Any) -> type | None:
    """The standard datatype of a property of an object type, or None if unknown."""
    from bacpypes3.primitivedata import ObjectType

    try:
        object_class = _vendor_info().get_object_class(ObjectType(object_type))
    except (ValueError, TypeError):
        return None
    if object_class is None:
        return None
    try:
        return object_class.get_property_type(property_id)
    except Exception:
        return None


def bacnet_property(name: str) -> Any:
    """A property name (or number, for proprietary ones) as the stack's PropertyIdentifier."""
    from bacpypes3.basetypes import PropertyIdentifier

    return PropertyIdentifier(int(name) if name.isdigit() else name)


def property_shape(object_id: Any, prop: str) -> PropertyShape:
    """What the standard says the property holds (see :class:`PropertyShape`); ``unknown`` when it says nothing."""
    number = getattr(object_id, "type_number", None)
    try:
        datatype = property_datatype(number, bacnet_property(prop)) if number is not None else None
    except Exception:
        datatype = None
    if datatype is None:
        return PropertyShape("unknown")
    array = issubclass(datatype, Array)
    if array:
        datatype = datatype._subtype
    kinds = ((Boolean, "boolean"), (Real, "real"), (Double, "real"), (Enumerated, "enumerated"),
             (Unsigned, "whole"), (Integer, "signed"), (CharacterString, "text"), (ObjectIdentifier, "object-id"))
    for base, kind in kinds:
        if isinstance(datatype, type) and issubclass(datatype, base):
            choices = ()
            if kind == "enumerated":
                choices = tuple(name for name in getattr(datatype, "_enum_map", {}) if "-" in name or name.islower())
            return PropertyShape(kind, choices, array)
    return PropertyShape("constructed", (), array)


def decode_property(object_type: int | None, prop: Any, value: AnyValue, array_index: int | None) -> Any:
    """A property's value as plain data: its standard datatype when known, its own tags otherwise.

    The one decode step for ReadProperty, RPM and COV answers. An object-type
    the stack has no name for (color, proprietary) is named as ids are
    (``color``, ``proprietary-200``), not left a bare number.
    """
    datatype = property_datatype(object_type, prop) if object_type is not None else None
    plain = decode_any(value, datatype, array_index)
    if str(prop) == "object-type" and isinstance(plain, int) and not isinstance(plain, bool):
        return type_name(plain)
    return plain


def decode_any(value: AnyValue, datatype: type | None, array_index: int | None) -> Any:
    """Decode a property value, falling back to the tags' own types.

    The fallback matters: an unknown object type (color, proprietary) or a
    device answering Null for an atomic property must yield a value, not
    poison a whole RPM response.
    """
    if datatype is not None:
        if issubclass(datatype, Array) and array_index is not None:
            datatype = Unsigned if array_index == 0 else datatype._subtype
        if _plain_from_tags(datatype, value):
            plain = decode_tags(value)
            if issubclass(datatype, Array) and not isinstance(plain, list):
                return [] if plain is None else [plain]  # an array of one (or none) is still an array
            return plain
        try:
            return to_plain(value.cast_out(datatype))
        except Exception:
            pass
    return decode_tags(value)


# Types whose plain value the tags alone give exactly (no names from the datatype needed), for which
# bacpypes3's cast_out costs ~30x more: a priority array (16 PriorityValue choices) took ~1.4 ms
# to cast, most of an override sweep's CPU; its application tags decode in ~50 us.
_TAG_DECODED = (PriorityValue, CharacterString)


def _plain_from_tags(datatype: type, value: AnyValue) -> bool:
    """Is ``value`` (of ``datatype``) one of those, or an array of them, in application tags only?"""
    subtype = datatype._subtype if issubclass(datatype, Array) else datatype
    if not (isinstance(subtype, type) and issubclass(subtype, _TAG_DECODED)):
        return False
    tags = getattr(value, "tagList", None)
    if not tags:
        return False
    # The answer's own opening/closing wrapper aside, a context tag is a constructed choice
    # (a PriorityValue's datetime or constructed value): those keep the datatype's decoding.
    inner = tags[1:-1] if tags[0].tag_class == TagClass.opening and tags[-1].tag_class == TagClass.closing else tags
    return all(tag.tag_class == TagClass.application for tag in inner)


def decode_tags(value: AnyValue) -> Any:
    """Decode from the tags alone (no datatype): plain data of any shape, see ``tags.py``."""
    return decode_tag_list(getattr(value, "tagList", None) or [], to_plain)
