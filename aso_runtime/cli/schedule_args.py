"""The argparse of ``aso schedule`` and ``aso calendar`` (handlers in ``verb_schedule.py``, imported when run)."""

from __future__ import annotations

from collections.abc import Callable

SCHEDULE_EPILOG = """\
examples:
  aso schedule 1001 schedule,1               the week grid, the numbered exceptions, default, what it controls
  aso schedule 1001 schedule,1 --json        the same as one JSON document
  aso schedule 1001 schedule,1 --set monday '06:30=active,17:00=inactive'
  aso schedule 1001 schedule,1 --set sunday '' --yes   an empty Sunday (the default all day), no question
  aso schedule 1001 schedule,1 --add-exception 2026-12-24..2026-12-26 '00:00=inactive' --priority 8
  aso schedule 1001 schedule,1 --add-exception calendar,2 '07:00=active,12:00=inactive'
  aso schedule 1001 schedule,1 --add-exception 'week-n-day 11, 4, fri' '00:00=inactive'   4th Friday of November
  aso schedule 1001 schedule,1 --drop-exception 2     exception #2 as listed

--set replaces one day's entries (HH:MM=VALUE, comma-separated; VALUE
active/inactive for a binary point, a state number for a multi-state one,
a number for an analog one, null to hand back to the default).
--add-exception appends one exception: PERIOD is a date (2026-12-25, * for
any part: *-12-25), a range (2026-12-24..2026-12-26), a calendar object
(calendar,N) or a week-n-day (MONTH, WEEK 1..5 or last, DAY); ENTRIES as for
--set; --priority is its event priority, 1 (wins) .. 16 (default 16).
--drop-exception N removes exception #N (the exception-schedule's array
index, as listed), only if it is still the one listed.
Each asks on the terminal (--yes in scripts: without a terminal nothing is
written), then reads the schedule back (exit 1 if it differs).
json: {"object_id", "name", "kind", "present_value", "default", "effective_period", "days": {"monday": [["HH:MM",
  value]]...}, "exceptions": [{"period", "calendar", "entries", "priority"}] (#N is the Nth), "controls",
  "priority_for_writing"}; after an edit, the schedule as read back.
"""

CALENDAR_EPILOG = """\
examples:
  aso calendar 1001 calendar,1               its numbered date list, and whether today is in it
  aso calendar 1001 calendar,1 --add 2027-04-05              one date (* for any part: *-07-04)
  aso calendar 1001 calendar,1 --add 2027-08-02..2027-08-13  a range
  aso calendar 1001 calendar,1 --add 'week-n-day 5, last, mon'   the last Monday of May
  aso calendar 1001 calendar,1 --drop 3 --yes               date #3 as listed, no question

--add and --drop ask on the terminal (--yes in scripts: without a terminal
nothing is written), then read the date list back (exit 1 if it differs).
json: {"object_id", "name", "present_value", "dates"} (#N is the Nth); after an edit, as read back.
"""


def add_schedule_verbs(verb: Callable) -> None:
    p = verb("schedule", "verb_schedule:cmd_schedule",
             "show a schedule object as a week grid; --set a day, --add-exception, --drop-exception", SCHEDULE_EPILOG)
    p.add_argument("device", metavar="DEV", help="device instance or address")
    p.add_argument("object", metavar="OBJ", help="the schedule object, e.g. schedule,1")
    edit = p.add_mutually_exclusive_group()
    edit.add_argument("--set", nargs=2, metavar=("DAY", "ENTRIES"), help="replace DAY's entries: 'HH:MM=VALUE,...'")
    edit.add_argument("--add-exception", nargs=2, metavar=("PERIOD", "ENTRIES"),
                      help="append an exception: a date, DATE..DATE, calendar,N or 'week-n-day M, W, D'")
    edit.add_argument("--drop-exception", type=int, metavar="N", help="remove exception #N as listed")
    p.add_argument("--priority", type=int, metavar="N",
                   help="--add-exception's event priority, 1 (wins) .. 16 (default)")
    p.add_argument("--yes", "-y", action="store_true", help="edit without asking (required without a terminal)")
    p = verb("calendar", "verb_schedule:cmd_calendar", "show a calendar object's date list; --add/--drop edit it",
             CALENDAR_EPILOG)
    p.add_argument("device", metavar="DEV", help="device instance or address")
    p.add_argument("object", metavar="OBJ", help="the calendar object, e.g. calendar,1")
    edit = p.add_mutually_exclusive_group()
    edit.add_argument("--add", metavar="DATE", help="append a date, DATE..DATE or 'week-n-day M, W, D'")
    edit.add_argument("--drop", type=int, metavar="N", help="remove date #N as listed")
    p.add_argument("--yes", "-y", action="store_true", help="edit without asking (required without a terminal)")
