"""Alarms and events from the client side: list, acknowledge, hear notifications.

- :func:`get_event_information` lists a device's active and unacknowledged
  events with GetEventInformation (following more-events), falling back to
  GetAlarmSummary, then GetEnrollmentSummary, for a device that does not
  implement it (``EventSummary.source`` says which answered).
- :func:`acknowledge_alarm` sends AcknowledgeAlarm for one transition.
- :func:`listen_for_events` makes our application a recipient: confirmed and
  unconfirmed EventNotifications are handed to a callback as
  :class:`EventNotice`. The handlers are bound only while someone listens,
  so an application claims these services only then.

Time stamps cross the boundary as text: ``"14:03:07.25"`` (a time),
``"#12"`` (a sequence number), ``"2026-11-29 14:03:07.25"`` (a date and
time), ``None`` for an unspecified one. :func:`acknowledge_alarm` takes the
same text back, so an event's time stamp can be handed on unchanged.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bacpypes3.apdu import (
    AcknowledgeAlarmRequest,
    ConfirmedEventNotificationRequest,
    GetAlarmSummaryACK,
    GetAlarmSummaryRequest,
    GetEnrollmentSummaryACK,
    GetEnrollmentSummaryRequest,
    GetEventInformationACK,
    GetEventInformationRequest,
    SimpleAckPDU,
    UnconfirmedEventNotificationRequest,
)
from bacpypes3.basetypes import (
    DateTime,
    EventState,
    GetAlarmSummaryAlarmSummary,
    GetEnrollmentSummaryEnrollmentSummary,
    TimeStamp,
)
from bacpypes3.constructeddata import SequenceOf
from bacpypes3.primitivedata import Date, Time

from .boundary import Device
from .client import BacnetClient, bacnet_object_id
from .errors import BacnetError, BacnetReject, BacnetRemoteError, InvalidInput
from .ids import ObjectId, parse_object_id

log = logging.getLogger("aso.bacnet")

# bacpypes3 0.0.110 cannot decode an EMPTY GetAlarmSummary-ACK (no alarms: the answer has no
# bytes, and its list is a required element), so the answer was dropped and the request timed
# out. An empty list is the normal answer: let it decode (as None, read as no alarms).
GetAlarmSummaryACK._elements["listOfAlarmSummaries"] = SequenceOf(GetAlarmSummaryAlarmSummary, _optional=True)
# The same for an empty GetEnrollmentSummary-ACK.
GetEnrollmentSummaryACK._elements["listOfEnrollmentSummaries"] = SequenceOf(
    GetEnrollmentSummaryEnrollmentSummary, _optional=True)

TRANSITIONS = ("to-offnormal", "to-fault", "to-normal")
EVENT_STATES = ("normal", "fault", "offnormal", "high-limit", "low-limit", "life-safety-alarm")
DEFAULT_PROCESS_ID = 0
MAX_PAGES = 100  # GetEventInformation pages followed before giving up (a device looping on more-events)

# Answers meaning "this device does not do GetEventInformation": try GetAlarmSummary.
_NOT_IMPLEMENTED = ("unrecognized-service", "service-request-denied", "optional-functionality-not-supported")


@dataclass(frozen=True)
class EventSummary:
    """One object's event status on one device (plain data).

    ``acked_transitions`` maps to-offnormal / to-fault / to-normal to
    whether that transition is acknowledged; ``time_stamps`` holds the
    three transitions' time stamps (text, see the module docstring);
    ``priorities`` the three notification priorities. From GetAlarmSummary
    (``source="get-alarm-summary"``) time stamps, notify type and
    priorities are unknown (None). GetEnrollmentSummary
    (``source="get-enrollment-summary"``) gives one priority (of the
    present state) and says only whether *some* transition is
    unacknowledged: it is shown against the present state's transition.
    """

    device: str
    object_id: str
    event_state: str
    acked_transitions: dict[str, bool]
    time_stamps: list[str | None] | None = None
    notify_type: str | None = None
    event_enable: dict[str, bool] | None = None
    priorities: list[int | None] | None = None
    source: str = "get-event-information"
    event_type: str | None = None  # GetEnrollmentSummary only
    notification_class: int | None = None  # GetEnrollmentSummary only

    @property
    def unacknowledged(self) -> list[str]:
        return [t for t in TRANSITIONS if not self.acked_transitions.get(t, True)]

    @property
    def active_time_stamp(self) -> str | None:
        """The time stamp of the transition into the present event state (what an ack names)."""
        if not self.time_stamps:
            return None
        return self.time_stamps[transition_index(self.event_state)]

    def as_dict(self) -> dict[str, Any]:
        return {"device": self.device, "object": self.object_id, "event_state": self.event_state,
                "acked_transitions": dict(self.acked_transitions), "time_stamps": self.time_stamps,
                "notify_type": self.notify_type, "event_enable": self.event_enable,
                "priorities": self.priorities, "source": self.source, "event_type": self.event_type,
                "notification_class": self.notification_class}


@dataclass(frozen=True)
class EventNotice:
    """An EventNotification received (plain data)."""

    source: str  # the sender's address
    device_instance: int
    object_id: str
    process_id: int
    time_stamp: str | None
    notification_class: int
    priority: int
    event_type: str
    notify_type: str
    ack_required: bool | None
    from_state: str | None
    to_state: str
    message: str | None
    confirmed: bool


def transition_index(event_state: str) -> int:
    """0 (to-offnormal), 1 (to-fault) or 2 (to-normal) for the state a transition went into."""
    if event_state == "normal":
        return 2
    if event_state == "fault":
        return 1
    return 0


# ----- time stamps as text ------------------------------------------------------------------


def _time_text(t: Any) -> str | None:
    h, m, s, hs = tuple(t)
    if 255 in (h, m, s):
        return None
    return f"{h:02d}:{m:02d}:{s:02d}.{0 if hs == 255 else hs:02d}"


def timestamp_text(stamp: Any) -> str | None:
    """A bacpypes3 TimeStamp as text (see the module docstring)."""
    if stamp is None:
        return None
    if stamp.time is not None:
        return _time_text(stamp.time)
    if stamp.sequenceNumber is not None:
        return f"#{int(stamp.sequenceNumber)}"
    if stamp.dateTime is not None:
        year, month, day, _ = tuple(stamp.dateTime.date)
        clock = _time_text(stamp.dateTime.time)
        if 255 in (year, month, day) or clock is None:
            return None
        return f"{year + 1900:04d}-{month:02d}-{day:02d} {clock}"
    return None


_TIME = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,2}))?$")


def _parse_time(text: str) -> Time:
    m = _TIME.match(text)
    if not m:
        raise InvalidInput(f"time stamp {text!r}: expected HH:MM:SS[.hh], #N or YYYY-MM-DD HH:MM:SS[.hh]")
    h, mi, s, hs = int(m[1]), int(m[2]), int(m[3]), int((m[4] or "0").ljust(2, "0"))
    if h > 23 or mi > 59 or s > 59:
        raise InvalidInput(f"time stamp {text!r}: not a time of day")
    return Time((h, mi, s, hs))


def parse_timestamp(text: str) -> TimeStamp:
    """Text from :func:`timestamp_text` back into a TimeStamp (InvalidInput if malformed)."""
    text = text.strip()
    if text.startswith("#") and text[1:].isascii() and text[1:].isdigit():
        return TimeStamp(sequenceNumber=int(text[1:]))
    if " " in text:
        day, clock = text.split(None, 1)
        try:
            date = _dt.date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(f"time stamp {text!r}: bad date") from None
        return TimeStamp(dateTime=DateTime(
            date=Date((date.year - 1900, date.month, date.day, date.isoweekday())), time=_parse_time(clock)))
    return TimeStamp(time=_parse_time(text))


# ----- reading ------------------------------------------------------------------------------


def _state(value: Any) -> str:
    return str(EventState(value)) if value is not None else "normal"


def _bits(value: Any) -> dict[str, bool]:
    bits = list(value) if value is not None else [1, 1, 1]
    return {name: bool(bits[i]) if i < len(bits) else True for i, name in enumerate(TRANSITIONS)}


async def get_event_information(client: BacnetClient, device: Device, *,
                                timeout: float | None = None) -> list[EventSummary]:
    """Active and unacknowledged events on one device.

    GetEventInformation, following more-events; a device that refuses it
    (Reject unrecognized-service, or an Error saying it is not supported)
    is asked GetAlarmSummary, then GetEnrollmentSummary. Raises
    BacnetTimeout, BacnetReject / BacnetRemoteError when all three are refused.
    """
    address, name = await client.resolve(device)
    summaries: list[EventSummary] = []
    last = None
    try:
        for _ in range(MAX_PAGES):
            request = GetEventInformationRequest()
            if last is not None:
                request.lastReceivedObjectIdentifier = last
            request.pduDestination = address
            ack = await client._call(f"{name} get-event-information", address,
                                     lambda request=request: client.app.request(request), timeout)
            if not isinstance(ack, GetEventInformationACK):
                raise BacnetError(f"{name}: unexpected answer {type(ack).__name__} to GetEventInformation")
            for item in ack.listOfEventSummaries or []:
                last = item.objectIdentifier
                summaries.append(EventSummary(
                    device=name, object_id=_oid_text(item.objectIdentifier),
                    event_state=_state(item.eventState), acked_transitions=_bits(item.acknowledgedTransitions),
                    time_stamps=[timestamp_text(t) for t in (item.eventTimeStamps or [])],
                    notify_type=str(item.notifyType) if item.notifyType is not None else None,
                    event_enable=_bits(item.eventEnable),
                    priorities=[int(p) for p in (item.eventPriorities or [])],
                ))
            if not ack.moreEvents or last is None:
                return summaries
        log.warning("%s: more-events still set after %d pages; stopping", name, MAX_PAGES)
        return summaries
    except (BacnetReject, BacnetRemoteError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "error_code", None)
        if summaries or reason not in _NOT_IMPLEMENTED:
            raise
        log.info("%s: no GetEventInformation (%s); asking GetAlarmSummary", name, reason)
    try:
        return await get_alarm_summary(client, device, timeout=timeout)
    except (BacnetReject, BacnetRemoteError) as exc:
        if _refusal(exc) not in _NOT_IMPLEMENTED:
            raise
        log.info("%s: no GetAlarmSummary (%s); asking GetEnrollmentSummary", name, _refusal(exc))
    return await get_enrollment_summary(client, device, timeout=timeout)


def _refusal(exc: BaseException) -> str | None:
    return getattr(exc, "reason", None) or getattr(exc, "error_code", None)


async def get_alarm_summary(client: BacnetClient, device: Device, *, timeout: float | None = None) -> list[EventSummary]:
    """Objects in alarm on one device with GetAlarmSummary (older devices)."""
    address, name = await client.resolve(device)
    request = GetAlarmSummaryRequest()
    request.pduDestination = address
    ack = await client._call(f"{name} get-alarm-summary", address, lambda: client.app.request(request), timeout)
    if not isinstance(ack, GetAlarmSummaryACK):
        raise BacnetError(f"{name}: unexpected answer {type(ack).__name__} to GetAlarmSummary")
    return [EventSummary(device=name, object_id=_oid_text(item.objectIdentifier), event_state=_state(item.alarmState),
                         acked_transitions=_bits(item.acknowledgedTransitions), source="get-alarm-summary")
            for item in ack.listOfAlarmSummaries or []]


async def get_enrollment_summary(client: BacnetClient, device: Device, *,
                                 timeout: float | None = None) -> list[EventSummary]:
    """Active and unacknowledged event enrollments with GetEnrollmentSummary (the last resort).

    Two requests: every active enrollment, then every one with an
    unacknowledged transition (an acknowledged return to normal is left
    out, as by the other two services). Raises BacnetTimeout,
    BacnetReject / BacnetRemoteError when refused.
    """
    address, name = await client.resolve(device)

    async def ask(acknowledgment: str, event_state: str | None) -> list[Any]:
        request = GetEnrollmentSummaryRequest(acknowledgmentFilter=acknowledgment)
        if event_state is not None:
            request.eventStateFilter = event_state
        request.pduDestination = address
        ack = await client._call(f"{name} get-enrollment-summary", address,
                                 lambda: client.app.request(request), timeout)
        if not isinstance(ack, GetEnrollmentSummaryACK):
            raise BacnetError(f"{name}: unexpected answer {type(ack).__name__} to GetEnrollmentSummary")
        return list(ack.listOfEnrollmentSummaries or [])

    not_acked = {_oid_text(item.objectIdentifier): item for item in await ask("notAcked", None)}
    items = {_oid_text(item.objectIdentifier): item for item in await ask("all", "active")}
    unacked = set(not_acked)
    for object_id, item in not_acked.items():
        items.setdefault(object_id, item)
    summaries = []
    for object_id, item in sorted(items.items()):
        state = _state(item.eventState)
        acked = {t: True for t in TRANSITIONS}
        if object_id in unacked:
            acked[TRANSITIONS[transition_index(state)]] = False
        priorities = [None, None, None]
        priorities[transition_index(state)] = int(item.priority)
        summaries.append(EventSummary(
            device=name, object_id=object_id, event_state=state, acked_transitions=acked,
            priorities=priorities, source="get-enrollment-summary", event_type=str(item.eventType),
            notification_class=int(item.notificationClass) if item.notificationClass is not None else None))
    return summaries


def _oid_text(oid: Any) -> str:
    return str(parse_object_id(f"{int(oid[0])},{int(oid[1])}"))


# ----- acknowledging --------------------------------------------------------------------------


async def acknowledge_alarm(client: BacnetClient, device: Device, object_id: str | ObjectId, event_state: str,
                            timestamp: str, *, source: str = "aso", process_id: int = DEFAULT_PROCESS_ID,
                            timeout: float | None = None) -> None:
    """Acknowledge the transition into ``event_state`` stamped ``timestamp`` (text, as listed).

    Raises InvalidInput for a malformed state or time stamp, BacnetRemoteError
    when the device refuses (invalid-time-stamp: the event moved on since it
    was listed; invalid-event-state; unknown-object), BacnetTimeout.
    """
    oid = parse_object_id(object_id)
    try:
        state = EventState(event_state)
    except (ValueError, TypeError):
        raise InvalidInput(f"event state {event_state!r}: expected one of {', '.join(EVENT_STATES)}") from None
    if not source or not source.isprintable():
        raise InvalidInput("the acknowledgment source must be printable text")
    stamp = parse_timestamp(timestamp)
    address, name = await client.resolve(device)
    request = AcknowledgeAlarmRequest(
        acknowledgingProcessIdentifier=process_id, eventObjectIdentifier=bacnet_object_id(oid),
        eventStateAcknowledged=state, timeStamp=stamp, acknowledgmentSource=source,
        timeOfAcknowledgment=TimeStamp.as_time())
    request.pduDestination = address
    ack = await client._call(f"{name} {oid} acknowledge-alarm", address, lambda: client.app.request(request), timeout)
    if not isinstance(ack, SimpleAckPDU):
        raise BacnetError(f"{name}: unexpected answer {type(ack).__name__} to AcknowledgeAlarm")


# ----- receiving notifications ---------------------------------------------------------------

EventListener = Callable[[EventNotice], None]


def _notice(apdu: Any, confirmed: bool) -> EventNotice:
    def opt(value: Any, cast: Callable[[Any], Any]) -> Any:
        return None if value is None else cast(value)

    return EventNotice(
        source=str(apdu.pduSource), device_instance=int(apdu.initiatingDeviceIdentifier[1]),
        object_id=_oid_text(apdu.eventObjectIdentifier), process_id=int(apdu.processIdentifier),
        time_stamp=timestamp_text(apdu.timeStamp), notification_class=int(apdu.notificationClass),
        priority=int(apdu.priority), event_type=str(apdu.eventType), notify_type=str(apdu.notifyType),
        ack_required=opt(apdu.ackRequired, bool), from_state=opt(apdu.fromState, _state), to_state=_state(apdu.toState),
        message=opt(apdu.messageText, str), confirmed=confirmed,
    )


def _deliver(app: Any, apdu: Any, confirmed: bool) -> None:
    try:
        notice = _notice(apdu, confirmed)
    except Exception:  # a malformed notification is logged, never raised into the stack
        log.warning("unreadable event notification from %s", apdu.pduSource, exc_info=True)
        return
    for listener in list(app.event_listeners):
        try:
            listener(notice)
        except Exception:
            log.exception("event listener failed")


async def _do_confirmed(self: Any, apdu: ConfirmedEventNotificationRequest) -> None:
    _deliver(self, apdu, True)
    await self.response(SimpleAckPDU(context=apdu))


async def _do_unconfirmed(self: Any, apdu: UnconfirmedEventNotificationRequest) -> None:
    _deliver(self, apdu, False)


def listen_for_events(client: BacnetClient, listener: EventListener) -> Callable[[], None]:
    """Hand every EventNotification our application receives to ``listener``; returns a stop function.

    The listener runs in the event loop: keep it quick (queue the notice).
    Confirmed notifications are acknowledged once the listeners have run.
    """
    app = client.app
    if not hasattr(app, "event_listeners"):
        app.event_listeners = []
    app.event_listeners.append(listener)
    app.do_ConfirmedEventNotificationRequest = types.MethodType(_do_confirmed, app)
    app.do_UnconfirmedEventNotificationRequest = types.MethodType(_do_unconfirmed, app)

    def stop() -> None:
        if listener in app.event_listeners:
            app.event_listeners.remove(listener)
        if not app.event_listeners:
            for attr in ("do_ConfirmedEventNotificationRequest", "do_UnconfirmedEventNotificationRequest"):
                app.__dict__.pop(attr, None)

    return stop
