"""Plain data that crosses the client's boundary: no bacpypes3 object leaks out.

Every field is JSON-able (str, int, float, bool, None, lists of those) so the
CLI can print ``--json`` and the console can render without knowing the stack.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Standard names of the 16 command priorities (ASHRAE 135 clause 19.2.1.1).
PRIORITY_NAMES: dict[int, str] = {
    1: "Manual Life Safety",
    2: "Automatic Life Safety",
    5: "Critical Equipment Control",
    6: "Minimum On/Off",
    8: "Manual Operator",
}


def priority_name(priority: int) -> str:
    return PRIORITY_NAMES.get(priority, "Available")


class Plain:
    """Mixin: ``to_dict()`` for JSON output."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


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
class ObjectHolder(Plain):
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
class PropertyValue(Plain):
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
class WriteResult(Plain):
    """One write of a WritePropertyMultiple (all succeed or the first failure is named)."""

    object_id: str
    property: str
    value: Any
    priority: int | None


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
class PriorityArray(Plain):
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
class ObjectInfo(Plain):
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
        return self.object_id.split(",")[0]
