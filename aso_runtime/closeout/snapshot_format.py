"""The snapshot file: what a site looked like at one moment, as versioned JSON.

A snapshot records, for every device of the site (or the devices asked
for), its identity, and for every point (an object with a present value) its
present value with units or state texts, priority array (commandable
points), out-of-service and status flags. ``aso snapshot save`` writes one;
``aso snapshot diff`` compares two (``diff.py``). The format is documented
for people in docs/snapshot-format.md; in short (format version 1)::

    {
      "format": "aso-snapshot",        # always this text
      "version": 1,                    # FORMAT_VERSION; a reader refuses a newer one
      "name": "as-found",              # what the technician called it
      "taken_at": "2026-11-29T17:02:11Z",   # UTC, ISO 8601, when the reading started
      "taken_by": "alice@edge1",       # user@host
      "tool": "aso 0.1.0",
      "devices": [{"instance", "name", "address", "vendor_id", "vendor_name", "model_name",
                   "firmware_revision", "max_apdu", "segmentation", "network", "cov", "error"}],
      "points": [{"device", "object_id", "name", "description", "present_value", "value_text",
                  "units", "state_texts", "active_text", "inactive_text", "out_of_service",
                  "status_flags", "commandable", "priority_array", "relinquish_default",
                  "current_command_priority", "min_value", "max_value", "high_limit",
                  "low_limit", "errors"}],
      "errors": [{"device": "10.0.0.9", "error": "..."}]   # devices that could not be found at all
    }

Values are plain JSON: reals as numbers, binary values as ``"active"`` /
``"inactive"``, multi-state values as state numbers, an empty priority slot
as ``null``. ``priority_array`` is null for a point without one, else
exactly 16 entries (index 0 is priority 1). A key a reader does not know is
ignored, so version 1 may grow optional keys; a change that an older reader
would misread gets a new version number.

Failure modes: :func:`load_snapshot` raises :class:`InvalidInput` (the
CLI's exit 2) for a file that is not JSON, not a snapshot, or of a newer
version, naming the file; :func:`save_snapshot` writes through a temporary
file and a rename, so an interrupted save never leaves half a snapshot.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from aso_runtime.bacnet.errors import InvalidInput

FORMAT_NAME = "aso-snapshot"
FORMAT_VERSION = 1


class _Plain:
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        """Build from a JSON object; unknown keys are ignored (a newer minor writer), missing ones default."""
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass(frozen=True)
class SnapshotDevice(_Plain):
    """A device as the snapshot found it; ``error`` when its points could not be read."""

    instance: int
    address: str
    name: str | None = None
    vendor_id: int | None = None
    vendor_name: str | None = None
    model_name: str | None = None
    firmware_revision: str | None = None
    max_apdu: int | None = None
    segmentation: str | None = None
    network: int | None = None
    cov: bool | None = None  # SubscribeCOV in its protocol-services-supported (None: not read)
    error: str | None = None


@dataclass(frozen=True)
class SnapshotPoint(_Plain):
    """One point: its value with the words that make it readable, and who commands it."""

    device: int  # device instance
    object_id: str  # canonical: analog-output,1
    name: str | None = None
    description: str | None = None
    present_value: Any = None
    value_text: str = ""  # "55 %", "active (Running)", "2 (unoccupied)"
    units: str | None = None  # engineering units as the standard names them
    state_texts: list[str] | None = None  # multi-state: state 1 is state_texts[0]
    active_text: str | None = None  # binary
    inactive_text: str | None = None
    out_of_service: bool | None = None
    status_flags: list[str] | None = None  # the flags that are set: in-alarm, fault, overridden, out-of-service
    commandable: bool = False
    priority_array: list[Any] | None = None  # 16 slots, None = empty; None for a point without one
    relinquish_default: Any = None
    current_command_priority: int | None = None
    min_value: Any = None  # min-pres-value, max-pres-value (analog), for engineering exports
    max_value: Any = None
    high_limit: Any = None
    low_limit: Any = None
    errors: dict[str, str] = field(default_factory=dict)  # property -> the device's error

    @property
    def key(self) -> tuple[int, str]:
        return (self.device, self.object_id)

    def held(self) -> list[tuple[int, Any]]:
        """``[(priority, value), ...]`` of the slots that hold a value, highest priority first."""
        return [(n, v) for n, v in enumerate(self.priority_array or [], start=1) if v is not None]


@dataclass(frozen=True)
class Snapshot(_Plain):
    """A whole snapshot (see the module docstring for the file it becomes)."""

    name: str
    taken_at: str  # ISO 8601 UTC
    taken_by: str
    tool: str
    devices: list[SnapshotDevice]
    points: list[SnapshotPoint]
    errors: list[dict[str, str]] = field(default_factory=list)

    def device(self, instance: int) -> SnapshotDevice | None:
        return next((d for d in self.devices if d.instance == instance), None)

    def points_of(self, instance: int) -> list[SnapshotPoint]:
        return [p for p in self.points if p.device == instance]

    def to_json(self) -> dict[str, Any]:
        """The document written to disk: format and version first."""
        return {"format": FORMAT_NAME, "version": FORMAT_VERSION, **self.to_dict()}

    @classmethod
    def from_json(cls, document: Any, source: str = "snapshot") -> Snapshot:
        """Read a document written by :meth:`to_json`; :class:`InvalidInput` naming ``source`` otherwise."""
        if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
            raise InvalidInput(f"{source}: not an aso snapshot (no \"format\": \"{FORMAT_NAME}\")")
        version = document.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise InvalidInput(f"{source}: snapshot without a valid format version")
        if version > FORMAT_VERSION:
            raise InvalidInput(f"{source}: snapshot format version {version} is newer than this aso reads "
                               f"({FORMAT_VERSION}); upgrade aso")
        try:
            return cls(
                name=str(document.get("name") or ""),
                taken_at=str(document["taken_at"]),
                taken_by=str(document.get("taken_by") or ""),
                tool=str(document.get("tool") or ""),
                devices=[SnapshotDevice.from_dict(d) for d in document["devices"]],
                points=[_point(p) for p in document["points"]],
                errors=[dict(e) for e in document.get("errors") or []],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidInput(f"{source}: damaged snapshot ({type(exc).__name__}: {exc})") from None


def _point(data: dict[str, Any]) -> SnapshotPoint:
    point = SnapshotPoint.from_dict(data)
    if not isinstance(point.device, int) or not isinstance(point.object_id, str):
        raise ValueError(f"point without a device instance and object id: {data!r:.80}")
    array = point.priority_array
    if array is not None and (not isinstance(array, list) or len(array) != 16):
        raise ValueError(f"{point.device} {point.object_id}: a priority array has 16 slots")
    return point


def save_snapshot(snapshot: Snapshot, path: str | os.PathLike[str]) -> Path:
    """Write ``snapshot`` to ``path`` (parents created) atomically; returns the path.

    Raises OSError (disk full, no permission) with nothing left behind but the old file, if any.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as stream:
            json.dump(snapshot.to_json(), stream, indent=1, ensure_ascii=False, default=str)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def load_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """Read a snapshot file; :class:`InvalidInput` for a missing, unreadable or damaged one."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{source}: no such snapshot") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{source}: cannot read it ({exc})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{source}: damaged snapshot (not JSON: {exc})") from None
    return Snapshot.from_json(document, source)
