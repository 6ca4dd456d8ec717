"""COV subscriptions for the points on screen: changes arrive the moment they happen.

Devices that refuse SubscribeCOV (many field controllers) are remembered and
left to the poller, which keeps reading what COV does not carry (command
priority, out-of-service). Subscriptions end with an explicit cancel when a
point scrolls away; bacpypes3 would only abandon them if the task were
cancelled, so each watch waits on a stop event instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bacpypes3.primitivedata import ObjectIdentifier

from aso_runtime.bacnet import BacnetClient
from aso_runtime.bacnet.values import to_plain

from .site import Site

log = logging.getLogger("aso.console")

MAX_SUBSCRIPTIONS = 64  # per screen; far below what a controller's COV table holds
LIFETIME = 300  # s; bacpypes3 renews before it expires
COV_TYPES = ("analog-", "binary-", "multi-state-", "integer-value", "positive-integer-value", "large-analog-value")

Point = tuple[int, str]


class CovWatcher:
    def __init__(self, client: BacnetClient, site: Site, on_change: Callable[[int, str], None]) -> None:
        self.client = client
        self.site = site
        self.on_change = on_change
        self.unsupported: set[int] = set()  # devices that refused COV
        self._watches: dict[Point, tuple[asyncio.Task, asyncio.Event]] = {}

    @property
    def watching(self) -> set[Point]:
        return set(self._watches)

    def watch(self, points: list[Point]) -> None:
        """Subscribe to these points (up to the limit); drop the others."""
        wanted = [p for p in points if p[0] not in self.unsupported and p[1].startswith(COV_TYPES)]
        wanted = wanted[:MAX_SUBSCRIPTIONS]
        for point in set(self._watches) - set(wanted):
            self._stop(point)
        for point in wanted:
            if point not in self._watches:
                stop = asyncio.Event()
                task = asyncio.create_task(self._run(point, stop), name=f"cov:{point[0]}/{point[1]}")
                self._watches[point] = (task, stop)

    def _stop(self, point: Point) -> None:
        task, stop = self._watches.pop(point)
        stop.set()

    async def close(self) -> None:
        for point in list(self._watches):
            self._stop(point)

    async def _run(self, point: Point, stop: asyncio.Event) -> None:
        instance, object_id = point
        device = self.site.devices.get(instance)
        if device is None:
            return
        try:
            address, _ = await self.client.resolve(device.info)
            context = self.client.app.change_of_value(
                address, ObjectIdentifier(object_id), issue_confirmed_notifications=False, lifetime=LIFETIME)
            async with context as subscription:
                while not stop.is_set():
                    getter = asyncio.create_task(subscription.get_value())
                    stopper = asyncio.create_task(stop.wait())
                    done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
                    stopper.cancel()
                    if getter not in done:
                        getter.cancel()
                        break
                    prop, value = getter.result()
                    self._store(instance, object_id, str(prop), value)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # bacpypes3 errors are BaseException; a refusal means "poll this device"
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            self.unsupported.add(instance)
            log.info("device %s: no COV for %s (%s); polling instead", instance, object_id,
                     getattr(exc, "errorCode", None) or type(exc).__name__)
        finally:
            current = self._watches.get(point)
            if current is not None and current[1] is stop:
                self._watches.pop(point, None)

    def _store(self, instance: int, object_id: str, prop: str, value) -> None:
        name = {"present-value": "present-value", "status-flags": "status-flags"}.get(prop)
        if name is None:
            return
        state = self.site.live.setdefault((instance, object_id), {})
        plain = to_plain(value)
        if state.get(name, object()) != plain:
            state[name] = plain
            self.on_change(instance, object_id)
