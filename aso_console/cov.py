"""COV subscriptions for the points on screen: changes arrive the moment they happen.

Only types the standard lets report changes are subscribed (the object-type
table). A device that refuses SubscribeCOV altogether (many field
controllers) is remembered and left to the poller, which keeps reading what
COV does not carry (command priority, out-of-service); an object that
refuses is left to the poller on its own. A point that scrolls away has its
task cancelled: the client's subscription cancels itself on the device on
every way out, so nothing is left subscribed behind us.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aso_runtime.bacnet import BacnetClient, BacnetError, BacnetRemoteError, cov_capable, parse_object_id

from .site import Site

log = logging.getLogger("aso.console")

MAX_SUBSCRIPTIONS = 64  # per screen; far below what a controller's COV table holds
LIFETIME = 300  # s; the client renews before it expires
CLOSE_WAIT = 2.0  # s to let cancellations reach the devices when the console closes
SHOWN = ("present-value", "status-flags")  # what COV carries that the table shows
# Refusals that concern one object, not the device's COV service as a whole.
_OBJECT_REFUSALS = ("cov-subscription-failed", "unknown-object", "not-cov-property",
                    "optional-functionality-not-supported")

Point = tuple[int, str]


class CovWatcher:
    def __init__(self, client: BacnetClient, site: Site, on_change: Callable[[int, str], None]) -> None:
        self.client = client
        self.site = site
        self.on_change = on_change
        self.unsupported: set[int] = set()  # devices that refused COV: polled instead
        self.unsupported_points: set[Point] = set()  # objects that refused: polled instead
        self._watches: dict[Point, asyncio.Task] = {}
        self._subscribed: set[Point] = set()

    @property
    def watching(self) -> set[Point]:
        """Points a subscription is wanted for (being made, or made)."""
        return set(self._watches)

    @property
    def subscribed(self) -> set[Point]:
        """Points whose device accepted the subscription: their changes arrive by COV."""
        return set(self._subscribed)

    def watch(self, points: list[Point]) -> None:
        """Subscribe to these points (up to the limit); drop the others."""
        wanted = [p for p in points if self._may_subscribe(p)][:MAX_SUBSCRIPTIONS]
        for point in set(self._watches) - set(wanted):
            self._watches.pop(point).cancel()
        for point in wanted:
            if point not in self._watches:
                self._watches[point] = asyncio.create_task(self._run(point), name=f"cov:{point[0]}/{point[1]}")

    def _may_subscribe(self, point: Point) -> bool:
        instance, object_id = point
        if instance in self.unsupported or point in self.unsupported_points:
            return False
        try:
            return cov_capable(parse_object_id(object_id))
        except BacnetError:
            return False

    async def close(self) -> None:
        """Drop every subscription and wait (briefly) for the cancellations to be sent."""
        tasks = list(self._watches.values())
        self._watches.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=CLOSE_WAIT)

    async def _run(self, point: Point) -> None:
        instance, object_id = point
        device = self.site.devices.get(instance)
        if device is None:
            return
        try:
            async with self.client.cov(device.info, object_id, lifetime=LIFETIME) as changes:
                self._subscribed.add(point)
                async for change in changes:
                    if change.property in SHOWN:
                        self._store(instance, object_id, change.property, change.value)
        except BacnetRemoteError as exc:
            if exc.error_code in _OBJECT_REFUSALS:
                self.unsupported_points.add(point)
            else:
                self.unsupported.add(instance)
            log.info("device %s: no COV for %s (%s); polling instead", instance, object_id, exc.error_code)
        except BacnetError as exc:  # a reject (no COV service), a timeout: poll the whole device
            self.unsupported.add(instance)
            log.info("device %s: no COV for %s (%s); polling instead", instance, object_id, exc)
        finally:
            self._subscribed.discard(point)
            if self._watches.get(point) is asyncio.current_task():
                self._watches.pop(point, None)

    def _store(self, instance: int, object_id: str, name: str, value) -> None:
        state = self.site.live.setdefault((instance, object_id), {})
        if state.get(name, object()) != value:
            state[name] = value
            self.on_change(instance, object_id)
