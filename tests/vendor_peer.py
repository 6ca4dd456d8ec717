"""A site of genuine bacpypes3 devices that answer the way non-bacpypes3 field devices do.

Real controllers send what bacpypes3 itself never serves: proprietary
properties (numbers >= 512) holding constructed values, object types it has
no class for (63 color, 64 color-temperature, proprietary 128..1023), an
object-name of "" (bacpypes3 refuses zero-length CharacterStrings both ways),
and answers that do not fit a small non-segmenting device's APDU. This
module serves all of them from real bacpypes3 Applications, on the
in-process virtual network (or loopback UDP), so the product's decoders are
tested against bytes on the wire, not against mocks::

    async with vendor_site(vlan_name) as site:       # or "127.0.0.1:47871"
        client = await open_client(vlan=vlan_name, mac=1, timeout=1.0)
        await client.read(VENDOR_DEVICE, "av,1", "4194328")

How: :class:`VendorApplication` answers ReadProperty and RPM for chosen
(object, property) pairs with hand-made tags (``Raw``) instead of asking the
object, serves whole objects that exist only as such tags (``raw_only``),
lists them in the device's object-list, and aborts with
segmentation-not-supported any answer larger than its own max APDU when its
device does not segment (bacpypes3 itself only checks the client's limit).

The two devices (both vendor id 999, the one bacpypes3 has registered):

- VENDOR_DEVICE 2201 (``VND-2201``, MAC 2 / first port): max APDU 1476,
  segmented-both. analog-value,1 with proprietary properties 512, 513, 514,
  515, 600, 4194328, 4194342; analog-value,9 whose object-name and
  description are ""; schedule,1 (standard weekly-schedule, effective-period,
  list-of-object-property-references, served by bacpypes3); color,1 (63),
  color-temperature,1 (64), proprietary-200,1 and proprietary-700,1, raw
  only (700,1 also has property 1000: a list of
  BACnetDeviceObjectPropertyReference); the device object serves
  device-address-binding and active-cov-subscriptions with two entries each
  and property 4194342.
- SMALL_DEVICE 2202 (``SML-2202``, MAC 3 / port + 1): max APDU 480,
  no-segmentation, analog-input,1..120 and multi-state-value,1 with 40
  state-texts: object-list, state-text and an RPM of many objects do not fit.

EXPECTED, the values served, keyed ``(device instance, object id, property)``
with the object id as ``parse_object_id`` prints it (``analog-value,1``,
``color,1``, ``proprietary-200,1``) and the property as ``parse_property``
gives it (``object-name``, ``4194328``). Each :class:`ServedValue` has:

- ``expected``: the plain value a client that knows only what is on the wire
  (no datatype: proprietary properties, types without a class) should
  decode, or for a standard property of a standard type the client decodes
  with its datatype, what ``values.to_plain`` gives (structures as dicts
  keyed by bacpypes3's element names, e.g. ``deviceObjectIdentifier``).
  The tag-only convention:

  * application-tagged primitive: its value as the client shows it
    everywhere: Real -> float to 7 significant digits, Unsigned and
    Enumerated -> int, CharacterString -> str ("" included), Boolean -> bool,
    Null -> None, ObjectIdentifier -> ``"type,instance"`` text;
  * context-tagged primitive (its type is not on the wire): its octets as
    ``"0x.."`` lower-case hex, e.g. ``[0] Unsigned 5`` -> ``"0x05"``,
    ``[1] CharacterString "abc"`` -> ``"0x00616263"`` (character-set octet
    first), ``[0] Boolean TRUE`` -> ``"0x01"``;
  * the wrapper of the property value (opening/closing tag 3, or 4 in an RPM
    result) is stepped into, never shown;
  * context-tagged fields make a dict keyed by tag number as text
    (``{"0": "0x05", "1": "0x00616263"}``); an opening/closing pair [n] is
    the value of its contents under key ``"n"``; a tag number repeating
    starts the next structure: a list of dicts;
  * several application-tagged values are a list, one is the value itself.

  Two standard properties every object has are shown as for any object,
  whatever its type: object-identifier as ``"color,1"`` and object-type as
  the type's name as ids print it (``"color"``, ``"proprietary-200"``).
- ``meaning``: the same value with the types the vendor's documentation
  gives (``{"0": 5, "1": "abc"}``); for reference, not what a tag-only
  decoder can produce.
- ``pending``: empty if the product decoded it to ``expected`` when this
  peer was written (commit 9eae17e), else what it gets wrong: the tests mark
  those xfail (strict=False).

VENDOR_RAW maps ``(object id, property)`` of the vendor device to the
:class:`Raw` tags served, so a test can compare what arrives on the wire.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from bacpypes3.apdu import (
    AbortPDU,
    AbortReason,
    ComplexAckPDU,
    ReadPropertyACK,
    ReadPropertyMultipleACK,
    ReadPropertyMultipleRequest,
    ReadPropertyRequest,
)
from bacpypes3.basetypes import (
    AddressBinding,
    COVSubscription,
    DailySchedule,
    DateRange,
    DeviceAddress,
    DeviceObjectPropertyReference,
    ErrorType,
    ObjectPropertyReference,
    PropertyIdentifier,
    ReadAccessResult,
    ReadAccessResultElement,
    ReadAccessResultElementChoice,
    Recipient,
    RecipientProcess,
    Segmentation,
    TimeValue,
)
from bacpypes3.constructeddata import Any as AnyValue
from bacpypes3.errors import ExecutionError, ObjectError, PropertyError
from bacpypes3.local.object import Object as LocalObject
from bacpypes3.object import ScheduleObject
from bacpypes3.primitivedata import (
    ApplicationTag,
    Boolean,
    ClosingTag,
    Date,
    Enumerated,
    Null,
    ObjectIdentifier,
    OctetString,
    OpeningTag,
    Real,
    Tag,
    TagList,
    TagNumber,
    Time,
    Unsigned,
)
from bacpypes3.service.object import read_property_to_result_element

from aso_runtime.bacnet.application import AsoApplication
from aso_runtime.bacnet.local import (
    LocalDevice,
    build_application,
    check_can_bind,
    close_application,
    parse_local_address,
    udp_port,
    virtual_port,
    wait_until_bound,
)
from aso_runtime.bacnet.served import (
    ReadOnlyAnalogInput,
    ReadOnlyAnalogValue,
    ReadOnlyMultiStateValue,
    Served,
    ServedDevice,
)

VENDOR_DEVICE = 2201
SMALL_DEVICE = 2202
SMALL_MAX_APDU = 480
SMALL_POINTS = 120
STATE_TEXT = [f"Stage {n:02d} of the heating sequence" for n in range(1, 41)]

# Property numbers used below.
OBJECT_IDENTIFIER, OBJECT_NAME, OBJECT_TYPE, PRESENT_VALUE, DESCRIPTION = 75, 77, 79, 85, 28
PROPERTY_LIST, DEVICE_ADDRESS_BINDING, ACTIVE_COV_SUBSCRIPTIONS = 371, 30, 152
_ALL, _REQUIRED, _OPTIONAL = 8, 105, 80
_MANDATORY = (OBJECT_IDENTIFIER, OBJECT_NAME, OBJECT_TYPE, PROPERTY_LIST)  # not in a property-list



# ----- tags as a device puts them on the wire ---------------------------------------------


def app(value: Any) -> list[Tag]:
    """An application-tagged primitive, encoded by bacpypes3."""
    return list(value.encode().tagList)


def text(value: str) -> list[Tag]:
    """A CharacterString (UTF-8), hand-made so that "" can be sent."""
    return [ApplicationTag(TagNumber.characterString, b"\x00" + value.encode())]


def ctx(number: int, value: Any) -> list[Tag]:
    """A context-tagged primitive: a bacpypes3 atomic or a str (CharacterString)."""
    tag = text(value)[0] if isinstance(value, str) else app(value)[0]
    return [tag.app_to_context(number)]


def wrap(number: int, *parts: list[Tag]) -> list[Tag]:
    """[number] { parts }: an opening/closing pair around the parts."""
    return [OpeningTag(number), *(tag for part in parts for tag in part), ClosingTag(number)]


def cat(*parts: list[Tag]) -> list[Tag]:
    return [tag for part in parts for tag in part]


@dataclass(frozen=True)
class Raw:
    """A property value as tags; ``elements`` makes it an array readable by index too."""

    tags: tuple[Tag, ...]
    elements: tuple[tuple[Tag, ...], ...] | None = None

    @classmethod
    def array(cls, elements: list[list[Tag]]) -> Raw:
        return cls(tuple(cat(*elements)), tuple(tuple(e) for e in elements))

    def at(self, index: int | None) -> list[Tag]:
        if index is None:
            return list(self.tags)
        if self.elements is None:
            raise PropertyError("propertyIsNotAnArray")
        if index == 0:
            return app(Unsigned(len(self.elements)))
        if not 1 <= index <= len(self.elements):
            raise PropertyError("invalidArrayIndex")
        return list(self.elements[index - 1])


@dataclass(frozen=True)
class ServedValue:
    """One served property and what a client should make of it (see the module docstring)."""

    device: int
    object_id: str
    property: str
    expected: Any
    meaning: Any
    pending: str = ""


# ----- the application --------------------------------------------------------------------


def _key(oid: Any) -> tuple[int, int]:
    return int(oid[0]), int(oid[1])


class VendorApplication(AsoApplication):
    """Answers reads of chosen (object, property) pairs with raw tags; see the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.raw: dict[tuple[int, int], dict[int, Raw]] = {}
        self.raw_only: dict[tuple[int, int], None] = {}  # objects that exist only as raw tags, in order

    def serve_raw(self, oid: tuple[int, int], prop: int, value: Raw) -> None:
        self.raw.setdefault(oid, {})[prop] = value

    def _resolve(self, oid: Any) -> Any:
        if _key(oid) == (8, 4194303) and self.device_object is not None:
            return self.device_object.objectIdentifier
        return oid

    async def _raw_value(self, key: tuple[int, int], obj: Any, prop: int, index: int | None) -> list[Tag] | None:
        """The tags to answer with, None to let bacpypes3 answer; raises the device's error."""
        values = self.raw.get(key, {})
        if prop in values:
            return values[prop].at(index)
        if prop == PROPERTY_LIST and obj is not None and any(p >= 512 for p in values):
            # A real device lists its proprietary properties too.
            standard = [int(p) for p in await obj.read_property("propertyList")]
            return Raw.array([app(Enumerated(p)) for p in standard + [p for p in values if p not in standard]]).at(index)
        if key in self.raw_only:
            raise PropertyError("unknownProperty")
        return None

    async def do_ReadPropertyRequest(self, apdu: ReadPropertyRequest) -> None:  # noqa: N802 (bacpypes3 name)
        oid = self._resolve(apdu.objectIdentifier)
        key = _key(oid)
        obj = self.get_object_id(oid)
        if obj is None and key not in self.raw_only:
            raise ExecutionError(errorClass="object", errorCode="unknownObject")
        tags = await self._raw_value(key, obj, int(apdu.propertyIdentifier), apdu.propertyArrayIndex)
        if tags is None:
            await super().do_ReadPropertyRequest(apdu)
            return
        await self.response(ReadPropertyACK(
            objectIdentifier=oid, propertyIdentifier=apdu.propertyIdentifier,
            propertyArrayIndex=apdu.propertyArrayIndex, propertyValue=AnyValue(TagList(tags)), context=apdu))

    async def do_ReadPropertyMultipleRequest(self, apdu: ReadPropertyMultipleRequest) -> None:  # noqa: N802
        specs = [(self._resolve(spec.objectIdentifier), spec) for spec in apdu.listOfReadAccessSpecs]
        if not any(self.get_object_id(oid) is not None or _key(oid) in self.raw_only for oid, _ in specs):
            raise ObjectError("unknown-object")
        results = []
        for oid, spec in specs:
            elements = []
            for ref in spec.listOfPropertyReferences:
                elements.extend(await self._elements(oid, int(ref.propertyIdentifier), ref.propertyArrayIndex))
            results.append(ReadAccessResult(objectIdentifier=oid, listOfResults=elements))
        await self.response(ReadPropertyMultipleACK(listOfReadAccessResults=results, context=apdu))

    async def _elements(self, oid: Any, prop: int, index: int | None) -> list[ReadAccessResultElement]:
        key, obj = _key(oid), self.get_object_id(oid)
        if obj is None and key not in self.raw_only:
            return [_error_element(prop, index, "object", "unknownObject")]
        if prop not in (_ALL, _REQUIRED, _OPTIONAL):
            return [await self._element(key, obj, prop, index)]
        # all / required / optional: what the object has, without property-list, errors left out.
        found = []
        for number in self._properties(key, obj, prop):
            element = await self._element(key, obj, number, None)
            if element.readResult.propertyAccessError is None:
                found.append(element)
        return found

    def _properties(self, key: tuple[int, int], obj: Any, which: int) -> list[int]:
        raw = list(self.raw.get(key, {}))
        if obj is None:
            names = raw
            required = [p for p in raw if p in _MANDATORY or p == PRESENT_VALUE]
        else:
            names = [int(PropertyIdentifier(attr)) for attr in obj._elements if getattr(obj, attr, None) is not None]
            names += [p for p in raw if p not in names]
            required = [int(PropertyIdentifier(attr)) for cls in type(obj).__mro__ for attr in getattr(cls, "_required", ())]
        if which == _REQUIRED:
            chosen = [p for p in names if p in required]
        elif which == _OPTIONAL:
            chosen = [p for p in names if p not in required]
        else:
            chosen = names
        return [p for p in chosen if p != PROPERTY_LIST or which == _OPTIONAL]

    async def _element(self, key: tuple[int, int], obj: Any, prop: int, index: int | None) -> ReadAccessResultElement:
        try:
            tags = await self._raw_value(key, obj, prop, index)
        except ExecutionError as error:
            return _error_element(prop, index, error.errorClass, error.errorCode)
        if tags is None:
            return await read_property_to_result_element(obj, PropertyIdentifier(prop), index)
        return ReadAccessResultElement(propertyIdentifier=prop, propertyArrayIndex=index,
                                       readResult=ReadAccessResultElementChoice(propertyValue=AnyValue(TagList(tags))))

    async def response(self, apdu: Any) -> None:
        """A device that does not segment cannot send more than its own max APDU: it aborts."""
        device = self.device_object
        segments = device is not None and device.segmentationSupported in (
            Segmentation.segmentedTransmit, Segmentation.segmentedBoth)
        if isinstance(apdu, ComplexAckPDU) and device is not None and not segments:
            size = 3 + len(apdu.encode().pduData)  # the complex-ack header: type, invoke id, service
            if size > int(device.maxApduLengthAccepted):
                abort = AbortPDU(True, apdu.apduInvokeID, AbortReason.segmentationNotSupported)
                abort.pduDestination = apdu.pduDestination
                apdu = abort
        await super().response(apdu)


def _error_element(prop: int, index: int | None, error_class: Any, error_code: Any) -> ReadAccessResultElement:
    choice = ReadAccessResultElementChoice(propertyAccessError=ErrorType(errorClass=error_class, errorCode=error_code))
    return ReadAccessResultElement(propertyIdentifier=prop, propertyArrayIndex=index, readResult=choice)


class VendorDeviceObject(ServedDevice):
    """The device object, whose object-list also names the objects served only as raw tags."""

    @property
    def objectList(self) -> Any:  # noqa: N802 (bacpypes3 name)
        listed = super().objectList
        extra = [ObjectIdentifier(oid) for oid in getattr(self._app, "raw_only", ())] if self._app else []
        return type(listed)(list(listed) + extra)

    @objectList.setter
    def objectList(self, value: Any) -> None:  # noqa: N802
        pass


class ReadOnlySchedule(Served, LocalObject, ScheduleObject):
    """A schedule as a controller serves it (the weekly program is read, never run here)."""


def _device_object(device: LocalDevice) -> VendorDeviceObject:
    return VendorDeviceObject(
        objectIdentifier=("device", device.instance), objectName=device.name, vendorIdentifier=device.vendor_id,
        maxApduLengthAccepted=device.max_apdu, segmentationSupported=device.segmentation,
        apduTimeout=device.apdu_timeout_ms, numberOfApduRetries=device.apdu_retries)


# ----- what the vendor device serves -------------------------------------------------------

_FLAGS = [0, 0, 0, 0]
AV1, AV9, SCHEDULE = (2, 1), (2, 9), (17, 1)
COLOR, COLOR_TEMPERATURE, METER, SEQUENCER = (63, 1), (64, 1), (200, 1), (700, 1)
DEVICE = (8, VENDOR_DEVICE)
_TEXT = {AV1: "analog-value,1", AV9: "analog-value,9", SCHEDULE: "schedule,1", COLOR: "color,1",
         COLOR_TEMPERATURE: "color-temperature,1", METER: "proprietary-200,1", SEQUENCER: "proprietary-700,1",
         DEVICE: f"device,{VENDOR_DEVICE}"}


def _prop_text(prop: int) -> str:
    """A property as ``parse_property`` gives it: its name, or its number if proprietary."""
    return str(prop) if prop >= 512 else str(PropertyIdentifier(prop))


@dataclass
class _Table:
    raw: list[tuple[tuple[int, int], int, Raw]] = field(default_factory=list)
    values: list[ServedValue] = field(default_factory=list)

    def add(self, oid: tuple[int, int], prop: int, value: Raw | list[Tag] | None, expected: Any,
            meaning: Any = ..., pending: str = "") -> None:
        """``value`` None: bacpypes3 serves the property itself."""
        if value is not None:
            self.raw.append((oid, prop, value if isinstance(value, Raw) else Raw(tuple(value))))
        self.values.append(ServedValue(VENDOR_DEVICE, _TEXT[oid], _prop_text(prop), expected,
                                       expected if meaning is ... else meaning, pending))


def _unit(number: int, name: str) -> list[Tag]:
    """[0] Unsigned, [1] CharacterString: the vendor's record."""
    return cat(ctx(0, Unsigned(number)), ctx(1, name))


def _unit_hex(number: int, name: str) -> dict[str, str]:
    return {"0": f"0x{number:02x}", "1": "0x00" + name.encode().hex()}


def _raw_object(table: _Table, oid: tuple[int, int], name: str, present: list[Tag], present_expected: Any,
                present_meaning: Any, type_name: str, extra: tuple[int, ...] = ()) -> None:
    """An object of a type bacpypes3 has no class for: every property as tags."""
    table.add(oid, OBJECT_IDENTIFIER, app(ObjectIdentifier(oid)), _TEXT[oid])
    table.add(oid, OBJECT_NAME, text(name), name)
    table.add(oid, OBJECT_TYPE, app(Enumerated(oid[0])), type_name)
    listed = [PRESENT_VALUE, DESCRIPTION, *extra]
    table.add(oid, PROPERTY_LIST, Raw.array([app(Enumerated(p)) for p in listed]), listed,
              [str(PropertyIdentifier(p)) if p < 512 else p for p in listed])
    table.add(oid, PRESENT_VALUE, present, present_expected, present_meaning)
    table.add(oid, DESCRIPTION, text(f"{name} (vendor type {oid[0]})"), f"{name} (vendor type {oid[0]})")


def _vendor_table() -> _Table:
    table = _Table()
    # a. proprietary properties of a standard object (analog-value,1).
    table.add(AV1, 512, app(Boolean(True)), True)
    table.add(AV1, 513, app(Real(3.25)), 3.25)
    table.add(AV1, 514, _unit(5, "abc"), _unit_hex(5, "abc"), {"0": 5, "1": "abc"})
    units = [(1, "Fan"), (2, "Pump"), (3, "Damper")]
    table.add(AV1, 515, cat(*(_unit(n, s) for n, s in units)), [_unit_hex(n, s) for n, s in units],
              [{"0": n, "1": s} for n, s in units])
    table.add(AV1, 600, text(""), "")
    nested = cat(ctx(0, Unsigned(7)), wrap(1, ctx(0, Real(1.5)), wrap(1, ctx(0, Boolean(True)))), ctx(2, "zone"))
    table.add(AV1, 4194328, nested, {"0": "0x07", "1": {"0": "0x3fc00000", "1": {"0": "0x01"}}, "2": "0x007a6f6e65"},
              {"0": 7, "1": {"0": 1.5, "1": {"0": True}}, "2": "zone"})
    table.add(AV1, 4194342, cat(app(Unsigned(1)), app(Real(2.5)), text("x"), app(Null(()))), [1, 2.5, "x", None])
    table.add(DEVICE, 4194342, wrap(0, app(Unsigned(2)), text("rev B")), {"0": [2, "rev B"]})
    # c. an object whose object-name and description are "" (bacpypes3 needs a name: a placeholder inside).
    table.add(AV9, OBJECT_NAME, text(""), "")
    table.add(AV9, DESCRIPTION, text(""), "")
    # b. object types without a bacpypes3 class: color (63), color-temperature (64), proprietary 200 and 700.
    _raw_object(table, COLOR, "Lobby Light Color", cat(app(Real(0.3127)), app(Real(0.329))), [0.3127, 0.329],
                {"x-coordinate": 0.3127, "y-coordinate": 0.329}, "color")
    _raw_object(table, COLOR_TEMPERATURE, "Lobby Light CCT", app(Unsigned(4000)), 4000, 4000, "color-temperature")
    _raw_object(table, METER, "Vendor Meter", app(Real(1234.5)), 1234.5, 1234.5, "proprietary-200")
    _raw_object(table, SEQUENCER, "Vendor Sequencer", app(Unsigned(2)), 2, 2, "proprietary-700", extra=(1000,))
    # e. a list of BACnetDeviceObjectPropertyReference in a proprietary property of a proprietary object.
    refs = cat(ctx(0, ObjectIdentifier("analog-value,1")), ctx(1, Unsigned(85)),
               ctx(0, ObjectIdentifier("analog-output,2")), ctx(1, Unsigned(85)), ctx(3, ObjectIdentifier("device,1001")))
    table.add(SEQUENCER, 1000, refs, [{"0": "0x00800001", "1": "0x55"}, {"0": "0x00400002", "1": "0x55", "3": "0x020003e9"}],
              [{"0": "analog-value,1", "1": "present-value"},
               {"0": "analog-output,2", "1": "present-value", "3": "device,1001"}])
    # e. standard lists of structures on the device object, served as a real device fills them.
    bindings = [AddressBinding(deviceObjectIdentifier=ObjectIdentifier(("device", instance)),
                               deviceAddress=DeviceAddress(networkNumber=network, macAddress=OctetString(mac)))
                for instance, network, mac in ((1001, 0, bytes([10, 0, 0, 7, 0xBA, 0xC0])), (3001, 5, bytes([0x21])))]
    table.add(DEVICE, DEVICE_ADDRESS_BINDING, cat(*(app(b) for b in bindings)), [
        {"deviceObjectIdentifier": "device,1001", "deviceAddress": {"networkNumber": 0, "macAddress": "0a000007bac0"}},
        {"deviceObjectIdentifier": "device,3001", "deviceAddress": {"networkNumber": 5, "macAddress": "21"}}])
    subscriptions = [COVSubscription(
        recipient=RecipientProcess(recipient=Recipient(device=ObjectIdentifier(("device", 599))), processIdentifier=pid),
        monitoredPropertyReference=ObjectPropertyReference(objectIdentifier=ObjectIdentifier(("analog-value", 1)),
                                                           propertyIdentifier=PropertyIdentifier("present-value")),
        issueConfirmedNotifications=confirmed, timeRemaining=remaining) for pid, confirmed, remaining in
        ((7, False, 250), (8, True, 3600))]
    subscriptions[0].covIncrement = 0.5
    table.add(DEVICE, ACTIVE_COV_SUBSCRIPTIONS, cat(*(app(s) for s in subscriptions)), [
        {"recipient": {"recipient": "device,599", "processIdentifier": 7},
         "monitoredPropertyReference": {"objectIdentifier": "analog-value,1", "propertyIdentifier": "present-value"},
         "issueConfirmedNotifications": False, "timeRemaining": 250, "covIncrement": 0.5},
        {"recipient": {"recipient": "device,599", "processIdentifier": 8},
         "monitoredPropertyReference": {"objectIdentifier": "analog-value,1", "propertyIdentifier": "present-value"},
         "issueConfirmedNotifications": True, "timeRemaining": 3600}])
    # e. a schedule served by bacpypes3 itself (standard datatypes the client decodes).
    table.add(SCHEDULE, 123, None, [{"daySchedule": [{"time": "07:00:00.00", "value": 21.0},
                                                     {"time": "18:00:00.00", "value": 16.0}]}] * 5
              + [{"daySchedule": []}] * 2)
    table.add(SCHEDULE, 54, None, [{"objectIdentifier": "analog-value,1", "propertyIdentifier": "present-value"},
                                   {"objectIdentifier": "analog-output,2", "propertyIdentifier": "present-value",
                                    "deviceIdentifier": "device,1001"}])
    table.add(SCHEDULE, 32, None, {"startDate": "2024-1-1 mon", "endDate": "2024-12-31 tue"})  # str() of Date
    return table


def _schedule() -> ReadOnlySchedule:
    workday = DailySchedule(daySchedule=[TimeValue(time=Time("07:00:00"), value=Real(21.0)),
                                         TimeValue(time=Time("18:00:00"), value=Real(16.0))])
    return ReadOnlySchedule(
        objectIdentifier=("schedule", 1), objectName="Occupancy Schedule", presentValue=Real(21.0),
        effectivePeriod=DateRange(startDate=Date("2024-01-01"), endDate=Date("2024-12-31")),
        weeklySchedule=[workday] * 5 + [DailySchedule(daySchedule=[])] * 2, scheduleDefault=Real(16.0),
        listOfObjectPropertyReferences=[
            DeviceObjectPropertyReference(objectIdentifier=ObjectIdentifier("analog-value,1"),
                                          propertyIdentifier=PropertyIdentifier("present-value")),
            DeviceObjectPropertyReference(objectIdentifier=ObjectIdentifier("analog-output,2"),
                                          propertyIdentifier=PropertyIdentifier("present-value"),
                                          deviceIdentifier=ObjectIdentifier("device,1001"))],
        priorityForWriting=16, statusFlags=_FLAGS, reliability="noFaultDetected", outOfService=False)


_VENDOR = _vendor_table()

# The vendor device's object-list, in order: device, network port, the bacpypes3 objects, then the raw ones.
VENDOR_OBJECTS = [f"device,{VENDOR_DEVICE}", "network-port,1", "analog-value,1", "analog-value,9", "schedule,1",
                  "color,1", "color-temperature,1", "proprietary-200,1", "proprietary-700,1"]
SMALL_OBJECTS = ([f"device,{SMALL_DEVICE}", "network-port,1"] + [f"analog-input,{n}" for n in range(1, SMALL_POINTS + 1)]
                 + ["multi-state-value,1"])


VENDOR_RAW: dict[tuple[str, str], Raw] = {(_TEXT[oid], _prop_text(prop)): raw for oid, prop, raw in _VENDOR.raw}

EXPECTED: dict[tuple[int, str, str], ServedValue] = {
    (v.device, v.object_id, v.property): v for v in _VENDOR.values}
EXPECTED.update({
    (SMALL_DEVICE, f"device,{SMALL_DEVICE}", "object-list[0]"): ServedValue(
        SMALL_DEVICE, f"device,{SMALL_DEVICE}", "object-list[0]", SMALL_POINTS + 3, SMALL_POINTS + 3),
    (SMALL_DEVICE, f"device,{SMALL_DEVICE}", "object-list"): ServedValue(
        SMALL_DEVICE, f"device,{SMALL_DEVICE}", "object-list", SMALL_OBJECTS, SMALL_OBJECTS),
    (SMALL_DEVICE, "multi-state-value,1", "state-text"): ServedValue(
        SMALL_DEVICE, "multi-state-value,1", "state-text", STATE_TEXT, STATE_TEXT),
})

# ----- building and running the devices ----------------------------------------------------


def _port(where: str, mac: int, offset: int) -> Any:
    """A virtual-network port (``where`` is a vlan name) or loopback UDP at port + offset."""
    if not any(c in where for c in ".:/"):
        return virtual_port(where, mac)
    address = parse_local_address(where)
    if not address.ip.startswith("127."):
        raise ValueError(f"vendor peers bind loopback only, not {where!r}")
    address = type(address)(address.ip, address.prefix, address.port + offset)
    check_can_bind(address)
    return udp_port(address)


def serve_vendor_device(where: str, mac: int = 2) -> VendorApplication:
    """VENDOR_DEVICE on vlan ``where`` at ``mac`` (or loopback ``where``); close with ``close_application``."""
    device = LocalDevice(instance=VENDOR_DEVICE, name=f"VND-{VENDOR_DEVICE}")
    av1 = ReadOnlyAnalogValue(objectIdentifier=("analog-value", 1), objectName="Supply Air Setpoint", presentValue=21.5,
                              units="degreesCelsius", statusFlags=_FLAGS, outOfService=False)
    av9 = ReadOnlyAnalogValue(objectIdentifier=("analog-value", 9), objectName="(unnamed analog-value,9)",
                              description="(empty)", presentValue=0.0, units="noUnits", statusFlags=_FLAGS,
                              outOfService=False)
    application = build_application(VendorApplication,
                                    [_device_object(device), _port(where, mac, 0), av1, av9, _schedule()])
    for oid in (COLOR, COLOR_TEMPERATURE, METER, SEQUENCER):
        application.raw_only[oid] = None
    for oid, prop, raw in _VENDOR.raw:
        application.serve_raw(oid, prop, raw)
    return application


def serve_small_device(where: str, mac: int = 3, points: int = SMALL_POINTS,
                       max_apdu: int = SMALL_MAX_APDU) -> VendorApplication:
    """SMALL_DEVICE: no segmentation, ``max_apdu``, ``points`` analog inputs and a 40-state multi-state value."""
    device = LocalDevice(instance=SMALL_DEVICE, name=f"SML-{SMALL_DEVICE}", max_apdu=max_apdu,
                         segmentation="noSegmentation")
    objects = [ReadOnlyAnalogInput(objectIdentifier=("analog-input", n), objectName=f"Zone {n:03d} Temperature",
                                   presentValue=20.0 + n / 10, units="degreesCelsius", statusFlags=_FLAGS,
                                   outOfService=False) for n in range(1, points + 1)]
    objects.append(ReadOnlyMultiStateValue(objectIdentifier=("multi-state-value", 1), objectName="Heating Stage",
                                           presentValue=1, numberOfStates=len(STATE_TEXT), stateText=STATE_TEXT,
                                           statusFlags=_FLAGS, outOfService=False))
    return build_application(VendorApplication, [_device_object(device), _port(where, mac, 1), *objects])


@dataclass
class VendorSite:
    """Both devices and the addresses a client reads them at (``0x02`` on a vlan, ``IP:port`` on loopback)."""

    vendor: VendorApplication
    small: VendorApplication
    vendor_address: str
    small_address: str


@contextlib.asynccontextmanager
async def vendor_site(where: str, vendor_mac: int = 2, small_mac: int = 3) -> AsyncIterator[VendorSite]:
    """Serve VENDOR_DEVICE and SMALL_DEVICE on vlan ``where`` or loopback ``where`` (``127.x.x.x:port``: port, port+1)."""
    vendor = serve_vendor_device(where, vendor_mac)
    try:
        small = serve_small_device(where, small_mac)
    except BaseException:
        await close_application(vendor)
        raise
    try:
        await wait_until_bound(vendor)
        await wait_until_bound(small)
        if any(c in where for c in ".:/"):
            address = parse_local_address(where)
            addresses = f"{address.ip}:{address.port}", f"{address.ip}:{address.port + 1}"
        else:
            addresses = f"0x{vendor_mac:02x}", f"0x{small_mac:02x}"
        yield VendorSite(vendor, small, *addresses)
    finally:
        await close_application(small)
        await close_application(vendor)
