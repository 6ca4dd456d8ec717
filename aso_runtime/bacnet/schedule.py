"""Schedule and calendar objects as plain records: read them, edit a day or the exceptions.

>>> sched = await read_schedule(client, 1001, "schedule,1")
>>> sched.days[0]            # Monday
[('07:00', 'active'), ('18:00', 'inactive')]
>>> await write_day(client, 1001, "schedule,1", "monday", [("06:30", "active"), ("17:00", "inactive")])

Values are decoded by the type of the point the schedule controls (the first
of its list-of-object-property-references, else its schedule-default):
binary 'active'/'inactive', multi-state numbers (int), analog float, and
None for a Null entry (which hands back to schedule-default). Every write
reads the property back and raises :class:`BacnetError` when the device
kept something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bacpypes3.apdu import ReadPropertyACK
from bacpypes3.basetypes import (
    CalendarEntry,
    DailySchedule,
    DateRange,
    DeviceObjectPropertyReference,
    SpecialEvent,
    TimeValue,
)
from bacpypes3.constructeddata import Any as AnyValue
from bacpypes3.constructeddata import AnyAtomic, ArrayOf, ListOf
from bacpypes3.primitivedata import Enumerated, Null, Real, Time, Unsigned

from .encode import read_request, write_request
from .errors import BacnetError, BacnetRemoteError, InvalidInput
from .ids import ObjectId, parse_object_id
from .schedule_text import calendar_entry_text, date_text, parse_period
from .values import object_id_text, to_plain

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_ABBREV = {d[:3]: i for i, d in enumerate(DAYS)}

Entry = tuple[str, Any]  # ("07:00", "active")


@dataclass(frozen=True)
class ScheduleException:
    """One exception-schedule entry: when it applies, its entries and its event priority (1 highest)."""

    period: str  # 'calendar,1' (a calendar reference) or a calendar entry in text: '2026-12-31', ...
    calendar: str | None  # the referenced calendar object, else None
    entries: list[Entry]
    priority: int

    def as_dict(self) -> dict[str, Any]:
        return {"period": self.period, "calendar": self.calendar,
                "entries": [list(e) for e in self.entries], "priority": self.priority}


@dataclass(frozen=True)
class Schedule:
    """A schedule object as plain data (JSON-able through :meth:`as_dict`).

    ``days``: 7 lists (Monday first) of ("HH:MM", value); ``kind``: 'binary',
    'multi-state', 'analog' or 'other', how values are shown.
    """

    object_id: str
    name: str
    kind: str
    present_value: Any
    default: Any
    effective_period: tuple[str, str]
    days: list[list[Entry]]
    exceptions: list[ScheduleException]
    controls: list[str]  # 'device 1001 binary-value,1 present-value'
    priority_for_writing: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "object_id": self.object_id, "name": self.name, "kind": self.kind,
            "present_value": self.present_value, "default": self.default,
            "effective_period": list(self.effective_period),
            "days": {DAYS[i]: [list(e) for e in day] for i, day in enumerate(self.days)},
            "exceptions": [e.as_dict() for e in self.exceptions],
            "controls": list(self.controls), "priority_for_writing": self.priority_for_writing,
        }


@dataclass(frozen=True)
class Calendar:
    """A calendar object: its date list as text and whether today is in it."""

    object_id: str
    name: str
    present_value: bool
    dates: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"object_id": self.object_id, "name": self.name, "present_value": self.present_value,
                "dates": list(self.dates)}


# ----- values by kind ---------------------------------------------------------------------


def _kind_of(object_type: str | None, default: Any) -> str:
    if object_type:
        if object_type.startswith("binary"):
            return "binary"
        if object_type.startswith("multi-state"):
            return "multi-state"
        if object_type.startswith("analog"):
            return "analog"
    if isinstance(default, Enumerated):
        return "binary"
    if isinstance(default, Real):
        return "analog"
    if isinstance(default, Unsigned):
        return "multi-state"
    return "other"


def decode_value(value: Any, kind: str) -> Any:
    """A time-value's atomic value as plain Python for the point's kind."""
    if hasattr(value, "get_value"):
        value = value.get_value()
    if value is None or isinstance(value, Null):
        return None
    if kind == "binary" and isinstance(value, (Enumerated, Unsigned)):
        return "active" if int(value) == 1 else "inactive"
    if isinstance(value, Real):
        return float(f"{float(value):.7g}")
    if isinstance(value, (Enumerated, Unsigned)):
        return int(value)
    return to_plain(value)


def encode_value(value: Any, kind: str, where: str) -> Any:
    """Plain value -> the bacpypes3 atomic a schedule of ``kind`` carries; InvalidInput if it does not fit."""
    if value is None or (isinstance(value, str) and value.strip().lower() in {"null", "none", "default", "-"}):
        return Null(())
    text = value.strip().lower() if isinstance(value, str) else value
    if kind == "binary":
        table = {"active": 1, "on": 1, "1": 1, 1: 1, "inactive": 0, "off": 0, "0": 0, 0: 0}  # True/False hash as 1/0
        if text in table:
            return Enumerated(table[text])
        raise InvalidInput(f"{where}: {value!r} is not active/inactive")
    if kind == "multi-state":
        try:
            number = int(text)
        except (TypeError, ValueError):
            raise InvalidInput(f"{where}: {value!r} is not a state number") from None
        if number < 1:
            raise InvalidInput(f"{where}: state numbers start at 1, got {number}")
        return Unsigned(number)
    if kind == "analog":
        try:
            return Real(float(text))
        except (TypeError, ValueError):
            raise InvalidInput(f"{where}: {value!r} is not a number") from None
    raise InvalidInput(f"{where}: cannot write values of this schedule's type")


_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?", re.ASCII)


def parse_time(text: str) -> Time:
    """'HH:MM' (or 'HH:MM:SS', as a device's time with seconds reads) -> Time."""
    match = _HHMM.fullmatch(text.strip())
    if not match:
        raise InvalidInput(f"time {text!r}: expected HH:MM (00:00..23:59)")
    return Time((int(match.group(1)), int(match.group(2)), int(match.group(3) or 0), 0))


def parse_day(day: int | str) -> int:
    """'monday', 'mon' or 0..6 (Monday first) -> 0..6; InvalidInput otherwise."""
    if isinstance(day, int) and not isinstance(day, bool) and 0 <= day <= 6:
        return day
    if isinstance(day, str) and day.strip().lower()[:3] in _DAY_ABBREV and day.strip().lower() in (
            DAYS[_DAY_ABBREV[day.strip().lower()[:3]]], day.strip().lower()[:3]):
        return _DAY_ABBREV[day.strip().lower()[:3]]
    raise InvalidInput(f"day {day!r}: expected monday..sunday (or mon..sun)")


def parse_entries(text: str) -> list[Entry]:
    """'07:00=active,18:00=inactive' -> [("07:00", "active"), ("18:00", "inactive")]; '' is an empty day."""
    entries: list[Entry] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        when, sep, value = part.partition("=")
        if not sep:
            raise InvalidInput(f"{part!r}: expected HH:MM=VALUE")
        parse_time(when)
        entries.append((when.strip(), value.strip()))
    return entries


def _time_values(entries: list[Entry], kind: str, where: str) -> list[TimeValue]:
    times = [parse_time(when) for when, _ in entries]
    keys = [tuple(t) for t in times]
    if len(set(keys)) != len(keys):
        raise InvalidInput(f"{where}: two entries at the same time")
    ordered = sorted(zip(keys, times, [v for _, v in entries]), key=lambda item: item[0])
    return [TimeValue(time=t, value=encode_value(v, kind, where)) for _, t, v in ordered]


def _time_text(t: Any) -> str:
    hour, minute, second, _hundredths = tuple(t)
    return f"{hour:02d}:{minute:02d}" if second in (0, 255) else f"{hour:02d}:{minute:02d}:{second:02d}"


def _entries(time_values: Any, kind: str) -> list[Entry]:
    return [(_time_text(tv.time), decode_value(tv.value, kind)) for tv in time_values or []]


# ----- network ---------------------------------------------------------------------------


async def _read_raw(client: Any, device: Any, oid: ObjectId, prop: str, datatype: type, index: int | None = None,
                    timeout: float | None = None) -> Any:
    address, name = await client.resolve(device)
    where = f"{name} {oid} {prop}"

    async def request() -> Any:
        ack = await client.app.request(read_request(address, oid, prop, index))
        if not isinstance(ack, ReadPropertyACK):
            raise BacnetError(f"{where}: unexpected answer {type(ack).__name__}")
        try:
            return ack.propertyValue.cast_out(datatype)
        except Exception as exc:  # noqa: BLE001 (decoding errors of many kinds)
            raise BacnetError(f"{where}: could not decode the answer ({exc})") from None

    return await client._call(where, address, request, timeout)


async def _write_raw(client: Any, device: Any, oid: ObjectId, prop: str, value: Any, index: int | None = None,
                     timeout: float | None = None) -> None:
    address, name = await client.resolve(device)
    where = f"{name} {oid} {prop}{f'[{index}]' if index is not None else ''}"

    async def request() -> None:
        client.writes_sent += 1
        await client.app.request(write_request(address, oid, prop, index, AnyValue(value), None))

    await client._call(where, address, request, timeout)


def _ref_text(ref: Any, device_instance: int | None) -> str:
    device = ref.deviceIdentifier
    dev = int(tuple(device)[1]) if device is not None else device_instance
    prop = str(ref.propertyIdentifier)
    index = f"[{int(ref.propertyArrayIndex)}]" if ref.propertyArrayIndex is not None else ""
    return f"device {dev} {object_id_text(ref.objectIdentifier)} {prop}{index}"


def _schedule_oid(object_id: str | ObjectId) -> ObjectId:
    oid = parse_object_id(object_id)
    if oid.type != "schedule":
        raise InvalidInput(f"{oid} is not a schedule object")
    return oid


async def read_schedule(client: Any, device: Any, object_id: str | ObjectId, *, kind: str | None = None,
                        timeout: float | None = None) -> Schedule:
    """Read a schedule object whole: week, exceptions, effective period, default, what it controls.

    ``kind`` decodes the values as that kind instead of the one the schedule's
    controlled object and default suggest (a read-back after a write made
    with a given kind: a schedule that controls nothing and defaults to Null
    would otherwise read 1/0 where 'active'/'inactive' was written).

    Raises :class:`BacnetTimeout`, :class:`BacnetRemoteError` (unknown-object...)
    or :class:`InvalidInput` for an id that is not a schedule. A device
    without a weekly-schedule or exception-schedule gives empty ones.
    """
    oid = _schedule_oid(object_id)
    _address, label = await client.resolve(device)
    instance = int(device) if isinstance(device, int) and not isinstance(device, bool) else getattr(device, "instance", None)
    if instance is None:
        match = re.match(r"device (\d+)", label)
        instance = int(match.group(1)) if match else None

    async def optional(prop: str, datatype: type) -> Any:
        try:
            return await _read_raw(client, device, oid, prop, datatype, timeout=timeout)
        except BacnetRemoteError:
            return None  # weekly- and exception-schedule are each optional (clause 12.24)

    refs = await _read_raw(client, device, oid, "list-of-object-property-references",
                           ListOf(DeviceObjectPropertyReference), timeout=timeout) or []
    default_any = await _read_raw(client, device, oid, "schedule-default", AnyValue, timeout=timeout)
    default = _atomic(default_any)
    kind = kind or _kind_of(object_id_text(refs[0].objectIdentifier).split(",")[0] if refs else None, default)
    weekly = await optional("weekly-schedule", ArrayOf(DailySchedule))
    exceptions = await optional("exception-schedule", ArrayOf(SpecialEvent))
    period = await _read_raw(client, device, oid, "effective-period", DateRange, timeout=timeout)
    present = _atomic(await _read_raw(client, device, oid, "present-value", AnyValue, timeout=timeout))
    name = await client.read(device, oid, "object-name", timeout=timeout)
    try:
        pfw = await client.read(device, oid, "priority-for-writing", timeout=timeout)
    except BacnetRemoteError:
        pfw = None
    days = [_entries(day.daySchedule, kind) for day in (weekly or [])]
    days += [[] for _ in range(7 - len(days))]
    return Schedule(
        object_id=str(oid), name=str(name), kind=kind,
        present_value=decode_value(present, kind), default=decode_value(default, kind),
        effective_period=(date_text(period.startDate), date_text(period.endDate)),
        days=days[:7],
        exceptions=[_exception(event, kind) for event in (exceptions or [])],
        controls=[_ref_text(ref, instance) for ref in refs],
        priority_for_writing=pfw,
    )


def _atomic(value: Any) -> Any:
    """An Any holding one application-tagged value -> that atomic value."""
    try:
        return value.cast_out(AnyAtomic).get_value()
    except Exception:  # noqa: BLE001
        return None


def _exception(event: Any, kind: str) -> ScheduleException:
    period = event.period
    if period.calendarReference is not None:
        ref = object_id_text(period.calendarReference)
        return ScheduleException(ref, ref, _entries(event.listOfTimeValues, kind), int(event.eventPriority))
    return ScheduleException(calendar_entry_text(period.calendarEntry), None, _entries(event.listOfTimeValues, kind),
                      int(event.eventPriority))


async def read_calendar(client: Any, device: Any, object_id: str | ObjectId, *,
                        timeout: float | None = None) -> Calendar:
    """A calendar's date list as text ('*-12-25', '2026-12-24..2027-01-02', 'week-n-day ...') and present-value."""
    oid = parse_object_id(object_id)
    if oid.type != "calendar":
        raise InvalidInput(f"{oid} is not a calendar object")
    dates = await _read_raw(client, device, oid, "date-list", ListOf(CalendarEntry), timeout=timeout) or []
    present = await client.read(device, oid, "present-value", timeout=timeout)
    name = await client.read(device, oid, "object-name", timeout=timeout)
    return Calendar(str(oid), str(name), bool(present), [calendar_entry_text(e) for e in dates])


async def write_day(client: Any, device: Any, object_id: str | ObjectId, day: int | str, entries: list[Entry], *,
                    kind: str | None = None, timeout: float | None = None) -> Schedule:
    """Replace one day of the weekly schedule (``day`` 'monday'..'sunday' or 0..6) and read it back.

    ``entries``: ("HH:MM", value) with values as :func:`read_schedule` gives
    them (None: back to the default). The schedule's kind is read first
    unless given. Returns the schedule as read back; :class:`BacnetError`
    if the device kept something else, :class:`InvalidInput` for a bad
    time or value (nothing sent).
    """
    oid = _schedule_oid(object_id)
    index = parse_day(day)
    if kind is None:
        kind = (await read_schedule(client, device, oid, timeout=timeout)).kind
    where = f"{oid} {DAYS[index]}"
    values = _time_values(entries, kind, where)
    await _write_raw(client, device, oid, "weekly-schedule", DailySchedule(daySchedule=values), index=index + 1,
                     timeout=timeout)
    after = await read_schedule(client, device, oid, kind=kind, timeout=timeout)
    wanted = _entries(values, kind)
    if after.days[index] != wanted:
        raise BacnetError(f"{where}: wrote {wanted} but the device reads back {after.days[index]}")
    return after


async def write_exceptions(client: Any, device: Any, object_id: str | ObjectId,
                           exceptions: list[ScheduleException | dict[str, Any]], *, kind: str | None = None,
                           timeout: float | None = None) -> Schedule:
    """Replace the exception schedule and read it back.

    Each exception: ``period`` 'calendar,N' or a date, range or week-n-day
    as :mod:`.schedule_text` reads them (so any exception already read can
    be written back), ``entries`` as for
    :func:`write_day`, ``priority`` 1..16. Returns the schedule read back;
    :class:`BacnetError` if it differs.
    """
    oid = _schedule_oid(object_id)
    if kind is None:
        kind = (await read_schedule(client, device, oid, timeout=timeout)).kind
    events = []
    for n, item in enumerate(exceptions, start=1):
        exc = item if isinstance(item, ScheduleException) else ScheduleException(
            str(item["period"]), item.get("calendar"), [tuple(e) for e in item.get("entries", [])], int(item["priority"]))
        events.append(special_event(exc.period, list(exc.entries), exc.priority, kind, f"{oid} exception {n}"))
    return await write_exception_schedule(client, device, oid, events, kind, timeout=timeout)


def special_event(period: str, entries: list[Entry], priority: int, kind: str, where: str) -> SpecialEvent:
    """One exception as the device holds it; InvalidInput (nothing sent) for a bad period, entry or priority."""
    if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 16:
        raise InvalidInput(f"{where}: event priority {priority} is outside 1..16")
    return SpecialEvent(period=parse_period(period), listOfTimeValues=_time_values(entries, kind, where),
                        eventPriority=priority)


async def read_exception_schedule(client: Any, device: Any, oid: ObjectId, *, timeout: float | None = None) -> list:
    """The exception-schedule as the device sends it (SpecialEvents), to edit without retyping the others."""
    return list(await _read_raw(client, device, oid, "exception-schedule", ArrayOf(SpecialEvent), timeout=timeout)
                or [])


async def write_exception_schedule(client: Any, device: Any, oid: ObjectId, events: list, kind: str, *,
                                   timeout: float | None = None) -> Schedule:
    """Write the whole exception-schedule, read the schedule back; BacnetError if the device kept something else."""
    await _write_raw(client, device, oid, "exception-schedule", ArrayOf(SpecialEvent)(events), timeout=timeout)
    after = await read_schedule(client, device, oid, kind=kind, timeout=timeout)
    wanted = [_exception(event, kind) for event in events]
    if after.exceptions != wanted:
        n = next((i for i, (w, g) in enumerate(zip(wanted, after.exceptions)) if w != g), min(len(wanted),
                                                                                             len(after.exceptions)))
        wrote = wanted[n].as_dict() if n < len(wanted) else "nothing"
        got = after.exceptions[n].as_dict() if n < len(after.exceptions) else "nothing"
        raise BacnetError(f"{oid} exception-schedule[{n + 1}]: wrote {wrote} but the device reads back {got}")
    return after

__all__ = [
    "DAYS",
    "Calendar",
    "Schedule",
    "ScheduleException",
    "calendar_entry_text",
    "date_text",
    "parse_day",
    "parse_entries",
    "read_calendar",
    "read_exception_schedule",
    "read_schedule",
    "special_event",
    "write_day",
    "write_exception_schedule",
    "write_exceptions",
]
