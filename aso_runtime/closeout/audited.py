"""Writes that leave a trace: read what the slot holds, write, record both in the audit journal.

The one helper every technician's write goes through: ``aso write`` /
``release`` / ``wpm`` and the console's F2 line (the shared executor), the
console's write modal, slot release and object inspector, and undo. ASOs
do not come here: their ledger journals every value they write.

What "before" means: for present-value at a priority, that slot of the
priority array (one indexed read of ``priority-array[P]``; None = the slot
was empty); for anything else, the property itself (element ``index`` when
given). A before-read that fails does not stop the write: the record says
``before_known=False``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aso_runtime.bacnet import (
    BacnetClient,
    BacnetError,
    DeviceInfo,
    InvalidInput,
    is_null,
    parse_object_id,
    parse_property,
)
from aso_runtime.bacnet.encode import address_text

from .audit import AuditError, AuditJournal
from .records import AuditRecord

log = logging.getLogger("aso.runtime")


@dataclass(frozen=True)
class WriteTarget:
    """One property (or priority slot) a write changes; ``value`` None (or a null word) releases."""

    # (The method first: below, the field ``property`` hides the builtin in this class body.)
    @property
    def after(self) -> Any:
        return None if is_null(self.value) else self.value

    object_id: str
    value: Any
    priority: int | None = None
    property: str = "present-value"
    index: int | None = None


@dataclass(frozen=True)
class Audited:
    """The records of one write (one per target), and why they are not in the journal, if they are not."""

    records: list[AuditRecord]
    journal_error: str | None = None

    @property
    def warning(self) -> str | None:
        if self.journal_error is None:
            return None
        return f"the write was made but is not in the audit journal ({self.journal_error}); it cannot be undone"


def write_target(object_id: Any, value: Any, priority: int | None = None, property: str = "present-value",
                 index: int | None = None) -> WriteTarget:
    """A WriteTarget in canonical form (``analog-value,1``; ``priority-array[8]`` split into name and index).

    Raises InvalidInput for a malformed object id or property.
    """
    name, parsed_index = parse_property(property)
    return WriteTarget(str(parse_object_id(object_id)), value, None if priority is None else int(priority), name,
                       parsed_index if index is None else index)


def one_line(error: object) -> str:
    return " ".join(str(error).split()) or type(error).__name__


async def read_slot(client: BacnetClient, device: Any, object_id: Any, property: str = "present-value",
                    priority: int | None = None, index: int | None = None) -> Any:
    """What a write at (property, priority, index) would replace: the slot's value, None when empty.

    Raises the runtime's errors (BacnetTimeout, BacnetRemoteError...).
    """
    if property == "present-value" and priority is not None:
        return await client.read(device, object_id, "priority-array", int(priority))
    return await client.read(device, object_id, property, index)


async def audited(client: BacnetClient, journal: AuditJournal, device: Any, targets: Sequence[WriteTarget],
                  send: Callable[[], Awaitable[Any]], *, undoes: str | None = None) -> Audited:
    """Read each target's value before, run ``send()`` (the write itself), record one line per target.

    A failed write is recorded with its one-line error and the error is
    raised again; input refused before anything was sent
    (:class:`InvalidInput`) is not a write and is not recorded. A journal
    that cannot be written never turns a made write into a failure: the
    result says so (:attr:`Audited.warning`) and the log has it.
    """
    befores = await asyncio.gather(*(_before(client, device, t) for t in targets))
    try:
        await send()
    except InvalidInput:
        raise
    except BacnetError as exc:
        _record(client, journal, device, targets, befores, one_line(exc), undoes)
        raise
    except asyncio.CancelledError:
        _record(client, journal, device, targets, befores, "cancelled before the device answered (it may have "
                "applied the write)", undoes)
        raise
    return _record(client, journal, device, targets, befores, "ok", undoes)


async def audited_write(client: BacnetClient, journal: AuditJournal, device: Any, object_id: Any, value: Any,
                        priority: int | None = None, property: str = "present-value", index: int | None = None,
                        *, undoes: str | None = None) -> Audited:
    """``client.write`` (value None: a release at ``priority``) with its audit record. See :func:`audited`."""
    target = write_target(object_id, value, priority, property, index)
    return await audited(client, journal, device, [target],
                         lambda: client.write(device, object_id, value, priority, property, index), undoes=undoes)


async def _before(client: BacnetClient, device: Any, target: WriteTarget) -> tuple[bool, Any]:
    try:
        return True, await read_slot(client, device, target.object_id, target.property, target.priority, target.index)
    except BacnetError as exc:
        log.info("before writing %s %s: could not read what it held (%s)", target.object_id, target.property, exc)
        return False, None


def _record(client: BacnetClient, journal: AuditJournal, device: Any, targets: Sequence[WriteTarget],
            befores: Sequence[tuple[bool, Any]], outcome: str, undoes: str | None) -> Audited:
    text, instance = device_fields(client, device)
    records, error = [], None
    for target, (known, before) in zip(targets, befores):
        record = journal.new_record(device=text, device_instance=instance, object_id=target.object_id,
                                    property=target.property, priority=target.priority, index=target.index,
                                    before=before, before_known=known, after=target.after, outcome=outcome,
                                    undoes=undoes)
        records.append(record)
        try:
            journal.append(record)
        except AuditError as exc:
            if error is None:
                log.error("%s: the write is made but not recorded", exc)
            error = str(exc)
    return Audited(records, error)


def device_fields(client: BacnetClient, device: Any) -> tuple[str, int | None]:
    """The record's ``device`` (as given: an instance or an address) and its instance, when known."""
    if isinstance(device, DeviceInfo):
        return str(device.instance), device.instance
    if isinstance(device, int) and not isinstance(device, bool):
        return str(device), device
    text = str(device).strip()
    if text.isascii() and text.isdigit():
        return text, int(text)
    try:
        if text.lower().startswith("device"):
            return text, parse_object_id(text).instance
        known = client.directory.device_at(address_text(client.directory.address(text)))
    except InvalidInput:
        return text, None
    return text, known.instance if known is not None else None
