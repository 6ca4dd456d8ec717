"""What changed between two snapshots (as-found -> as-left): a pure function over plain records.

:func:`diff` reports, in this order of what a technician looks at first:

- devices that appeared or went away (their points are not listed one by one);
- points that appeared or went away on devices present in both;
- priority slots that changed: a value placed, released, or replaced at
  priorities 1..15 (an analog slot that moved by no more than the tolerance
  is not a change); at priority 16, the controller's own program, only a
  slot placed or released, since its value follows the control loop;
- points newly out of service, and points back in service;
- present values that moved beyond the tolerance: absolute, in the point's
  units, for analog values; any change at all for binary, multi-state and
  everything else.

A device whose points could not be read in either snapshot (``error``) is
listed in ``unreadable`` and its points are not compared.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from aso_runtime.bacnet.priority import priority_name
from aso_runtime.verbs.text import PointLabels, format_value

from .snapshot_format import Snapshot, SnapshotDevice, SnapshotPoint

# Absolute, in the point's own units: 0.5 °F, 0.5 %, 0.5 cfm. A sensor that
# drifts less than that between as-found and as-left is not news.
DEFAULT_TOLERANCE = 0.5
PROGRAM_PRIORITY = 16


class _Plain:
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True)
class PointRef(_Plain):
    """A point that appeared or went away, as last seen."""

    device: int
    object_id: str
    name: str | None
    value_text: str
    out_of_service: bool | None


@dataclass(frozen=True)
class SlotChange(_Plain):
    """One priority slot that differs: ``before``/``after`` None means empty."""

    device: int
    object_id: str
    name: str | None
    priority: int
    level: str
    before: Any
    after: Any
    before_text: str
    after_text: str

    @property
    def change(self) -> str:
        """``placed`` (was empty), ``released`` (now empty) or ``changed``."""
        if self.before is None:
            return "placed"
        return "released" if self.after is None else "changed"


@dataclass(frozen=True)
class ServiceChange(_Plain):
    """A point whose out-of-service changed: ``after`` True is newly out of service."""

    device: int
    object_id: str
    name: str | None
    before: bool | None
    after: bool | None
    value_text: str


@dataclass(frozen=True)
class ValueChange(_Plain):
    """A present value that moved (beyond the tolerance for analog values)."""

    device: int
    object_id: str
    name: str | None
    before: Any
    after: Any
    before_text: str
    after_text: str
    delta: float | None  # after - before, for numbers


@dataclass(frozen=True)
class SnapshotDiff(_Plain):
    """Everything :func:`diff` found; ``empty`` when the two snapshots agree."""

    before: str  # names (or taken_at) of the two snapshots
    after: str
    tolerance: float
    devices_added: list[SnapshotDevice] = field(default_factory=list)
    devices_removed: list[SnapshotDevice] = field(default_factory=list)
    points_added: list[PointRef] = field(default_factory=list)
    points_removed: list[PointRef] = field(default_factory=list)
    slots: list[SlotChange] = field(default_factory=list)
    out_of_service: list[ServiceChange] = field(default_factory=list)
    values: list[ValueChange] = field(default_factory=list)
    unreadable: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.devices_added or self.devices_removed or self.points_added or self.points_removed
                    or self.slots or self.out_of_service or self.values)

    @property
    def newly_out_of_service(self) -> list[ServiceChange]:
        return [change for change in self.out_of_service if change.after]

    def to_json(self) -> dict[str, Any]:
        document = self.to_dict()
        document["empty"] = self.empty
        for row, change in zip(document["slots"], self.slots):
            row["change"] = change.change
        return document


def diff(a: Snapshot, b: Snapshot, tolerance: float = DEFAULT_TOLERANCE) -> SnapshotDiff:
    """What changed from ``a`` (as found) to ``b`` (as left); see the module docstring.

    ``tolerance`` is absolute and must be >= 0 (ValueError otherwise).
    """
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance >= 0):
        raise ValueError(f"tolerance must be a number >= 0, got {tolerance!r}")
    result = SnapshotDiff(a.name or a.taken_at, b.name or b.taken_at, float(tolerance))
    before_devices = {d.instance: d for d in a.devices}
    after_devices = {d.instance: d for d in b.devices}
    result.devices_added.extend(d for n, d in sorted(after_devices.items()) if n not in before_devices)
    result.devices_removed.extend(d for n, d in sorted(before_devices.items()) if n not in after_devices)
    common = {n for n in before_devices if n in after_devices}
    unreadable = {n for n in common if before_devices[n].error or after_devices[n].error}
    result.unreadable.extend(sorted(unreadable))
    compared = common - unreadable

    before_points = {p.key: p for p in a.points if p.device in compared}
    after_points = {p.key: p for p in b.points if p.device in compared}
    for key, point in after_points.items():
        if key not in before_points:
            result.points_added.append(_ref(point))
    for key, point in before_points.items():
        if key not in after_points:
            result.points_removed.append(_ref(point))
    for key, old in before_points.items():
        new = after_points.get(key)
        if new is None:
            continue
        result.slots.extend(_slot_changes(old, new, tolerance))
        if bool(old.out_of_service) != bool(new.out_of_service):
            result.out_of_service.append(ServiceChange(new.device, new.object_id, new.name or old.name,
                                                       old.out_of_service, new.out_of_service, new.value_text))
        if _moved(old.present_value, new.present_value, tolerance):
            result.values.append(ValueChange(new.device, new.object_id, new.name or old.name, old.present_value,
                                             new.present_value, old.value_text, new.value_text,
                                             _delta(old.present_value, new.present_value)))
    return result


def _ref(point: SnapshotPoint) -> PointRef:
    return PointRef(point.device, point.object_id, point.name, point.value_text, point.out_of_service)


def _labels(point: SnapshotPoint) -> PointLabels:
    return PointLabels(point.units, tuple(point.state_texts or ()), point.active_text, point.inactive_text)


def _slot_changes(old: SnapshotPoint, new: SnapshotPoint, tolerance: float) -> list[SlotChange]:
    if old.priority_array is None and new.priority_array is None:
        return []
    before = old.priority_array or [None] * 16
    after = new.priority_array or [None] * 16
    labels = _labels(new)
    changes = []
    for priority, (was, now) in enumerate(zip(before, after), start=1):
        if (was is None) == (now is None):
            if was is None or priority == PROGRAM_PRIORITY or not _moved(was, now, tolerance):
                continue
        changes.append(SlotChange(new.device, new.object_id, new.name or old.name, priority, priority_name(priority),
                                  was, now, _slot_text(was, labels), _slot_text(now, labels)))
    return changes


def _slot_text(value: Any, labels: PointLabels) -> str:
    return "empty" if value is None else format_value(value, labels)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _moved(before: Any, after: Any, tolerance: float) -> bool:
    """Analog numbers: by more than ``tolerance``; anything else: any change."""
    if _number(before) and _number(after) and (isinstance(before, float) or isinstance(after, float)):
        return abs(after - before) > tolerance
    return before != after


def _delta(before: Any, after: Any) -> float | None:
    if _number(before) and _number(after):
        return float(after - before)
    return None
