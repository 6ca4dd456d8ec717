"""Dates and calendar entries as a technician types and reads them, both ways.

The text :func:`calendar_entry_text` shows is also what :func:`parse_calendar_entry`
takes, so an exception or a calendar date read from a device can be shown,
typed back and compared with what the device reads back:

- a date ``2026-12-25``; ``*`` for any year, month or day; months ``odd`` /
  ``even``; days ``last`` / ``odd`` / ``even``; an optional weekday after a
  space: ``*-*-* Mon`` (every Monday);
- a range ``2026-12-24..2027-01-02``;
- a week-n-day ``week-n-day month 11, 4th week, Thu`` (also typed short:
  ``week-n-day 11, 4, thu``; ``*`` for any, ``last 7 days`` for the last week).

Parsing raises :class:`InvalidInput` with the text that did not fit.
"""

from __future__ import annotations

import re
from datetime import date as _date
from typing import Any

from bacpypes3.basetypes import CalendarEntry, DateRange, SpecialEventPeriod, WeekNDay
from bacpypes3.primitivedata import Date, ObjectIdentifier

from .errors import InvalidInput
from .ids import parse_object_id

_WEEKDAYS = ("", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = {13: "odd", 14: "even"}
_DAYS = {32: "last", 33: "odd", 34: "even"}
_WEEKS = {1: "1st week", 2: "2nd week", 3: "3rd week", 4: "4th week", 5: "5th week", 6: "last 7 days",
          7: "2nd-last 7 days", 8: "3rd-last 7 days", 9: "4th-last 7 days"}
_WEEK_MONTHS = {255: "any month", 13: "odd months", 14: "even months"}

PERIOD_HELP = "a date 2026-12-25, a range 2026-12-24..2026-12-26, calendar,N or week-n-day MONTH, WEEK, DAY"


# ----- to text -----------------------------------------------------------------------------


def _part(value: int, width: int, special: dict[int, str]) -> str:
    if value == 255:
        return "*"
    return special.get(value, f"{value:0{width}d}")


def date_text(d: Any) -> str:
    """'2026-12-31', '*-12-25', '2026-*-* Mon' (a day of week other than any: appended)."""
    year, month, day, wday = tuple(d)
    text = "-".join(["*" if year == 255 else str(year + 1900), _part(month, 2, _MONTHS), _part(day, 2, _DAYS)])
    return text if wday == 255 else f"{text} {_WEEKDAYS[wday] if 1 <= wday <= 7 else wday}"


def calendar_entry_text(entry: Any) -> str:
    if entry.date is not None:
        return date_text(entry.date)
    if entry.dateRange is not None:
        return f"{date_text(entry.dateRange.startDate)}..{date_text(entry.dateRange.endDate)}"
    if entry.weekNDay is not None:
        month, week, wday = bytes(entry.weekNDay)
        parts = [_WEEK_MONTHS.get(month, f"month {month}"),
                 "any week" if week == 255 else _WEEKS.get(week, f"week {week}"),
                 "any day" if wday == 255 else (_WEEKDAYS[wday] if 1 <= wday <= 7 else f"day {wday}")]
        return "week-n-day " + ", ".join(parts)
    return "?"


# ----- from text ---------------------------------------------------------------------------

_DATE = re.compile(r"(\d{4}|\*)-(\d{1,2}|\*|odd|even)-(\d{1,2}|\*|last|odd|even)(?:\s+([a-z]+))?", re.ASCII)


def _weekday(text: str, where: str) -> int:
    """'mon', 'Monday' -> 1..7 (ISO, as BACnet numbers them)."""
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    for number, name in enumerate(names, start=1):
        if len(text) >= 3 and name.startswith(text):
            return number
    raise InvalidInput(f"{where}: {text!r} is not a day of the week (mon..sun)")


def parse_date(text: str) -> Date:
    """'2026-12-25', '*-12-25', '2026-odd-last', '*-*-* mon' -> a BACnet Date (255: any)."""
    where = f"date {text.strip()!r}"
    match = _DATE.fullmatch(text.strip().lower())
    if not match:
        raise InvalidInput(f"{where}: expected YYYY-MM-DD (* for any; months odd/even; days last/odd/even)")
    year_t, month_t, day_t, wday_t = match.groups()
    year = 255 if year_t == "*" else int(year_t) - 1900
    month = {"*": 255, "odd": 13, "even": 14}.get(month_t) or int(month_t)
    day = {"*": 255, "last": 32, "odd": 33, "even": 34}.get(day_t) or int(day_t)
    if year != 255 and not 0 <= year < 255:
        raise InvalidInput(f"{where}: the year must be 1900..2154")
    # Typed numbers are real months and days; 13, 14, 32.. are BACnet's codes for the words.
    if month_t.isdigit() and not 1 <= month <= 12:
        raise InvalidInput(f"{where}: the month must be 1..12")
    if day_t.isdigit() and not 1 <= day <= 31:
        raise InvalidInput(f"{where}: the day must be 1..31")
    if year != 255 and month <= 12 and day <= 31:
        try:
            _date(year + 1900, month, day)
        except ValueError:
            raise InvalidInput(f"{where}: there is no such day") from None
    return Date((year, month, day, 255 if wday_t is None else _weekday(wday_t, where)))


def _week_n_day(text: str) -> WeekNDay:
    where = f"week-n-day {text!r}"
    parts = [p.strip().lower() for p in text.split(",")]
    if len(parts) != 3:
        raise InvalidInput(f"{where}: expected MONTH, WEEK, DAY, e.g. 'week-n-day 11, 4, thu'")
    month_t, week_t, day_t = parts

    def number(value: str, names: dict[str, int], high: int, what: str) -> int:
        if value in names:
            return names[value]
        value = value.removeprefix(what).strip()
        if value in ("*", "any"):
            return 255
        if value.isdigit() and 1 <= int(value) <= high:
            return int(value)
        raise InvalidInput(f"{where}: {value!r} is not a {what} (1..{high}, or *)")

    month = number(month_t, {v: k for k, v in _WEEK_MONTHS.items()}, 12, "month")
    week = number(week_t, {"any week": 255, "last": 6, **{v: k for k, v in _WEEKS.items()}}, 9, "week")
    day = 255 if day_t in ("*", "any", "any day") else _weekday(day_t, where)
    return WeekNDay(bytes([month, week, day]))


def parse_calendar_entry(text: str) -> CalendarEntry:
    """A date, a range 'A..B' or a week-n-day (see the module's docstring) -> a CalendarEntry."""
    text = text.strip()
    if text.lower().startswith("week-n-day"):
        return CalendarEntry(weekNDay=_week_n_day(text[len("week-n-day"):].strip()))
    if ".." in text:
        start_t, _, end_t = text.partition("..")
        start, end = parse_date(start_t), parse_date(end_t)
        if 255 not in tuple(start)[:3] + tuple(end)[:3] and tuple(end)[:3] < tuple(start)[:3]:
            raise InvalidInput(f"range {text!r}: it ends before it starts")
        return CalendarEntry(dateRange=DateRange(startDate=start, endDate=end))
    return CalendarEntry(date=parse_date(text))


def parse_period(text: str) -> SpecialEventPeriod:
    """An exception's period: 'calendar,N' (a calendar reference) or a calendar entry in text."""
    text = text.strip()
    if text.lower().startswith("calendar"):
        oid = parse_object_id(text)
        return SpecialEventPeriod(calendarReference=ObjectIdentifier((6, oid.instance)))
    try:
        return SpecialEventPeriod(calendarEntry=parse_calendar_entry(text))
    except InvalidInput as exc:
        raise InvalidInput(f"exception period: {exc}") from None


__all__ = ["PERIOD_HELP", "calendar_entry_text", "date_text", "parse_calendar_entry", "parse_date", "parse_period"]
