"""The async BACnet client: read, write, release, RPM, WPM, priority arrays.

One :class:`BacnetClient` wraps one bacpypes3 application. Every request goes
through :meth:`BacnetClient._call`, the single boundary where bacpypes3's
``BaseException`` errors become our ``Exception`` types, each call is bounded
by a timeout, and a per-device semaphore keeps us far from the 255
outstanding-request cliff (past it bacpypes3 spins and freezes the loop).
Discovery (who-is, who-has, routers, point lists) lives in ``discovery.py``
and builds on the same boundary.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from bacpypes3.apdu import (
    ErrorRejectAbortNack,
    ReadPropertyACK,
    ReadPropertyMultipleACK,
    ReadPropertyMultipleRequest,
    ReadPropertyRequest,
    WritePropertyMultipleRequest,
    WritePropertyRequest,
)
from bacpypes3.basetypes import (
    PropertyIdentifier,
    PropertyReference,
    PropertyValue as BacnetPropertyValue,
    ReadAccessSpecification,
    WriteAccessSpecification,
)
from bacpypes3.constructeddata import Any as AnyValue
from bacpypes3.pdu import Address
from bacpypes3.primitivedata import Null, ObjectIdentifier

from .errors import (
    BacnetError,
    BacnetRemoteError,
    BacnetTimeout,
    InvalidInput,
)
from .addresses import bacnet_address, device_address
from .ids import MAX_INSTANCE, ObjectId, ascii_int, parse_object_id, parse_property
from .local import UdpAddress
from .types import DeviceInfo, PriorityArray, PropertyValue
from .decode import decode_rpm, priority_slots
from .stall import LoopStallClock
from .translate import translate
from .values import coerce_for_write, decode_any, is_null, property_datatype

log = logging.getLogger("aso.bacnet")

T = TypeVar("T")
DeviceRef = "str | int | DeviceInfo"

DEFAULT_TIMEOUT = 3.0
DEFAULT_PER_DEVICE_LIMIT = 8
DEFAULT_IN_FLIGHT_LIMIT = 64  # all devices together: keeps our own loop and the LAN unflooded
STALL_RETRIES = 3  # times a request is asked again because our own loop stalled past its deadline


def bacnet_object_id(oid: ObjectId) -> ObjectIdentifier:
    if oid.type.startswith("proprietary-"):
        return ObjectIdentifier((int(oid.type.split("-")[1]), oid.instance))
    return ObjectIdentifier(str(oid))


def bacnet_property(name: str) -> PropertyIdentifier:
    return PropertyIdentifier(int(name) if name.isdigit() else name)


def address_text(address: Address) -> str:
    """Text form of an address that :meth:`BacnetClient.resolve` reads back.

    Virtual-network and MS/TP stations have 1-2 byte MACs; bacpypes3 prints
    them as bare digits, which would read back as a device instance. We
    print them in hex (``0x02``), which bacpypes3 also parses.
    """
    if address.addrType == Address.localStationAddr and address.addrAddr and len(address.addrAddr) <= 2:
        return "0x" + address.addrAddr.hex()
    return str(address)


_DIGITS = re.compile(r"[0-9]+")  # only ASCII digits are numbers (\d and isdigit() take '１', '١')


def check_priority(priority: int | None, *, allow_none: bool = True) -> int | None:
    """1..16 as an int, else :class:`InvalidInput`.

    Text must be ASCII digits: ``int()`` would also take '１５', ' 8 ' and '1_6'.
    """
    if priority is None and allow_none:
        return None
    if isinstance(priority, bool) or not isinstance(priority, int):
        if not _DIGITS.fullmatch(str(priority)):
            raise InvalidInput(f"priority must be a whole number 1..16 in ASCII digits, got {priority!r}")
        if not 1 <= ascii_int(str(priority)) <= 16:
            raise InvalidInput(f"priority {priority} is out of range: BACnet priorities are 1..16 (8 = manual operator)")
        return ascii_int(str(priority))
    if not 1 <= priority <= 16:
        raise InvalidInput(f"priority {priority} is out of range: BACnet priorities are 1..16 (8 = manual operator)")
    return priority


class BacnetClient:
    """Async client over one bacpypes3 application. See module docstring.

    Construct with :func:`aso_runtime.bacnet.open_client` (which builds the
    local application) or wrap an existing application.
    """

    def __init__(
        self,
        app: Any,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        per_device_limit: int = DEFAULT_PER_DEVICE_LIMIT,
        local_address: str | None = None,
        in_flight_limit: int = DEFAULT_IN_FLIGHT_LIMIT,
        udp_address: UdpAddress | None = None,
    ) -> None:
        self.app = app
        self._in_flight = asyncio.Semaphore(in_flight_limit)
        self.timeout = timeout
        self.per_device_limit = per_device_limit
        self.local_address = local_address  # a label for messages and logs
        # Where we are bound (None on a virtual network): its subnet's
        # broadcast address is refused as a device (see device_address).
        self.udp_address = udp_address
        self.devices: dict[int, DeviceInfo] = {}
        self._limits: dict[str, asyncio.Semaphore] = {}
        # Devices that refused RPM once: go straight to single reads next time.
        self.no_rpm: set[str] = set()
        self._routes: set[int] = set()  # remote networks we know a router for
        self.requests_sent = 0
        self.writes_sent = 0  # WriteProperty / WPM requests that reached the wire
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._stall_clock = LoopStallClock()
        self._stall_clock.start()

    @property
    def device_instance(self) -> int:
        """Our own device's instance number."""
        return int(self.app.device_object.objectIdentifier[1])

    # ----- lifecycle -------------------------------------------------------

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        self._closers.append(closer)

    async def close(self) -> None:
        self._stall_clock.stop()
        for closer in reversed(self._closers):
            await closer()
        self._closers.clear()

    async def __aenter__(self) -> "BacnetClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ----- addressing ------------------------------------------------------

    def remember(self, device: DeviceInfo) -> None:
        self.devices[device.instance] = device

    def device_at(self, address: str) -> DeviceInfo | None:
        for device in self.devices.values():
            if device.address == address:
                return device
        return None

    async def resolve(self, device: "str | int | DeviceInfo") -> tuple[Address, str]:
        """Turn what the caller passed into the Address of ONE device and a label.

        Accepts an address (``10.0.0.5``, ``127.0.0.1:47810``, ``2:7``), a
        device instance (found by a directed Who-Is if not yet known) or a
        :class:`DeviceInfo`. Every request to a device comes through here, so
        a broadcast or malformed address is refused (:class:`InvalidInput`)
        before anything is sent; see :func:`device_address`.
        """
        if isinstance(device, DeviceInfo):
            return self._device(device.address), f"device {device.instance} ({device.address})"
        if isinstance(device, int) and not isinstance(device, bool):
            if not 0 <= device <= MAX_INSTANCE:
                raise InvalidInput(f"device instance {device} is outside 0..{MAX_INSTANCE}")
            known = self.devices.get(device)
            if known is None:
                from .discovery import find_device  # circular at import time

                known = await find_device(self, device)
            return self._device(known.address), f"device {device} ({known.address})"
        if isinstance(device, str):
            text = device.strip()
            if text.lower().startswith("device"):  # `device,1001`: no address starts so
                return await self.resolve(parse_object_id(text).instance)
            # Bare ASCII digits are a device instance (`aso read 1001 ai,1`).
            if _DIGITS.fullmatch(text):
                if ascii_int(text) > MAX_INSTANCE:
                    raise InvalidInput(f"device instance {text} is above the BACnet maximum {MAX_INSTANCE}")
                return await self.resolve(ascii_int(text))
            address = self._device(text)
            known = self.device_at(address_text(address))
            label = f"device {known.instance} ({address_text(address)})" if known else address_text(address)
            return address, label
        raise InvalidInput(f"device must be an address, a device instance or DeviceInfo, got {device!r}")

    def _device(self, text: str) -> Address:
        return device_address(text, self.udp_address)

    @staticmethod
    def _address(text: str) -> Address:
        """Any well-formed address, broadcasts included (Who-Is/Who-Has targets)."""
        return bacnet_address(text)

    async def check_route(self, address: Address) -> None:
        """Make sure a remote network is reachable before sending to it.

        bacpypes3 looks for a router itself, but a failure is raised inside
        its send task: our request would just time out with a stray
        traceback. We ask first and give a clear error.
        """
        network = address.addrNet
        if network is None or address.addrType not in (Address.remoteStationAddr, Address.remoteBroadcastAddr):
            return
        if network in self._routes:
            return
        nsap = self.app.nsap
        for snet in list(nsap.adapters):
            if await nsap.router_info_cache.get_path_info(snet, network):
                self._routes.add(network)
                return
        from .discovery import who_is_router_to_network  # circular at import time

        routers = await who_is_router_to_network(self, network, wait=min(self.timeout, 2.0))
        if not routers:
            raise BacnetTimeout(
                f"no route to network {network}: no router answered Who-Is-Router-To-Network "
                "(on another subnet? register with its BBMD using --foreign)"
            )
        self._routes.add(network)

    def _limit(self, address: Address) -> asyncio.Semaphore:
        key = str(address)
        if key not in self._limits:
            self._limits[key] = asyncio.Semaphore(self.per_device_limit)
        return self._limits[key]

    # ----- the boundary ----------------------------------------------------

    async def _call(
        self,
        where: str,
        address: Address,
        make_request: Callable[[], Awaitable[T]],
        timeout: float | None = None,
    ) -> T:
        """Run one request: per-device limit, timeout, error translation.

        A request whose deadline fell inside a stall of our own loop (the
        answer was waiting in the socket while the loop was blocked) is asked
        again: the device is not blamed for our own stall.
        """
        timeout = self.timeout if timeout is None else timeout
        await self.check_route(address)
        async with self._limit(address), self._in_flight:
            for attempt in range(1 + STALL_RETRIES):
                started = time.monotonic()
                try:
                    return await self._attempt(where, make_request, timeout)
                except BacnetTimeout:
                    if attempt == STALL_RETRIES or not self.cut_short_by_stall(started, timeout):
                        raise
                    log.info("%s: our own event loop was blocked while waiting; asking again", where)
        raise AssertionError("unreachable")

    def cut_short_by_stall(self, started: float, window: float) -> bool:
        """Did our own loop stall eat into a wait that began at ``started`` (monotonic)?

        True when the loop was running for less than ``window`` seconds of
        it: the other side never had a fair chance to answer.
        """
        stalled = self._stall_clock.stalled_since(started)
        return stalled > 0 and time.monotonic() - started - stalled < window

    async def _attempt(self, where: str, make_request: Callable[[], Awaitable[T]], timeout: float) -> T:
        self.requests_sent += 1
        try:
            return await asyncio.wait_for(make_request(), timeout)
        except (asyncio.TimeoutError, TimeoutError):
            raise BacnetTimeout(f"{where}: no answer within {timeout:g} s (device offline or unreachable?)") from None
        except ErrorRejectAbortNack as exc:
            raise translate(where, exc) from None
        except BacnetError:
            raise
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"{where}: {exc}") from None
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as exc:  # a stack bug (bacpypes3 raises BaseExceptions) must not escape as a traceback
            raise BacnetError(f"{where}: {type(exc).__name__}: {exc}") from None

    # ----- read ------------------------------------------------------------

    async def read(
        self,
        device: "str | int | DeviceInfo",
        object_id: "str | ObjectId",
        property: str = "present-value",
        index: int | None = None,
        *,
        timeout: float | None = None,
    ) -> Any:
        """Read one property and return it as plain Python.

        Raises :class:`BacnetTimeout`, :class:`BacnetRemoteError` (e.g.
        unknown-object), :class:`InvalidInput` for a malformed id or property.
        """
        oid = parse_object_id(object_id)
        prop, parsed_index = parse_property(property)
        index = parsed_index if index is None else index
        address, label = await self.resolve(device)
        where = f"{label} {oid} {prop}{f'[{index}]' if index is not None else ''}"

        async def request() -> Any:
            req = ReadPropertyRequest(
                objectIdentifier=bacnet_object_id(oid),
                propertyIdentifier=bacnet_property(prop),
                destination=address,
            )
            if index is not None:
                req.propertyArrayIndex = index
            ack = await self.app.request(req)
            if not isinstance(ack, ReadPropertyACK):
                raise BacnetError(f"{where}: unexpected answer {type(ack).__name__}")
            number = oid.type_number
            datatype = property_datatype(number, bacnet_property(prop)) if number is not None else None
            return decode_any(ack.propertyValue, datatype, index)

        return await self._call(where, address, request, timeout)

    async def read_multiple(
        self,
        device: "str | int | DeviceInfo",
        requests: Sequence[tuple["str | ObjectId", Sequence[str]]],
        *,
        timeout: float | None = None,
    ) -> list[PropertyValue]:
        """ReadPropertyMultiple. ``requests`` is ``[(object_id, [property, ...]), ...]``.

        Per-property errors come back in :attr:`PropertyValue.error`, not
        raised. If the whole request fails (device rejects RPM, aborts for
        size), the exception is raised; :func:`read_many` adds fallbacks.
        """
        specs: list[tuple[ObjectId, list[tuple[str, int | None]]]] = []
        for object_id, props in requests:
            oid = parse_object_id(object_id)
            if isinstance(props, str):
                props = [props]
            specs.append((oid, [parse_property(p) for p in props]))
        if not specs:
            return []
        address, label = await self.resolve(device)
        where = f"{label} RPM of {len(specs)} object(s)"

        async def request() -> list[PropertyValue]:
            req = ReadPropertyMultipleRequest(
                listOfReadAccessSpecs=[
                    ReadAccessSpecification(
                        objectIdentifier=bacnet_object_id(oid),
                        listOfPropertyReferences=[_reference(p, i) for p, i in props],
                    )
                    for oid, props in specs
                ],
                destination=address,
            )
            ack = await self.app.request(req)
            if not isinstance(ack, ReadPropertyMultipleACK):
                raise BacnetError(f"{where}: unexpected answer {type(ack).__name__}")
            return decode_rpm(ack)

        return await self._call(where, address, request, timeout)

    # ----- write -----------------------------------------------------------

    async def write(
        self,
        device: "str | int | DeviceInfo",
        object_id: "str | ObjectId",
        value: Any,
        priority: int | None = None,
        property: str = "present-value",
        index: int | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        """Write a value (cast to the property's type) at a priority 1..16.

        ``value`` of None or ``'null'`` writes Null, which at a priority is a
        release. A wrong-typed value raises :class:`InvalidInput` before
        anything is sent.
        """
        oid = parse_object_id(object_id)
        prop, parsed_index = parse_property(property)
        index = parsed_index if index is None else index
        priority = check_priority(priority)
        at = f" @{priority}" if priority else ""
        # Check the value before any network traffic (even the device lookup).
        encoded = self._encode_value(oid, prop, index, value, f"{_label(device)} {oid} {prop}{at}", priority)
        address, label = await self.resolve(device)
        where = f"{label} {oid} {prop}{at}"

        async def request() -> None:
            req = WritePropertyRequest(
                objectIdentifier=bacnet_object_id(oid),
                propertyIdentifier=bacnet_property(prop),
                propertyValue=encoded,
                destination=address,
            )
            if index is not None:
                req.propertyArrayIndex = index
            if priority is not None:
                req.priority = priority
            self.writes_sent += 1
            await self.app.request(req)

        await self._call(where, address, request, timeout)
        log.info("write %s = %r", where, value)

    async def release(
        self,
        device: "str | int | DeviceInfo",
        object_id: "str | ObjectId",
        priority: int,
        property: str = "present-value",
        *,
        timeout: float | None = None,
    ) -> None:
        """Relinquish: write Null at ``priority`` (required: a release has a slot)."""
        if priority is None:
            raise InvalidInput("release needs a priority 1..16: it relinquishes that slot of the priority array")
        await self.write(device, object_id, None, priority, property, timeout=timeout)

    async def write_multiple(
        self,
        device: "str | int | DeviceInfo",
        writes: Sequence[tuple["str | ObjectId", str, Any, int | None]],
        *,
        timeout: float | None = None,
    ) -> None:
        """WritePropertyMultiple: ``[(object_id, property, value, priority), ...]``.

        bacpypes3 has no client helper for WPM; the request is built here.
        Every value is checked before anything is sent. The device applies
        writes in order and stops at the first failure, which is raised
        naming that object and property.
        """
        if not writes:
            return
        label = _label(device)
        grouped: dict[str, tuple[ObjectId, list]] = {}
        for object_id, property, value, priority in writes:
            oid = parse_object_id(object_id)
            prop, index = parse_property(property)
            priority = check_priority(priority)
            where = f"{label} {oid} {prop}"
            encoded = self._encode_value(oid, prop, index, value, where, priority)
            element = BacnetPropertyValue(propertyIdentifier=bacnet_property(prop), value=encoded)
            if index is not None:
                element.propertyArrayIndex = index
            if priority is not None:
                element.priority = priority
            grouped.setdefault(str(oid), (oid, []))[1].append(element)
        address, label = await self.resolve(device)
        where = f"{label} WPM of {len(writes)} value(s)"

        async def request() -> None:
            req = WritePropertyMultipleRequest(
                listOfWriteAccessSpecs=[
                    WriteAccessSpecification(objectIdentifier=bacnet_object_id(oid), listOfProperties=elements)
                    for oid, elements in grouped.values()
                ],
                destination=address,
            )
            self.writes_sent += 1
            await self.app.request(req)

        await self._call(where, address, request, timeout)
        log.info("wpm %s", where)

    def _encode_value(self, oid: ObjectId, prop: str, index: int | None, value: Any, where: str, priority: int | None) -> AnyValue:
        if is_null(value):
            if priority is None and prop == "present-value":
                raise InvalidInput(f"{where}: writing null needs a priority (a release relinquishes one slot)")
            return AnyValue(Null(()))
        datatype = property_datatype(oid.type_number, bacnet_property(prop)) if oid.type_number is not None else None
        if datatype is None:
            raise InvalidInput(f"{where}: {oid.type} has no standard property {prop}; cannot tell what type to write")
        from bacpypes3.constructeddata import Array

        if issubclass(datatype, Array) and index is not None:
            datatype = datatype._subtype
        plain = coerce_for_write(value, datatype, where)
        try:
            return AnyValue(datatype(plain))
        except Exception as exc:
            raise InvalidInput(f"{where}: {value!r} cannot be written as {datatype.__name__} ({exc})") from None

    # ----- priority array --------------------------------------------------

    async def priority_array(
        self, device: "str | int | DeviceInfo", object_id: "str | ObjectId", *, timeout: float | None = None
    ) -> PriorityArray:
        """The 16 slots decoded to plain values, relinquish-default and current-command-priority.

        Uses one RPM; falls back to single reads for devices without RPM.
        Raises :class:`BacnetRemoteError` if the object is not commandable.
        """
        oid = parse_object_id(object_id)
        props = ["priority-array", "relinquish-default", "present-value", "current-command-priority"]
        from .reads import read_many  # reads builds on this module

        values = await read_many(self, device, [(oid, props)], timeout=timeout)
        by_name = {v.property: v for v in values}
        array = by_name.get("priority-array")
        if array is None or not array.ok:
            _, label = await self.resolve(device)
            error = (array.error if array else None) or "property:unknown-property"
            error_class, _, error_code = error.partition(":")
            raise BacnetRemoteError(
                f"{label} {oid} priority-array: {error_class}: {error_code} "
                "(not a commandable point: only outputs and commandable values have a priority array)",
                error_class,
                error_code,
            )
        slots = priority_slots(oid, array.value)
        ccp = by_name.get("current-command-priority")
        ccp_value = ccp.value if ccp is not None and ccp.ok else None
        if not isinstance(ccp_value, int):
            winning = next((s.priority for s in slots if s.active), None)
            ccp_value = winning
        relinquish = by_name.get("relinquish-default")
        present = by_name.get("present-value")
        return PriorityArray(
            object_id=str(oid),
            slots=slots,
            relinquish_default=relinquish.value if relinquish and relinquish.ok else None,
            current_command_priority=ccp_value,
            present_value=present.value if present and present.ok else None,
        )


def _label(device: Any) -> str:
    """How to name a device in a message before we know its address."""
    if isinstance(device, DeviceInfo):
        return f"device {device.instance} ({device.address})"
    if isinstance(device, int) or (isinstance(device, str) and _DIGITS.fullmatch(device.strip())):
        return f"device {device.strip() if isinstance(device, str) else device}"
    return str(device)


def _reference(prop: str, index: int | None) -> PropertyReference:
    ref = PropertyReference(propertyIdentifier=bacnet_property(prop))
    if index is not None:
        ref.propertyArrayIndex = index
    return ref
