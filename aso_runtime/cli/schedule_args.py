"""The argparse of ``aso schedule`` and ``aso calendar`` (handlers in ``verb_schedule.py``, imported when run)."""

from __future__ import annotations

from collections.abc import Callable

SCHEDULE_EPILOG = """\
examples:
  aso schedule 1001 schedule,1               the week grid, exceptions, default, what it controls
  aso schedule 1001 schedule,1 --json        the same as one JSON document
  aso schedule 1001 schedule,1 --set monday '06:30=active,17:00=inactive'
  aso schedule 1001 schedule,1 --set sunday '' --yes   an empty Sunday (the default all day), no question

--set replaces one day's entries (HH:MM=VALUE, comma-separated; VALUE
active/inactive for a binary point, a state number for a multi-state one,
a number for an analog one, null to hand back to the default), after a
question on the terminal (--yes in scripts: without a terminal nothing is
written), then reads the day back (exit 1 if it differs).
json: {"object_id", "name", "kind", "present_value", "default", "effective_period", "days": {"monday": [["HH:MM",
  value]]...}, "exceptions": [{"period", "calendar", "entries", "priority"}], "controls", "priority_for_writing"}
"""

CALENDAR_EPILOG = """\
examples:
  aso calendar 1001 calendar,1               its date list, and whether today is in it
json: {"object_id", "name", "present_value", "dates"}
"""


def add_schedule_verbs(verb: Callable) -> None:
    p = verb("schedule", "verb_schedule:cmd_schedule", "show a schedule object as a week grid; --set edits a day",
             SCHEDULE_EPILOG)
    p.add_argument("device", metavar="DEV", help="device instance or address")
    p.add_argument("object", metavar="OBJ", help="the schedule object, e.g. schedule,1")
    p.add_argument("--set", nargs=2, metavar=("DAY", "ENTRIES"), help="replace DAY's entries: 'HH:MM=VALUE,...'")
    p.add_argument("--yes", "-y", action="store_true", help="--set without asking (required without a terminal)")
    p = verb("calendar", "verb_schedule:cmd_calendar", "show a calendar object's date list", CALENDAR_EPILOG)
    p.add_argument("device", metavar="DEV", help="device instance or address")
    p.add_argument("object", metavar="OBJ", help="the calendar object, e.g. calendar,1")
