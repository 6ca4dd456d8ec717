"""Filling the site model from the network: device details, point lists, the points' words.

Plain async code over the client and the :class:`Site` (no widgets): the
Explore pane runs it in its workers and redraws what changed. A device that
does not answer is marked offline and its error kept; it never stops the
discovery of the others.
"""

from __future__ import annotations

import logging

from aso_runtime.bacnet import (
    BacnetClient,
    BacnetError,
    BacnetTimeout,
    ValueKind,
    discover_objects,
    parse_object_id,
    read_many,
    value_kind,
)

from .screens.write_modal import PointForWrite
from .site import Site
from aso_runtime.verbs.labels import label_properties
from aso_runtime.verbs.text import PointLabels

log = logging.getLogger("aso.console")

LABEL_BATCH = 16  # objects per ReadPropertyMultiple of state words (state-text arrays can be long)
LIMITS = ["min-pres-value", "max-pres-value"]


class SiteLoader:
    def __init__(self, client: BacnetClient, site: Site) -> None:
        self.client = client
        self.site = site

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
