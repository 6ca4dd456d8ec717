"""The override ledger: every value an ASO writes, journaled before it is sent.

A building operator must be able to trust that an optimization leaves nothing
overridden, even after ``kill -9``, a lost datagram, a refused write or a
power cut. So for every point an ASO holds (device, object, property,
priority) the ledger keeps **every value written since the last verified
release**, not just the last one: when the last write was lost, refused or
never sent, the slot still holds an earlier value of ours, and only a value
this host never wrote makes a slot someone else's ("taken over").

Each write is appended (and fsynced) to a journal before the request goes
out; each verified release is appended after. A journal that cannot be
written refuses new writes and never stops a release (release first,
record after). The journal of a live host is held under an exclusive
``flock``; one whose lock can be taken belongs to a host that died, and its
unreleased entries are orphans released on the next start (or with
``aso release-orphans``).

Memory stays bounded: once a later write of the same point is acknowledged
by the device, values sent more than :data:`ACK_HORIZON` seconds before it
are forgotten (a datagram is not delivered minutes late), and the journal is
rewritten with only what is held every :data:`MAX_RECORDS` records.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from .journal import JournalError, JournalFile, JournalProblem, LockedJournal, dead_journals, read_records

log = logging.getLogger("aso.runtime")

APP_NAME = "aso-console"
# A journal is rewritten with only what is still held after this many records:
# an ASO writing ten points a minute for months must not fill the disk.
MAX_RECORDS = 10_000
# Seconds after which a value superseded by an acknowledged later write is forgotten.
ACK_HORIZON = 300.0
RELEASE_EVENTS = ("released", "already-released", "taken-over", "gone", "adopted")

Key = tuple[str, str, str, str, int]


def ledger_dir() -> Path:
    path = platformdirs.user_data_path(APP_NAME) / "ledger"
    path.mkdir(parents=True, exist_ok=True)
    return path


def same_value(written: Any, seen: Any) -> bool:
    """Is a slot holding what we wrote? (5 was written, 5.0 comes back; 'active' comes back as 1)."""
    if written is None or seen is None:
        return written is seen
    # A technician types true/active; the device answers True or the enumeration 1.
    binary = {"active": 1, "inactive": 0, "true": 1, "false": 0, True: 1, False: 0}
    if isinstance(written, str) and written.strip().lower() in binary:
        written = binary[written.strip().lower()]
    if isinstance(seen, str) and seen.strip().lower() in binary:
        seen = binary[seen.strip().lower()]
    try:
        a, b = float(written), float(seen)
    except (TypeError, ValueError):
        return str(written) == str(seen)
    # Reals travel as 32-bit floats: 69.6 comes back as 69.59999847.
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-4)


@dataclass(frozen=True)
class Override:
    """One point an ASO holds at a priority, as the ledger knows it.

    ``value`` is the last value written; ``values`` every value written
    since the last verified release (any of them may be in the slot).
    ``pending`` says why a release has not succeeded yet (None: not tried
    or not failed).
    """

    aso: str
    device: str
    object_id: str
    property: str
    priority: int
    value: Any
    since: float
    values: tuple = ()
    pending: str | None = None

    @property
    def key(self) -> Key:
        return (self.aso, self.device, self.object_id, self.property, self.priority)

    def ours(self, seen: Any) -> bool:
        """Could ``seen`` (a slot's value) have been written by us?"""
        return any(same_value(value, seen) for value in (self.values or (self.value,)))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Written:
    value: Any
    sent: float


@dataclass
class _Held:
    since: float
    values: list[_Written] = field(default_factory=list)
    pending: str | None = None

    def add(self, value: Any, now: float) -> None:
        self.values = [w for w in self.values if not same_value(w.value, value)]
        self.values.append(_Written(value, now))


def _key(aso: str, device: str, object_id: str, property: str, priority: int) -> Key:
    return (aso, device, object_id, property, int(priority))


def _fields(key: Key) -> dict[str, Any]:
    return dict(zip(("aso", "device", "object_id", "property", "priority"), key))


class Ledger:
    """The journal of one host process. Open with :meth:`open`, close when done."""

    def __init__(self, journal: JournalFile, host: str = "aso", max_records: int = MAX_RECORDS) -> None:
        self._journal = journal
        self._host = host
        self._held: dict[Key, _Held] = {}
        self._records = 0
        self.max_records = max_records
        self.journal_error: str | None = None  # set while the journal cannot be written

    @classmethod
    def open(cls, directory: Path | None = None, host: str = "aso", max_records: int = MAX_RECORDS) -> "Ledger":
        directory = directory or ledger_dir()
        directory.mkdir(parents=True, exist_ok=True)
        return cls(JournalFile.create(directory, host), host, max_records)

    @property
    def path(self) -> Path:
        return self._journal.path

    # ----- what the runner records ----------------------------------------------

    def record_write(self, aso: str, device: str, object_id: str, property: str, priority: int, value: Any) -> Override:
        """Journal a write about to be sent; the point counts as held from now.

        Raises :class:`JournalError` if the journal cannot be written: the
        write must then not be sent (nothing unjournaled reaches a device).
        """
        key = _key(aso, device, object_id, property, priority)
        now = time.time()
        held = self._held.get(key)
        since = held.since if held else now
        self._append([{"event": "write", **_fields(key), "value": value, "since": since, "time": now}])
        if held is None:
            held = self._held[key] = _Held(since)
        held.add(value, now)
        held.pending = None  # written again: the ASO holds it on purpose
        self._maybe_rotate()
        return self._override(key, held)

    def record_acknowledged(self, aso: str, device: str, object_id: str, property: str, priority: int,
                            value: Any) -> None:
        """The device acknowledged ``value``: forget values superseded long enough ago."""
        held = self._held.get(_key(aso, device, object_id, property, priority))
        if held is None:
            return
        cutoff = time.time() - ACK_HORIZON
        held.values = [w for w in held.values if same_value(w.value, value) or w.sent >= cutoff]

    def record_release(self, aso: str, device: str, object_id: str, property: str, priority: int,
                       how: str = "released") -> None:
        """The point is no longer ours (``how``: released, already-released, taken-over, gone).

        Never raises: a journal that cannot be written must not stop a
        release. The next start then finds the slot empty and says so.
        """
        key = _key(aso, device, object_id, property, priority)
        if self._held.pop(key, None) is None:
            return
        try:
            self._append([{"event": how, **_fields(key), "time": time.time()}])
        except JournalError:
            pass  # already logged by _append; the release itself stands

    def adopt(self, override: Override, reason: str) -> bool:
        """Take over a dead host's override whose release failed, to retry it here.

        Journaled (so it is never lost between the two journals); returns
        False, leaving it to the dead host's journal, if ours cannot be written.
        """
        key = override.key
        held = self._held.get(key) or _Held(override.since)
        for value in override.values or (override.value,):
            held.add(value, 0.0)
        record = {"event": "held", **_fields(key), "values": [w.value for w in held.values], "since": held.since}
        try:
            self._append([record])
        except JournalError:
            return False
        held.pending = reason
        self._held[key] = held
        return True

    def mark_pending(self, override: Override, reason: str) -> None:
        """A release failed: the point is still held, and a retry is due."""
        held = self._held.get(override.key)
        if held is not None:
            held.pending = reason

    def held(self, aso: str | None = None) -> list[Override]:
        """Points still held (by one ASO, or all), oldest first."""
        items = [self._override(k, h) for k, h in self._held.items() if aso is None or k[0] == aso]
        return sorted(items, key=lambda o: o.since)

    def pending(self, aso: str | None = None) -> list[Override]:
        """Held points whose release failed and is being retried."""
        return [o for o in self.held(aso) if o.pending is not None]

    def close(self) -> None:
        """Close; a journal with nothing held is deleted (nothing left to recover)."""
        self._journal.close(delete=not self._held)

    # ----- journal ---------------------------------------------------------------

    @staticmethod
    def _override(key: Key, held: _Held) -> Override:
        values = tuple(w.value for w in held.values)
        return Override(*key, value=values[-1] if values else None, since=held.since, values=values,
                        pending=held.pending)

    def _append(self, records: list[dict[str, Any]]) -> None:
        try:
            self._journal.append(records)
        except JournalError as exc:
            if self.journal_error is None:
                log.error("%s: new writes are refused until it can be written again; releases go on", exc)
            self.journal_error = str(exc)
            raise
        if self.journal_error is not None:
            log.warning("override journal %s can be written again", self.path)
            self.journal_error = None
        self._records += len(records)

    def _snapshot(self) -> list[dict[str, Any]]:
        return [{"event": "held", **_fields(key), "values": [w.value for w in held.values], "since": held.since}
                for key, held in self._held.items()]

    def _maybe_rotate(self) -> None:
        """Start a new journal with only the held points, then drop the old one.

        The old file stays locked until it is unlinked, so no other host can
        take it for a dead one's; a crash in between leaves two journals that
        describe the same overrides, and releasing twice is harmless (the
        second finds the slot empty). A rotation that fails is tried again
        at the next write; the current journal stays complete.
        """
        if self._records < self.max_records:
            return
        try:
            journal = JournalFile.create(self.path.parent, self._host)
            journal.append(self._snapshot())
        except JournalError as exc:
            log.warning("cannot rotate the override journal yet: %s", exc)
            return
        old, self._journal, self._records = self._journal, journal, len(self._held)
        old.close(delete=True)


# ----- reading a journal back --------------------------------------------------------


def _checked_key(record: dict[str, Any]) -> Key | None:
    """The record's point, if every field has the right type (else None: damaged)."""
    from ..bacnet import InvalidInput, parse_object_id

    aso, device, object_id = record.get("aso"), record.get("device"), record.get("object_id")
    prop, priority = record.get("property", "present-value"), record.get("priority")
    if not all(isinstance(text, str) and text for text in (aso, device, object_id, prop)):
        return None
    if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 16:
        return None
    try:
        object_id = str(parse_object_id(object_id))
    except InvalidInput:
        return None
    return (aso, device, object_id, prop, priority)


@dataclass
class Replay:
    """What a journal still holds, and the records that could not be read."""

    overrides: list[Override]
    problems: list[JournalProblem]


def replay(path: Path, data: bytes | None = None) -> Replay:
    """Writes without a later release, with every value written; damaged records reported."""
    records, problems = read_records(path, data)
    held: dict[Key, _Held] = {}
    for line, record in records:
        event = record.get("event")
        key = _checked_key(record)
        if key is None or event not in ("write", "held", "write-failed", *RELEASE_EVENTS):
            problems.append(JournalProblem(path, line, "damaged record (missing or malformed fields): skipped"))
            continue
        if event in RELEASE_EVENTS:
            held.pop(key, None)
        elif event == "write":
            if "value" not in record:
                problems.append(JournalProblem(path, line, "damaged record (a write without a value): skipped"))
                continue
            since = record.get("since") if isinstance(record.get("since"), (int, float)) else 0.0
            entry = held.setdefault(key, _Held(since))
            entry.add(record["value"], since)
        elif event == "held":
            values = record.get("values")
            if not isinstance(values, list) or not values:
                problems.append(JournalProblem(path, line, "damaged record (held without values): skipped"))
                continue
            since = record.get("since") if isinstance(record.get("since"), (int, float)) else 0.0
            entry = held.setdefault(key, _Held(since))
            for value in values:
                entry.add(value, since)
        # "write-failed" (journals of earlier versions) no longer drops anything:
        # the slot may still hold an earlier value of ours.
    overrides = [Ledger._override(key, entry) for key, entry in held.items()]
    return Replay(sorted(overrides, key=lambda o: o.since), problems)


@dataclass
class OrphanJournal:
    """A dead host's journal, locked by us while its orphans are released."""

    journal: LockedJournal
    overrides: list[Override]
    problems: list[JournalProblem]

    @property
    def path(self) -> Path:
        return self.journal.path

    def settle(self, settled: list[tuple[Override, str]]) -> str | None:
        """Record the releases; remove the journal when nothing is left.

        A journal with damaged records is moved to ``damaged/`` beside it
        (kept for a person to read, out of the way of the next start). Returns
        a note for the user when the journal could not be updated or was moved.
        """
        note = None
        if settled and self.journal.writable:
            try:
                self.journal.append([{"event": how, **_fields(o.key), "time": time.time()} for o, how in settled])
            except JournalError as exc:
                note = f"{exc}: the releases are not recorded; the next run will find those slots empty"
        elif settled:
            note = f"{self.path} is not writable by this user: released, but the journal is unchanged; remove it once checked"
        remaining = len(self.overrides) - len(settled)
        if remaining == 0 and self.journal.writable and note is None:
            if self.problems:
                target = self.path.parent / "damaged" / self.path.name
                try:
                    target.parent.mkdir(exist_ok=True)
                    self.path.rename(target)
                    note = f"damaged journal moved to {target}; read it to check what its damaged records held"
                except OSError as exc:
                    note = f"damaged journal {self.path} kept ({exc.strerror})"
            else:
                self.path.unlink(missing_ok=True)
        self.journal.release_lock()
        return note


def orphan_journals(directory: Path | None = None) -> Iterator[OrphanJournal]:
    """Journals of hosts that are gone (their lock is free), with what they still hold.

    Each is yielded locked, so two hosts starting at once never release the
    same orphan twice; the caller must :meth:`OrphanJournal.settle` it. A
    journal that cannot be read is yielded with one problem and nothing held.
    """
    directory = directory or ledger_dir()
    for journal in dead_journals(directory):
        if journal.error is not None:
            yield OrphanJournal(journal, [], [JournalProblem(journal.path, None, journal.error)])
            continue
        result = replay(journal.path, journal.data)
        yield OrphanJournal(journal, result.overrides, result.problems)
