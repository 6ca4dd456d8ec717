"""Filling the site model from the network: device details, point lists, the points' words.

Plain async code over the client and the :class:`Site` (no widgets): the
Explore pane runs it in its workers and redraws what changed. A device that
does not answer is marked offline and its error kept; it never stops the
discovery of the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aso_runtime.bacnet import (
    BacnetClient,
    BacnetError,
    BacnetTimeout,
    ValueKind,
    discover_objects,
    parse_object_id,
    read_many,
    value_kind,
    who_is_stream,
)
from aso_runtime.verbs.labels import label_properties
from aso_runtime.verbs.text import PointLabels

from .liveness import Liveness
from .screens.write_modal import PointForWrite
from .site import Site

log = logging.getLogger("aso.console")

POINT_LOADS_IN_PARALLEL = 8
LABEL_BATCH = 16  # objects per ReadPropertyMultiple of state words (state-text arrays can be long)
LIMITS = ["min-pres-value", "max-pres-value"]


Changed = Callable[[int, str], None]  # (device instance, "add" | "label" | "points")
Status = Callable[..., None]  # status(text, busy=...)


class SiteLoader:
    def __init__(self, client: BacnetClient, site: Site) -> None:
        self.client = client
        self.site = site
        self.liveness = Liveness(client, site)
        self._loads = asyncio.Semaphore(POINT_LOADS_IN_PARALLEL)

    async def discover(self, low: int | None, high: int | None, *, address: str | None, network: int | None,
                       changed: Changed, status: Status) -> list[int]:
        """Who-Is, each device's details and points read the moment its I-Am arrives.

        Returns the instances that answered. ``changed`` is told of each
        device added or updated (the tree redraws in batches); a new Who-Is
        cancelling this one cancels every read it started.
        """
        started = time.monotonic()
        found: list[int] = []
        loads: list[asyncio.Task] = []
        own = self.client.own_device
        if own is not None and own.instance not in self.site.devices:
            # Our own device (the kill switch, the ASOs' points) never answers our Who-Is.
            self.site.add(own)
            changed(own.instance, "add")
            loads.append(asyncio.create_task(self.load_device(own.instance, changed)))
        try:
            async for info in who_is_stream(self.client, low, high, address=address, network=network):
                device = self.site.add(info)
                self.liveness.heard(device.instance)
                changed(device.instance, "add")
                found.append(device.instance)
                loads.append(asyncio.create_task(self.load_device(device.instance, changed)))
                status(f"Who-Is: {len(found)} device(s)...", busy=True)
            log.info("who-is: %d device(s) in %.0f ms", len(found), (time.monotonic() - started) * 1000)
            status(f"{len(found)} device(s); reading names and point lists...", busy=True)
            await asyncio.gather(*loads)
        finally:
            for load in loads:
                load.cancel()
        return found

    async def load_device(self, instance: int, changed: Changed) -> None:
        async with self._loads:
            await self.details(instance)
            changed(instance, "label")
            await self.points(instance)
            changed(instance, "points")

    async def details(self, instance: int) -> None:
        """The device's name, model and vendor."""
        device = self.site.devices[instance]
        try:
            values = await read_many(self.client, device.info,
                                     [(f"device,{instance}", ["object-name", "model-name", "vendor-name"])])
        except BacnetError as exc:
            device.offline, device.error = isinstance(exc, BacnetTimeout), str(exc)
            return
        got = {v.property: v.value for v in values if v.ok}
        device.name, device.model, device.vendor = got.get("object-name"), got.get("model-name"), got.get("vendor-name")

    async def points(self, instance: int) -> None:
        """The device's point list, then the words of its binary and multi-state points."""
        device = self.site.devices[instance]
        try:
            points = await discover_objects(self.client, device.info)
        except BacnetError as exc:
            device.offline = isinstance(exc, BacnetTimeout)
            device.error = str(exc)
            device.points = device.points if device.points is not None else {}
            log.warning("device %s: point discovery failed: %s", instance, exc)
            return
        device.offline = False
        device.points = {p.object_id: p for p in points}
        await self.texts(instance)

    async def texts(self, instance: int) -> None:
        """active/inactive text and state text: ``Running`` instead of ``active``, ``occupied`` instead of 1.

        Optional properties: a device without them shows raw values.
        """
        device = self.site.devices[instance]
        wanted = [(p.oid, label_properties(p.oid)) for p in (device.points or {}).values()
                  if value_kind(p.oid) in (ValueKind.BINARY, ValueKind.MULTI_STATE)]
        for start in range(0, len(wanted), LABEL_BATCH):
            try:
                values = await read_many(self.client, device.info, wanted[start:start + LABEL_BATCH])
            except BacnetError as exc:
                log.info("device %s: no state texts (%s)", instance, exc)
                return
            found: dict[str, dict] = {}
            for value in values:
                if value.ok:
                    found.setdefault(value.object_id, {})[value.property] = value.value
            for object_id, properties in found.items():
                self.site.texts[(instance, object_id)] = PointLabels.from_properties(properties)

    async def point_for_write(self, instance: int, object_id: str) -> PointForWrite:
        """What the write modal needs: the point's words and, for an analog, its limits."""
        point = self.site.point(instance, object_id)
        present = self.site.live.get((instance, object_id), {}).get(
            "present-value", point.present_value if point else None)
        labels = self.site.labels(instance, object_id)
        low = high = None
        if value_kind(parse_object_id(object_id)) is ValueKind.ANALOG:
            try:
                values = await read_many(self.client, self.site.devices[instance].info, [(object_id, LIMITS)])
            except BacnetError:
                values = []  # limits are optional: the device checks the value anyway
            got = {v.property: v.value for v in values if v.ok and isinstance(v.value, (int, float))}
            low, high = got.get("min-pres-value"), got.get("max-pres-value")
        return PointForWrite(instance, object_id, (point.name if point else None) or object_id, present, labels,
                             low, high)
