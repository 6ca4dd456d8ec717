"""Live values for the rows on screen: RPM per device, coalesced, offline marked.

Polling reads only what is visible, batched by device, and writes into the
site's live dict; the app then updates changed cells in one batch. Devices
that stop answering are marked offline (not fatal) and come back when they
answer again. Each point is asked only for what its type has (the
object-type table): a device or a trend log has no present value to poll.
"""

from __future__ import annotations

import asyncio
import logging

from aso_runtime.bacnet import (
    BacnetClient,
    BacnetError,
    BacnetTimeout,
    ObjectId,
    discovery_properties,
    is_commandable,
    parse_object_id,
)

from .site import Site

log = logging.getLogger("aso.console")

LIVE = ("present-value", "status-flags", "out-of-service")  # what changes; name and units do not
COMMAND_PRIORITY = "current-command-priority"


def live_properties(oid: ObjectId) -> list[str]:
    """What a poll reads for one point: its changing properties, and the winning priority if commandable."""
    props = [p for p in discovery_properties(oid) if p in LIVE]
    if props and is_commandable(oid):
        props.append(COMMAND_PRIORITY)
    return props


class LivePoller:
    def __init__(self, client: BacnetClient, site: Site) -> None:
        self.client = client
        self.site = site

    async def poll(self, points: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], list[int]]:
        """Read the points; returns (changed points, devices whose online state flipped)."""
        by_device: dict[int, list[ObjectId]] = {}
        for instance, object_id in points:
            if instance in self.site.devices:
                by_device.setdefault(instance, []).append(parse_object_id(object_id))
        results = await asyncio.gather(*(self._poll_device(i, ids) for i, ids in by_device.items()))
        changed = [point for batch, _ in results for point in batch]
        flipped = [instance for (_, flip), instance in zip(results, by_device) if flip]
        return changed, flipped

    async def _poll_device(self, instance: int, oids: list[ObjectId]) -> tuple[list[tuple[int, str]], bool]:
        device = self.site.devices[instance]
        requests = [(oid, props) for oid in oids if (props := live_properties(oid))]
        if not requests:
            return [], False
        was_offline = device.offline
        try:
            values = await self.client.read_many(device.info, requests)
        except BacnetTimeout:
            device.offline = True
            return [], not was_offline
        except BacnetError as exc:
            log.debug("poll of device %s failed: %s", instance, exc)
            return [], False
        device.offline = False
        changed = set()
        for item in values:
            key = (instance, item.object_id)
            state = self.site.live.setdefault(key, {})
            name = "ccp" if item.property == COMMAND_PRIORITY else item.property
            value = item.value if item.ok else state.get(name)
            if state.get(name, object()) != value:
                state[name] = value
                changed.add(key)
        return sorted(changed), was_offline
