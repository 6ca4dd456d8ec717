"""Alarms and events in the simulated building: a notification class and a zone high-limit alarm.

The first VAV box(es) (``ALARMED_VAVS``) get a notification-class object
(``notification-class,1``) and intrinsic out-of-range reporting on the zone
temperature (``analog-input,1``: high-limit, low-limit, deadband,
limit-enable, event-enable, notify-type, notification-class, time-delay).
A technician trips it as on site: override the airflow setpoint
(``analog-value,3``) to 0 at priority 8 (the damper closes and the zone
passes ``ZONE_HIGH_LIMIT`` in about ten simulated minutes; a cooling
setpoint override alone does not, the minimum airflow holds the zone near
74 degF), or put the sensor out of service and write a hot value.

bacpypes3 0.0.110 supplies the out-of-range algorithm and the notification
sending (``bacpypes3.local.event``). What it lacks is here:

- acked-transitions: it never clears a bit on a transition; we clear it when
  the notification class asks for an acknowledgement of that transition;
- the priority and ack-required of a notification: it indexes them by the
  event-state number (offnormal=2 picks the to-normal entry); we use the
  transition's index (to-offnormal 0, to-fault 1, to-normal 2);
- the services GetEventInformation, GetAlarmSummary and AcknowledgeAlarm
  (``bacnet/event_services.py``), answered and claimed only by devices that
  serve event-reporting objects.

The default recipient list is one entry: unconfirmed notifications to the
local broadcast address (a workstation on the same network hears them).
Tests and sites can replace it (:func:`set_recipients`).
"""

from __future__ import annotations

import logging
from typing import Any

from bacpypes3.basetypes import (
    Destination,
    DeviceAddress,
    EventTransitionBits,
    LimitEnable,
    NotifyType,
    Recipient,
    TimeStamp,
)
from bacpypes3.local.analog import AnalogInputObjectIR
from bacpypes3.local.event import OutOfRangeEventAlgorithm
from bacpypes3.local.object import Object as LocalObject
from bacpypes3.object import NotificationClassObject
from bacpypes3.primitivedata import ObjectIdentifier, Time

from ..bacnet.event_services import transition_index
from ..bacnet.served import Served

log = logging.getLogger("aso.sim")

ALARMED_VAVS = 1  # the first VAV box(es) carry the alarm; each listener costs model speed
NOTIFICATION_CLASS = 1
ZONE_HIGH_LIMIT = 78.0  # degF
ZONE_LOW_LIMIT = 60.0  # degF (the low limit is not enabled: night setback reaches it)
ZONE_DEADBAND = 1.0  # degF below the high limit before it returns to normal
ZONE_TIME_DELAY = 0  # s; kept at 0 so a test (and a technician) sees the alarm at once
PRIORITIES = (100, 200, 200)  # to-offnormal, to-fault, to-normal
ACK_REQUIRED = (True, True, False)

_UNSPECIFIED = (255, 255, 255, 255)
ALL_DAYS = (1, 1, 1, 1, 1, 1, 1)
ALL_TRANSITIONS = (1, 1, 1)


class _OutOfRange(OutOfRangeEventAlgorithm):
    """bacpypes3's out-of-range algorithm with the notification's priority and ack-required fixed."""

    async def send_notifications(self, notification_parameters: dict[str, Any]) -> None:
        nc = (self.monitoring_object or self.monitored_object)._notification_class_object
        index = transition_index(notification_parameters["toState"])
        notification_parameters["priority"] = nc.priority[index]
        notification_parameters["ackRequired"] = bool(nc.ackRequired[index])
        try:
            await super().send_notifications(notification_parameters)
        except Exception:  # one unreachable recipient must not end the others' notifications
            log.exception("event notification failed")


class SimAnalogInputAlarm(Served, AnalogInputObjectIR):
    """A sensor with intrinsic out-of-range reporting (writable like the other sim sensors)."""

    _network_writable = frozenset({"description", "covIncrement", "outOfService"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._event_algorithm.unbind()
        self._event_algorithm = _OutOfRange(None, self)
        self._property_monitors["eventState"].append(self._event_state_changed)

    def _event_state_changed(self, old: Any, new: Any) -> None:
        # A transition needing an acknowledgement leaves that transition unacknowledged.
        if old == new or self._notification_class_object is None:
            return
        index = transition_index(new)
        if self._notification_class_object.ackRequired[index]:
            acked = list(self.ackedTransitions)
            acked[index] = 0
            self.ackedTransitions = EventTransitionBits(acked)


class SimNotificationClass(Served, LocalObject, NotificationClassObject):
    """A notification class: priorities, ack-required and the recipient list (writable, as on most
    controllers: a workstation adds itself; :func:`lock_recipients` makes it refuse, as some do)."""

    _network_writable = frozenset({"description", "recipientList"})


def lock_recipients(nc: SimNotificationClass) -> None:
    """Refuse network writes to this class's recipient list (write-access-denied), as locked controllers do."""
    nc._network_writable = frozenset({"description"})


def notification_class(instance: int, name: str, recipients: list[Destination] | None = None) -> SimNotificationClass:
    return SimNotificationClass(
        objectIdentifier=("notification-class", instance),
        objectName=name,
        description=f"{name}: who hears the alarms and at which priority",
        notificationClass=instance,
        priority=list(PRIORITIES),
        ackRequired=EventTransitionBits(list(ACK_REQUIRED)),
        recipientList=recipients if recipients is not None else [broadcast_destination()],
    )


def destination(*, device: int | None = None, network: int = 0, mac: bytes = b"", process_id: int = 0,
                confirmed: bool = False) -> Destination:
    """A recipient-list entry valid all week, every transition: a device instance or an address."""
    recipient = (Recipient(device=ObjectIdentifier(("device", device))) if device is not None
                 else Recipient(address=DeviceAddress(networkNumber=network, macAddress=mac)))
    return Destination(
        validDays=list(ALL_DAYS), fromTime=Time((0, 0, 0, 0)), toTime=Time((23, 59, 59, 99)),
        recipient=recipient, processIdentifier=process_id, issueConfirmedNotifications=confirmed,
        transitions=EventTransitionBits(list(ALL_TRANSITIONS)),
    )


def broadcast_destination() -> Destination:
    return destination()  # network 0, no MAC: the local broadcast


def set_recipients(nc: SimNotificationClass, recipients: list[Destination]) -> None:
    """Replace a notification class's recipient list (site configuration, tests)."""
    nc.recipientList = recipients


def zone_temperature_alarm(zone: Any) -> SimAnalogInputAlarm:
    """The same zone temperature point with intrinsic high-limit reporting."""
    return SimAnalogInputAlarm(
        objectIdentifier=zone.objectIdentifier,
        objectName=zone.objectName,
        description=zone.description,
        presentValue=zone.presentValue,
        units=zone.units,
        covIncrement=zone.covIncrement,
        eventState="normal",
        outOfService=False,
        timeDelay=ZONE_TIME_DELAY,
        notificationClass=NOTIFICATION_CLASS,
        highLimit=ZONE_HIGH_LIMIT,
        lowLimit=ZONE_LOW_LIMIT,
        deadband=ZONE_DEADBAND,
        limitEnable=LimitEnable([0, 1]),  # high limit only
        eventEnable=EventTransitionBits(list(ALL_TRANSITIONS)),
        ackedTransitions=EventTransitionBits(list(ALL_TRANSITIONS)),
        notifyType=NotifyType("alarm"),
        eventTimeStamps=[TimeStamp(time=Time(_UNSPECIFIED)) for _ in range(3)],
        eventDetectionEnable=True,
    )


def add_zone_alarm(pts: dict[str, Any], name: str, index: int) -> None:
    """On the first ALARMED_VAVS boxes: the zone temperature with a high-limit alarm, and its notification class.

    Replaces ``pts["zone_temp"]`` (call it right after the zone temperature is
    added, before anything refers to it) and adds ``pts["notification_class"]``.
    """
    if index >= ALARMED_VAVS:
        return
    pts["zone_temp"] = zone_temperature_alarm(pts["zone_temp"])
    pts["notification_class"] = notification_class(NOTIFICATION_CLASS, f"{name} Alarms")
