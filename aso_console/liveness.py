"""Which devices still answer: every known device, not only the one on screen.

The live poller reads only the rows on screen, so a device nobody looks at
could be dead for hours and still look fine in the tree. Every so often each
device that has not been heard from recently is asked for its object-name
(one small read); a timeout marks it offline, an answer marks it back.
"""

from __future__ import annotations

import asyncio
import time

from aso_runtime.bacnet import BacnetClient, BacnetError, BacnetTimeout

from .site import Site

QUIET_BEFORE_CHECK = 25.0  # s without hearing from a device before it is asked


class Liveness:
    """Remembers when each device was last heard and checks the quiet ones."""

    def __init__(self, client: BacnetClient, site: Site) -> None:
        self.client = client
        self.site = site
        self._heard: dict[int, float] = {}

    def heard(self, instance: int) -> None:
        self._heard[instance] = time.monotonic()

    def quiet(self, older_than: float = QUIET_BEFORE_CHECK) -> list[int]:
        now = time.monotonic()
        return [i for i in self.site.devices if now - self._heard.get(i, 0.0) >= older_than]

    async def check(self, instances: list[int]) -> list[int]:
        """Ask each device once (in parallel); returns those whose offline state flipped."""
        flips = await asyncio.gather(*(self._check_one(i) for i in instances))
        return [instance for instance, flipped in zip(instances, flips) if flipped]

    async def _check_one(self, instance: int) -> bool:
        device = self.site.devices.get(instance)
        if device is None:
            return False
        was = device.offline
        try:
            await self.client.read(device.info, f"device,{instance}", "object-name")
        except BacnetTimeout:
            device.offline = True
        except BacnetError:
            device.offline = False  # it answered, if only with an error
            self.heard(instance)
        else:
            device.offline = False
            self.heard(instance)
        return device.offline != was
