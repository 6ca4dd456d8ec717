"""Parse the object identifiers and property names field people actually type.

bacpypes3 accepts ``analog-input,1`` and ``analogInput,1`` but refuses ``ai,1``,
``AI1`` and ``analog-input 1``, which is what technicians write on site. This
module accepts all of them and normalises to the canonical hyphenated form.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .errors import InvalidInput
from .objecttypes import OBJECT_TYPES, short_names

# OBJECT_TYPES (canonical names in enumeration order) comes from the object-type table.
_TYPE_NUMBERS: dict[str, int] = {name: number for number, name in enumerate(OBJECT_TYPES)}

# The abbreviations that appear on points lists and in every front end.
ABBREVIATIONS: dict[str, str] = {
    "ai": "analog-input", "ao": "analog-output", "av": "analog-value",
    "bi": "binary-input", "bo": "binary-output", "bv": "binary-value",
    "mi": "multi-state-input", "msi": "multi-state-input",
    "mo": "multi-state-output", "mso": "multi-state-output",
    "mv": "multi-state-value", "msv": "multi-state-value",
    "dev": "device", "sch": "schedule", "sched": "schedule", "cal": "calendar",
    "tl": "trend-log", "trend": "trend-log", "tlm": "trend-log-multiple", "nc": "notification-class",
    "iv": "integer-value", "piv": "positive-integer-value",
    "csv": "characterstring-value", "lav": "large-analog-value",
    "acc": "accumulator", "lo": "lighting-output", "np": "network-port",
    "lp": "loop", "prg": "program", "file": "file",
}

_SQUASHED = {name.replace("-", ""): name for name in OBJECT_TYPES}

# The short form shown where space is tight (AO1, MSV3), from the object-type
# table; parse_object_id reads every one of them back.
SHORT_NAMES: dict[str, str] = short_names()
ABBREVIATIONS.update({short.lower(): name for name, short in SHORT_NAMES.items()})



MAX_INSTANCE = 4194303  # 22 bits; 4194303 itself is the "unconfigured" wildcard
MAX_OBJECT_TYPE = 1023  # 10 bits of the object identifier
# Property identifiers are 32-bit enumerations: 512..4194303 are vendors', 0..511 and from
# 4194304 up the standard's (lighting-output's newer properties are 4194304 and above).
MAX_PROPERTY = 4294967295
MAX_ARRAY_INDEX = 4294967295  # Unsigned32

ACCEPTED_FORMS = (
    "accepted forms: analog-input,1  analog-input:1  analogInput 1  ai,1  AI1  "
    "AI-1  av:3  bo 2  msv,4  device,1001"
)


@dataclass(frozen=True, order=True)
class ObjectId:
    """A BACnet object identifier as a plain (type name, instance) pair."""

    type: str
    instance: int

    def __str__(self) -> str:
        return f"{self.type},{self.instance}"

    @property
    def short(self) -> str:
        """``AO1`` for analog-output,1; types without an abbreviation keep the long form."""
        abbreviation = SHORT_NAMES.get(self.type)
        return f"{abbreviation}{self.instance}" if abbreviation else str(self)

    @property
    def type_number(self) -> int | None:
        """The type's number on the wire (proprietary types too); None only for a name we cannot number."""
        number = _TYPE_NUMBERS.get(self.type)
        if number is None and self.type.startswith("proprietary-"):
            return int(self.type.removeprefix("proprietary-"))
        return number


def ascii_only(text: str, what: str) -> None:
    """Refuse text with a non-ASCII character, naming it.

    Python's ``\\d``, ``str.isdigit()`` and ``int()`` take full-width (１) and
    Arabic-Indic (١) digits as numbers: ``ai,１`` would quietly be analog-input 1.
    On a site only ASCII digits are numbers, so anything else is refused here,
    where it was typed.
    """
    if not text.isascii():
        odd = next(ch for ch in text if not ch.isascii())
        raise InvalidInput(
            f"cannot read {what} {text!r}: {odd!r} (U+{ord(odd):04X}) is not ASCII; type digits 0-9 and plain letters"
        )


def ascii_int(digits: str) -> int:
    """The value of a string of ASCII digits, however long.

    ``int()`` refuses more than 4300 digits with a plain ValueError (not
    InvalidInput). A number that long is beyond every BACnet limit, so past
    20 significant digits it counts as 10**20; messages show what was typed.
    """
    significant = digits.lstrip("0")
    return int(significant or "0") if len(significant) <= 20 else 10**20


def _type_name(word: str) -> str | None:
    """Map a typed object-type word to its canonical name, or None."""
    lowered = word.strip().lower()
    if _DIGITS.fullmatch(lowered):
        number = ascii_int(lowered)
        return OBJECT_TYPES[number] if number < len(OBJECT_TYPES) else f"proprietary-{number}"
    if lowered in ABBREVIATIONS:
        return ABBREVIATIONS[lowered]
    if lowered in OBJECT_TYPES:
        return lowered
    # camelCase (analogInput) and squashed (analoginput, multistatevalue)
    squashed = re.sub(r"[-_\s]", "", lowered)
    return _SQUASHED.get(squashed)


# re.ASCII and [0-9]: only ASCII digits and spaces count (see ascii_only).
_DIGITS = re.compile(r"[0-9]+")
# `proprietary-128` is how ObjectId prints a type without a name; it must read back.
_SEPARATED = re.compile(
    r"^\s*((?i:proprietary)-[0-9]+|[A-Za-z][A-Za-z_\- ]*?|[0-9]+)\s*[,:\s]\s*([0-9]+)\s*$", re.ASCII
)
_JOINED = re.compile(r"^\s*([A-Za-z]+)[-_]?([0-9]+)\s*$", re.ASCII)


def parse_object_id(text: "str | ObjectId | tuple") -> ObjectId:
    """Parse ``analog-input,1``, ``ai 1``, ``AI1``, ``AV-3``, ``0,1`` and so on.

    Raises :class:`InvalidInput` with the accepted forms when it cannot.
    """
    if isinstance(text, ObjectId):
        return text
    if isinstance(text, tuple) and len(text) == 2:
        text = f"{text[0]},{text[1]}"
    if not isinstance(text, str):
        raise InvalidInput(f"object id must be text like 'analog-input,1', got {text!r}")
    return _parse_text(text)


# Ids in JSON, journals and tables arrive as text again and again (every poll
# of every row): parse each distinct text once. Failures are not cached.
@functools.lru_cache(maxsize=16384)
def _parse_text(text: str) -> ObjectId:
    ascii_only(text, "object id")
    match = _SEPARATED.match(text) or _JOINED.match(text)
    if not match:
        raise InvalidInput(f"cannot read object id {text!r}; {ACCEPTED_FORMS}")
    type_word, instance_text = match.groups()
    number = type_word.lower().removeprefix("proprietary-")
    if _DIGITS.fullmatch(number):
        if ascii_int(number) > MAX_OBJECT_TYPE:
            raise InvalidInput(f"object type {number} in {text!r} is above the BACnet maximum {MAX_OBJECT_TYPE}")
        type_word = number
    type_name = _type_name(type_word)
    if type_name is None:
        raise InvalidInput(f"unknown object type {type_word.strip()!r} in {text!r}; {ACCEPTED_FORMS}")
    instance = ascii_int(instance_text)
    if instance > MAX_INSTANCE:
        raise InvalidInput(f"object instance {instance_text} in {text!r} is above the BACnet maximum {MAX_INSTANCE}")
    return ObjectId(type_name, instance)


def short_id(object_id: "ObjectId | str") -> str:
    """``analog-output,1`` -> ``AO1``; types without an abbreviation (and unreadable text) stay long."""
    try:
        return parse_object_id(object_id).short
    except InvalidInput:
        return str(object_id)


_PROPERTY = re.compile(r"^\s*([A-Za-z][A-Za-z0-9\-_]*|[0-9]+)\s*(?:\[\s*([0-9]+)\s*\])?\s*$", re.ASCII)


def _hyphenate(word: str) -> str:
    word = word.replace("_", "-")
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", word).lower()


def known_properties() -> frozenset[str]:
    """Every property name the installed stack knows, hyphenated."""
    from bacpypes3.basetypes import PropertyIdentifier  # lazy: keeps import cheap

    return frozenset(_hyphenate(name) for name in PropertyIdentifier._enum_map)


_KNOWN: frozenset[str] | None = None


def parse_property(text: "str | int") -> tuple[str, int | None]:
    """Parse ``present-value``, ``presentValue``, ``priority-array[8]``, ``85``.

    Returns the hyphenated name (or the number as text) and the array index
    (or None). Unknown names, numbers above 4294967295 and indexes above
    4294967295 raise :class:`InvalidInput`; proprietary properties can be
    given by number.
    """
    global _KNOWN
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)  # a property number from Python code
    if not isinstance(text, str):
        raise InvalidInput(f"property must be text like 'present-value' or a number, got {text!r}")
    ascii_only(text, "property")
    match = _PROPERTY.match(text)
    if not match:
        raise InvalidInput(
            f"cannot read property {text!r}; use a name like present-value or presentValue, optionally with [index]"
        )
    name, index_text = match.groups()
    index = ascii_int(index_text) if index_text is not None else None
    if index is not None and index > MAX_ARRAY_INDEX:
        raise InvalidInput(f"array index {index_text} in {text!r} is above the BACnet maximum {MAX_ARRAY_INDEX}")
    if _DIGITS.fullmatch(name):
        number = ascii_int(name)
        if number > MAX_PROPERTY:
            raise InvalidInput(f"property number {name} in {text!r} is above the BACnet maximum {MAX_PROPERTY}")
        return str(number), index
    name = _hyphenate(name)
    if _KNOWN is None:
        _KNOWN = known_properties()
    if name not in _KNOWN:
        close = [k for k in sorted(_KNOWN) if k.startswith(name[:4])][:3]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise InvalidInput(f"unknown property {text!r}{hint}")
    return name, index
