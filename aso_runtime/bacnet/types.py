"""Plain data that crosses the client's boundary: no bacpypes3 object leaks out.

Every field is JSON-able (str, int, float, bool, None, lists of those) so the
CLI can print ``--json`` and the console can render without knowing the stack.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .ids import ObjectId, parse_object_id



class Plain:
    """Mixin: ``to_dict()`` for JSON output."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


class HasObjectId:
    """Mixin for records that keep ``object_id`` as text (for JSON): ``oid`` is the parsed id.

    The text is what the stack reported, always canonical (``analog-input,1``,
    ``proprietary-128,1``), so parsing it cannot fail; parses are cached.
    """

    object_id: str

    @property
    def oid(self) -> ObjectId:
        return parse_object_id(self.object_id)


@dataclass(frozen=True)
class DeviceInfo(Plain):
    """A device as announced by its I-Am.

    ``address`` is the text form the client accepts back (``10.0.0.5``,
    ``127.0.0.1:47810``, ``2:7`` for MAC 7 on remote network 2).
    """

    instance: int
    address: str
    vendor_id: int
    max_apdu: int
    segmentation: str
    network: int | None = None


@dataclass(frozen=True)
class ObjectHolder(HasObjectId, Plain):
    """One answer to a Who-Has: which device holds which object."""

    device_instance: int
    address: str
    object_id: str
    object_name: str


@dataclass(frozen=True)
class RouterInfo(Plain):
    """A router and the networks it says it can reach."""

    address: str
    networks: list[int]


@dataclass(frozen=True)
class PropertyValue(HasObjectId, Plain):
    """One property read by RPM: the value, or the error the device gave."""

    object_id: str
    property: str
    index: int | None
    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class PrioritySlot(Plain):
    """One of the 16 slots of a commandable object's priority array."""

    priority: int
    name: str
    value: Any
    kind: str  # 'null', 'real', 'enumerated', 'unsigned', ...

    @property
    def active(self) -> bool:
        return self.kind != "null"


@dataclass(frozen=True)
class PriorityArray(HasObjectId, Plain):
    """The priority array of a commandable point, decoded to plain values."""

    object_id: str
    slots: list[PrioritySlot]
    relinquish_default: Any
    current_command_priority: int | None
    present_value: Any = None

    @property
    def winning(self) -> PrioritySlot | None:
        """The highest-priority (lowest number) non-null slot, if any."""
        for slot in self.slots:
            if slot.active:
                return slot
        return None

    def at(self, priority: int) -> PrioritySlot:
        return self.slots[priority - 1]


@dataclass(frozen=True)
class ObjectInfo(HasObjectId, Plain):
    """One point of a device as discovered: the columns of a points list."""

    device_instance: int
    object_id: str
    name: str | None = None
    present_value: Any = None
    units: str | None = None
    status_flags: list[str] | None = None
    out_of_service: bool | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def object_type(self) -> str:
        """The canonical type name (``analog-input``); prefer ``oid``."""
        return self.oid.type


@dataclass(frozen=True)
class CovChange(HasObjectId, Plain):
    """One property of one object as a COV notification reported it, as plain Python."""

    object_id: str
    property: str  # hyphenated: present-value, status-flags, ...
    value: Any


@dataclass(frozen=True)
class PropertyShape(Plain):
    """What a property holds, by the standard, for a write dialog: how to ask for a value.

    ``kind``: ``real``, ``whole`` (unsigned), ``signed``, ``boolean``,
    ``enumerated`` (``choices`` are its names), ``text``, ``object-id``, or
    ``constructed`` / ``unknown`` (not written from a single field).
    ``array``: the property is an array (a single element is written with an index).
    """

    kind: str
    choices: tuple[str, ...] = ()
    array: bool = False

    @property
    def simple(self) -> bool:
        """A value typed in one field (or picked from choices)."""
        return self.kind not in ("constructed", "unknown")
