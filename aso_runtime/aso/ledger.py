"""The override ledger: every write an ASO makes, journaled before it is sent.

A building operator must be able to trust that an optimization leaves nothing
overridden, even after ``kill -9`` or a power cut. So each write is appended
(and fsynced) to a journal file *before* the request goes out, and each
verified release is appended after. The journal of a live host is held under
an exclusive ``flock``; a journal whose lock can be taken belongs to a host
that died, and its unreleased entries are orphans to release on next start
(or with ``aso release-orphans``).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "aso-console"


def ledger_dir() -> Path:
    path = platformdirs.user_data_path(APP_NAME) / "ledger"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Override:
    """One point an ASO holds: a value written at a priority."""

    aso: str
    device: str
    object_id: str
    property: str
    priority: int
    value: Any
    since: float

    @property
    def key(self) -> tuple[str, str, str, str, int]:
        return (self.aso, self.device, self.object_id, self.property, self.priority)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _key(aso: str, device: str, object_id: str, property: str, priority: int) -> tuple[str, str, str, str, int]:
    return (aso, device, object_id, property, int(priority))


class Ledger:
    """Journal of one host process. Open with :meth:`open`, close when done."""

    def __init__(self, path: Path, handle: Any) -> None:
        self.path = path
        self._handle = handle
        self._held: dict[tuple, Override] = {}

    @classmethod
    def open(cls, directory: Path | None = None, host: str = "aso") -> "Ledger":
        directory = directory or ledger_dir()
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{host}-{os.getpid()}-{int(time.time() * 1000)}.jsonl"
        handle = open(path, "a", encoding="utf-8")
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return cls(path, handle)

    # ----- journal -----------------------------------------------------------

    def _append(self, record: dict[str, Any]) -> None:
        self._handle.write(json.dumps(record, default=str) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def record_write(self, aso: str, device: str, object_id: str, property: str, priority: int, value: Any) -> Override:
        """Journal a write about to be sent; the point counts as held from now."""
        override = Override(aso, device, object_id, property, int(priority), value, time.time())
        self._append({"event": "write", **override.to_dict()})
        self._held[override.key] = override
        return override

    def record_release(self, aso: str, device: str, object_id: str, property: str, priority: int, how: str = "released") -> None:
        """Journal that a held point is no longer ours (released, or taken over by someone else)."""
        key = _key(aso, device, object_id, property, priority)
        if self._held.pop(key, None) is None:
            return
        self._append({"event": how, "aso": aso, "device": device, "object_id": object_id, "property": property,
                      "priority": int(priority), "time": time.time()})

    def held(self, aso: str | None = None) -> list[Override]:
        """Points still held (by one ASO, or all), oldest first."""
        items = [o for o in self._held.values() if aso is None or o.aso == aso]
        return sorted(items, key=lambda o: o.since)

    def close(self) -> None:
        """Close; a journal with nothing held is deleted (nothing left to recover)."""
        if self._handle.closed:
            return
        clean = not self._held
        fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        self._handle.close()
        if clean:
            self.path.unlink(missing_ok=True)


def replay(path: Path) -> list[Override]:
    """What a journal still holds: writes without a later release."""
    held: dict[tuple, Override] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line after power loss
            key = _key(record.get("aso", "?"), record.get("device", "?"), record.get("object_id", "?"),
                       record.get("property", "present-value"), record.get("priority", 16))
            if record.get("event") == "write":
                held[key] = Override(*key[:5], value=record.get("value"), since=record.get("since", 0.0))
            else:
                held.pop(key, None)
    return sorted(held.values(), key=lambda o: o.since)


@dataclass
class OrphanJournal:
    """A dead host's journal, locked by us while its orphans are released."""

    path: Path
    handle: Any
    overrides: list[Override]

    def settle(self, released: list[Override]) -> None:
        """Record releases; delete the journal when nothing is left."""
        for override in released:
            record = {"event": "released", **override.to_dict(), "time": time.time()}
            self.handle.write(json.dumps(record, default=str) + "\n")
        self.handle.flush()
        os.fsync(self.handle.fileno())
        remaining = replay(self.path)
        fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
        self.handle.close()
        if not remaining:
            self.path.unlink(missing_ok=True)


def orphan_journals(directory: Path | None = None) -> Iterator[OrphanJournal]:
    """Journals of hosts that are gone (their lock is free), with what they still hold.

    Each is yielded locked, so two hosts starting at once never release the
    same orphan twice; the caller must :meth:`OrphanJournal.settle` it.
    """
    directory = directory or ledger_dir()
    if not directory.exists():
        return
    for path in sorted(directory.glob("*.jsonl")):
        try:
            handle = open(path, "a+", encoding="utf-8")
        except OSError:
            continue
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()  # a live host holds it
            continue
        overrides = replay(path)
        yield OrphanJournal(path, handle, overrides)
