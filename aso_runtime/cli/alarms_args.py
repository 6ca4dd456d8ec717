"""The argparse of ``aso alarms`` and ``aso ack`` (handlers in ``verb_alarms.py``, imported when run)."""

from __future__ import annotations

from collections.abc import Callable

ALARMS_EPILOG = """\
examples:
  aso alarms                                 every device found by Who-Is: active and unacknowledged events
  aso alarms 2001 2002 --json                two devices, as JSON

GetEventInformation (GEI); for a device without it GetAlarmSummary (GAS: no
time stamps or priorities), then GetEnrollmentSummary (GES: the present
state's priority only). The Via column says which answered. Site-wide,
devices that serve no alarm services are skipped quietly.
json: {"events": [{"device", "object", "event_state", "acked_transitions", "time_stamps", "notify_type",
  "event_enable", "priorities", "source", "event_type", "notification_class"}], "count", "devices", "errors"}
"""

ACK_EPILOG = """\
examples:
  aso ack 2001 analog-input,1                acknowledge its present alarm (asks first)
  aso ack 2001 ai,1 --yes --source "J. Smith" no question (scripts)

Acknowledges the transition into the object's present event state, with
the time stamp the device gives for it, then reads it back (exit 1 if still
unacknowledged). Without a terminal, --yes is required.
json: {"device", "object", "event_state", "time_stamp", "acknowledged"}
"""


def add_alarms_verbs(verb: Callable) -> None:
    p = verb("alarms", "verb_alarms:cmd_alarms", "list active and unacknowledged alarms and events", ALARMS_EPILOG)
    p.add_argument("devices", nargs="*", metavar="DEV", help="device instances or addresses (default: Who-Is)")
    p = verb("ack", "verb_alarms:cmd_ack", "acknowledge an object's alarm (AcknowledgeAlarm)", ACK_EPILOG)
    p.add_argument("device", metavar="DEV", help="device instance or address")
    p.add_argument("object", metavar="OBJ", help="the alarmed object, e.g. analog-input,1")
    p.add_argument("--source", default="aso", help="acknowledgment source: who acknowledges (default aso)")
    p.add_argument("--yes", "-y", action="store_true", help="acknowledge without asking (required without a terminal)")
