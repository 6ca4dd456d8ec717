"""Finding devices: Who-Is (streamed, ends on quiet), Who-Has, routers.

Common tools sit out a fixed 3 s (bacnet-stack 9 s) after a Who-Is although
on a real BACnet/IP site the last I-Am arrives within about 10 ms. We yield
each device the moment its I-Am arrives and stop after a quiet period with
no new answers, bounded by a maximum wait.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from bacpypes3.apdu import IAmRequest, IHaveRequest, WhoHasRequest, WhoIsRequest
from bacpypes3.basetypes import WhoHasLimits, WhoHasObject
from bacpypes3.pdu import Address, GlobalBroadcast, RemoteBroadcast

from .addresses import bacnet_address
from .client import STALL_RETRIES, BacnetClient
from .encode import address_text, bacnet_object_id
from .errors import BacnetTimeout, InvalidInput
from .ids import MAX_INSTANCE, ObjectId, ascii_int, parse_object_id
from .routes import ask_routers
from .types import DeviceInfo, ObjectHolder, RouterInfo
from .values import object_id_text

log = logging.getLogger("aso.bacnet")

DEFAULT_QUIET = 0.3  # s of silence after the last I-Am that ends a search
DEFAULT_MAX_WAIT = 3.0  # s: never wait longer than the classic fixed window


def _destination(address: str | None, network: int | None) -> Address:
    if address and network is not None:
        raise InvalidInput("give either a device address or a network number, not both")
    if network is not None:
        if not 1 <= network <= 65534:
            raise InvalidInput(f"network number {network} is out of range 1..65534")
        return RemoteBroadcast(network)
    if address:
        return bacnet_address(address)
    return GlobalBroadcast()


def _check_range(low: int | None, high: int | None) -> None:
    if (low is None) != (high is None):
        raise InvalidInput("a device-instance range needs both a low and a high limit")
    if low is not None and not (0 <= low <= high <= MAX_INSTANCE):
        raise InvalidInput(f"device-instance range {low}..{high} must satisfy 0 <= low <= high <= {MAX_INSTANCE}")


async def _quiet_stream(
    client: BacnetClient,
    listeners: list,
    send: Callable[[], None],
    convert: Callable[[Any], Any | None],
    *,
    quiet: float,
    max_wait: float,
    enough: Callable[[list], bool] = lambda found: False,
) -> AsyncIterator[Any]:
    """Send an unconfirmed request and yield converted answers until quiet.

    Ends when ``quiet`` seconds pass with no new answer (after at least one
    answer), when ``max_wait`` has passed, or when ``enough`` says so. The
    quiet period stretches to twice the first answer's delay and four times the
    largest gap between answers: on a slow link (MS/TP behind a router) or a
    busy host the answers come further apart.
    """
    queue: asyncio.Queue = asyncio.Queue()

    def listener(apdu: Any) -> None:
        item = convert(apdu)
        if item is not None:
            queue.put_nowait(item)

    listeners.append(listener)
    found: list = []
    try:
        send()
        client.requests_sent += 1
        started = last = time.monotonic()
        deadline = started + max_wait
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            wait = min(remaining, quiet) if found else remaining
            try:
                item = await asyncio.wait_for(queue.get(), wait)
            except (asyncio.TimeoutError, TimeoutError):
                return
            now = time.monotonic()
            # Stretch the quiet period with the pace of answers: twice the first
            # answer's delay, four times the largest gap between answers.
            quiet = max(quiet, 2 * (now - started) if not found else 4 * (now - last))
            last = now
            found.append(item)
            yield item
            if enough(found):
                return
    finally:
        listeners.remove(listener)


async def who_is_stream(
    client: BacnetClient,
    low: int | None = None,
    high: int | None = None,
    *,
    address: str | None = None,
    network: int | None = None,
    quiet: float = DEFAULT_QUIET,
    max_wait: float = DEFAULT_MAX_WAIT,
) -> AsyncIterator[DeviceInfo]:
    """Yield each device the moment its I-Am arrives (deduplicated).

    ``address`` directs the Who-Is to one station; ``network`` sends it to
    every device on a remote network through its router. With ``low == high``
    the search ends on the first match.
    """
    _check_range(low, high)
    destination = _destination(address, network)
    seen: set[int] = set()

    def convert(apdu: IAmRequest) -> DeviceInfo | None:
        instance = apdu.iAmDeviceIdentifier[1]
        if instance in seen:
            return None
        if low is not None and not (low <= instance <= high):
            return None
        seen.add(instance)
        source = apdu.pduSource
        device = DeviceInfo(
            instance=instance,
            address=address_text(source),
            vendor_id=int(apdu.vendorID),
            max_apdu=int(apdu.maxAPDULengthAccepted),
            segmentation=str(apdu.segmentationSupported),
            network=source.addrNet,
        )
        client.remember(device)
        return device

    def send() -> None:
        request = WhoIsRequest(destination=destination)
        if low is not None:
            request.deviceInstanceRangeLowLimit = low
            request.deviceInstanceRangeHighLimit = high
        client.app.request(request)

    single = low is not None and low == high
    async for device in _quiet_stream(
        client,
        client.app.i_am_listeners,
        send,
        convert,
        quiet=quiet,
        max_wait=max_wait,
        enough=(lambda found: True) if single else (lambda found: False),
    ):
        yield device


async def who_is(client: BacnetClient, low: int | None = None, high: int | None = None, **kwargs: Any) -> list[DeviceInfo]:
    """Collect :func:`who_is_stream`, sorted by device instance."""
    devices = [device async for device in who_is_stream(client, low, high, **kwargs)]
    return sorted(devices, key=lambda d: d.instance)


async def find_device(client: BacnetClient, instance: int, *, max_wait: float | None = None) -> DeviceInfo:
    """Locate one device by instance with a ranged Who-Is (ends on its I-Am)."""
    if not 0 <= instance <= MAX_INSTANCE:
        raise InvalidInput(f"device instance {instance} is out of range 0..{MAX_INSTANCE}")
    window = max_wait or client.timeout
    for attempt in range(1 + STALL_RETRIES):
        started = time.monotonic()
        found = await who_is(client, instance, instance, max_wait=window)
        if found:
            return found[0]
        if not client.cut_short_by_stall(started, window):
            break  # a fair wait: the device did not answer
    raise BacnetTimeout(f"device {instance}: no I-Am within {window:g} s (offline, or on a network we cannot reach?)")


async def who_has(
    client: BacnetClient,
    object_id: str | ObjectId | None = None,
    name: str | None = None,
    *,
    low: int | None = None,
    high: int | None = None,
    address: str | None = None,
    network: int | None = None,
    quiet: float = DEFAULT_QUIET,
    max_wait: float = DEFAULT_MAX_WAIT,
) -> list[ObjectHolder]:
    """Which devices hold an object (by id) or an object name."""
    if (object_id is None) == (name is None):
        raise InvalidInput("who-has needs exactly one of an object id or an object name")
    _check_range(low, high)
    oid = parse_object_id(object_id) if object_id is not None else None
    destination = _destination(address, network)

    def convert(apdu: IHaveRequest) -> ObjectHolder | None:
        held = object_id_text(apdu.objectIdentifier)
        if oid is not None and held != str(oid):
            return None
        if name is not None and str(apdu.objectName) != name:
            return None
        return ObjectHolder(
            device_instance=apdu.deviceIdentifier[1],
            address=address_text(apdu.pduSource),
            object_id=held,
            object_name=str(apdu.objectName),
        )

    def send() -> None:
        request = WhoHasRequest(destination=destination)
        if low is not None:
            request.limits = WhoHasLimits(deviceInstanceRangeLowLimit=low, deviceInstanceRangeHighLimit=high)
        if oid is not None:
            request.object = WhoHasObject(objectIdentifier=bacnet_object_id(oid))
        else:
            request.object = WhoHasObject(objectName=name)
        client.app.request(request)

    holders = [h async for h in _quiet_stream(client, client.app.i_have_listeners, send, convert, quiet=quiet, max_wait=max_wait)]
    return sorted(holders, key=lambda h: (h.device_instance, h.object_id))


async def who_is_router_to_network(
    client: BacnetClient, network: int | None = None, *, address: str | None = None, wait: float = 2.0
) -> list[RouterInfo]:
    """Routers that answer Who-Is-Router-To-Network (optionally for one network)."""
    if network is not None and not 1 <= network <= 65534:
        raise InvalidInput(f"network number {network} is out of range 1..65534")
    destination = bacnet_address(address) if address else None
    client.requests_sent += 1
    return await ask_routers(client.app, network, destination, wait)


async def locate_device(client: BacnetClient, device: "DeviceInfo | str | int") -> DeviceInfo:
    """What a device said in its I-Am, for an instance, an address or a DeviceInfo.

    Resolve a device reference once at the edge and pass the DeviceInfo on:
    it carries the max APDU and segmentation that size RPM batches. An
    address not seen yet gets a Who-Is directed to it (a global one may not
    reach it, e.g. across loopback ports). Raises :class:`BacnetTimeout`
    when nothing answers.
    """
    if isinstance(device, DeviceInfo):
        return device
    text = device.strip() if isinstance(device, str) else None
    if isinstance(device, int) or (text is not None and text.isascii() and text.isdigit()):
        instance = device if isinstance(device, int) else ascii_int(text)
        return client.devices.get(instance) or await find_device(client, instance)
    if text is not None and text.lower().startswith("device"):
        return await locate_device(client, parse_object_id(text).instance)
    target = address_text(bacnet_address(device))
    found = client.device_at(target)
    if found is None:
        directed = await who_is(client, address=device, max_wait=client.timeout, quiet=0.05)
        found = next((d for d in directed if d.address == target), directed[0] if directed else None)
    if found is None:
        raise BacnetTimeout(f"{device}: no I-Am in answer to a directed Who-Is (offline or not BACnet?)")
    return found
