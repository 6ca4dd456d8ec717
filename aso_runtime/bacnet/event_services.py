"""Serving alarms: GetEventInformation, GetAlarmSummary, GetEnrollmentSummary and AcknowledgeAlarm.

bacpypes3 0.0.110 runs intrinsic event algorithms on local objects and
sends the event notifications, but answers none of the alarm services.
:func:`enable_event_services` binds our handlers to an application that
serves at least one event-reporting object, so only such a device answers
and claims them (``AsoApplication.get_services_supported`` claims what has
a handler).

Event arrays (event-time-stamps, acked-transitions, priorities) are indexed
by transition: to-offnormal 0, to-fault 1, to-normal 2.
"""

from __future__ import annotations

import logging
import types
from typing import Any

from bacpypes3.apdu import (
    AcknowledgeAlarmRequest,
    GetAlarmSummaryACK,
    GetAlarmSummaryRequest,
    GetEnrollmentSummaryACK,
    GetEnrollmentSummaryRequest,
    GetEventInformationACK,
    GetEventInformationRequest,
    SimpleAckPDU,
)
from bacpypes3.basetypes import (
    EventState,
    EventTransitionBits,
    EventType,
    GetAlarmSummaryAlarmSummary,
    GetEnrollmentSummaryEnrollmentSummary,
    GetEventInformationEventSummary,
    NotifyType,
)
from bacpypes3.errors import ExecutionError

log = logging.getLogger("aso.bacnet")

MAX_SUMMARIES = 64  # per GetEventInformation answer; the rest follow with more-events


def transition_index(state: Any) -> int:
    """Index into the three-entry event arrays for a transition into ``state``."""
    state = EventState(state)
    if state == EventState.normal:
        return 2
    if state == EventState.fault:
        return 1
    return 0


def reports_events(obj: Any) -> bool:
    """Whether a local object runs an event algorithm (intrinsic reporting)."""
    return getattr(obj, "_event_algorithm", None) is not None


def _key(obj: Any) -> tuple[int, int]:
    oid = obj.objectIdentifier
    return (int(oid[0]), int(oid[1]))


def event_objects(app: Any) -> list[Any]:
    return sorted((obj for obj in app.objectIdentifier.values() if reports_events(obj)), key=_key)


async def do_GetEventInformationRequest(self: Any, apdu: GetEventInformationRequest) -> None:
    last = apdu.lastReceivedObjectIdentifier
    after = (int(last[0]), int(last[1])) if last is not None else None
    summaries, more = [], False
    for obj in event_objects(self):
        if after is not None and _key(obj) <= after:
            continue
        acked = obj.ackedTransitions
        if obj.eventState == EventState.normal and all(acked):
            continue  # nothing active, nothing left to acknowledge
        if len(summaries) == MAX_SUMMARIES:
            more = True
            break
        nc = obj._notification_class_object
        summaries.append(GetEventInformationEventSummary(
            objectIdentifier=obj.objectIdentifier, eventState=obj.eventState, acknowledgedTransitions=acked,
            eventTimeStamps=list(obj.eventTimeStamps), notifyType=obj.notifyType, eventEnable=obj.eventEnable,
            eventPriorities=list(nc.priority) if nc is not None else [255, 255, 255],
        ))
    await self.response(GetEventInformationACK(listOfEventSummaries=summaries, moreEvents=more, context=apdu))


async def do_GetAlarmSummaryRequest(self: Any, apdu: GetAlarmSummaryRequest) -> None:
    summaries = [
        GetAlarmSummaryAlarmSummary(objectIdentifier=obj.objectIdentifier, alarmState=obj.eventState,
                                    acknowledgedTransitions=obj.ackedTransitions)
        for obj in event_objects(self)
        if obj.eventState != EventState.normal and obj.notifyType == NotifyType.alarm
    ]
    await self.response(GetAlarmSummaryACK(listOfAlarmSummaries=summaries, context=apdu))


def _enrolled(obj: Any, apdu: GetEnrollmentSummaryRequest) -> bool:
    """Whether ``obj`` passes the request's filters (clause 13.11.1; the enrollment filter is not applied)."""
    acked = list(obj.ackedTransitions)
    ack_filter = int(apdu.acknowledgmentFilter)  # all 0, acked 1, not-acked 2
    if (ack_filter == 1 and not all(acked)) or (ack_filter == 2 and all(acked)):
        return False
    state = EventState(obj.eventState)
    wanted = apdu.eventStateFilter
    if wanted is not None:
        wanted = int(wanted)  # offnormal 0, fault 1, normal 2, all 3, active 4
        is_normal, is_fault = state == EventState.normal, state == EventState.fault
        if ((wanted == 0 and (is_normal or is_fault)) or (wanted == 1 and not is_fault)
                or (wanted == 2 and not is_normal) or (wanted == 4 and is_normal)):
            return False
    if apdu.eventTypeFilter is not None and EventType(apdu.eventTypeFilter) != _event_type(obj):
        return False
    nc = obj._notification_class_object
    if apdu.notificationClassFilter is not None and int(obj.notificationClass) != int(apdu.notificationClassFilter):
        return False
    if apdu.priorityFilter is not None:
        priority = _priority(obj, nc)
        if not int(apdu.priorityFilter.minPriority) <= priority <= int(apdu.priorityFilter.maxPriority):
            return False
    return True


def _event_type(obj: Any) -> Any:
    return EventType(obj._event_algorithm.event_type)


def _priority(obj: Any, nc: Any) -> int:
    # The priority of the transition into the present state (255, the lowest, without a class).
    return int(nc.priority[transition_index(obj.eventState)]) if nc is not None else 255


async def do_GetEnrollmentSummaryRequest(self: Any, apdu: GetEnrollmentSummaryRequest) -> None:
    summaries = [
        GetEnrollmentSummaryEnrollmentSummary(
            objectIdentifier=obj.objectIdentifier, eventType=_event_type(obj), eventState=obj.eventState,
            priority=_priority(obj, obj._notification_class_object), notificationClass=obj.notificationClass)
        for obj in event_objects(self) if _enrolled(obj, apdu)
    ]
    await self.response(GetEnrollmentSummaryACK(listOfEnrollmentSummaries=summaries, context=apdu))


async def do_AcknowledgeAlarmRequest(self: Any, apdu: AcknowledgeAlarmRequest) -> None:
    obj = self.get_object_id(apdu.eventObjectIdentifier)
    if obj is None:
        raise ExecutionError(errorClass="object", errorCode="unknownObject")
    if not reports_events(obj):
        raise ExecutionError(errorClass="services", errorCode="inconsistentParameters")
    index = transition_index(apdu.eventStateAcknowledged)
    if index != transition_index(obj.eventState):
        raise ExecutionError(errorClass="services", errorCode="invalidEventState")
    if apdu.timeStamp != obj.eventTimeStamps[index]:
        raise ExecutionError(errorClass="services", errorCode="invalidTimeStamp")
    acked = list(obj.ackedTransitions)
    acked[index] = 1
    obj.ackedTransitions = EventTransitionBits(acked)
    log.info("%s %s acknowledged by %r", obj.objectIdentifier, EventState(obj.eventState),
             str(apdu.acknowledgmentSource))
    await self.response(SimpleAckPDU(context=apdu))


def enable_event_services(app: Any) -> Any:
    """Answer (and claim) the alarm services on ``app`` if it serves event-reporting objects; returns ``app``."""
    if event_objects(app):
        for handler in (do_GetEventInformationRequest, do_GetAlarmSummaryRequest, do_GetEnrollmentSummaryRequest,
                        do_AcknowledgeAlarmRequest):
            setattr(app, handler.__name__, types.MethodType(handler, app))
    return app
