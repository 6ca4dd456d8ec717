"""Device management served by the simulated devices: time sync, DCC, ReinitializeDevice.

:class:`ManagedDevice` is mixed into the simulator's application class
(``devices.SimApplication``). Each device then:

- keeps its own clock, an offset from the host's: TimeSynchronization (local
  time) and UTCTimeSynchronization set it, and the device object's
  local-date, local-time, utc-offset and daylight-savings-status show it;
- answers DeviceCommunicationControl (enable / disable / disable-initiation,
  a duration in minutes, a password). While disabled it answers only
  DeviceCommunicationControl and ReinitializeDevice (clause 16.1: bacpypes3
  0.0.110 also lets Who-Is and Who-Has through) and sends nothing; while
  initiation is disabled it sends only I-Am. It re-enables itself when the
  duration ends;
- answers ReinitializeDevice coldstart / warmstart: both re-enable
  communication and record last-restart-reason and time-of-device-restart;
  a cold start also drops every command above priority 16 (slots 1..15:
  the device's own programs write at 16 and write again on the next step).
  Other states are Error(services, optional-functionality-not-supported).

A wrong or missing password is Error(security, password-failure) for DCC and
ReinitializeDevice, checked before anything else. The password is
``DEFAULT_PASSWORD`` (``"aso-sim"``), or ``$ASO_SIM_PASSWORD`` when set when
the building starts; :func:`set_password` changes it for every device (``aso
sim --password``), ``app.management_password`` for one (an empty password
means none is asked).
"""

from __future__ import annotations

import asyncio
import calendar
import datetime as dt
import logging
import os
import time
from typing import Any

from bacpypes3.apdu import SimpleAckPDU
from bacpypes3.basetypes import DateTime, RestartReason, TimeStamp
from bacpypes3.errors import ExecutionError
from bacpypes3.local.cmd import Commandable
from bacpypes3.primitivedata import Boolean, Date, Integer, Null, Time

from ..bacnet.served import ServedDevice

log = logging.getLogger("aso.sim")

DEFAULT_PASSWORD = "aso-sim"
PASSWORD_ENV = "ASO_SIM_PASSWORD"
CONFIRMED_REQUEST, UNCONFIRMED_REQUEST = 0, 1
DCC_SERVICE, REINITIALIZE_SERVICE, I_AM_SERVICE = 17, 20, 0
PROGRAM_PRIORITY = 16  # the device's own programs (model.py) write here


MAX_PASSWORD = 20  # characters: a client cannot send a longer one (clause 16.1.1.1.3)


def default_password() -> str:
    return os.environ.get(PASSWORD_ENV, DEFAULT_PASSWORD)


def check_password(password: str) -> str:
    """``password`` if a client could ever send it (0..20 characters; "" asks none), else ValueError."""
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"a DCC/reinitialize password is at most {MAX_PASSWORD} characters, got {len(password)}")
    return password


def set_password(building: Any, password: str) -> None:
    """Every device of a running ``building`` asks ``password`` from now on ("" asks none)."""
    check_password(password)
    for device in building.devices:
        building.application(device.instance).management_password = password


# ----- the device's clock -------------------------------------------------------------------


class ClockDevice(ServedDevice):
    """A device object whose local date/time follow the device's own clock (host clock + offset).

    utc-offset is in minutes, positive west of Greenwich (clause 12.11.21),
    from the host's time zone.
    """

    # Underscored: bacpypes3's Object.__setattr__ takes any other name for a property.
    _clock_offset = 0.0  # s added to the host's clock
    _restart_reason = "unknown"  # "coldstart" / "warmstart" once reinitialized over the network
    _restart_time = 0.0  # device-clock timestamp of the last (re)start; set when served

    @property
    def clock_offset(self) -> float:
        """Seconds this device's clock is ahead of the host's (negative: behind)."""
        return self._clock_offset

    def device_now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(time.time() + self._clock_offset)

    @property
    def localDate(self) -> Date:
        return _bacnet_date(self.device_now())

    @localDate.setter
    def localDate(self, value: Any) -> None:
        pass  # computed

    @property
    def localTime(self) -> Time:
        return _bacnet_time(self.device_now())

    @localTime.setter
    def localTime(self, value: Any) -> None:
        pass

    @property
    def utcOffset(self) -> Integer:
        return Integer(time.timezone // 60)

    @utcOffset.setter
    def utcOffset(self, value: Any) -> None:
        pass

    @property
    def daylightSavingsStatus(self) -> Boolean:
        return Boolean(time.localtime(time.time() + self._clock_offset).tm_isdst > 0)

    @daylightSavingsStatus.setter
    def daylightSavingsStatus(self, value: Any) -> None:
        pass

    @property
    def lastRestartReason(self) -> Any:
        return RestartReason(self._restart_reason)

    @lastRestartReason.setter
    def lastRestartReason(self, value: Any) -> None:
        pass

    @property
    def timeOfDeviceRestart(self) -> Any:
        when = dt.datetime.fromtimestamp(self._restart_time)
        return TimeStamp(dateTime=DateTime(date=_bacnet_date(when), time=_bacnet_time(when)))

    @timeOfDeviceRestart.setter
    def timeOfDeviceRestart(self, value: Any) -> None:
        pass


def _bacnet_date(when: dt.datetime) -> Date:
    return Date((when.year - 1900, when.month, when.day, when.isoweekday()))


def _bacnet_time(when: dt.datetime) -> Time:
    return Time((when.hour, when.minute, when.second, when.microsecond // 10000))


def _python_datetime(value: Any) -> dt.datetime:
    """A BACnet DateTime as a naive datetime; ExecutionError for wildcard (unspecified) fields."""
    year, month, day, _dow = tuple(value.date)
    hour, minute, second, hundredth = tuple(value.time)
    if 255 in (year, month, day, hour, minute, second):
        raise ValueError("unspecified date or time field")
    return dt.datetime(1900 + year, month, day, hour, minute, second, 0 if hundredth == 255 else hundredth * 10000)


# ----- DCC: what passes while communication is disabled ------------------------------------


def _confirmed_service(data: bytes) -> int | None:
    """The service choice of a raw confirmed-request APDU, else None (decoding would consume the PDU)."""
    if len(data) < 4 or data[0] >> 4 != CONFIRMED_REQUEST:
        return None
    at = 5 if data[0] & 0x08 else 3  # segmented requests carry sequence number and window size first
    return data[at] if len(data) > at else None


def _dcc_class(base: type) -> type:
    """``base`` (the application's service access point class) filtering by the DCC state."""

    class DccAccessPoint(base):
        dcc_state = "enable"

        async def confirmation(self, pdu: Any) -> None:
            if self.dcc_state == "disable" and _confirmed_service(pdu.pduData) not in (DCC_SERVICE, REINITIALIZE_SERVICE):
                return  # clause 16.1.1.3.1: only DCC and ReinitializeDevice are answered
            await super().confirmation(pdu)

        async def sap_indication(self, apdu: Any) -> None:
            if self.dcc_state == "disable":
                return  # initiates nothing
            if self.dcc_state == "disable-initiation" and not (
                    apdu.apduType == UNCONFIRMED_REQUEST and apdu.apduService == I_AM_SERVICE):
                return
            await super().sap_indication(apdu)

    DccAccessPoint.__name__ = DccAccessPoint.__qualname__ = f"Dcc{base.__name__}"
    return DccAccessPoint


_dcc_classes: dict[type, type] = {}


def _dcc_access_point(asap: Any) -> Any:
    cls = type(asap)
    if "dcc_state" not in cls.__dict__:
        if cls not in _dcc_classes:
            _dcc_classes[cls] = _dcc_class(cls)
        asap.__class__ = _dcc_classes[cls]  # adds no state beyond a class default (as hardening.py does)
    return asap


# ----- the services --------------------------------------------------------------------------


class ManagedDevice:
    """Application mixin: time synchronization, DCC and ReinitializeDevice (see module docstring)."""

    management_password: str | None = None  # None: default_password() on first use

    def add_object(self, obj: Any) -> None:
        if type(obj) is ServedDevice:
            obj.__class__ = ClockDevice  # the same object with a clock of its own
            obj._restart_time = time.time()
        super().add_object(obj)

    # ----- clock

    def _clock(self) -> ClockDevice | None:
        device = self.device_object
        return device if isinstance(device, ClockDevice) else None

    async def do_TimeSynchronizationRequest(self, apdu: Any) -> None:
        self._set_clock(apdu, utc=False)

    async def do_UTCTimeSynchronizationRequest(self, apdu: Any) -> None:
        self._set_clock(apdu, utc=True)

    def _set_clock(self, apdu: Any, *, utc: bool) -> None:
        clock = self._clock()
        if clock is None:
            return
        try:
            when = _python_datetime(apdu.time)
        except (ValueError, TypeError) as exc:
            log.info("%s: time synchronization from %s ignored: %s", clock.objectName, apdu.pduSource, exc)
            return
        stamp = calendar.timegm(when.timetuple()) if utc else time.mktime(when.timetuple())
        clock._clock_offset = stamp + when.microsecond / 1e6 - time.time()
        log.info("%s: clock set to %s%s by %s", clock.objectName, when, " UTC" if utc else "", apdu.pduSource)

    # ----- password

    def _check_password(self, apdu: Any) -> None:
        expected = default_password() if self.management_password is None else self.management_password
        if expected and (apdu.password is None or str(apdu.password) != expected):
            raise ExecutionError(errorClass="security", errorCode="passwordFailure")

    # ----- DeviceCommunicationControl

    _dcc_timer: asyncio.TimerHandle | None = None

    @property
    def communication_state(self) -> str:
        """``"enable"``, ``"disable"`` or ``"disable-initiation"``."""
        return getattr(self.asap, "dcc_state", "enable")

    async def do_DeviceCommunicationControlRequest(self, apdu: Any) -> None:
        self._check_password(apdu)
        state = str(apdu.enableDisable) if apdu.enableDisable is not None else "enable"
        minutes = apdu.timeDuration
        # The ack goes out whatever the new state: responses are not initiated requests.
        self.set_communication(state, None if not minutes else int(minutes) * 60.0)
        await self.response(SimpleAckPDU(context=apdu))

    def set_communication(self, state: str, seconds: float | None = None) -> None:
        """Enable or disable communication now; back to enable after ``seconds`` if given."""
        state = {"disableInitiation": "disable-initiation"}.get(state, state)
        if state not in ("enable", "disable", "disable-initiation"):
            raise ValueError(f"communication state {state!r}")
        if self._dcc_timer is not None:
            self._dcc_timer.cancel()
            self._dcc_timer = None
        _dcc_access_point(self.asap).dcc_state = state
        if state != "enable" and seconds:
            self._dcc_timer = asyncio.get_running_loop().call_later(seconds, self.set_communication, "enable")
        log.info("%s: communication %s%s", self.device_object.objectName, state,
                 f" for {seconds:g} s" if state != "enable" and seconds else "")

    # ----- ReinitializeDevice

    async def do_ReinitializeDeviceRequest(self, apdu: Any) -> None:
        self._check_password(apdu)
        state = str(apdu.reinitializedStateOfDevice)
        if state not in ("coldstart", "warmstart"):
            raise ExecutionError(errorClass="services", errorCode="optionalFunctionalityNotSupported")
        await self.response(SimpleAckPDU(context=apdu))  # the standard: acknowledge, then restart
        await self.restart(state)

    async def restart(self, state: str) -> None:
        """What the device does on a cold or warm start (see module docstring)."""
        self.set_communication("enable")
        if state == "coldstart":
            for obj in list(self.objectIdentifier.values()):
                if isinstance(obj, Commandable):
                    for priority, slot in enumerate(obj.priorityArray, start=1):
                        if priority < PROGRAM_PRIORITY and slot is not None and getattr(slot, "_choice", "null") != "null":
                            await obj.write_property("presentValue", Null(()), priority=priority)
        clock = self._clock()
        if clock is not None:
            clock._restart_reason = state
            clock._restart_time = time.time() + clock._clock_offset
        log.info("%s: %s", self.device_object.objectName, state)
