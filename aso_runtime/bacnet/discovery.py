"""Finding devices: Who-Is (streamed, ends on quiet), Who-Has, routers.

Common tools sit out a fixed 3 s (bacnet-stack 9 s) after a Who-Is although
on a real BACnet/IP site the last I-Am arrives within about 10 ms. We yield
each device the moment its I-Am arrives and stop after a quiet period with
no new answers, bounded by a maximum wait.
"""

from __future__ import annotations

import asyncio
import collections
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
from .errors import BacnetError, BacnetTimeout, InvalidInput
from .ids import MAX_INSTANCE, ObjectId, ascii_int, parse_object_id
from .routes import ROUTER_WAIT
from .stall import LatenessProbe
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


Listener = Callable[[Any], None]
Listen = Callable[[Listener], Callable[[], None]]  # add a listener; returns what removes it


def _on(listeners: list) -> Listen:
    """Listen on one of the application's lists of listeners (I-Am, I-Have)."""

    def listen(listener: Listener) -> Callable[[], None]:
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    return listen


class _Pace:
    """When the answers to one search arrived, and how far apart the network sent them.

    Each answer is stamped in the listener, the moment the stack hands it
    over, not when the consumer gets round to it: ``discover --all`` starts
    every device's reads on the same loop, and the consumer then takes each
    queued I-Am up to ~100 ms after it came. How long an answer may have sat
    unread because our loop was busy (the :class:`LatenessProbe`'s measure)
    is our stall, not the network's pace: it does not stretch the quiet
    period, and it does not count as quiet either.
    """

    def __init__(self, quiet: float) -> None:
        self.quiet = quiet
        self.sent = self.last = time.monotonic()
        self.answers = 0
        self.probe = LatenessProbe()

    def arrived(self) -> None:
        now = time.monotonic()
        network = max(0.0, now - self.last - self.probe.late_since(self.last))
        # Twice the first answer's delay, four times the largest gap between answers:
        # on a slow link (MS/TP behind a router) the answers come further apart.
        self.quiet = max(self.quiet, (2 if self.answers == 0 else 4) * network)
        self.last = now
        self.answers += 1

    @property
    def quiet_until(self) -> float:
        """When the search has been quiet long enough: our own stalls since the last answer do not count.

        While our loop is stalled an answer cannot be read; it waits at most that long in the socket.
        """
        return self.last + self.quiet + self.probe.late_since(self.last)


async def _quiet_stream(
    client: BacnetClient,
    what: str,
    listen: Listen,
    send: Callable[[], None],
    convert: Callable[[Any], Any | None],
    *,
    quiet: float,
    max_wait: float,
    enough: Callable[[list], bool] = lambda found: False,
) -> AsyncIterator[Any]:
    """Send an unconfirmed request and yield converted answers until quiet.

    Ends ``quiet`` seconds after the last answer arrived (after at least one
    answer), when ``max_wait`` has passed, or when ``enough`` says so. The
    quiet period stretches to twice the first answer's delay and four times
    the largest gap between answers, both net of our own loop's stalls (see
    :class:`_Pace`). An answer that waited in the socket while our loop was
    busy is still taken. Why it ended is logged (DEBUG, ``aso.bacnet``,
    with ``search`` and ``ended`` = quiet / max-wait / enough).
    """
    arrived: collections.deque = collections.deque()
    wake = asyncio.Event()

    def listener(apdu: Any) -> None:
        item = convert(apdu)
        if item is not None:
            pace.arrived()
            arrived.append(item)
            wake.set()

    stop_listening = listen(listener)
    found: list = []
    ended = "closed"  # the consumer stopped early (or an error)
    pace = _Pace(quiet)  # no answer can come before the request leaves: no await in between
    pace.probe.start()
    try:
        send()
        client.requests_sent += 1
        deadline = pace.sent + max_wait
        while True:
            while arrived:
                found.append(arrived.popleft())
                yield found[-1]
                if enough(found):
                    ended = "enough"
                    return
            end = min(deadline, pace.quiet_until) if found else deadline
            now = time.monotonic()
            if now >= end:
                ended = "quiet" if end < deadline else "max-wait"
                return
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), end - now)
            except (asyncio.TimeoutError, TimeoutError):
                pass  # what arrived meanwhile is taken first; then the clock decides
    finally:
        stop_listening()
        pace.probe.stop()
        last = f"the last {pace.last - pace.sent:.3f} s after sending" if pace.answers else "none"
        log.debug("%s ended on %s after %.3f s: %d answer(s) (%s), quiet period %.3f s", what, ended,
                  time.monotonic() - pace.sent, pace.answers, last, pace.quiet,
                  extra={"search": what, "ended": ended, "quiet_s": pace.quiet})


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
        "who-is",
        _on(client.app.i_am_listeners),
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

    holders = [h async for h in _quiet_stream(client, "who-has", _on(client.app.i_have_listeners), send, convert,
                                              quiet=quiet, max_wait=max_wait)]
    return sorted(holders, key=lambda h: (h.device_instance, h.object_id))


class _RouterAnswers:
    """Hands each I-Am-Router-To-Network to a listener while a search runs.

    bacpypes3's network layer offers every I-Am-Router-To-Network to the
    ``match`` of each entry of ``nse.who_is_router_to_network_futures`` (its
    own pending searches); this sits in that list for as long as we listen.
    """

    def __init__(self, listener: Listener) -> None:
        self._listener = listener

    def match(self, adapter: Any, npdu: Any) -> None:
        self._listener(npdu)


async def who_is_router_to_network(
    client: BacnetClient,
    network: int | None = None,
    *,
    address: str | None = None,
    quiet: float = DEFAULT_QUIET,
    max_wait: float = ROUTER_WAIT,
    wait: float | None = None,
) -> list[RouterInfo]:
    """Routers that answer Who-Is-Router-To-Network (optionally for one network).

    Ends like a Who-Is: ``quiet`` s after the last answer (stretched with the
    pace of answers), at ``max_wait`` s at the latest, and on the first
    answer when asking for one ``network`` or one router's ``address``
    (bacpypes3's own search waits a fixed 2 s). ``wait`` is the old name of
    ``max_wait``. Raises :class:`BacnetError` if the stack cannot send it.
    """
    if wait is not None:
        max_wait = wait
    if network is not None and not 1 <= network <= 65534:
        raise InvalidInput(f"network number {network} is out of range 1..65534")
    destination = bacnet_address(address) if address else None
    one_router = destination is not None and destination.addrType in (Address.localStationAddr,
                                                                       Address.remoteStationAddr)
    nse = client.app.nse
    asked: list[asyncio.Future] = []

    def listen(listener: Listener) -> Callable[[], None]:
        hook = _RouterAnswers(listener)
        nse.who_is_router_to_network_futures.append(hook)
        return lambda: nse.who_is_router_to_network_futures.remove(hook)

    def convert(npdu: Any) -> tuple[str, list[int]] | None:
        networks = [int(n) for n in npdu.iartnNetworkList]
        if network is not None and network not in networks:
            return None
        if one_router and address_text(npdu.npduSADR or npdu.pduSource) != address_text(destination):
            return None  # another router's announcement, not the answer we asked for
        return address_text(npdu.pduSource), networks

    def send() -> None:
        try:
            asked.append(nse.who_is_router_to_network(destination=destination, network=network))
        except BaseException as exc:  # bacpypes3 errors are BaseException
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            raise BacnetError(f"who-is-router-to-network: {exc}") from None

    routers: dict[str, set[int]] = {}
    try:
        async for router, networks in _quiet_stream(
            client, "who-is-router-to-network", listen, send, convert, quiet=quiet, max_wait=max_wait,
            enough=(lambda found: True) if network is not None or one_router else (lambda found: False),
        ):
            routers.setdefault(router, set()).update(networks)
    finally:
        for future in asked:
            future.cancel()  # bacpypes3's own search: drops it from the pending list, stops its 2 s timer
    return [RouterInfo(router, sorted(nets)) for router, nets in sorted(routers.items())]


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
