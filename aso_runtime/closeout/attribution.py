"""Who holds a slot: an ASO (its ledger), the console or the CLI (the audit journal), the device, or unknown.

The rule, in order, for a slot holding value V at priority P of a point:

1. **aso**: an ASO's ledger on this host (every journal file in
   ``ledger_dir()``, of running hosts and of hosts that died) holds that
   point at P, and V is one of the values it wrote (``Override.ours``). A
   running host wins over a dead one's journal (an orphan).
2. **console** / **cli**: the latest audit record for that device, object
   and priority wrote V (``ledger.same_value``). Records whose outcome is an
   error are passed over unless they wrote V (a write that timed out may
   still have landed). A record of ``aso:NAME`` counts as that ASO's.
3. **device**: any other slot at priority 16, where a controller's own
   program writes (our simulator's ``PROGRAM_PRIORITY``).
4. **unknown**: nobody we know wrote V.

:func:`attribute` and :func:`attribute_out_of_service` are pure functions of
their inputs (a :class:`Holders`); :func:`read_ledgers` / :func:`load_holders`
gather the ledgers from disk. The audit records are passed in: the audit
journal (``closeout/audit.py``, ``read_records()``) is read by the caller.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..aso.journal import JournalProblem
from ..aso.ledger import Override, ledger_dir, replay, same_value
from ..bacnet import InvalidInput, device_address, parse_object_id
from ..bacnet.client import address_text
from .records import AuditRecord, HeldSlot, OutOfServicePoint

log = logging.getLogger("aso.closeout")

PROGRAM_PRIORITY = 16  # where field controllers' own programs usually write
DEVICE_DETAIL = "priority 16 (the device's program, usually)"
PRESENT_VALUE = "present-value"
OUT_OF_SERVICE = "out-of-service"


@dataclass(frozen=True)
class LedgerClaim:
    """One override as some host's ledger journal records it."""

    override: Override
    running: bool  # the host that wrote the journal is alive (it holds the journal's lock)
    path: str  # the journal file
    pid: int | None = None  # the process holding it, when known


@dataclass(frozen=True)
class Holders:
    """Everything attribution needs, gathered once per sweep (plain data, no I/O)."""

    ledger: tuple[LedgerClaim, ...] = ()
    records: tuple[AuditRecord, ...] = ()
    problems: tuple[str, ...] = ()  # journals or records that could not be read (say so: never "unknown" silently)


# ----- gathering the inputs -----------------------------------------------------------------


def _flock_holders() -> dict[tuple[int, int, int], int] | None:
    """(major, minor, inode) -> pid of every flock on this machine, from /proc/locks; None if unreadable."""
    try:
        text = Path("/proc/locks").read_text()
    except OSError:
        return None
    held: dict[tuple[int, int, int], int] = {}
    for line in text.splitlines():
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF" (a "->" marks a waiter: skip it)
        if len(fields) < 6 or fields[1] != "FLOCK":
            continue
        try:
            major, minor, inode = fields[5].split(":")
            held[(int(major, 16), int(minor, 16), int(inode))] = int(fields[4])
        except ValueError:
            continue
    return held


_PID_IN_NAME = re.compile(r"-(\d+)-\d+-\d+\.jsonl$")  # JournalFile.create: {host}-{pid}-{ms}-{n}.jsonl


def _holder_pid(path: Path, locks: dict[tuple[int, int, int], int] | None) -> int | None:
    """The pid of the live process holding this journal, or None when nobody does.

    Read from /proc/locks, never by taking the lock ourselves: a lock taken
    even for a moment would make a host starting at that instant think a
    dead host's journal was alive, and skip its orphans.
    """
    try:
        st = path.stat()
    except OSError:
        return None
    if locks is not None:
        return locks.get((os.major(st.st_dev), os.minor(st.st_dev), st.st_ino))
    match = _PID_IN_NAME.search(path.name)  # no /proc/locks: the pid in the name, if alive
    if match is None:
        return None
    pid = int(match.group(1))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return pid


def read_ledgers(directory: Path | None = None) -> tuple[list[LedgerClaim], list[JournalProblem]]:
    """Every override in every journal of ``directory`` (default ``ledger_dir()``), running or dead.

    Read only: no lock is taken. A running host's journal may end in a record
    it is writing right now; that last, unfinished line is not a problem.
    """
    directory = directory or ledger_dir()
    claims: list[LedgerClaim] = []
    problems: list[JournalProblem] = []
    if not directory.is_dir():
        return claims, problems
    locks = _flock_holders()
    for path in sorted(directory.glob("*.jsonl")):
        pid = _holder_pid(path, locks)
        try:
            result = replay(path)
        except OSError as exc:
            problems.append(JournalProblem(path, None, f"cannot read the journal ({exc.strerror})"))
            continue
        for problem in result.problems:
            if pid is not None and "cut short" in problem.reason:
                continue  # a live host mid-append
            problems.append(problem)
        claims.extend(LedgerClaim(o, pid is not None, str(path), pid) for o in result.overrides)
    return claims, problems


def load_holders(records: Iterable[AuditRecord] = (), directory: Path | None = None) -> Holders:
    """The ledgers of this host plus the given audit records, ready for :func:`attribute`."""
    claims, problems = read_ledgers(directory)
    return Holders(tuple(claims), tuple(records), tuple(str(p) for p in problems))


# ----- matching a device reference -----------------------------------------------------------


def _canonical_address(text: str) -> str | None:
    try:
        return address_text(device_address(text))
    except (InvalidInput, ValueError):
        return None


def same_device(reference: str, instance: int, address: str | None) -> bool:
    """Does a device as someone typed it (``1001``, ``device,1001``, ``10.0.0.5``, ``0x02``) mean this device?"""
    text = str(reference).strip()
    if text.isascii() and text.isdigit():
        return int(text) == instance
    if text.lower().startswith("device"):
        try:
            return parse_object_id(text).instance == instance
        except InvalidInput:
            return False
    if address is None:
        return False
    return text == address or _canonical_address(text) == _canonical_address(address)


def _same_object(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return str(parse_object_id(a)) == str(parse_object_id(b))
    except InvalidInput:
        return False


# ----- attribution ---------------------------------------------------------------------------


def _clock(epoch: float) -> str:
    """``17:02`` today, ``2026-11-28 17:02`` another day."""
    if time.strftime("%Y-%m-%d", time.localtime(epoch)) == time.strftime("%Y-%m-%d"):
        return time.strftime("%H:%M", time.localtime(epoch))
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


def _ledger_detail(claim: LedgerClaim) -> str:
    o = claim.override
    if claim.running:
        where = f"running, pid {claim.pid}" if claim.pid else "running"
    else:
        where = "its host is gone: an orphan, released by the next `aso run` or `aso release-orphans`"
    since = f", since {_clock(o.since)}" if o.since else ""
    return f"ASO {o.aso} ({where}{since})"


def _ledger_claim(holders: Holders, device: int, address: str | None, object_id: str, priority: int,
                  value: Any) -> LedgerClaim | None:
    found = [c for c in holders.ledger
             if c.override.priority == priority and c.override.property == PRESENT_VALUE
             and _same_object(c.override.object_id, object_id) and same_device(c.override.device, device, address)
             and c.override.ours(value)]
    if not found:
        return None
    # A running host first (it may write again); then the most recent.
    return max(found, key=lambda c: (c.running, c.override.since))


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "1", "active")) \
        or (isinstance(value, int) and not isinstance(value, bool) and value == 1)


def latest_record(records: Sequence[AuditRecord], device: int, address: str | None, object_id: str,
                  prop: str, priority: int | None, value: Any) -> AuditRecord | None:
    """The audit record that explains ``value`` in this slot, if the latest relevant write wrote it.

    Newest first: a successful write or release decides (it wrote ``value``
    or it did not); a failed one decides only if it wrote ``value``.
    """
    relevant = [r for r in records
                if r.property == prop and r.priority == priority and r.index is None
                and (r.device_instance == device if r.device_instance is not None
                     else same_device(r.device, device, address))
                and _same_object(r.object_id, object_id)]
    for record in sorted(relevant, key=lambda r: r.time, reverse=True):
        if prop == OUT_OF_SERVICE:
            wrote = _true(record.after) == _true(value)
        else:
            wrote = record.after is not None and same_value(record.after, value)
        if wrote:
            return record
        if record.outcome == "ok":
            return None  # the latest write that landed wrote something else (or released)
    return None


def _record_holder(record: AuditRecord) -> tuple[str, str]:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.time))
    outcome = "" if record.outcome == "ok" else f"; the device answered: {record.outcome}"
    if record.tool.startswith("aso:"):
        return "aso", f"ASO {record.tool[4:]} ({record.user}@{record.host} {when}, audit journal{outcome})"
    tool = record.tool if record.tool in ("console", "cli") else "cli"
    return tool, f"{record.user}@{record.host} {record.tool} {when} (audit {record.id}{outcome})"


def attribute(slot: HeldSlot, holders: Holders, address: str | None = None) -> HeldSlot:
    """``slot`` with holder, holder_detail, since and holder_running filled in (see the module docstring).

    ``address``: the device's address as its I-Am gave it, to match ledger
    and audit entries that name the device by address rather than instance.
    """
    claim = _ledger_claim(holders, slot.device, address, slot.object_id, slot.priority, slot.value)
    if claim is not None and claim.running:
        return replace(slot, holder="aso", holder_detail=_ledger_detail(claim), since=claim.override.since,
                       holder_running=True)
    record = latest_record(holders.records, slot.device, address, slot.object_id, PRESENT_VALUE, slot.priority,
                           slot.value)
    if record is not None and (claim is None or record.time >= claim.override.since):
        holder, detail = _record_holder(record)
        return replace(slot, holder=holder, holder_detail=detail, since=record.time, holder_running=False)
    if claim is not None:
        return replace(slot, holder="aso", holder_detail=_ledger_detail(claim), since=claim.override.since,
                       holder_running=False)
    if slot.priority == PROGRAM_PRIORITY:
        return replace(slot, holder="device", holder_detail=DEVICE_DETAIL, holder_running=False)
    return replace(slot, holder="unknown", holder_detail="", holder_running=False)


def attribute_out_of_service(point: OutOfServicePoint, holders: Holders, address: str | None = None) -> OutOfServicePoint:
    """Who put a point out of service: the audit record that wrote out-of-service true last, else unknown."""
    record = latest_record(holders.records, point.device, address, point.object_id, OUT_OF_SERVICE, None, True)
    if record is None:
        return replace(point, holder="unknown", holder_detail="")
    holder, detail = _record_holder(record)
    return replace(point, holder=holder, holder_detail=detail, since=record.time)
