"""The simulated AHU's occupancy schedule and its calendar of holidays.

Served on the AHU (device 1001):

- ``calendar,1`` "AHU-1 Holidays": a date (Christmas, any year), a date
  range (the winter break 2026-12-24..2027-01-02) and a week-n-day
  (Thanksgiving: fourth Thursday of November). Its present-value is TRUE on
  a holiday.
- ``schedule,1`` "AHU-1 Occupancy Schedule": weekdays 07:00-18:00 and
  Saturday 08:00-12:00 occupied; exceptions: unoccupied all day on the
  calendar's holidays (priority 10), and 2026-12-31 occupied 07:00-14:00
  (priority 5, so it beats the holiday). It writes its present-value to
  ``binary-value,1`` "AHU-1 Occupied (scheduled)" at priority 16, where an
  operator's write at a higher priority still wins.

bacpypes3's own local schedule interpreter reads the wall clock, schedules
itself with ``call_later`` and calls the async ``write_property`` without
awaiting it, so the simulator evaluates the schedule itself on every model
step against the *simulation* clock (``evaluate`` is a pure function of a
``datetime``: tests inject the time). The points are not wired into the
AHU's occupancy mode (``multi-state-value,1``): the rest of the simulator's
behaviour then does not depend on the time of day a test runs.

A technician may write weekly-schedule and exception-schedule (and a
description), like on a field controller; a time-value of the wrong
datatype is Error(property, invalid-data-type).
"""

from __future__ import annotations

import calendar as _calendar
from datetime import date, datetime
from typing import Any

from bacpypes3.basetypes import (
    BinaryPV,
    CalendarEntry,
    DailySchedule,
    DateRange,
    DeviceObjectPropertyReference,
    SpecialEvent,
    SpecialEventPeriod,
    TimeValue,
    WeekNDay,
)
from bacpypes3.errors import PropertyError
from bacpypes3.local.object import Object as _LocalObject
from bacpypes3.object import CalendarObject, ScheduleObject
from bacpypes3.primitivedata import Date, Null, Time

from ..bacnet.served import Served
from . import points as p

SCHEDULE_PRIORITY = p.PROGRAM_PRIORITY


class SimCalendar(Served, _LocalObject, CalendarObject):
    _network_writable = frozenset({"description", "dateList"})

    async def _post_init(self) -> None:
        pass  # bacpypes3 looks up a notification class here; a calendar has none


class SimSchedule(Served, _LocalObject, ScheduleObject):
    _network_writable = frozenset({"description", "weeklySchedule", "exceptionSchedule"})

    async def write_property(self, attr, value, index=None, priority=None):
        name = self.check_write(attr, index, priority)
        if name in ("weeklySchedule", "exceptionSchedule"):
            for time_value in _time_values(value):
                if not _same_kind(time_value.value.get_value(), self.scheduleDefault.get_value()):
                    raise PropertyError("invalidDataType")  # a REAL into a binary schedule
                if 255 in tuple(time_value.time):
                    raise PropertyError("valueOutOfRange")  # a schedule's times are specific
        await super().write_property(attr, value, index, priority)


def _time_values(value: Any) -> list[Any]:
    """Every time-value of a written day / exception, or of a whole array of them."""
    items = [value] if isinstance(value, (DailySchedule, SpecialEvent)) else list(value or [])
    found: list[Any] = []
    for item in items:
        if isinstance(item, DailySchedule):
            found.extend(item.daySchedule or [])
        elif isinstance(item, SpecialEvent):
            found.extend(item.listOfTimeValues or [])
    return found


def _same_kind(value: Any, default: Any) -> bool:
    if isinstance(value, Null):
        return True
    for kind in (p.Enumerated, p.Real, p.Unsigned):
        if isinstance(default, kind):
            return isinstance(value, kind)
    return type(value) is type(default)


def _time(text: str) -> Time:
    hour, minute = text.split(":")
    return Time((int(hour), int(minute), 0, 0))


def _tv(text: str, value: Any) -> TimeValue:
    return TimeValue(time=_time(text), value=value)


def _date(year: int, month: int, day: int) -> Date:
    return Date((year - 1900, month, day, 255))  # 255: any day of the week


def holiday_calendar(instance: int, name: str) -> SimCalendar:
    return SimCalendar(
        objectIdentifier=("calendar", instance),
        objectName=name,
        description="Holidays: the AHU stays unoccupied",
        presentValue=False,
        dateList=[
            CalendarEntry(date=Date((255, 12, 25, 255))),  # Christmas, every year
            CalendarEntry(dateRange=DateRange(startDate=_date(2026, 12, 24), endDate=_date(2027, 1, 2))),
            CalendarEntry(weekNDay=WeekNDay(bytes([11, 4, 4]))),  # November, 4th week, Thursday
        ],
    )


def occupancy_schedule(instance: int, name: str, holidays: SimCalendar, target: Any) -> SimSchedule:
    on, off = BinaryPV("active"), BinaryPV("inactive")
    weekday = DailySchedule(daySchedule=[_tv("07:00", on), _tv("18:00", off)])
    saturday = DailySchedule(daySchedule=[_tv("08:00", on), _tv("12:00", off)])
    sunday = DailySchedule(daySchedule=[])
    return SimSchedule(
        objectIdentifier=("schedule", instance),
        objectName=name,
        description="Occupancy of the air handler",
        presentValue=off,
        effectivePeriod=DateRange(startDate=_date(2000, 1, 1), endDate=_date(2099, 12, 31)),
        weeklySchedule=[weekday, weekday, weekday, weekday, weekday, saturday, sunday],  # Monday first
        exceptionSchedule=[
            SpecialEvent(period=SpecialEventPeriod(calendarReference=holidays.objectIdentifier),
                         listOfTimeValues=[_tv("00:00", off)], eventPriority=10),
            SpecialEvent(period=SpecialEventPeriod(calendarEntry=CalendarEntry(date=_date(2026, 12, 31))),
                         listOfTimeValues=[_tv("07:00", on), _tv("14:00", off)], eventPriority=5),
        ],
        scheduleDefault=off,
        listOfObjectPropertyReferences=[DeviceObjectPropertyReference(
            objectIdentifier=target.objectIdentifier, propertyIdentifier="present-value")],
        priorityForWriting=SCHEDULE_PRIORITY,
        statusFlags=[0, 0, 0, 0],
        reliability="no-fault-detected",
        outOfService=False,
    )


def add_schedule(points: dict[str, Any], name: str) -> None:
    """Add the holiday calendar, the occupancy schedule and the point it drives to an AHU's points."""
    target = p.binary_value(1, f"{name} Occupied (scheduled)", False, "Occupancy as the schedule commands it",
                            "Occupied", "Unoccupied")
    holidays = holiday_calendar(1, f"{name} Holidays")
    points["scheduled_occupancy"] = target
    points["holidays"] = holidays
    points["occupancy_schedule"] = occupancy_schedule(1, f"{name} Occupancy Schedule", holidays, target)


# ----- evaluation (clause 12.24.4), against an injected time --------------------------------


def _date_tuple(day: date) -> tuple[int, int, int, int]:
    return (day.year - 1900, day.month, day.day, day.isoweekday())


def _match_date(day: tuple, pattern: tuple) -> bool:
    year, month, mday, wday = day
    py, pm, pd, pw = tuple(pattern)
    last = _calendar.monthrange(year + 1900, month)[1]
    return ((py == 255 or py == year)
            and (pm == 255 or (pm == 13 and month % 2 == 1) or (pm == 14 and month % 2 == 0) or pm == month)
            and (pd == 255 or (pd == 32 and mday == last) or (pd == 33 and mday % 2 == 1)
                 or (pd == 34 and mday % 2 == 0) or pd == mday)
            and (pw == 255 or pw == wday))


def _match_range(day: tuple, start: tuple, end: tuple) -> bool:
    def key(d: tuple, low: bool) -> tuple:
        # An unspecified year/month/day in a range means "open" on that side.
        return tuple((0 if low else 9999) if v == 255 else v for v in tuple(d)[:3])
    return key(start, True) <= tuple(day[:3]) <= key(end, False)


def _match_weeknday(day: tuple, pattern: bytes) -> bool:
    year, month, mday, wday = day
    pm, week, pw = bytes(pattern)
    last = _calendar.monthrange(year + 1900, month)[1]
    if not (pm == 255 or (pm == 13 and month % 2 == 1) or (pm == 14 and month % 2 == 0) or pm == month):
        return False
    if 1 <= week <= 5 and not (week - 1) * 7 < mday <= week * 7:
        return False
    if 6 <= week <= 9 and not last - 7 * (week - 5) < mday <= last - 7 * (week - 6):
        return False
    return pw == 255 or pw == wday


def entry_matches(entry: Any, day: date) -> bool:
    """Whether a CalendarEntry (date, date range or week-n-day) covers ``day``."""
    d = _date_tuple(day)
    if entry.date is not None:
        return _match_date(d, entry.date)
    if entry.dateRange is not None:
        return _match_range(d, entry.dateRange.startDate, entry.dateRange.endDate)
    if entry.weekNDay is not None:
        return _match_weeknday(d, entry.weekNDay)
    return False


def _value_at(time_values: Any, now: tuple) -> tuple[bool, Any]:
    """(any entry at or before ``now``, the last such value; Null means relinquish)."""
    found, value = False, None
    for tv in time_values or []:
        if tuple(tv.time)[:3] <= now:
            found, value = True, tv.value.get_value()
    return found, value


def evaluate(schedule: Any, calendars: dict[tuple, Any], when: datetime) -> Any:
    """The schedule's present-value at ``when`` (a bacpypes3 atomic value).

    Exceptions first, by event priority (1 highest); then the day of the
    weekly schedule; a Null entry or no entry yet gives schedule-default.
    Outside the effective period: schedule-default.
    """
    default = schedule.scheduleDefault.get_value()
    day = when.date()
    period = schedule.effectivePeriod
    if period is not None and not _match_range(_date_tuple(day), period.startDate, period.endDate):
        return default
    now = (when.hour, when.minute, when.second)
    best: tuple[int, Any] | None = None
    for event in schedule.exceptionSchedule or []:
        if event.period.calendarEntry is not None:
            applies = entry_matches(event.period.calendarEntry, day)
        else:
            cal = calendars.get(tuple(event.period.calendarReference))
            applies = cal is not None and any(entry_matches(e, day) for e in cal.dateList or [])
        if not applies:
            continue
        found, value = _value_at(event.listOfTimeValues, now)
        if found and not isinstance(value, Null) and (best is None or event.eventPriority < best[0]):
            best = (int(event.eventPriority), value)
    if best is not None:
        return best[1]
    if schedule.weeklySchedule:
        found, value = _value_at(schedule.weeklySchedule[day.isoweekday() - 1].daySchedule, now)
        if found and not isinstance(value, Null):
            return value
    return default


def run_schedules(points: dict[str, Any], clock: float) -> None:
    """One model step: the calendar's and the schedule's present-value, and the schedule's write."""
    schedule = points.get("occupancy_schedule")
    if schedule is None:
        return
    when = datetime.fromtimestamp(clock)  # local time, as the device's clock shows it
    holidays = points["holidays"]
    today = any(entry_matches(e, when.date()) for e in holidays.dateList or [])
    if holidays.presentValue != today:
        holidays.presentValue = today
    value = evaluate(schedule, {tuple(holidays.objectIdentifier): holidays}, when)
    if schedule.presentValue.get_value() != value:
        schedule.presentValue = value
    p.program_write(points["scheduled_occupancy"], int(value) == 1)


__all__ = ["SimCalendar", "SimSchedule", "add_schedule", "entry_matches", "evaluate", "run_schedules"]
