"""The plain records the closeout modules exchange (JSON-able, like ``bacnet.types``).

- :class:`HeldSlot`: one command priority slot held on the site, and who holds it.
- :class:`OutOfServicePoint`: a point left out of service.
- :class:`AuditRecord`: one write or release made by a technician (console, CLI) or an ASO.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# Who holds a slot: an ASO on this host (its ledger), a write from this console or CLI (the audit
# journal), the device's own logic (a program at priority 16, recognised as such), or nobody we know.
HOLDERS = ("aso", "console", "cli", "device", "unknown")


class _Plain:
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True)
class HeldSlot(_Plain):
    device: int  # device instance
    device_name: str | None
    object_id: str  # canonical, e.g. analog-output,1
    object_name: str | None
    priority: int  # 1..16
    level: str  # the priority's standard name: "Manual Operator"
    value: Any  # plain value in the slot
    value_text: str  # with units / state text: "55 %", "active (Running)"
    without: Any  # the present-value if this slot were released (next lower slot, else relinquish-default)
    without_text: str
    winning: bool  # this slot is the current command priority
    holder: str  # one of HOLDERS
    holder_detail: str  # "ASO load-shed (host edge1, since 17:02)", "alice@edge1 console 2026-11-29 17:02", ...
    since: float | None = None  # epoch seconds, when known
    value_source: Any = None  # Value_Source, where the device has it (BACnet 2016+)
    last_command_time: Any = None
    # Added for the sweep: the holder is a live process that may write the slot again (a running
    # ASO); releasing it needs an extra confirmation (--include-aso).
    holder_running: bool = False


@dataclass(frozen=True)
class OutOfServicePoint(_Plain):
    device: int
    device_name: str | None
    object_id: str
    object_name: str | None
    present_value: Any
    value_text: str
    holder: str  # one of HOLDERS (who put it out of service, when the audit journal knows)
    holder_detail: str
    since: float | None = None


# An alarm acknowledged (AcknowledgeAlarm) from the console or ``aso ack``: ``object_id`` is the
# alarmed object, ``after`` says which transition of which event state, at which time stamp.
ACKNOWLEDGE_ALARM = "acknowledge-alarm"

# Services the console and CLI record beside writes (``property`` names the service).
# They are not a value in a slot: nothing to read back or write back, so never undone,
# and never taken for an override (no priority).
DEVICE_SERVICES = frozenset({"time-synchronization", "device-communication-control", "reinitialize-device",
                             ACKNOWLEDGE_ALARM})


# Schedule and calendar edits (``closeout.schedule_audit``) are recorded as whole values too, with no
# priority (never an override): weekly-schedule (index = day 1..7), exception-schedule and date-list,
# before/after as the text the tools print, which undo writes back.


def acknowledgement_text(event_state: str, transition: str, time_stamp: str) -> str:
    """An acknowledge record's ``after``: 'high-limit (to-offnormal at 2026-11-29 17:02:03.00)'."""
    return f"{event_state} ({transition} at {time_stamp})"


@dataclass(frozen=True)
class AuditRecord(_Plain):
    """One write or release, as the audit journal keeps it (append-only JSON lines)."""

    id: str  # short unique id, what `aso undo ID` takes
    time: float  # epoch seconds
    user: str
    host: str
    tool: str  # "console", "cli", or "aso:NAME"
    device: str  # as given: an instance ("1001") or an address
    device_instance: int | None
    object_id: str
    property: str
    priority: int | None
    index: int | None
    before: Any  # the slot's (or property's) value before the write; None = empty slot
    before_known: bool  # False when it could not be read first
    after: Any  # the value written; None = a release
    outcome: str  # "ok", or the one-line error
    undoes: str | None = None  # the id of the record this write undid
    session: str | None = None  # one run of the tool (a console from start to quit, one `aso` command)
