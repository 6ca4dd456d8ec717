"""Finding things: Who-Is (streamed, ends on quiet), Who-Has, routers, point lists.

Common tools sit out a fixed 3 s (bacnet-stack 9 s) after a Who-Is although
on a real BACnet/IP site the last I-Am arrives within about 10 ms. We yield
each device the moment its I-Am arrives and stop after a quiet period with
no new answers, bounded by a maximum wait.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bacpypes3.apdu import IAmRequest, IHaveRequest, WhoHasRequest, WhoIsRequest
from bacpypes3.basetypes import WhoHasLimits, WhoHasObject
from bacpypes3.pdu import Address, GlobalBroadcast, RemoteBroadcast

from .client import BacnetClient, address_text, read_many
from .errors import BacnetError, BacnetTimeout, InvalidInput
from .ids import MAX_INSTANCE, ObjectId, parse_object_id
from .types import DeviceInfo, ObjectHolder, ObjectInfo, RouterInfo
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
        return BacnetClient._address(address)
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
    found = await who_is(client, instance, instance, max_wait=max_wait or client.timeout)
    if not found:
        raise BacnetTimeout(f"device {instance}: no I-Am within {max_wait or client.timeout:g} s (offline, or on a network we cannot reach?)")
    return found[0]


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
        from .client import bacnet_object_id

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
    destination = BacnetClient._address(address) if address else None
    future = client.app.nse.who_is_router_to_network(destination=destination, network=network)
    client.requests_sent += 1
    try:
        results = await asyncio.wait_for(asyncio.shield(future), wait)
    except (asyncio.TimeoutError, TimeoutError):
        results = []
        if future.done() and not future.cancelled():
            results = future.result()
    except BaseException as exc:  # bacpypes3 errors are BaseException
        if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt, SystemExit)):
            raise
        raise BacnetError(f"who-is-router-to-network: {exc}") from None
    routers: dict[str, set[int]] = {}
    for _adapter, npdu in results or []:
        routers.setdefault(address_text(npdu.pduSource), set()).update(int(n) for n in npdu.iartnNetworkList)
    return [RouterInfo(address, sorted(nets)) for address, nets in sorted(routers.items())]


# ----- point discovery ------------------------------------------------------

# Ask each object type only for what it has: that, and batching, is what makes
# discovery fast (see BACNET-NOTES).
_VALUE_PROPS = ["object-name", "present-value", "status-flags", "out-of-service"]
_ANALOG_PROPS = ["object-name", "present-value", "units", "status-flags", "out-of-service"]
_NAME_ONLY = ["object-name"]


def properties_for(object_type: str) -> list[str]:
    if object_type.startswith(("analog-", "large-analog", "accumulator", "pulse-converter", "averaging")):
        return _ANALOG_PROPS
    if object_type.startswith(("binary-", "multi-state-", "integer-value", "positive-integer-value",
                               "characterstring-value", "loop", "schedule", "lighting-output",
                               "binary-lighting-output", "calendar")):
        return _VALUE_PROPS
    return _NAME_ONLY


# Bytes an answer costs per object and per property, for sizing RPM batches
# to a device's max APDU (object names dominate; 32 chars is typical).
_BYTES_PER_OBJECT = 12
_BYTES_PER_PROPERTY = 14
_NAME_BYTES = 40


def batch_size(max_apdu: int, segmented: bool, props: list[str]) -> int:
    """How many objects fit one RPM answer to this device."""
    per_object = _BYTES_PER_OBJECT + _BYTES_PER_PROPERTY * len(props) + (_NAME_BYTES if "object-name" in props else 0)
    budget = (max_apdu if not segmented else max(max_apdu, 1476) * 8) - 16
    return max(1, min(64, budget // per_object))


async def object_list(client: BacnetClient, device: DeviceInfo) -> list[str]:
    """The device's object-list; index by index if the whole array is too big."""
    device_id = f"device,{device.instance}"
    try:
        value = await client.read(device, device_id, "object-list")
        if isinstance(value, list):
            return [str(v) for v in value]
    except BacnetTimeout:
        raise
    except BacnetError as exc:
        log.info("device %s: whole object-list failed (%s); reading it index by index", device.instance, exc)
    count = await client.read(device, device_id, "object-list", 0)
    indexes = range(1, int(count) + 1)
    items = await asyncio.gather(*(client.read(device, device_id, "object-list", i) for i in indexes))
    return [str(item) for item in items]


async def discover_objects(
    client: BacnetClient, device: DeviceInfo | str | int, *, properties: Sequence[str] | None = None
) -> list[ObjectInfo]:
    """Every object of a device with name, present value, units, status flags, out-of-service.

    Object-list first (falls back to index-by-index for devices that cannot
    segment), then RPM batches sized to the device's max APDU; a batch that
    fails is split, and single reads are the last resort. Unknown object
    types (color, proprietary) are read on their own so they cannot poison a
    batch. ``properties`` narrows what is read (e.g. ``["object-name",
    "present-value", "units"]``); object-name is always read. Raises
    :class:`BacnetTimeout` only if the device stops answering.
    """
    if not isinstance(device, DeviceInfo):
        if isinstance(device, int) or (isinstance(device, str) and device.isdigit()):
            device = client.devices.get(int(device)) or await find_device(client, int(device))
        else:
            found = client.device_at(address_text(BacnetClient._address(device)))
            if found is None:
                # A Who-Is directed to that address (a global one may not reach
                # it, e.g. across loopback ports); its I-Am says who it is.
                target = address_text(BacnetClient._address(device))
                directed = await who_is(client, address=device, max_wait=client.timeout, quiet=0.05)
                found = next((d for d in directed if d.address == target), directed[0] if directed else None)
                if found is None:
                    raise BacnetTimeout(f"{device}: no I-Am in answer to a directed Who-Is (offline or not BACnet?)")
            device = found
    ids = await object_list(client, device)
    segmented = device.segmentation in ("segmented-both", "segmented-transmit")
    groups: dict[tuple[str, ...], list[str]] = {}
    for oid in ids:
        object_type = oid.split(",")[0]
        if object_type.isdigit() or object_type.startswith("proprietary") or object_type in ("color", "color-temperature"):
            groups.setdefault(("object-name", "#single"), []).append(oid)
        else:
            wanted = [p for p in properties_for(object_type)
                      if properties is None or p in properties or p == "object-name"]
            groups.setdefault(tuple(wanted), []).append(oid)

    results: dict[str, dict[str, Any]] = {oid: {} for oid in ids}
    jobs = []
    for props, members in groups.items():
        if "#single" in props:
            jobs.extend(_read_batch(client, device, [oid], ["object-name"], results, allow_rpm=False) for oid in members)
            continue
        size = batch_size(device.max_apdu, segmented, list(props))
        for start in range(0, len(members), size):
            jobs.append(_read_batch(client, device, members[start:start + size], list(props), results))
    await asyncio.gather(*jobs)

    points = []
    for oid in ids:
        got = results[oid]
        errors = {k[1:]: v for k, v in got.items() if k.startswith("!")}
        points.append(
            ObjectInfo(
                device_instance=device.instance,
                object_id=oid,
                name=got.get("object-name"),
                present_value=got.get("present-value"),
                units=got.get("units"),
                status_flags=got.get("status-flags"),
                out_of_service=got.get("out-of-service"),
                errors=errors,
            )
        )
    return points


async def _read_batch(
    client: BacnetClient,
    device: DeviceInfo,
    oids: list[str],
    props: list[str],
    results: dict[str, dict[str, Any]],
    *,
    allow_rpm: bool = True,
    retried: bool = False,
) -> None:
    """Read ``props`` of ``oids``: RPM, halve on failure, single reads last."""
    values = None
    if allow_rpm and str(BacnetClient._address(device.address)) not in client.no_rpm:
        try:
            values = await client.read_multiple(device, [(oid, props) for oid in oids])
        except BacnetTimeout:
            # A big answer from a busy device can miss the timeout where two
            # halves would not; a device that is really gone fails both.
            if len(oids) < 2 or retried:
                raise
            half = len(oids) // 2
            await asyncio.gather(
                _read_batch(client, device, oids[:half], props, results, retried=True),
                _read_batch(client, device, oids[half:], props, results, retried=True),
            )
            return
        except InvalidInput:
            raise
        except BacnetError as exc:
            reason = getattr(exc, "reason", "") or getattr(exc, "error_code", "")
            if reason in ("unrecognized-service", "service-request-denied"):
                client.no_rpm.add(str(BacnetClient._address(device.address)))
            elif len(oids) > 1:
                half = len(oids) // 2
                await asyncio.gather(
                    _read_batch(client, device, oids[:half], props, results),
                    _read_batch(client, device, oids[half:], props, results),
                )
                return
    if values is None:
        values = await read_many(client, device, [(oid, props) for oid in oids]) if allow_rpm else await _singles(client, device, oids, props)
    for value in values:
        slot = results.setdefault(value.object_id, {})
        if value.ok:
            slot[value.property] = value.value
        else:
            slot["!" + value.property] = value.error


async def _singles(client: BacnetClient, device: DeviceInfo, oids: list[str], props: list[str]):
    from .client import read_singly

    return await read_singly(client, device, [(oid, props) for oid in oids])


@dataclass(frozen=True)
class DeviceDiscovery:
    """One device of a site discovery: its points, or why they could not be read."""

    device: DeviceInfo
    points: list[ObjectInfo]
    error: str | None = None


async def discover_site(
    client: BacnetClient,
    low: int | None = None,
    high: int | None = None,
    *,
    concurrency: int = 16,
    properties: Sequence[str] | None = None,
    **search: Any,
) -> AsyncIterator[DeviceDiscovery]:
    """Who-Is, then every device's points, each started the moment its I-Am arrives.

    Yields per device as its point list completes (a device that fails is
    yielded with ``error``). ``concurrency`` devices are read at once; the
    client's per-device and in-flight limits still apply. ``search`` takes
    who_is_stream's options (address, network, quiet, max_wait).
    """
    limit = asyncio.Semaphore(concurrency)
    done: asyncio.Queue = asyncio.Queue()

    async def one(device: DeviceInfo) -> None:
        async with limit:
            try:
                result = DeviceDiscovery(device, await discover_objects(client, device, properties=properties))
            except BacnetError as exc:
                result = DeviceDiscovery(device, [], str(exc))
        done.put_nowait(result)

    tasks = []
    try:
        async for device in who_is_stream(client, low, high, **search):
            tasks.append(asyncio.create_task(one(device)))
        for _ in tasks:
            yield await done.get()
    finally:
        for task in tasks:
            task.cancel()
