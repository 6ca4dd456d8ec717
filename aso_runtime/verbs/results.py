"""Typed results of the verbs, with the CLI's documented ``--json`` documents.

A result holds plain data (the runtime's frozen dataclasses); renderers
(:mod:`.render`) turn it into tables and lines, ``to_json`` into the one
JSON document whose keys each verb's ``--help`` lists. ``problem`` is the
one line that makes the command a failure although it printed something
(an RPM with refused properties, devices that could not be discovered);
``warnings`` are lines that do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aso_runtime.bacnet import (
    DeviceInfo,
    ObjectHolder,
    ObjectInfo,
    PriorityArray,
    PropertyValue,
    RouterInfo,
    is_null,
)

from . import requests as rq
from .text import PointLabels, device_label


@dataclass(frozen=True)
class Result:
    @property
    def problem(self) -> str | None:
        return None

    @property
    def warnings(self) -> list[str]:
        return []


@dataclass(frozen=True)
class ValueRead(Result):
    request: rq.Read
    value: Any

    def to_json(self) -> dict:
        r = self.request
        return {"device": r.device, "object_id": str(r.object_id), "property": r.property, "index": r.index,
                "value": self.value}


@dataclass(frozen=True)
class ReadBack:
    """What a point holds after a write: its array (commandable) or its present value, or why unknown."""

    array: PriorityArray | None = None
    present_value: Any = None
    labels: PointLabels = PointLabels()
    error: str | None = None


@dataclass(frozen=True)
class Written(Result):
    request: rq.Write
    after: ReadBack | None  # None: not the present value, nothing read back
    unrecorded: str | None = None  # why the write is not in the audit journal (it was made)

    @property
    def warnings(self) -> list[str]:
        return [self.unrecorded] if self.unrecorded else []

    def to_json(self) -> dict:
        r = self.request
        return {"device": r.device, "object_id": str(r.object_id), "property": r.property, "value": r.value,
                "priority": r.priority, "released": r.released,
                "present_value": self.after.present_value if self.after else None}


@dataclass(frozen=True)
class ValuesRead(Result):
    request: rq.ReadMultiple
    values: list[PropertyValue]

    @property
    def problem(self) -> str | None:
        failed = [v for v in self.values if not v.ok]
        if not failed:
            return None
        first = failed[0]
        return (f"{device_label(self.request.device)}: {len(failed)} of {len(self.values)} properties failed "
                f"(first: {first.object_id} {first.property}: {first.error})")

    def to_json(self) -> dict:
        return {"device": self.request.device, "values": [v.to_dict() for v in self.values]}


@dataclass(frozen=True)
class PropertiesRead(Result):
    """Every property of an object; a property the device refused carries the device's own error.

    Such refusals are answers, not failures (log-buffer is read-access-denied
    by design): the command fails only when no property could be read.
    """

    request: rq.ReadAllProperties
    values: list[PropertyValue]

    @property
    def problem(self) -> str | None:
        if any(v.ok for v in self.values):
            return None
        first = self.values[0].error if self.values else "no properties"
        return f"{device_label(self.request.device)} {self.request.object_id}: no property could be read ({first})"

    def to_json(self) -> dict:
        return {"device": self.request.device, "object_id": str(self.request.object_id),
                "properties": [{"property": v.property, "index": v.index, "value": v.value, "error": v.error}
                               for v in self.values]}


@dataclass(frozen=True)
class WrittenMultiple(Result):
    request: rq.WriteMultiple
    unrecorded: str | None = None  # why the writes are not in the audit journal (they were made)

    @property
    def warnings(self) -> list[str]:
        return [self.unrecorded] if self.unrecorded else []

    def to_json(self) -> dict:
        writes = [{"object_id": str(w.object_id), "property": w.property,
                   "value": None if is_null(w.value) else w.value, "priority": w.priority}
                  for w in self.request.writes]
        return {"device": self.request.device, "writes": writes}


@dataclass(frozen=True)
class PriorityArrayShown(Result):
    request: rq.ShowPriorityArray
    array: PriorityArray
    labels: PointLabels = PointLabels()

    def to_json(self) -> dict:
        document = self.array.to_dict()
        document["device"] = self.request.device
        winning = self.array.winning
        document["winning_priority"] = winning.priority if winning else None
        return document


@dataclass(frozen=True)
class DevicesFound(Result):
    request: rq.WhoIs
    devices: list[DeviceInfo]
    elapsed_ms: int

    def to_json(self) -> dict:
        return {"devices": [d.to_dict() for d in self.devices], "count": len(self.devices),
                "elapsed_ms": self.elapsed_ms}


@dataclass(frozen=True)
class HoldersFound(Result):
    request: rq.WhoHas
    holders: list[ObjectHolder]

    def to_json(self) -> dict:
        return {"holders": [h.to_dict() for h in self.holders], "count": len(self.holders)}


@dataclass(frozen=True)
class RoutersFound(Result):
    request: rq.FindRouters
    routers: list[RouterInfo]

    def to_json(self) -> dict:
        return {"routers": [r.to_dict() for r in self.routers], "count": len(self.routers)}


@dataclass(frozen=True)
class PointsFound(Result):
    request: rq.Discover
    points: list[ObjectInfo]
    devices: list[DeviceInfo] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"device_instance", "address", "error"}

    @property
    def problem(self) -> str | None:
        if not self.errors:
            return None
        return f"{len(self.errors)} of {len(self.devices)} devices could not be discovered"

    @property
    def warnings(self) -> list[str]:
        return [f"device {e['device_instance']} ({e['address']}): {e['error']}" for e in self.errors]

    def to_json(self) -> dict:
        return {"points": [p.to_dict() for p in self.points], "count": len(self.points), "errors": self.errors}

