"""Schedule and calendar edits in the audit journal, and putting one back (``aso undo``, ``u`` in the console).

A day of a weekly-schedule (``index`` = the day, 1 Monday .. 7 Sunday, the
array index), the exception-schedule and a calendar's date-list are whole
values, not a priority slot (``priority`` None: never an override). Their
records keep ``before`` and ``after`` as the text the tools print, which
the tools' own parsers read back exactly:

- a day: ``07:00=active, 18:00=inactive`` (``(none)``: an empty day);
- exceptions: ``2026-12-31 at priority 5: 07:00=active; calendar,1 at priority 10: 00:00=inactive``;
- dates: ``*-12-25; 2026-12-24..2027-01-02; week-n-day month 11, 4th week, Thu``.

An undo writes ``before`` back (write_day, the whole exception-schedule, the
whole date-list) only while the object still reads as ``after``; every
write here is read back by the schedule helpers (BacnetError if it differs).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aso_runtime.bacnet import (
    BacnetClient,
    BacnetError,
    Calendar,
    InvalidInput,
    Schedule,
    parse_entries,
    read_calendar,
    read_schedule,
    write_day,
    write_exceptions,
)
from aso_runtime.bacnet.schedule_edit import (
    entries_text,
    exception_text,
    write_date_list,
)

from .audit import AuditError, AuditJournal
from .audited import Audited, device_fields, one_line
from .records import ACKNOWLEDGE_ALARM, AuditRecord

WEEKLY_SCHEDULE = "weekly-schedule"
EXCEPTION_SCHEDULE = "exception-schedule"
DATE_LIST = "date-list"
SCHEDULE_PROPERTIES = frozenset({WEEKLY_SCHEDULE, EXCEPTION_SCHEDULE, DATE_LIST})

NONE = "(none)"
_JOIN = "; "  # between exceptions or dates: their own texts use ", " (entries, week-n-day) but never ";"
_PRIORITY = " at priority "


# ----- as text, and back -----------------------------------------------------------------------------------


def exceptions_text(exceptions: list) -> str:
    return _JOIN.join(exception_text(e) for e in exceptions) or NONE


def dates_text(dates: list[str]) -> str:
    return _JOIN.join(dates) or NONE


def shown(prop: str, index: int | None, value: Schedule | Calendar) -> str:
    """What a record keeps of a schedule or calendar read back: one day, the exceptions, or the dates."""
    if prop == WEEKLY_SCHEDULE:
        return entries_text(value.days[index - 1])
    if prop == EXCEPTION_SCHEDULE:
        return exceptions_text(value.exceptions)
    return dates_text(value.dates)


def _entries(text: str) -> list:
    return [] if text.strip() == NONE else parse_entries(text)


def parse_exceptions(text: str) -> list[dict[str, Any]]:
    """:func:`exceptions_text` back into what ``write_exceptions`` takes; InvalidInput for damaged text."""
    if text.strip() == NONE:
        return []
    exceptions = []
    for item in text.split(_JOIN):
        period, sep, rest = item.partition(_PRIORITY)
        priority, colon, entries = rest.partition(": ")
        if not sep or not colon or not priority.isdigit():
            raise InvalidInput(f"exception {item!r}: expected 'PERIOD at priority N: HH:MM=VALUE, ...'")
        exceptions.append({"period": period, "entries": _entries(entries), "priority": int(priority)})
    return exceptions


def parse_dates(text: str) -> list[str]:
    return [] if text.strip() == NONE else text.split(_JOIN)


# ----- recording an edit -----------------------------------------------------------------------------------


async def audited_edit(client: BacnetClient, journal: AuditJournal, device: Any, object_id: str, prop: str,
                       index: int | None, before: str, intended: str,
                       edit: Callable[[], Awaitable[Schedule | Calendar]],
                       *, undoes: str | None = None) -> tuple[Schedule | Calendar, Audited]:
    """Run ``edit`` (a schedule_edit / write_day call that reads back) and record it; returns (read back, Audited).

    ``before``: the text of what the object held (read for the question),
    ``intended``: the text of the new value, recorded when the edit fails.
    A failed edit is recorded with its one-line error and raised again;
    input refused before anything was sent (:class:`InvalidInput`) is not
    recorded. A journal that cannot be written is :attr:`Audited.warning`.
    """
    try:
        after = await edit()
    except InvalidInput:
        raise
    except BacnetError as exc:
        _record(client, journal, device, object_id, prop, index, before, intended, one_line(exc), undoes)
        raise
    except asyncio.CancelledError:
        _record(client, journal, device, object_id, prop, index, before, intended,
                "cancelled before the device answered (it may have applied the edit)", undoes)
        raise
    return after, _record(client, journal, device, object_id, prop, index, before, shown(prop, index, after), "ok",
                          undoes)


def _record(client: BacnetClient, journal: AuditJournal, device: Any, object_id: str, prop: str, index: int | None,
            before: str, after: str, outcome: str, undoes: str | None) -> Audited:
    text, instance = device_fields(client, device)
    record = journal.new_record(device=text, device_instance=instance, object_id=str(object_id), property=prop,
                                priority=None, index=index, before=before, before_known=True, after=after,
                                outcome=outcome, undoes=undoes)
    try:
        journal.append(record)
    except AuditError as exc:
        return Audited([record], str(exc))
    return Audited([record])


# ----- undo ------------------------------------------------------------------------------------------------


async def read_now(client: BacnetClient, record: AuditRecord) -> str:
    """What the record's day, exception list or date list holds now, as its text. Raises the runtime's errors."""
    if record.property == DATE_LIST:
        return shown(DATE_LIST, None, await read_calendar(client, record.device, record.object_id))
    return shown(record.property, record.index, await read_schedule(client, record.device, record.object_id))


async def restore(client: BacnetClient, journal: AuditJournal, record: AuditRecord, now: str) -> Audited:
    """Write ``record.before`` back (recorded as the undo of ``record``); BacnetError if the device refuses it."""
    device, oid, prop = record.device, record.object_id, record.property
    if prop == WEEKLY_SCHEDULE:
        entries = _entries(record.before)
        edit = lambda: write_day(client, device, oid, record.index - 1, entries)
    elif prop == EXCEPTION_SCHEDULE:
        exceptions = parse_exceptions(record.before)
        edit = lambda: write_exceptions(client, device, oid, exceptions)
    else:
        dates = parse_dates(record.before)
        edit = lambda: write_date_list(client, device, oid, dates)
    _after, audited = await audited_edit(client, journal, device, oid, prop, record.index, now, record.before, edit,
                                         undoes=record.id)
    return audited


__all__ = ["DATE_LIST", "EXCEPTION_SCHEDULE", "SCHEDULE_PROPERTIES", "WEEKLY_SCHEDULE", "audited_edit",
           "dates_text", "exceptions_text", "parse_dates", "parse_exceptions", "read_now", "restore", "shown"]


# ----- in a narrow column (the console's U, `aso undo --list`) ------------------------------------------

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def short_property(record: AuditRecord) -> str:
    """The property in the narrow Point column: a weekly-schedule day as its name, the others as one word."""
    if record.property == WEEKLY_SCHEDULE and record.index is not None and 1 <= record.index <= 7:
        return f" {_DAYS[record.index - 1]}"
    return {"present-value": "", ACKNOWLEDGE_ALARM: " ack", EXCEPTION_SCHEDULE: " exc",
            DATE_LIST: " dates"}.get(record.property, f" {record.property}")


def short_value(record: AuditRecord, value: object) -> str | None:
    """A Before/After cell (8 wide; `aso undo --list` too) for what is not one value: a day, the exceptions or the dates as a count
    ('2 times', '3 exc', '4 dates'), an acknowledgement as 'ack', a recipient list as '2 entries'; None for the others. The detail line
    below the table tells them in full."""
    if record.property == ACKNOWLEDGE_ALARM:
        return "ack" if value is not None else ""
    if record.property == "recipient-list" and isinstance(value, list):
        return f"{len(value)} entr{'y' if len(value) == 1 else 'ies'}"
    if record.property not in (WEEKLY_SCHEDULE, EXCEPTION_SCHEDULE, DATE_LIST) or not isinstance(value, str):
        return None
    if value.strip() == "(none)":
        items = 0
    elif record.property == WEEKLY_SCHEDULE:
        items = value.count("=")  # HH:MM=VALUE, ...
    else:
        items = len(value.split("; "))  # schedule_audit joins exceptions and dates so
    word = {WEEKLY_SCHEDULE: "time", EXCEPTION_SCHEDULE: "exc", DATE_LIST: "date"}[record.property]
    return f"{items} {word}{'s' if items != 1 and word != 'exc' else ''}"
