"""Serving alarms: GetEventInformation, GetAlarmSummary and AcknowledgeAlarm.

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
    GetEventInformationACK,
    GetEventInformationRequest,
    SimpleAckPDU,
)
from bacpypes3.basetypes import (
    EventState,
    EventTransitionBits,
    GetAlarmSummaryAlarmSummary,
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
        for handler in (do_GetEventInformationRequest, do_GetAlarmSummaryRequest, do_AcknowledgeAlarmRequest):
            setattr(app, handler.__name__, types.MethodType(handler, app))
    return app
