"""The client's core: lifecycle, the devices it knows, and the one boundary every request crosses.

:meth:`ClientCore._call` is where bacpypes3's ``BaseException`` errors
become our ``Exception`` types, each call is bounded by a timeout, and a
per-device semaphore keeps us far from the 255 outstanding-request cliff
(past it bacpypes3 spins and freezes the loop). The services (read, write,
priority arrays, COV...) are in ``client.py`` and all come through here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from bacpypes3.apdu import ErrorRejectAbortNack
from bacpypes3.pdu import Address

from .directory import DeviceDirectory
from .errors import BacnetError, BacnetTimeout, InvalidInput
from .local import UdpAddress
from .routes import Routes
from .stall import LoopStallClock
from .translate import translate
from .types import DeviceInfo

if TYPE_CHECKING:
    from .cov import CovSubscription

log = logging.getLogger("aso.bacnet")

T = TypeVar("T")
Device = "str | int | DeviceInfo"  # an address, a device instance, or an I-Am's DeviceInfo

DEFAULT_TIMEOUT = 3.0
DEFAULT_PER_DEVICE_LIMIT = 8
DEFAULT_IN_FLIGHT_LIMIT = 64  # all devices together: keeps our own loop and the LAN unflooded
STALL_RETRIES = 3  # times a request is asked again because our own loop stalled past its deadline
CLOSE_WAIT = 1.0  # s to let COV cancellations reach their devices when the client closes


class ClientCore:
    """What every client request relies on; :class:`BacnetClient` adds the services.

    ``find_device(client, instance)`` is the Who-Is lookup of a device by
    instance (given by ``open_client``); without it, only devices already
    known (or given by address) can be reached.
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
        find_device: Callable[[Any, int], Awaitable[DeviceInfo]] | None = None,
        own_address: str | None = None,
    ) -> None:
        self.app = app  # the bacpypes3 Application: for aso_runtime.bacnet only
        self._in_flight = asyncio.Semaphore(in_flight_limit)
        self.timeout = timeout
        self.per_device_limit = per_device_limit
        self.local_address = local_address  # a label for messages and logs
        self.directory = DeviceDirectory(udp_address, (lambda n: find_device(self, n)) if find_device else None)
        self._routes = Routes(app)
        self._limits: dict[str, asyncio.Semaphore] = {}
        # Devices that refused RPM once: go straight to single reads next time.
        self.no_rpm: set[str] = set()
        self.requests_sent = 0
        self.writes_sent = 0  # WriteProperty / WPM requests that reached the wire
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._subscriptions: set["CovSubscription"] = set()
        self._background: set[asyncio.Task] = set()
        self._stall_clock = LoopStallClock()
        self._stall_clock.start()
        self.own_device: DeviceInfo | None = None
        if own_address is not None:
            # Our own device never hears its own I-Am: known from the start, so it can be
            # read (and its kill switch written) by instance like any other device.
            device = self.app.device_object
            self.own_device = DeviceInfo(self.device_instance, own_address, int(device.vendorIdentifier),
                                         int(device.maxApduLengthAccepted), str(device.segmentationSupported))
            self.remember(self.own_device)

    @property
    def outstanding_requests(self) -> int:
        """Confirmed requests sent and not yet answered (past 255 to one peer bacpypes3 would spin)."""
        return sum(len(waiting) for waiting in self.app._requests.values())

    @property
    def device_instance(self) -> int:
        """Our own device's instance number."""
        return int(self.app.device_object.objectIdentifier[1])

    # ----- lifecycle -------------------------------------------------------

    def on_close(self, closer: Callable[[], Awaitable[None]]) -> None:
        self._closers.append(closer)

    async def close(self) -> None:
        """Cancel open COV subscriptions (bounded wait), then close the application."""
        for subscription in list(self._subscriptions):
            self._track(asyncio.ensure_future(subscription._cancel()))
        if self._background:
            await asyncio.wait(set(self._background), timeout=min(self.timeout, CLOSE_WAIT))
        self._stall_clock.stop()
        for closer in reversed(self._closers):
            await closer()
        self._closers.clear()

    async def __aenter__(self) -> "ClientCore":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _track(self, task: asyncio.Future) -> None:
        """Keep a fire-and-forget request alive until done; :meth:`close` waits for it."""
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ----- devices ---------------------------------------------------------

    @property
    def udp_address(self) -> UdpAddress | None:
        return self.directory.udp_address

    @property
    def devices(self) -> dict[int, DeviceInfo]:
        """Devices seen in I-Ams, by instance."""
        return self.directory.devices

    def remember(self, device: DeviceInfo) -> None:
        self.directory.remember(device)

    def device_at(self, address: str) -> DeviceInfo | None:
        return self.directory.device_at(address)

    async def resolve(self, device: Device) -> tuple[Address, str]:
        """The Address of ONE device and a label; see :meth:`DeviceDirectory.resolve`."""
        return await self.directory.resolve(device)

    async def check_route(self, address: Address) -> None:
        """Make sure a remote network is reachable before sending to it (see ``routes.py``)."""
        if await self._routes.check(address, wait=min(self.timeout, 2.0)):
            self.requests_sent += 1

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
