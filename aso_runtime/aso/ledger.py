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


# A journal is rewritten with only what is still held after this many records:
# an ASO writing ten points a minute for months must not fill the disk.
MAX_RECORDS = 10_000


def _create(directory: Path, host: str) -> tuple[Path, Any]:
    """A new journal file, locked by us; the name is unique to this process and moment."""
    for attempt in range(1000):
        path = directory / f"{host}-{os.getpid()}-{int(time.time() * 1000)}-{attempt}.jsonl"
        try:
            handle = open(path, "x", encoding="utf-8")
        except FileExistsError:
            continue
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return path, handle
    raise RuntimeError(f"cannot create a journal in {directory}")


class Ledger:
    """Journal of one host process. Open with :meth:`open`, close when done."""

    def __init__(self, path: Path, handle: Any, host: str = "aso", max_records: int = MAX_RECORDS) -> None:
        self.path = path
        self._handle = handle
        self._host = host
        self._held: dict[tuple, Override] = {}
        self._records = 0
        self.max_records = max_records

    @classmethod
    def open(cls, directory: Path | None = None, host: str = "aso", max_records: int = MAX_RECORDS) -> "Ledger":
        directory = directory or ledger_dir()
        directory.mkdir(parents=True, exist_ok=True)
        path, handle = _create(directory, host)
        return cls(path, handle, host, max_records)

    # ----- journal -----------------------------------------------------------

    def _append(self, record: dict[str, Any]) -> None:
        self._write(self._handle, [record])
        self._records += 1
        if self._records >= self.max_records:
            self._rotate()

    @staticmethod
    def _write(handle: Any, records: list[dict[str, Any]]) -> None:
        handle.write("".join(json.dumps(record, default=str) + "\n" for record in records))
        handle.flush()
        os.fsync(handle.fileno())

    def _rotate(self) -> None:
        """Start a new journal with only the held points, then drop the old one.

        The old file stays locked until it is unlinked, so no other host can
        take it for a dead one's; a crash in between leaves two journals that
        describe the same overrides, and releasing twice is harmless (the
        second finds the slot empty).
        """
        path, handle = _create(self.path.parent, self._host)
        self._write(handle, [{"event": "write", **o.to_dict()} for o in self._held.values()])
        old_path, old_handle = self.path, self._handle
        self.path, self._handle, self._records = path, handle, len(self._held)
        old_path.unlink(missing_ok=True)
        fcntl.flock(old_handle.fileno(), fcntl.LOCK_UN)
        old_handle.close()

    def record_write(self, aso: str, device: str, object_id: str, property: str, priority: int, value: Any) -> Override:
        """Journal a write about to be sent; the point counts as held from now.

        Writing a point already held keeps its "since" (when the override began).
        """
        key = _key(aso, device, object_id, property, priority)
        earlier = self._held.get(key)
        override = Override(*key, value=value, since=earlier.since if earlier else time.time())
        self._held[key] = override  # before the append: a rotation it triggers must include it
        self._append({"event": "write", **override.to_dict()})
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
