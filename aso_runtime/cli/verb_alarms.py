"""``aso alarms`` (active and unacknowledged events) and ``aso ack`` (AcknowledgeAlarm, after a question).

Each acknowledgement sent, accepted or refused, goes into the audit journal (property
``acknowledge-alarm``), as the CLI's writes do; ``aso undo`` lists it and leaves it alone.

The argparse is in ``alarms_args.py``; this module is imported only when a verb runs.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from aso_runtime.bacnet import (
    BacnetClient,
    BacnetError,
    BacnetReject,
    BacnetRemoteError,
    EventSummary,
    InvalidInput,
    acknowledge_alarm,
    get_event_information,
    parse_object_id,
    who_is,
)
from aso_runtime.closeout.audit import AuditError, AuditJournal
from aso_runtime.closeout.audited import device_fields, one_line
from aso_runtime.closeout.records import ACKNOWLEDGE_ALARM, acknowledgement_text
from aso_runtime.verbs.words import device_arg

from .context import Context

COLUMNS = ["Device", "Object", "State", "Unacked", "Since", "Notify", "Priority", "Via"]
# Which service answered: GetEventInformation, or the fallbacks GetAlarmSummary / GetEnrollmentSummary.
SERVICE_ABBREVIATIONS = {"get-event-information": "GEI", "get-alarm-summary": "GAS", "get-enrollment-summary": "GES"}
NOT_SUPPORTED = ("unrecognized-service", "service-request-denied", "optional-functionality-not-supported")


def _device(text: str) -> int | str:
    checked = device_arg(text)
    return int(checked) if checked.isdigit() else checked


def _row(event: EventSummary) -> list[str]:
    priority = event.priorities[0] if event.priorities and event.event_state != "normal" else None
    return [event.device, event.object_id, event.event_state, ", ".join(event.unacknowledged) or "-",
            event.active_time_stamp or "-", event.notify_type or "-", "-" if priority is None else str(priority),
            SERVICE_ABBREVIATIONS.get(event.source, event.source)]


async def cmd_alarms(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    devices = [_device(text) for text in args.devices]  # checked before any socket is bound
    client = await ctx.client()
    site_wide = not devices
    if site_wide:
        devices = [d.instance for d in await who_is(client)]
    events: list[EventSummary] = []
    problems: dict[str, str] = {}

    async def one(device: int | str) -> None:
        try:
            events.extend(await get_event_information(client, device))
        except (BacnetReject, BacnetRemoteError) as exc:
            reason = getattr(exc, "reason", None) or getattr(exc, "error_code", "")
            if site_wide and reason in NOT_SUPPORTED:
                return  # a device without alarm services has no alarms to show
            problems[str(device)] = str(exc)
        except BacnetError as exc:
            problems[str(device)] = str(exc)

    await asyncio.gather(*(one(d) for d in devices))
    events.sort(key=lambda e: (e.device, e.object_id))
    if out.json_mode:
        out.json({"events": [e.as_dict() for e in events], "count": len(events), "devices": len(devices),
                  "errors": problems})
    else:
        for device, problem in sorted(problems.items()):
            out.warn(f"device {device}: {problem}")
        if events:
            out.table(COLUMNS, [_row(e) for e in events],
                      styles=["red" if e.event_state != "normal" else "yellow" for e in events])
        else:
            out.note(f"no active or unacknowledged events on {len(devices) - len(problems)} device(s)")
    return 1 if problems and not events and len(problems) == len(devices) else 0


async def cmd_ack(ctx: Context, ask: Callable[[str], bool] | None = None) -> int:
    args, out = ctx.args, ctx.out
    device = _device(args.device)
    object_id = parse_object_id(args.object)
    if not args.yes and (out.json_mode or not sys.stdin.isatty()):
        raise InvalidInput("not a terminal to ask on: add --yes to acknowledge without a question")
    client = await ctx.client()
    events = [e for e in await get_event_information(client, device) if e.object_id == str(object_id)]
    if not events or not events[0].unacknowledged:
        raise InvalidInput(f"{object_id} on device {args.device} has no unacknowledged event (`aso alarms "
                           f"{args.device}` lists them)")
    event = events[0]
    transition = "to-normal" if event.event_state == "normal" else "to-fault" if event.event_state == "fault" else "to-offnormal"
    if transition not in event.unacknowledged:
        raise InvalidInput(f"{object_id} on device {args.device}: the {transition} transition is already "
                           f"acknowledged (unacknowledged: {', '.join(event.unacknowledged)})")
    stamp = event.active_time_stamp
    if stamp is None:
        raise BacnetError(f"{object_id} on device {args.device}: the device gives no time stamp to acknowledge")
    if not args.yes:
        out.stderr.write(f"acknowledge {object_id} {event.event_state} ({transition} at {stamp}) on device "
                         f"{args.device} as {args.source!r}? [y/N] ")
        out.stderr.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            out.note("not acknowledged")
            return 1
    acknowledged = acknowledgement_text(event.event_state, transition, stamp)
    try:
        await acknowledge_alarm(client, device, object_id, event.event_state, stamp, source=args.source)
    except BacnetError as exc:
        _record(ctx, client, device, str(object_id), acknowledged, one_line(exc))
        raise
    _record(ctx, client, device, str(object_id), acknowledged, "ok")
    after = [e for e in await get_event_information(client, device) if e.object_id == str(object_id)]
    acked = not after or transition not in after[0].unacknowledged
    if out.json_mode:
        out.json({"device": str(args.device), "object": str(object_id), "event_state": event.event_state,
                  "time_stamp": stamp, "acknowledged": acked})
    elif acked:
        out.line(f"acknowledged {object_id} {event.event_state} on device {args.device}", style="green")
    else:
        out.warn(f"{object_id} still shows {transition} unacknowledged after the acknowledgement")
    return 0 if acked else 1


def _record(ctx: Context, client: BacnetClient, device: int | str, object_id: str, acknowledged: str, outcome: str) -> None:
    """The acknowledgement in the audit journal, as the CLI's writes are (a journal that fails is a warning)."""
    journal = AuditJournal(tool="cli")
    text, instance = device_fields(client, device)
    record = journal.new_record(device=text, device_instance=instance, object_id=object_id, property=ACKNOWLEDGE_ALARM,
                                priority=None, index=None, before=None, before_known=False, after=acknowledged,
                                outcome=outcome)
    try:
        journal.append(record)
    except AuditError as exc:
        ctx.out.warn(f"the acknowledgement was sent but is not in the audit journal ({exc})")
