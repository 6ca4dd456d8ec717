"""Undo a write or release from the audit journal, and what a console session still holds.

An undo puts the slot (or property) back as it was before the write: the
old value written back at the same priority, or the slot released when it
was empty. It happens only while the slot still holds what the write put
there (``ledger.same_value``: 55 written, 55.0 read back); otherwise it is
refused, naming the value there now and who changed it since when we know
(a later write in the audit journal, an ASO's ledger). The undo is itself
an audit record whose ``undoes`` names the record it undid. A schedule day,
exception list or calendar date list is put back whole, under the same
rule (``schedule_audit``): only while it still reads as the edit left it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aso_runtime.aso.ledger import ledger_dir, replay, same_value
from aso_runtime.bacnet import BacnetClient, BacnetError, InvalidInput

from .audit import AuditError, AuditJournal
from .audited import Audited, audited_write, read_slot
from .records import ACKNOWLEDGE_ALARM, DEVICE_SERVICES, AuditRecord
from .schedule_audit import SCHEDULE_PROPERTIES, read_now, restore

log = logging.getLogger("aso.runtime")

LIFE_SAFETY = (1, 2)


# ----- describing records ----------------------------------------------------------------------------------


def value_words(value: Any) -> str:
    """A value for a sentence: None is an empty slot; an empty text is shown as ''."""
    return "empty" if value is None else "''" if value == "" else str(value)


def slot_text(record: AuditRecord) -> str:
    """``1001 analog-value,1`` (+ ``present-value`` only when it is another property) ``@8``."""
    prop = "" if record.property == "present-value" else f" {record.property}"
    index = f"[{record.index}]" if record.index is not None else ""
    at = f" @{record.priority}" if record.priority is not None else ""
    return f"{record.device} {record.object_id}{prop}{index}{at}"


def when(record: AuditRecord) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.time))


def describe(record: AuditRecord) -> str:
    """One line: who did what, where, when, and what was there before."""
    did = "released" if record.after is None else f"wrote {value_words(record.after)} to"
    if record.property == ACKNOWLEDGE_ALARM:
        did = f"acknowledged {value_words(record.after)} of"
    before = value_words(record.before) if record.before_known else "not read"
    failed = "" if record.outcome == "ok" else f" (failed: {record.outcome})"
    undo = f" (undo of {record.undoes})" if record.undoes else ""
    return (f"{record.user}@{record.host} ({record.tool}) {when(record)} {did} {slot_text(record)}, "
            f"before: {before}{failed}{undo}")


# ----- finding records -------------------------------------------------------------------------------------


def undone_by(records: Iterable[AuditRecord]) -> dict[str, AuditRecord]:
    """Record id -> the successful undo of it."""
    return {r.undoes: r for r in records if r.undoes and r.outcome == "ok"}


def find_record(records: Sequence[AuditRecord], ref: str) -> AuditRecord:
    """The record with id ``ref`` (or the one whose id starts with it); InvalidInput otherwise."""
    ref = ref.strip().lower()
    exact = [r for r in records if r.id == ref]
    if exact:
        return exact[-1]
    matches = [r for r in records if r.id.startswith(ref)] if len(ref) >= 4 else []
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise InvalidInput(f"{ref!r} matches {len(matches)} audit records; give more of the id "
                           "(`aso undo --list` shows them)")
    raise InvalidInput(f"no audit record {ref!r} (`aso undo --list` shows the recent ones)")


def last_undoable(records: Sequence[AuditRecord]) -> AuditRecord | None:
    """The newest successful write that is not an undo and has not been undone (`aso undo --last`)."""
    undone = undone_by(records)
    for record in reversed(records):
        if (record.outcome == "ok" and record.undoes is None and record.id not in undone
                and record.property not in DEVICE_SERVICES):
            return record
    return None


def same_slot(a: AuditRecord, b: AuditRecord) -> bool:
    same_device = (a.device_instance is not None and a.device_instance == b.device_instance) or a.device == b.device
    return (same_device and a.object_id == b.object_id and a.property == b.property and a.priority == b.priority
            and a.index == b.index)


# ----- undo ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UndoPlan:
    """What undoing ``record`` would do now: ``action`` write / release, or refused (``reason`` says why)."""

    record: AuditRecord
    action: str  # "write", "release" or "refused"
    reason: str  # one line: what will be done, or why not
    now: Any = None  # the slot's value now (None: empty), when it was read
    now_known: bool = False

    @property
    def refused(self) -> bool:
        return self.action == "refused"

    @property
    def life_safety(self) -> bool:
        return self.record.priority in LIFE_SAFETY

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.record.id, "action": self.action, "reason": self.reason,
                "now": self.now if self.now_known else None, "now_known": self.now_known}


@dataclass(frozen=True)
class UndoResult:
    plan: UndoPlan
    audited: Audited | None = None  # the undo's own record; None when refused
    verified: bool | None = None  # the slot read back holds the old value again (None: not read)
    read_back_error: str | None = None

    @property
    def done(self) -> bool:
        return self.audited is not None

    @property
    def record(self) -> AuditRecord | None:
        return self.audited.records[0] if self.audited is not None else None


def _refused(record: AuditRecord, reason: str, now: Any = None, now_known: bool = False) -> UndoPlan:
    return UndoPlan(record, "refused", reason, now, now_known)


async def check_undo(client: BacnetClient, record: AuditRecord, history: Sequence[AuditRecord] = ()) -> UndoPlan:
    """Read the slot and decide: restore it, or refuse (with the reason). ``history``: the journal's records.

    Raises the runtime's errors when the slot cannot be read (the device does not answer).
    """
    if record.property == ACKNOWLEDGE_ALARM:
        return _refused(record, f"audit {record.id} acknowledged {record.object_id} on device {record.device}: "
                                "an acknowledgement cannot be taken back")
    if record.property in DEVICE_SERVICES:
        return _refused(record, f"audit {record.id} is a {record.property} sent to device {record.device}, not a "
                                "write: send the opposite yourself (aso dcc / aso reinit / aso time-sync)")
    if record.outcome != "ok":
        return _refused(record, f"audit {record.id} is a write that failed ({record.outcome}): it changed nothing")
    if not record.before_known:
        return _refused(record, f"what {slot_text(record)} held before audit {record.id} was not read: "
                                "there is nothing known to restore")
    done = undone_by(history).get(record.id)
    if done is not None:
        return _refused(record, f"audit {record.id} was already undone by {done.id} "
                                f"({done.user}@{done.host} {when(done)})")
    if record.property in SCHEDULE_PROPERTIES:
        return await _check_schedule(client, record, history)
    now = await read_slot(client, record.device, record.object_id, record.property, record.priority, record.index)
    if not same_value(record.after, now):
        return _refused(record, f"{slot_text(record)} no longer holds what audit {record.id} "
                                f"{'left' if record.after is None else 'wrote'} ({value_words(record.after)}): it "
                                f"holds {value_words(now)} now, {changed_by(record, now, history)}; nothing was changed",
                        now, True)
    if record.before is None:
        if record.priority is None:
            return _refused(record, f"{slot_text(record)} held no value before audit {record.id}: nothing to "
                                    "write back", now, True)
        if record.after is None:
            return _refused(record, f"slot {record.priority} was already empty before the release {record.id}: "
                                    "nothing to restore", now, True)
        return UndoPlan(record, "release", f"release {slot_text(record)} (it was empty before; holds "
                                           f"{value_words(now)} now)", now, True)
    return UndoPlan(record, "write", f"write {value_words(record.before)} back to {slot_text(record)} (holds "
                                     f"{value_words(now)} now)", now, True)


async def _check_schedule(client: BacnetClient, record: AuditRecord, history: Sequence[AuditRecord]) -> UndoPlan:
    """A day, the exceptions or the dates: compared as the text the record keeps (schedule_audit), whole."""
    now = await read_now(client, record)
    if now != record.after:
        return _refused(record, f"{slot_text(record)} no longer holds what audit {record.id} wrote "
                                f"({record.after}): it holds {now} now, {changed_by(record, now, history)}; "
                                "nothing was changed", now, True)
    return UndoPlan(record, "write", f"write {record.before} back to {slot_text(record)} (holds {now} now)", now, True)


async def undo(client: BacnetClient, journal: AuditJournal, record: AuditRecord,
               history: Sequence[AuditRecord] = ()) -> UndoResult:
    """Check the slot again (:func:`check_undo`) and, if it still holds our value, restore it.

    The restore goes through the audit helper (its own record, ``undoes``
    set), then the slot is read back. Raises the runtime's errors when the
    device refuses or does not answer (the failed undo is in the journal too).
    """
    plan = await check_undo(client, record, history)
    if plan.refused:
        return UndoResult(plan)
    if record.property in SCHEDULE_PROPERTIES:  # the schedule helpers read back, and raise if it differs
        return UndoResult(plan, await restore(client, journal, record, plan.now), True)
    value = None if plan.action == "release" else record.before
    audited = await audited_write(client, journal, record.device, record.object_id, value, record.priority,
                                  record.property, record.index, undoes=record.id)
    try:
        now = await read_slot(client, record.device, record.object_id, record.property, record.priority,
                              record.index)
    except BacnetError as exc:
        return UndoResult(plan, audited, None, str(exc))
    return UndoResult(plan, audited, same_value(record.before, now))


def changed_by(record: AuditRecord, now: Any, history: Sequence[AuditRecord]) -> str:
    """Who put ``now`` in the slot since ``record``, as far as the audit journal and the ASO ledgers know."""
    later = [r for r in history if r.time > record.time and r.outcome == "ok" and same_slot(r, record)]
    for other in reversed(later):
        if same_value(other.after, now):
            return f"written by {other.user}@{other.host} ({other.tool}) at {when(other)} (audit {other.id})"
    holder = _aso_holding(record, now)
    if holder:
        return holder
    if later:
        last = later[-1]
        return (f"changed since by someone else (the last recorded write there, {last.id} by {last.user}@{last.host}, "
                f"was {value_words(last.after)})")
    return "changed since by another client, an ASO or the device (no later write in the audit journal)"


def _aso_holding(record: AuditRecord, now: Any) -> str | None:
    """An ASO of this host whose ledger holds ``now`` in that slot, if any."""
    if record.priority is None:
        return None
    devices = {record.device} | ({str(record.device_instance)} if record.device_instance is not None else set())
    try:
        paths = sorted(ledger_dir().glob("*.jsonl"))
    except OSError:
        return None
    for path in paths:
        try:
            overrides = replay(path).overrides
        except OSError:
            continue
        for o in overrides:
            if (o.device in devices and o.object_id == record.object_id and o.property == record.property
                    and o.priority == record.priority and o.ours(now)):
                return f"held by ASO {o.aso} (its ledger, since {time.strftime('%H:%M:%S', time.localtime(o.since))})"
    return None


# ----- what a console session still holds ------------------------------------------------------------------


def session_overrides(session: Sequence[AuditRecord], history: Sequence[AuditRecord] = ()) -> list[AuditRecord]:
    """This session's manual overrides that its records say still stand.

    For each slot written at a priority, its last record in the session:
    an ok write (not a release, not an undo) that no one has undone since
    (``history``: the whole journal, where another process's undo shows).
    """
    last: dict[tuple, AuditRecord] = {}
    for record in session:
        if record.priority is None or record.outcome != "ok":
            continue
        key = (record.device_instance if record.device_instance is not None else record.device, record.object_id,
               record.property, record.priority, record.index)
        last.pop(key, None)  # keep insertion order by the latest write
        last[key] = record
    undone = undone_by(history)
    return [r for r in last.values() if r.after is not None and r.undoes is None and r.id not in undone]


@dataclass(frozen=True)
class HeldOverride:
    """A manual override of this session and what its slot holds now (``error``: it could not be read)."""

    record: AuditRecord
    now: Any = None
    error: str | None = None

    @property
    def held(self) -> bool:
        return self.error is None and same_value(self.record.after, self.now)


async def check_held(client: BacnetClient, records: Sequence[AuditRecord]) -> list[HeldOverride]:
    """Read each override's slot: still ours, someone else's now, or unknown (no answer)."""
    async def one(record: AuditRecord) -> HeldOverride:
        try:
            now = await read_slot(client, record.device, record.object_id, record.property, record.priority,
                                  record.index)
        except BacnetError as exc:
            return HeldOverride(record, error=str(exc))
        return HeldOverride(record, now)

    return list(await asyncio.gather(*(one(r) for r in records)))


async def release_held(client: BacnetClient, journal: AuditJournal, record: AuditRecord) -> Audited | None:
    """Release one override of ours, only if its slot still holds our value (None: it no longer does)."""
    now = await read_slot(client, record.device, record.object_id, record.property, record.priority, record.index)
    if not same_value(record.after, now):
        return None
    return await audited_write(client, journal, record.device, record.object_id, None, record.priority,
                               record.property, record.index)


async def session_held(client: BacnetClient, journal: AuditJournal) -> list[HeldOverride]:
    """This session's manual overrides, each with what its slot holds now (read from the devices).

    Empty, and nothing read, when the session wrote nothing at a priority.
    Use :attr:`HeldOverride.held` for those still ours; the others hold
    someone else's value now, or did not answer (``error``).
    """
    session = journal.session_records()
    if not session_overrides(session):
        return []
    try:
        past = journal.read(since=journal.started).records
    except AuditError as exc:
        log.warning("%s: undos made by other processes are not taken into account", exc)
        past = []
    return await check_held(client, session_overrides(session, past))
