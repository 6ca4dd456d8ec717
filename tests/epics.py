"""An EPICS-style review of one BACnet device, as an integrator does before adding it to a BAS.

:func:`check_device` asks a device what it claims (its object list, each
object's property-list, protocol-services-supported,
protocol-object-types-supported, its identity) and then checks the claims
against what it does, through our own client (``aso_runtime.bacnet``) and,
where the client has no verb for a service, bacpypes3 request APDUs sent with
``client.app.request``. The result is an :class:`EpicsReport`: plain data,
one :class:`Finding` per discrepancy, each naming the device, the object and
the property (or service) and what was expected.

The checks (``CHECKS``; pick some with ``checks=``):

- ``readable``: every property in every object's property-list, and the four
  every object has (object-identifier, object-name, object-type,
  property-list), answers a ReadProperty. A log-buffer may refuse with
  read-access-denied (it is read with ReadRange): that is not a finding.
- ``property-list``: the property-list exists and leaves out those four
  (clause 12.1.1.4.1).
- ``required``: the properties the standard requires for the object's type
  are there. The standard's table is bacpypes3's transcription of it:
  ``get_vendor_info(0).get_object_class(ObjectType(n))._required`` plus the
  four of ``Object._required`` (bacpypes3 records "required" as the class's
  ``_required`` tuple of attribute names; every element's ``_optional`` is
  None on object classes, so it tells nothing). bacpypes3 0.0.110 leaves
  network-number, network-number-quality and apdu-length out of the network
  port's list, which 135-2020 requires (bacnet-stack's netport.c lists them
  too): ``EXTRA_REQUIRED`` adds them; three slips in its tuples are mended
  (``_SLIPS``). Types bacpypes3 has no class for (color, color-temperature,
  proprietary) are noted, not checked. Without a property-list (before
  revision 14) the required properties are asked for one by one.
- ``object-types``: protocol-object-types-supported is exactly the set of
  types in the object-list.
- ``services``: each confirmed service claimed in protocol-services-supported
  is exercised with a harmless request (a read, a write of a refused
  property, a subscription that is cancelled, a wrong password, a
  nonexistent object...). Any answer counts (an Error is an answer) except a
  Reject(unrecognized-service), an Abort, silence, or an Error
  operational-problem (bacpypes3's answer when its handler crashed, e.g.
  NotImplementedError). DeviceCommunicationControl and ReinitializeDevice
  with a wrong password must be refused with an Error. Claimed services
  with no harmless request (vt-open, the audit and multiple-COV services)
  are noted. A few unclaimed
  services (``UNCLAIMED_PROBES``) must be rejected or refused, not acked.
  Who-Is and Who-Has are sent to the device: answering one means claiming
  it, claiming one means answering it. (The i-am and i-have bits say the
  device executes those, which no request can show: not checked.) While the
  check runs, an answer bacpypes3 cannot decode is still classified from its
  raw tags (:class:`_LenientDecoding`), so a device is not blamed for our
  stack's gaps.
- ``active-cov``: while our SubscribeCOV is live the device's
  active-cov-subscriptions lists it (when the device has that property).
- ``identity``: vendor-name, model-name, firmware-revision,
  application-software-version and description are present and not the
  stack's defaults (``STACK_DEFAULTS``).
- ``write-refused``: writing object-type, object-identifier, event-state and
  status-flags of every object, and the device's identity and structural
  properties (``DEVICE_READ_ONLY``), is refused with Error(property,
  write-access-denied). Each write sends back the value just read, so a
  device that wrongly accepts it is left as it was.
- ``database-revision``: changes after ``database_change()`` (a callable
  the caller passes that changes the device's object database: the host
  serving a new point). Without one it is noted as not checked.

Use::

    report = await check_device(client, "127.0.0.1:47808", instance=4194300,
                                database_change=lambda: host.serve(point))
    assert report.clean, report.text()   # or report.of("identity"), report.lines("services")

Nothing here binds a socket: the caller's client does all the talking.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Self

from bacpypes3.apdu import (
    AbortPDU,
    AcknowledgeAlarmRequest,
    AddListElementRequest,
    APCISequence,
    AtomicReadFileRequest,
    AtomicWriteFileRequest,
    ComplexAckPDU,
    ConfirmedCOVNotificationRequest,
    ConfirmedEventNotificationRequest,
    ConfirmedPrivateTransferRequest,
    ConfirmedTextMessageRequest,
    CreateObjectRequest,
    DeleteObjectRequest,
    DeviceCommunicationControlRequest,
    Error,
    ErrorPDU,
    ErrorRejectAbortNack,
    GetAlarmSummaryRequest,
    GetEnrollmentSummaryRequest,
    GetEventInformationRequest,
    LifeSafetyOperationRequest,
    ReadPropertyMultipleRequest,
    ReadPropertyRequest,
    ReadRangeRequest,
    ReinitializeDeviceRequest,
    RejectPDU,
    RemoveListElementRequest,
    SubscribeCOVPropertyRequest,
    SubscribeCOVRequest,
    VTCloseRequest,
    WritePropertyMultipleRequest,
    WritePropertyRequest,
)
from bacpypes3.basetypes import ObjectType as BacnetObjectType
from bacpypes3.basetypes import (
    PropertyIdentifier,
    PropertyReference,
    Range,
    RangeByPosition,
    ReadAccessSpecification,
    ServicesSupported,
    TimeStamp,
    WriteAccessSpecification,
)
from bacpypes3.basetypes import PropertyValue as BacnetPropertyValue
from bacpypes3.comm import ServiceAccessPoint
from bacpypes3.constructeddata import Any as AnyValue
from bacpypes3.object import Object as BacnetObject
from bacpypes3.pdu import PDUData
from bacpypes3.primitivedata import Null, ObjectIdentifier, Real, TagClass, TagList
from bacpypes3.vendor import get_vendor_info

from aso_runtime.bacnet import (
    BacnetClient,
    BacnetError,
    BacnetTimeout,
    DeviceInfo,
    ObjectId,
    parse_object_id,
)
from aso_runtime.bacnet.client import address_text
from aso_runtime.bacnet.discovery import who_has, who_is

CHECKS = ("readable", "property-list", "required", "object-types", "services", "active-cov", "identity",
          "write-refused", "database-revision")

# Every object has these; none of them belongs in its property-list (clause 12.1.1.4.1).
ALWAYS = ("object-identifier", "object-name", "object-type", "property-list")

# Required by 135-2020 but missing from bacpypes3 0.0.110's transcription (Table 12-71; bacnet-stack's
# netport.c Network_Port_Properties_Required lists the same).
EXTRA_REQUIRED = {"network-port": ("network-number", "network-number-quality", "apdu-length")}

# What bacpypes3's local DeviceObject says when the product says nothing; "your product description
# here" is what an EPICS template shows for a device without a description.
STACK_DEFAULTS = {
    "vendor-name": ("BACpypes",),
    "model-name": ("N/A",),
    "firmware-revision": ("N/A",),
    "application-software-version": ("1.0",),
    "description": ("your product description here",),
}
IDENTITY = tuple(STACK_DEFAULTS)

# Written back with their own value: each must be refused with write-access-denied.
OBJECT_READ_ONLY = ("object-identifier", "object-type", "event-state", "status-flags")
DEVICE_READ_ONLY = ("protocol-revision", "protocol-version", "vendor-identifier", "database-revision",
                    "vendor-name", "model-name", "firmware-revision", "application-software-version",
                    "protocol-services-supported", "protocol-object-types-supported")
WRITE_ACCESS_DENIED = "property:write-access-denied"

# Unclaimed services sent anyway: the answer must be a Reject or an Error, never an ack.
UNCLAIMED_PROBES = ("atomic-read-file", "read-range", "acknowledge-alarm", "atomic-write-file",
                    "add-list-element", "confirmed-event-notification", "read-property-multiple")

# Types whose present-value a SubscribeCOV can watch (clause 13.1, Table 13-1), in order of preference.
COV_TYPES = (0, 1, 2, 3, 4, 5, 13, 14, 19, 45, 46, 48, 12, 23, 24, 40, 42, 44, 50)

PROCESS_ID = 0x0E71C5  # our SubscribeCOV process id (EPICS)
WRONG_PASSWORD = "epics-check-wrong"
MISSING_INSTANCE = 4194302  # an instance for requests that must not find anything
WILDCARD_INSTANCE = 4194303

_SERVICE_BITS: dict[int, str] = {bit: name for name, bit in ServicesSupported._bitstring_names.items()}
_CONFIRMED = frozenset(name for name, bit in ServicesSupported._bitstring_names.items() if bit < 26 or bit in (
    35, 37, 38, 39, 41, 42, 44, 45))
_UNCONFIRMED = frozenset(ServicesSupported._bitstring_names) - _CONFIRMED


# ----- the report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One discrepancy: ``check`` (one of CHECKS), where, what was expected and what the device did."""

    check: str
    device: str
    object: str  # "analog-value,1", or "" for the device's services
    property: str  # a property, or a service name for the services check
    expected: str
    actual: str

    def __str__(self) -> str:
        where = " ".join(part for part in (self.device, self.object, self.property) if part)
        return f"[{self.check}] {where}: expected {self.expected}; got {self.actual}"


@dataclass(frozen=True)
class Outcome:
    """How a device answered one request: 'ack', 'error', 'reject', 'abort', 'timeout' or 'failed' (local)."""

    kind: str
    detail: str = ""  # "property:write-access-denied", a reject/abort reason, the ack's class

    def __str__(self) -> str:
        return f"{self.kind}({self.detail})" if self.detail else self.kind

    @property
    def answered(self) -> bool:
        """The device understood the service: an ack or an Error other than a crash of its handler."""
        return self.kind == "ack" or (self.kind == "error" and not self.detail.endswith("operational-problem"))


@dataclass
class EpicsReport:
    """What :func:`check_device` saw. ``findings`` empty means the device is what it claims."""

    device: str  # "device,599 at 127.0.0.1:48701"
    instance: int | None = None
    objects: list[str] = field(default_factory=list)
    property_lists: dict[str, list[str] | None] = field(default_factory=dict)
    properties_read: int = 0
    identity: dict[str, Any] = field(default_factory=dict)
    services_claimed: list[str] = field(default_factory=list)
    object_types_claimed: list[str] = field(default_factory=list)
    exercised: dict[str, str] = field(default_factory=dict)  # service -> outcome text
    database_revision: tuple[Any, Any] | None = None  # (before, after) the caller's change
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was not checked, and why

    @property
    def clean(self) -> bool:
        return not self.findings

    def of(self, *checks: str) -> list[Finding]:
        """The findings of these checks."""
        return [f for f in self.findings if f.check in checks]

    def lines(self, *checks: str) -> list[str]:
        """The findings (of ``checks``, or all) as one line each: what an assertion message shows."""
        return [str(f) for f in (self.of(*checks) if checks else self.findings)]

    def text(self) -> str:
        """The whole report, for a person."""
        out = [f"EPICS check of {self.device}: {len(self.objects)} objects, {self.properties_read} properties read",
               f"  services claimed: {', '.join(self.services_claimed) or '(none)'}",
               f"  object types claimed: {', '.join(self.object_types_claimed) or '(none)'}"]
        out += [f"  {name}: {value!r}" for name, value in self.identity.items()]
        out += [f"  exercised {service}: {outcome}" for service, outcome in self.exercised.items()]
        out += [f"  note: {note}" for note in self.notes]
        out += [f"  {finding}" for finding in self.findings] or ["  no findings"]
        return "\n".join(out)


# ----- the check ------------------------------------------------------------------------------


async def check_device(
    client: BacnetClient,
    device: str | int | DeviceInfo,
    *,
    instance: int | None = None,
    checks: Iterable[str] = CHECKS,
    database_change: Callable[[], Any] | None = None,
    stack_defaults: dict[str, tuple[str, ...]] | None = None,
    unclaimed_probes: Iterable[str] = UNCLAIMED_PROBES,
    timeout: float | None = None,
) -> EpicsReport:
    """Review ``device`` (an address, an instance or an I-Am's DeviceInfo) through ``client``.

    ``instance`` is the device's instance when ``device`` is an address
    (otherwise it is asked with the wildcard device,4194303, then with a
    Who-Is sent to the address). ``database_change``
    is called (and awaited if it returns an awaitable) after every other check;
    database-revision must differ afterwards. Never raises for what the device
    does: a device that does not answer at all gives a finding.
    """
    unknown = set(checks) - set(CHECKS)
    if unknown:
        raise ValueError(f"unknown checks: {sorted(unknown)}; choose from {CHECKS}")
    run = _Run(client, device, set(checks), timeout if timeout is not None else client.timeout,
               STACK_DEFAULTS if stack_defaults is None else stack_defaults, tuple(unclaimed_probes))
    with _LenientDecoding(client.app) as lenient:
        run.undecoded = lenient.undecoded
        await run.start(instance)
        if run.report.instance is None:
            return run.report
        if not await run.read_objects():
            return run.report
        await run.device_claims()
        if "services" in run.checks or "active-cov" in run.checks:
            await run.services()
        if "write-refused" in run.checks:
            await run.writes()
        if "database-revision" in run.checks:
            await run.database_revision(database_change)
    return run.report


class _LenientDecoding:
    """While the check runs: an answer bacpypes3 cannot decode still ends its request.

    bacpypes3 0.0.110 drops an Error or ComplexAck it cannot decode (rusty's
    ChangeListError to AddListElement, any Error to LifeSafetyOperation, for
    which it has no error class) and the request then times out: the device
    would be blamed for our stack's gap. Here such an answer is recorded in
    ``undecoded`` by (source, invoke id), as ``("error", "class:code")`` read
    from the raw tags or ``("ack", ...)``, and the request is ended with a
    stand-in Error that :meth:`_Run.exchange` replaces by what was recorded.
    """

    def __init__(self, app: Any) -> None:
        self.asap = app.asap
        self.undecoded: dict[tuple[str, int], tuple[str, str]] = {}

    def __enter__(self) -> Self:
        original = self.asap.sap_response

        async def sap_response(apdu: Any) -> None:
            if type(apdu) in (ErrorPDU, ComplexAckPDU):  # raw: bacpypes3 decodes it in sap_response
                raw = bytes(apdu.pduData)
                trial = type(apdu)()
                trial.update(apdu)
                trial.put_data(raw)
                try:
                    APCISequence.decode(trial)
                except Exception:  # noqa: BLE001 (anything bacpypes3 raises while decoding)
                    if isinstance(apdu, ErrorPDU):
                        values = _enumerated(raw)
                        kind, detail = "error", (f"{_enum_name('ErrorClass', values[0])}:"
                                                 f"{_enum_name('ErrorCode', values[1])}" if len(values) >= 2 else "?")
                    else:
                        kind, detail = "ack", f"complex-ack of service {apdu.apduService} bacpypes3 cannot decode"
                    self.undecoded[(str(apdu.pduSource), apdu.apduInvokeID)] = (kind, detail)
                    stand_in = Error(source=apdu.pduSource, destination=None, service_choice=apdu.apduService,
                                     invoke_id=apdu.apduInvokeID, errorClass="communication", errorCode="invalidTag")
                    await ServiceAccessPoint.sap_response(self.asap, stand_in)
                    return
            await original(apdu)

        self.asap.sap_response = sap_response
        return self

    def __exit__(self, *exc: object) -> None:
        self.asap.__dict__.pop("sap_response", None)


class _Run:
    def __init__(self, client: BacnetClient, device: Any, checks: set[str], timeout: float,
                 defaults: dict[str, tuple[str, ...]], probes: tuple[str, ...]) -> None:
        self.client = client
        self.device = device
        self.checks = checks
        self.timeout = timeout
        self.defaults = defaults
        self.probes = probes
        self.address: Any = None
        self.report = EpicsReport(device=str(device))
        self.device_oid: ObjectId | None = None
        self.values: dict[tuple[str, str], Any] = {}  # (object, property) -> plain value read
        self.undecoded: dict[tuple[str, int], tuple[str, str]] = {}  # see _LenientDecoding

    # ----- helpers --------------------------------------------------------------------------

    def find(self, check: str, obj: str, prop: str, expected: str, actual: str, *, always: bool = False) -> None:
        """Record a finding of ``check`` if that check was asked for (``always``: one that ends the review)."""
        if always or check in self.checks:
            self.report.findings.append(Finding(check, self.report.device, obj, prop, expected, actual))

    def note(self, text: str) -> None:
        self.report.notes.append(text)

    async def exchange(self, apdu: Any) -> Outcome:
        """Send one confirmed request APDU to the device and classify the answer."""
        apdu.pduDestination = self.address
        try:
            ack = await asyncio.wait_for(self.client.app.request(apdu), self.timeout)
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 (Error/Reject/Abort are BaseExceptions; others: our side)
            recorded = self.undecoded.pop((str(self.address), getattr(apdu, "apduInvokeID", None)), None)
            return Outcome(*recorded) if recorded else _outcome_of(exc)
        return Outcome("ack", type(ack).__name__)

    def bacnet_oid(self, oid: ObjectId) -> ObjectIdentifier:
        return ObjectIdentifier((oid.type_number, oid.instance))

    async def raw_read(self, oid: ObjectId, prop: str) -> tuple[Outcome, Any]:
        """ReadProperty without decoding: (outcome, the ack's propertyValue Any or None)."""
        request = ReadPropertyRequest(objectIdentifier=self.bacnet_oid(oid), propertyIdentifier=PropertyIdentifier(prop))
        request.pduDestination = self.address
        try:
            ack = await asyncio.wait_for(self.client.app.request(request), self.timeout)
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 (as in exchange)
            return _outcome_of(exc), None
        return Outcome("ack", type(ack).__name__), ack.propertyValue

    # ----- start: which device -------------------------------------------------------------

    async def start(self, instance: int | None) -> None:
        try:
            self.address, _ = await self.client.resolve(self.device)
            await self.client.check_route(self.address)
        except BacnetError as exc:
            self.find("readable", "", "", "a reachable device", str(exc), always=True)
            return
        if instance is None and isinstance(self.device, DeviceInfo):
            instance = self.device.instance
        if instance is None and isinstance(self.device, int):
            instance = self.device
        wildcard = await self.wildcard()
        if instance is None:
            instance = wildcard or await self.who_is_there()
        if instance is None:
            self.find("readable", f"device,{WILDCARD_INSTANCE}", "object-identifier",
                      "the device's instance (wildcard ReadProperty or a directed Who-Is)", "neither answered",
                      always=True)
            return
        self.report.instance = instance
        self.device_oid = ObjectId("device", instance)
        self.report.device = f"device,{instance} at {address_text(self.address)}"

    async def wildcard(self) -> int | None:
        """ReadProperty of device,4194303 object-identifier: the device's own (clause 15.5.1.1.1), or None.

        Not one of the checks (issue 12 does not ask it; bacpypes3 0.0.110 answers unknown-object):
        a refusal is a note.
        """
        try:
            oid = await self.client.read(self.device, f"device,{WILDCARD_INSTANCE}", "object-identifier",
                                         timeout=self.timeout)
            return parse_object_id(oid).instance
        except BacnetError as exc:
            self.note(f"device,{WILDCARD_INSTANCE} object-identifier (the wildcard instance, clause 15.5.1.1.1): {exc}")
            return None

    async def who_is_there(self) -> int | None:
        """The instance of the one device that answers a Who-Is sent to the address."""
        try:
            found = await who_is(self.client, address=address_text(self.address), max_wait=self.timeout)
        except BacnetError:
            return None
        return found[0].instance if len(found) == 1 else None

    # ----- objects and their properties -----------------------------------------------------

    async def read_objects(self) -> bool:
        dev = self.device_oid
        try:
            objects = await self.client.read(self.device, dev, "object-list", timeout=self.timeout)
        except BacnetError as exc:
            self.find("readable", str(dev), "object-list", "the object-list", str(exc), always=True)
            return False
        self.report.objects = [str(parse_object_id(o)) for o in objects]
        if str(dev) not in self.report.objects:
            self.find("readable", str(dev), "object-list", f"{dev} in its own object-list", "absent")
        for text in self.report.objects:
            await self.read_object(parse_object_id(text))
        return True

    async def read_object(self, oid: ObjectId) -> None:
        obj = str(oid)
        try:
            plist = await self.client.read(self.device, oid, "property-list", timeout=self.timeout)
        except BacnetError as exc:
            self.find("property-list", obj, "property-list", "a property-list (required since protocol revision 14)",
                      str(exc))
            plist = None
        names = None if plist is None else [str(p) for p in (plist if isinstance(plist, list) else [plist])]
        self.report.property_lists[obj] = names
        if names is not None:
            for name in ALWAYS:
                if name in names:
                    self.find("property-list", obj, "property-list", f"{name} left out (clause 12.1.1.4.1)",
                              "listed")
        listed = names or []
        # Without a property-list (before protocol revision 14) the standard's properties are asked for.
        probed = [] if names is not None else [*required_properties(oid.type_number),
                                               *(IDENTITY if oid.type == "device" else ())]
        to_read = list(dict.fromkeys([*ALWAYS, *listed, *probed]))
        try:
            values = await self.client.read_singly(self.device, [(oid, to_read)], timeout=self.timeout)
        except BacnetTimeout as exc:
            self.find("readable", obj, "", "answers to ReadProperty", str(exc))
            return
        readable = set()
        for value in values:
            self.report.properties_read += 1
            if value.ok:
                readable.add(value.property)
                self.values[(obj, value.property)] = value.value
            elif value.property == "log-buffer" and (value.error or "").endswith("read-access-denied"):
                readable.add(value.property)  # read with ReadRange, by design
            elif value.property in ALWAYS or value.property in listed:
                self.find("readable", obj, value.property, "a value (it is in the property-list)"
                          if value.property not in ALWAYS else "a value (every object has it)", value.error or "?")
        self.required(oid, set(names or ()) | readable)

    def required(self, oid: ObjectId, present: set[str]) -> None:
        cls = _standard_class(oid.type_number)
        if cls is None:
            self.note(f"{oid}: bacpypes3 has no class for type {oid.type}; its required properties are not checked")
            return
        for name in required_properties(oid.type_number):
            if name not in present:
                self.find("required", str(oid), name, f"present (required for {oid.type}: {cls.__name__}._required)",
                          "absent")

    # ----- what the device object claims ---------------------------------------------------

    async def device_claims(self) -> None:
        dev = self.device_oid
        outcome, value = await self.raw_read(dev, "protocol-services-supported")
        claimed: set[str] = set()
        if value is not None:
            claimed = {_SERVICE_BITS.get(bit, f"bit-{bit}") for bit in _bits(value)}
        else:
            self.find("services", str(dev), "protocol-services-supported", "a bit string", str(outcome))
        self.claimed = claimed
        self.report.services_claimed = sorted(claimed, key=lambda n: ServicesSupported._bitstring_names.get(n, 99))

        outcome, value = await self.raw_read(dev, "protocol-object-types-supported")
        served = {parse_object_id(o).type_number for o in self.report.objects}
        if value is None:
            self.find("object-types", str(dev), "protocol-object-types-supported", "a bit string", str(outcome))
        else:
            types = _bits(value)
            self.report.object_types_claimed = [_type_name(n) for n in sorted(types)]
            for number in sorted(served - types):
                self.find("object-types", str(dev), "protocol-object-types-supported",
                          f"{_type_name(number)} claimed (it is in the object-list)", "not claimed")
            for number in sorted(types - served):
                self.find("object-types", str(dev), "protocol-object-types-supported",
                          f"{_type_name(number)} not claimed (no object of that type is served)", "claimed")

        for name in IDENTITY:
            key = (str(dev), name)
            value = self.values.get(key)
            self.report.identity[name] = value
            if key not in self.values:
                self.find("identity", str(dev), name, "the product's own value", "absent")
            elif not isinstance(value, str) or not value.strip():
                self.find("identity", str(dev), name, "the product's own value", repr(value))
            elif value.strip() in self.defaults.get(name, ()):
                self.find("identity", str(dev), name, "the product's own value, not the stack's default",
                          repr(value))
        for name in ("vendor-identifier", "protocol-revision", "database-revision", "object-name"):
            self.report.identity[name] = self.values.get((str(dev), name))

    # ----- services -------------------------------------------------------------------------

    async def services(self) -> None:
        context = self.service_context()
        for service in self.report.services_claimed:
            if service in _UNCONFIRMED:
                continue
            build = _PROBES.get(service)
            if build is None:
                self.note(f"claimed {service}: no harmless request known to exercise it")
                continue
            if service in ("subscribe-cov", "subscribe-cov-property"):
                await self.subscribe(service, context)
                continue
            outcome = await self.exchange(build(context))
            self.report.exercised[service] = str(outcome)
            self.judge_claimed(service, outcome)
        for service in self.probes:
            if service in self.claimed or service not in _PROBES:
                continue
            outcome = await self.exchange(_PROBES[service](context))
            self.report.exercised[f"{service} (unclaimed)"] = str(outcome)
            if outcome.kind == "ack":
                self.find("services", "", service, "Reject(unrecognized-service) or an Error: it is not claimed",
                          str(outcome))
            elif outcome.kind in ("timeout", "failed"):
                self.find("services", "", service, "Reject(unrecognized-service): it is not claimed", str(outcome))
        await self.unconfirmed()

    def judge_claimed(self, service: str, outcome: Outcome) -> None:
        if service in ("device-communication-control", "reinitialize-device"):
            if outcome.kind != "error" or not outcome.answered:
                self.find("services", "", service, "an Error, e.g. (security, password-failure), for a wrong password",
                          str(outcome))
            return
        if service == "read-range" and outcome.kind != "ack":
            oid, prop = self.range_target()
            self.find("services", "", service, f"a ReadRange ack ({oid} {prop}): it is claimed",
                      str(outcome))
            return
        if not outcome.answered:
            self.find("services", "", service, "an answer (an ack, or an Error other than operational-problem): "
                      "it is claimed", str(outcome))

    def service_context(self) -> dict[str, Any]:
        objects = [parse_object_id(o) for o in self.report.objects]
        by_type = {o.type_number: o for o in reversed(objects)}
        cov = next((by_type[t] for t in COV_TYPES if t in by_type), self.device_oid)
        files = [o for o in objects if o.type_number == 10]
        return {
            "device": self.bacnet_oid(self.device_oid),
            "me": ObjectIdentifier(("device", self.client.device_instance)),
            "cov": cov,
            "file": self.bacnet_oid(files[0]) if files else ObjectIdentifier((10, self.missing(10))),
            "missing": lambda t: ObjectIdentifier((t, self.missing(t))),
            "range": self.range_target(),
        }

    def missing(self, type_number: int) -> int:
        taken = {parse_object_id(o).instance for o in self.report.objects if parse_object_id(o).type_number == type_number}
        return next(i for i in range(MISSING_INSTANCE, 0, -1) if i not in taken)

    def range_target(self) -> tuple[ObjectId, str]:
        """An object's log-buffer if one has it, else the device's object-list (an array)."""
        for obj, names in self.report.property_lists.items():
            if names and "log-buffer" in names:
                return parse_object_id(obj), "log-buffer"
        return self.device_oid, "object-list"

    async def subscribe(self, service: str, context: dict[str, Any]) -> None:
        """SubscribeCOV(-Property) for 60 s, active-cov-subscriptions while it lives, then cancel."""
        target: ObjectId = context["cov"]
        make = _subscribe_cov if service == "subscribe-cov" else _subscribe_cov_property
        outcome = await self.exchange(make(self.bacnet_oid(target), lifetime=60))
        self.report.exercised[service] = f"{outcome} on {target}"
        covered = target.type_number in COV_TYPES
        if covered and outcome.kind != "ack":
            self.find("services", str(target), service, "a SimpleAck: it is claimed and the object reports COV",
                      str(outcome))
        elif not outcome.answered:
            self.find("services", str(target), service, "an answer: it is claimed", str(outcome))
        if outcome.kind == "ack" and service == "subscribe-cov":
            await self.active_cov(target)
        if outcome.kind == "ack":
            cancel = await self.exchange(make(self.bacnet_oid(target), lifetime=None))
            self.report.exercised[f"{service} cancel"] = str(cancel)
            if cancel.kind != "ack":
                self.find("services", str(target), service, "a SimpleAck to the cancellation", str(cancel))

    async def active_cov(self, target: ObjectId) -> None:
        names = self.report.property_lists.get(str(self.device_oid)) or []
        if "active-cov-subscriptions" not in names:
            self.note("active-cov-subscriptions not in the device's property-list: not checked")
            return
        try:
            value = await self.client.read(self.device, self.device_oid, "active-cov-subscriptions",
                                           timeout=self.timeout)
        except BacnetError as exc:
            self.find("active-cov", str(self.device_oid), "active-cov-subscriptions", "our live subscription",
                      str(exc))
            return
        entries = len(value) if isinstance(value, list) else repr(value)
        self.report.exercised["active-cov-subscriptions"] = f"{entries} while subscribed"
        if str(target) not in repr(value):
            self.find("active-cov", str(self.device_oid), "active-cov-subscriptions",
                      f"our live subscription to {target}", repr(value))

    async def unconfirmed(self) -> None:
        """Who-Is and Who-Has sent to the device: answered (with an I-Am / I-Have) if and only if claimed."""
        instance, address = self.report.instance, address_text(self.address)
        try:
            found = await who_is(self.client, instance, instance, address=address, max_wait=self.timeout)
        except BacnetError as exc:
            found = []
            self.note(f"who-is not sent: {exc}")
        answered = any(d.instance == instance for d in found)
        self.report.exercised["who-is"] = "i-am" if answered else "no answer"
        self.judge_unconfirmed("who-is", "i-am", answered)
        try:
            holders = await who_has(self.client, object_id=str(self.device_oid), address=address,
                                    low=instance, high=instance, max_wait=self.timeout)
        except BacnetError as exc:
            holders = []
            self.note(f"who-has not sent: {exc}")
        answered = any(h.device_instance == instance for h in holders)
        self.report.exercised["who-has"] = "i-have" if answered else "no answer"
        self.judge_unconfirmed("who-has", "i-have", answered)
        for service in self.report.services_claimed:
            if service in _UNCONFIRMED and service not in ("who-is", "who-has", "i-am", "i-have"):
                self.note(f"claimed {service}: unconfirmed, no answer to check")

    def judge_unconfirmed(self, request: str, answer: str, answered: bool) -> None:
        # Only the request's bit: the i-am / i-have bits say the device executes (processes) those,
        # which no request can show (rusty claims who-is and who-has, not i-am or i-have).
        if answered and request not in self.claimed:
            self.find("services", "", request, f"claimed: the device answers {request} with {answer}", "not claimed")
        if not answered and request in self.claimed:
            self.find("services", "", request, f"an {answer} to a directed {request}: it is claimed", "no answer")

    # ----- writes that must be refused ------------------------------------------------------

    async def writes(self) -> None:
        for obj in self.report.objects:
            oid = parse_object_id(obj)
            names = set(self.report.property_lists.get(obj) or ()) | set(ALWAYS)
            props = [p for p in OBJECT_READ_ONLY if p in names]
            if oid == self.device_oid:
                props += [p for p in DEVICE_READ_ONLY if p in names]
            for prop in props:
                await self.write_back(oid, prop)

    async def write_back(self, oid: ObjectId, prop: str) -> None:
        read, value = await self.raw_read(oid, prop)
        if value is None:
            self.note(f"{oid} {prop}: not written (read gave {read})")
            return
        request = WritePropertyRequest(objectIdentifier=self.bacnet_oid(oid), propertyIdentifier=PropertyIdentifier(prop),
                                       propertyValue=AnyValue(_inner(value)))
        outcome = await self.exchange(request)
        if outcome.kind != "error" or outcome.detail != WRITE_ACCESS_DENIED:
            self.find("write-refused", str(oid), prop, f"Error({WRITE_ACCESS_DENIED.replace(':', ', ')}) "
                      "to a write of its own value", str(outcome))

    # ----- database revision -----------------------------------------------------------------

    async def database_revision(self, change: Callable[[], Any] | None) -> None:
        dev = self.device_oid
        if change is None:
            self.note("database-revision: no change of the object database to make here; not checked")
            return
        try:
            before = await self.client.read(self.device, dev, "database-revision", timeout=self.timeout)
        except BacnetError as exc:
            self.find("database-revision", str(dev), "database-revision", "a value", str(exc))
            return
        result = change()
        if inspect.isawaitable(result):
            await result
        after = before
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(self.timeout, 1.0)
        while after == before and loop.time() < deadline:
            await asyncio.sleep(0.05)
            try:
                after = await self.client.read(self.device, dev, "database-revision", timeout=self.timeout)
            except BacnetError as exc:
                self.find("database-revision", str(dev), "database-revision", "a value", str(exc))
                return
        self.report.database_revision = (before, after)
        if after == before:
            self.find("database-revision", str(dev), "database-revision",
                      "a new value after the object database changed", f"{after!r} before and after")


# ----- the standard's tables --------------------------------------------------------------------


def _standard_class(type_number: int | None) -> type | None:
    if type_number is None:
        return None
    try:
        return get_vendor_info(0).get_object_class(BacnetObjectType(type_number))
    except (ValueError, KeyError):
        return None


# Slips in bacpypes3 0.0.110's _required tuples (a typo; two names run together by a missing comma).
_SLIPS = {"zomeMembers": ("zoneMembers",), "statusFlagseventState": ("statusFlags", "eventState")}


def required_properties(type_number: int) -> list[str]:
    """The properties the standard requires of an object of this type (hyphenated), per bacpypes3's classes.

    ``_required`` of the class and of every class it derives from (``Object``
    gives the four every object has), plus ``EXTRA_REQUIRED``. bacpypes3's
    slips are mended (``_SLIPS``); names that are not properties of the class
    itself (two empty strings in global-group's list,
    lighting-command-default-priority in binary-lighting-output's) are left out.
    """
    cls = _standard_class(type_number)
    if cls is None:
        return list(ALWAYS)
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        if isinstance(klass, type) and issubclass(klass, BacnetObject):
            for slip in klass.__dict__.get("_required", ()):
                for attr in _SLIPS.get(slip, (slip,)):
                    if attr not in cls._elements:
                        continue  # '' in global-group's list, a property the class itself does not have
                    name = str(PropertyIdentifier(attr))
                    if name not in names:
                        names.append(name)
    for name in EXTRA_REQUIRED.get(_type_name(type_number), ()):
        if name not in names:
            names.append(name)
    return names


def _type_name(number: int) -> str:
    return parse_object_id((number, 0)).type


# ----- decoding what came back ------------------------------------------------------------------


def _error_text(exc: BaseException) -> str:
    """``class:code`` of any bacpypes3 error PDU (plain Error, or one wrapping an errorType)."""
    for holder in (exc, getattr(exc, "errorType", None)):
        if holder is not None and getattr(holder, "errorClass", None) is not None:
            return f"{holder.errorClass}:{holder.errorCode}"
    return type(exc).__name__


def _outcome_of(exc: BaseException) -> Outcome:
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return Outcome("timeout")
    if isinstance(exc, RejectPDU):
        return Outcome("reject", str(getattr(exc, "apduAbortRejectReason", "")))
    if isinstance(exc, AbortPDU):
        reason = str(getattr(exc, "apduAbortRejectReason", ""))
        return Outcome("timeout") if reason in ("no-response", "tsm-timeout") else Outcome("abort", reason)
    if isinstance(exc, ErrorRejectAbortNack):
        return Outcome("error", _error_text(exc))
    return Outcome("failed", f"{type(exc).__name__}: {exc}")


def _enumerated(raw: bytes) -> list[int]:
    """The application-tagged enumerated values of raw APDU parameters, in order (error class, code...)."""
    try:
        tags = TagList.decode(PDUData(raw)).tagList
    except Exception:  # noqa: BLE001
        return []
    return [int.from_bytes(bytes(tag.tag_data), "big") for tag in tags
            if tag.tag_class == TagClass.application and tag.tag_number == 9]


def _enum_name(kind: str, number: int) -> str:
    from bacpypes3 import basetypes

    try:
        return str(getattr(basetypes, kind)(number))
    except (ValueError, TypeError):
        return str(number)


def _inner(value: AnyValue) -> TagList:
    """The tags of a read value without the [3] context tags bacpypes3 leaves around them."""
    tags = list(value.tagList.tagList)
    if len(tags) >= 2 and tags[0].tag_class == TagClass.opening and tags[-1].tag_class == TagClass.closing:
        tags = tags[1:-1]
    return TagList(tags)


def _bits(value: AnyValue) -> set[int]:
    """The positions set in the application-tagged bit string inside a read value."""
    for tag in value.tagList.tagList:
        if tag.tag_class == TagClass.application and tag.tag_number == 8:
            data = bytes(tag.tag_data)
            if not data:
                return set()
            unused, octets = data[0], data[1:]
            total = len(octets) * 8 - unused
            return {i for i in range(total) if octets[i // 8] & (0x80 >> (i % 8))}
    raise ValueError(f"no bit string in {value!r}")


# ----- harmless requests, one per confirmed service ------------------------------------------


def _timestamp() -> TimeStamp:
    return TimeStamp(sequenceNumber=0)


def _subscribe_cov(target: ObjectIdentifier, lifetime: int | None) -> SubscribeCOVRequest:
    request = SubscribeCOVRequest(subscriberProcessIdentifier=PROCESS_ID, monitoredObjectIdentifier=target)
    if lifetime is not None:  # without both: a cancellation
        request.issueConfirmedNotifications = False
        request.lifetime = lifetime
    return request


# The request's own (context-tagged) PropertyReference class: a plain one is refused.
_COV_PROPERTY = SubscribeCOVPropertyRequest._elements["monitoredPropertyIdentifier"]


def _subscribe_cov_property(target: ObjectIdentifier, lifetime: int | None) -> SubscribeCOVPropertyRequest:
    request = SubscribeCOVPropertyRequest(
        subscriberProcessIdentifier=PROCESS_ID + 1, monitoredObjectIdentifier=target,
        monitoredPropertyIdentifier=_COV_PROPERTY(propertyIdentifier=PropertyIdentifier("present-value")))
    if lifetime is not None:
        request.issueConfirmedNotifications = False
        request.lifetime = lifetime
    return request


def _read_range(c: dict[str, Any]) -> ReadRangeRequest:
    oid, prop = c["range"]
    request = ReadRangeRequest(objectIdentifier=ObjectIdentifier((oid.type_number, oid.instance)),
                               propertyIdentifier=PropertyIdentifier(prop))
    request.range = Range(byPosition=RangeByPosition(referenceIndex=1, count=1))
    return request


def _own_value(prop: str, value: Any) -> list[Any]:
    return [BacnetPropertyValue(propertyIdentifier=PropertyIdentifier(prop), value=value)]


_PROBES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "acknowledge-alarm": lambda c: AcknowledgeAlarmRequest(
        acknowledgingProcessIdentifier=PROCESS_ID, eventObjectIdentifier=c["missing"](0),
        eventStateAcknowledged="offnormal", timeStamp=_timestamp(), acknowledgmentSource="epics-check",
        timeOfAcknowledgment=_timestamp()),
    "confirmed-cov-notification": lambda c: ConfirmedCOVNotificationRequest(
        subscriberProcessIdentifier=PROCESS_ID, initiatingDeviceIdentifier=c["me"],
        monitoredObjectIdentifier=c["missing"](2), timeRemaining=0,
        listOfValues=_own_value("present-value", Real(0.0))),
    "confirmed-event-notification": lambda c: ConfirmedEventNotificationRequest(
        processIdentifier=PROCESS_ID, initiatingDeviceIdentifier=c["me"], eventObjectIdentifier=c["missing"](0),
        timeStamp=_timestamp(), notificationClass=0, priority=255, eventType="changeOfState",
        notifyType="ackNotification", toState="normal"),
    "get-alarm-summary": lambda c: GetAlarmSummaryRequest(),
    "get-enrollment-summary": lambda c: GetEnrollmentSummaryRequest(acknowledgmentFilter="all"),
    "get-event-information": lambda c: GetEventInformationRequest(),
    "atomic-read-file": lambda c: AtomicReadFileRequest(
        fileIdentifier=c["file"], accessMethod={"streamAccess": {"fileStartPosition": 0, "requestedOctetCount": 1}}),
    "atomic-write-file": lambda c: AtomicWriteFileRequest(
        fileIdentifier=c["missing"](10), accessMethod={"streamAccess": {"fileStartPosition": 0, "fileData": b"\x00"}}),
    "add-list-element": lambda c: AddListElementRequest(
        objectIdentifier=c["missing"](2), propertyIdentifier=PropertyIdentifier("present-value"),
        listOfElements=AnyValue(TagList(list(Null(()).encode())))),
    "remove-list-element": lambda c: RemoveListElementRequest(
        objectIdentifier=c["missing"](2), propertyIdentifier=PropertyIdentifier("present-value"),
        listOfElements=AnyValue(TagList(list(Null(()).encode())))),
    "create-object": lambda c: CreateObjectRequest(objectSpecifier={"objectIdentifier": c["device"]}),
    "delete-object": lambda c: DeleteObjectRequest(objectIdentifier=c["missing"](2)),
    "read-property": lambda c: ReadPropertyRequest(
        objectIdentifier=c["device"], propertyIdentifier=PropertyIdentifier("object-name")),
    "read-property-multiple": lambda c: ReadPropertyMultipleRequest(listOfReadAccessSpecs=[ReadAccessSpecification(
        objectIdentifier=c["device"],
        listOfPropertyReferences=[PropertyReference(propertyIdentifier=PropertyIdentifier("object-name"))])]),
    "write-property": lambda c: WritePropertyRequest(
        objectIdentifier=c["device"], propertyIdentifier=PropertyIdentifier("object-identifier"),
        propertyValue=AnyValue(TagList(list(c["device"].encode())))),
    "write-property-multiple": lambda c: WritePropertyMultipleRequest(listOfWriteAccessSpecs=[WriteAccessSpecification(
        objectIdentifier=c["device"], listOfProperties=_own_value("object-identifier", c["device"]))]),
    "device-communication-control": lambda c: DeviceCommunicationControlRequest(
        timeDuration=1, enableDisable="enable", password=WRONG_PASSWORD),
    "confirmed-private-transfer": lambda c: ConfirmedPrivateTransferRequest(vendorID=0, serviceNumber=0xFFFF),
    "confirmed-text-message": lambda c: ConfirmedTextMessageRequest(
        textMessageSourceDevice=c["me"], messagePriority="normal", message="EPICS check: please ignore"),
    "reinitialize-device": lambda c: ReinitializeDeviceRequest(
        reinitializedStateOfDevice="activate-changes", password=WRONG_PASSWORD),
    "vt-close": lambda c: VTCloseRequest(listOfRemoteVTSessionIdentifiers=[255]),
    "read-range": _read_range,
    "life-safety-operation": lambda c: LifeSafetyOperationRequest(
        requestingProcessIdentifier=PROCESS_ID, requestingSource="epics-check", request="none",
        objectIdentifier=c["missing"](21)),
    # subscribe-cov and subscribe-cov-property: _Run.subscribe (they need a cancellation after)
    "subscribe-cov": lambda c: None,
    "subscribe-cov-property": lambda c: None,
}
