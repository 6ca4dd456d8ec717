"""Live values for the rows on screen: RPM per device, coalesced, offline marked.

Polling reads only what is visible, batched by device, and writes into the
site's live dict; the app then updates changed cells in one batch. Devices
that stop answering are marked offline (not fatal) and come back when they
answer again.
"""

from __future__ import annotations

import asyncio
import logging

from aso_runtime.bacnet import BacnetClient, BacnetError, BacnetTimeout, read_many

from .site import Site, is_commandable_type

log = logging.getLogger("aso.console")

PLAIN = ["present-value", "status-flags", "out-of-service"]
COMMANDED = PLAIN + ["current-command-priority"]


class LivePoller:
    def __init__(self, client: BacnetClient, site: Site) -> None:
        self.client = client
        self.site = site

    async def poll(self, points: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], list[int]]:
        """Read the points; returns (changed points, devices whose online state flipped)."""
        by_device: dict[int, list[str]] = {}
        for instance, object_id in points:
            if instance in self.site.devices:
                by_device.setdefault(instance, []).append(object_id)
        results = await asyncio.gather(*(self._poll_device(i, ids) for i, ids in by_device.items()))
        changed = [point for batch, _ in results for point in batch]
        flipped = [instance for (_, flip), instance in zip(results, by_device) if flip]
        return changed, flipped

    async def _poll_device(self, instance: int, object_ids: list[str]) -> tuple[list[tuple[int, str]], bool]:
        device = self.site.devices[instance]
        requests = [(oid, COMMANDED if is_commandable_type(oid) else PLAIN) for oid in object_ids
                    if not oid.startswith(("device,", "network-port,"))]
        if not requests:
            return [], False
        was_offline = device.offline
        try:
            values = await read_many(self.client, device.info, requests)
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
            name = "ccp" if item.property == "current-command-priority" else item.property
            value = item.value if item.ok else state.get(name)
            if state.get(name, object()) != value:
                state[name] = value
                changed.add(key)
        return sorted(changed), was_offline
