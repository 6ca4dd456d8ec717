"""Add or drop one exception of a schedule, or one date of a calendar, and read it back.

>>> await add_exception(client, 1001, "schedule,1", "2026-12-24..2026-12-26", [("00:00", "inactive")], 8)
>>> await drop_exception(client, 1001, "schedule,1", 2)          # exception-schedule[2]
>>> await add_calendar_entry(client, 1001, "calendar,1", "2027-04-05")

exception-schedule is a BACnet array and has no add/remove service, so each
edit reads the whole property, changes one element and writes it all back.
The other elements are written back exactly as the device sent them (never
re-typed from their text), and a drop checks first that element N is still
the one the technician was shown: someone else may have edited it since.
Numbers are 1-based, as the array index and as ``aso schedule`` lists them.
"""

from __future__ import annotations

from typing import Any

from bacpypes3.basetypes import CalendarEntry
from bacpypes3.constructeddata import ListOf

from .errors import BacnetError, InvalidInput
from .ids import ObjectId, parse_object_id
from .schedule import (
    Calendar,
    Entry,
    Schedule,
    ScheduleException,
    _exception,
    _read_raw,
    _schedule_oid,
    _write_raw,
    read_calendar,
    read_exception_schedule,
    read_schedule,
    special_event,
    write_exception_schedule,
)
from .schedule_text import calendar_entry_text, parse_calendar_entry


def value_text(value: object) -> str:
    return "default" if value is None else str(value)


def entries_text(entries: list[Entry]) -> str:
    """'07:00=active, 14:00=inactive' or '(none)'."""
    return ", ".join(f"{t}={value_text(v)}" for t, v in entries) or "(none)"


def exception_text(exc: ScheduleException) -> str:
    """One line for a question or a report: '2026-12-31 at priority 5: 07:00=active, 14:00=inactive'."""
    return f"{exc.period} at priority {exc.priority}: {entries_text(exc.entries)}"


def _check_number(number: int, count: int, what: str) -> int:
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= count:
        held = f"1..{count}" if count else "none: it is empty"
        raise InvalidInput(f"{what} {number}: there is no such entry ({held})")
    return number


async def add_exception(client: Any, device: Any, object_id: str | ObjectId, period: str, entries: list[Entry],
                        priority: int, *, kind: str | None = None, timeout: float | None = None) -> Schedule:
    """Append one exception (period as :mod:`.schedule_text` reads it, entries, event priority 1..16).

    Returns the schedule read back (the new exception is the last one);
    :class:`InvalidInput` before anything is sent for a bad period, entry or
    priority; :class:`BacnetError` if the device kept something else.
    """
    oid = _schedule_oid(object_id)
    if kind is None:
        kind = (await read_schedule(client, device, oid, timeout=timeout)).kind
    new = special_event(period, entries, priority, kind, f"{oid} new exception")
    events = await read_exception_schedule(client, device, oid, timeout=timeout)
    return await write_exception_schedule(client, device, oid, [*events, new], kind, timeout=timeout)


async def drop_exception(client: Any, device: Any, object_id: str | ObjectId, number: int, *,
                         expected: ScheduleException | None = None, kind: str | None = None,
                         timeout: float | None = None) -> Schedule:
    """Remove exception-schedule[number] (1-based); with ``expected``, only if it still is that exception.

    Returns the schedule read back; :class:`InvalidInput` for a number the
    device does not hold; :class:`BacnetError` if the exception changed since
    it was read, or if the device kept something else.
    """
    oid = _schedule_oid(object_id)
    if kind is None:
        kind = (await read_schedule(client, device, oid, timeout=timeout)).kind
    events = await read_exception_schedule(client, device, oid, timeout=timeout)
    _check_number(number, len(events), f"{oid} exception")
    if expected is not None and _exception(events[number - 1], kind) != expected:
        raise BacnetError(f"{oid} exception {number} changed since it was read "
                          f"(now {exception_text(_exception(events[number - 1], kind))}): nothing dropped")
    return await write_exception_schedule(client, device, oid, events[:number - 1] + events[number:], kind,
                                          timeout=timeout)


def _calendar_oid(object_id: str | ObjectId) -> ObjectId:
    oid = parse_object_id(object_id)
    if oid.type != "calendar":
        raise InvalidInput(f"{oid} is not a calendar object")
    return oid


async def _write_date_list(client: Any, device: Any, oid: ObjectId, entries: list, timeout: float | None) -> Calendar:
    await _write_raw(client, device, oid, "date-list", ListOf(CalendarEntry)(entries), timeout=timeout)
    after = await read_calendar(client, device, oid, timeout=timeout)
    wanted = [calendar_entry_text(e) for e in entries]
    if after.dates != wanted:
        raise BacnetError(f"{oid} date-list: wrote {wanted} but the device reads back {after.dates}")
    return after


async def _read_date_list(client: Any, device: Any, oid: ObjectId, timeout: float | None) -> list:
    return list(await _read_raw(client, device, oid, "date-list", ListOf(CalendarEntry), timeout=timeout) or [])


async def add_calendar_entry(client: Any, device: Any, object_id: str | ObjectId, text: str, *,
                             timeout: float | None = None) -> Calendar:
    """Append a date, a range or a week-n-day to a calendar's date-list; returns the calendar read back."""
    oid = _calendar_oid(object_id)
    new = parse_calendar_entry(text)
    entries = await _read_date_list(client, device, oid, timeout)
    return await _write_date_list(client, device, oid, [*entries, new], timeout)


async def write_date_list(client: Any, device: Any, object_id: str | ObjectId, texts: list[str], *,
                          timeout: float | None = None) -> Calendar:
    """Replace a calendar's whole date-list with ``texts`` (as :func:`read_calendar` lists them; undo of an edit)."""
    oid = _calendar_oid(object_id)
    entries = [parse_calendar_entry(text) for text in texts]  # InvalidInput before anything is sent
    return await _write_date_list(client, device, oid, entries, timeout)


async def drop_calendar_entry(client: Any, device: Any, object_id: str | ObjectId, number: int, *,
                              expected: str | None = None, timeout: float | None = None) -> Calendar:
    """Remove date-list entry ``number`` (1-based, as listed); with ``expected``, only if it still reads so."""
    oid = _calendar_oid(object_id)
    entries = await _read_date_list(client, device, oid, timeout)
    _check_number(number, len(entries), f"{oid} date")
    now = calendar_entry_text(entries[number - 1])
    if expected is not None and now != expected:
        raise BacnetError(f"{oid} date {number} changed since it was read (now {now}): nothing dropped")
    return await _write_date_list(client, device, oid, entries[:number - 1] + entries[number:], timeout)


__all__ = ["add_calendar_entry", "add_exception", "drop_calendar_entry", "drop_exception", "entries_text",
           "exception_text", "value_text", "write_date_list"]
