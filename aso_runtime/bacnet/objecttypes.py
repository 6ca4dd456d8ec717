"""What the standard says about each object type, in one table.

One row per standard object type (ASHRAE 135-2020, types 0..64): whether it
is commandable (has a priority array), how it reports changes of value
(clause 13.1, Table 13-1), what kind of value a technician writes to it, and
which properties discovery reads for a points list. Every other module asks
here instead of keeping its own list of type-name prefixes.

Discovery reads object-name, plus for types with a point value its
present-value and whichever of units, status-flags and out-of-service the
standard gives the type (required or optional): asking an object only for
what it has is half of what makes discovery fast. Types whose present-value
is not a point value (group, global-group, alert-enrollment) and types
without one (device, trend-log, ...) are read by name only.

Pure data: no bacpypes3 import, so the CLI's argument checks stay light.
tests/test_objecttypes.py checks the table against bacpypes3's own object
classes, an independent transcription of the standard.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .ids import ObjectId


class ValueKind(str, Enum):
    """What a present-value is, for a write modal: a number, active/inactive, a state number, or other."""

    ANALOG = "analog"  # a number (integer-value / positive-integer-value take whole numbers only)
    BINARY = "binary"  # active / inactive
    MULTI_STATE = "multi-state"  # a state number 1..number-of-states, with state-text
    OTHER = "other"  # text, dates, enumerations, constructed values, or no present-value at all


class Cov(str, Enum):
    """How a type reports a change of value to a SubscribeCOV (Table 13-1)."""

    INCREMENT = "cov-increment"  # present-value moved by cov-increment or more, or status-flags changed
    CHANGE = "any-change"  # any change of present-value (or the type's listed properties) or status-flags


class PriorityArrayRule(str, Enum):
    """Whether the standard gives a type a priority array."""

    REQUIRED = "required"  # outputs: always commandable
    OPTIONAL = "optional"  # values: commandable if the device gives this object a priority array


NAME = "object-name"
PRESENT_VALUE = "present-value"
UNITS = "units"
STATUS_FLAGS = "status-flags"
OUT_OF_SERVICE = "out-of-service"
_STATUS = (PRESENT_VALUE, STATUS_FLAGS, OUT_OF_SERVICE)
_MEASURED = (PRESENT_VALUE, UNITS, STATUS_FLAGS, OUT_OF_SERVICE)


@dataclass(frozen=True)
class ObjectType:
    """One row of the table. ``reads`` excludes object-name, which discovery always reads."""

    number: int
    name: str
    plural: str  # a group label in a tree: "Analog Inputs"
    short: str | None = None  # AO in AO1; None keeps the long name
    priority_array: PriorityArrayRule | None = None
    cov: Cov | None = None
    kind: ValueKind = ValueKind.OTHER
    reads: tuple[str, ...] = ()
    # bacpypes3 0.0.110 has no class for the type: one such object inside an
    # RPM answer makes the whole answer fail to decode (measured on 0.0.110).
    batch_safe: bool = True

    @property
    def commandable(self) -> bool:
        return self.priority_array is not None


_A, _B, _M, _O = ValueKind.ANALOG, ValueKind.BINARY, ValueKind.MULTI_STATE, ValueKind.OTHER
_INC, _ANY = Cov.INCREMENT, Cov.CHANGE
_REQ, _OPT = PriorityArrayRule.REQUIRED, PriorityArrayRule.OPTIONAL

# fmt: off
TABLE: tuple[ObjectType, ...] = (
    ObjectType(0, "analog-input", "Analog Inputs", "AI", None, _INC, _A, _MEASURED),
    ObjectType(1, "analog-output", "Analog Outputs", "AO", _REQ, _INC, _A, _MEASURED),
    ObjectType(2, "analog-value", "Analog Values", "AV", _OPT, _INC, _A, _MEASURED),
    ObjectType(3, "binary-input", "Binary Inputs", "BI", None, _ANY, _B, _STATUS),
    ObjectType(4, "binary-output", "Binary Outputs", "BO", _REQ, _ANY, _B, _STATUS),
    ObjectType(5, "binary-value", "Binary Values", "BV", _OPT, _ANY, _B, _STATUS),
    ObjectType(6, "calendar", "Calendars", "CAL", None, None, _O, (PRESENT_VALUE,)),
    ObjectType(7, "command", "Commands", None, None, None, _A, (PRESENT_VALUE, STATUS_FLAGS)),
    ObjectType(8, "device", "Device", "DEV"),
    ObjectType(9, "event-enrollment", "Event Enrollments"),
    ObjectType(10, "file", "Files", "FILE"),
    ObjectType(11, "group", "Groups"),
    ObjectType(12, "loop", "Loops", "LP", None, _INC, _A, _STATUS),
    ObjectType(13, "multi-state-input", "Multi-state Inputs", "MSI", None, _ANY, _M, _STATUS),
    ObjectType(14, "multi-state-output", "Multi-state Outputs", "MSO", _REQ, _ANY, _M, _STATUS),
    ObjectType(15, "notification-class", "Notification Classes", "NC"),
    ObjectType(16, "program", "Programs", "PRG"),
    ObjectType(17, "schedule", "Schedules", "SCH", None, None, _O, _STATUS),
    ObjectType(18, "averaging", "Averaging"),
    ObjectType(19, "multi-state-value", "Multi-state Values", "MSV", _OPT, _ANY, _M, _STATUS),
    ObjectType(20, "trend-log", "Trend Logs", "TL"),
    ObjectType(21, "life-safety-point", "Life Safety Points", None, None, _ANY, _O, _MEASURED),
    ObjectType(22, "life-safety-zone", "Life Safety Zones", None, None, _ANY, _O, _STATUS),
    ObjectType(23, "accumulator", "Accumulators", "ACC", None, None, _A, _MEASURED),
    ObjectType(24, "pulse-converter", "Pulse Converters", None, None, _INC, _A, _MEASURED),
    ObjectType(25, "event-log", "Event Logs"),
    ObjectType(26, "global-group", "Global Groups"),
    ObjectType(27, "trend-log-multiple", "Trend Logs (Multiple)"),
    ObjectType(28, "load-control", "Load Controls", None, None, _ANY, _O, (PRESENT_VALUE, STATUS_FLAGS)),
    ObjectType(29, "structured-view", "Structured Views"),
    ObjectType(30, "access-door", "Access Doors", None, _REQ, _ANY, _O, _STATUS),
    ObjectType(31, "timer", "Timers", None, None, None, _A, _STATUS),
    ObjectType(32, "access-credential", "Access Credentials"),
    ObjectType(33, "access-point", "Access Points", None, None, _ANY),
    ObjectType(34, "access-rights", "Access Rights"),
    ObjectType(35, "access-user", "Access Users"),
    ObjectType(36, "access-zone", "Access Zones"),
    ObjectType(37, "credential-data-input", "Credential Data Inputs", None, None, _ANY, _O, _STATUS),
    ObjectType(38, "network-security", "Network Security"),
    ObjectType(39, "bitstring-value", "BitString Values", None, _OPT, None, _O, _STATUS),
    ObjectType(40, "characterstring-value", "CharacterString Values", "CSV", _OPT, _ANY, _O, _STATUS),
    ObjectType(41, "date-pattern-value", "Date Pattern Values", None, _OPT, _ANY, _O, _STATUS),
    ObjectType(42, "date-value", "Date Values", None, _OPT, _ANY, _O, _STATUS),
    ObjectType(43, "datetime-pattern-value", "DateTime Pattern Values", None, _OPT, _ANY, _O, _STATUS),
    ObjectType(44, "datetime-value", "DateTime Values", None, _OPT, _ANY, _O, _STATUS),
    ObjectType(45, "integer-value", "Integer Values", "IV", _OPT, _INC, _A, _MEASURED),
    ObjectType(46, "large-analog-value", "Large Analog Values", "LAV", _OPT, _INC, _A, _MEASURED),
    ObjectType(47, "octetstring-value", "OctetString Values", None, _OPT, _ANY, _O, _STATUS),
    ObjectType(48, "positive-integer-value", "Positive Integer Values", "PIV", _OPT, _INC, _A, _MEASURED),
    ObjectType(49, "time-pattern-value", "Time Pattern Values", None, _OPT, _ANY, _O, _STATUS),
    ObjectType(50, "time-value", "Time Values", None, _OPT, _ANY, _O, _STATUS),
    ObjectType(51, "notification-forwarder", "Notification Forwarders"),
    ObjectType(52, "alert-enrollment", "Alert Enrollments"),
    ObjectType(53, "channel", "Channels", None, None, None, _O, _STATUS),
    ObjectType(54, "lighting-output", "Lighting Outputs", "LO", _REQ, _INC, _A, _STATUS),
    ObjectType(55, "binary-lighting-output", "Binary Lighting Outputs", None, _REQ, _ANY, _O, _STATUS),
    ObjectType(56, "network-port", "Network Ports", "NP"),
    ObjectType(57, "elevator-group", "Elevator Groups"),
    ObjectType(58, "escalator", "Escalators"),
    ObjectType(59, "lift", "Lifts"),
    ObjectType(60, "staging", "Staging", None, None, _INC, _A, _MEASURED),
    ObjectType(61, "audit-log", "Audit Logs"),
    ObjectType(62, "audit-reporter", "Audit Reporters"),
    ObjectType(63, "color", "Colors", None, None, None, _O, (), batch_safe=False),
    ObjectType(64, "color-temperature", "Color Temperatures", None, None, None, _A, (), batch_safe=False),
)
# fmt: on

# Canonical names in enumeration order: ``0,1`` is analog-input 1.
OBJECT_TYPES: tuple[str, ...] = tuple(row.name for row in TABLE)
_BY_NAME: dict[str, ObjectType] = {row.name: row for row in TABLE}


def type_name(number: int) -> str:
    """The canonical name of a type number; ``proprietary-N`` beyond the standard's (what parse_object_id reads back)."""
    return OBJECT_TYPES[number] if 0 <= number < len(OBJECT_TYPES) else f"proprietary-{number}"


def _unknown(name: str) -> ObjectType:
    """A type the standard does not define (``proprietary-128``): nothing known, read it alone."""
    number = name.removeprefix("proprietary-")
    return ObjectType(int(number) if number.isdigit() else -1, name, name, batch_safe=False)


def object_type(oid: "ObjectId | str") -> ObjectType:
    """The table's row for an object id (or a canonical type name); unknown types get an empty row."""
    name = oid if isinstance(oid, str) else oid.type
    return _BY_NAME.get(name) or _unknown(name)


def is_commandable(oid: "ObjectId") -> bool:
    """True if the type has (or may have) a priority array: writes take a priority and can be released."""
    return object_type(oid).commandable


def cov_capable(oid: "ObjectId") -> bool:
    """True if the standard lets objects of this type report changes of value (SubscribeCOV)."""
    return object_type(oid).cov is not None


def value_kind(oid: "ObjectId") -> ValueKind:
    """What a write to the present-value takes: a number, active/inactive, a state number, other."""
    return object_type(oid).kind


def discovery_properties(oid: "ObjectId") -> tuple[str, ...]:
    """The properties discovery reads for a points list: object-name first, then what the type has."""
    return (NAME, *object_type(oid).reads)


def batch_safe(oid: "ObjectId") -> bool:
    """False for types the stack cannot decode inside an RPM answer: read those objects alone."""
    return object_type(oid).batch_safe


def short_names() -> dict[str, str]:
    """``{"analog-output": "AO", ...}``: the short form of each type that has one."""
    return {row.name: row.short for row in TABLE if row.short}
