"""VAV occupied-standby from occupancy sensors (Guideline 36 zone modes)."""

from __future__ import annotations

from typing import Any

from ..bacnet import BacnetRemoteError
from ._common import AHU_MODE, OCCUPIED, STANDBY, ZONE_MODE, SiteAso


class OccupiedStandby(SiteAso):
    """Put vacant zones in standby during occupied hours; hand them back when people return.

    While the schedule says occupied (``ahu`` multi-state-value,1), each
    zone's occupancy sensor is read: by default ``sensor_object``
    (binary-value,1, active = occupied) on the VAV box itself, as a lighting
    or access-control integration would map it; ``sensors`` maps a box to
    another ``(device, object)``. A zone vacant for ``standby_delay`` s
    (Guideline 36: 5 min) is commanded to standby (VAV multi-state-value,1 =
    3): the box widens its setpoints by 2 degF and halves its minimum
    airflow. When the sensor shows people again the command is released at
    once and the BAS's own mode (occupied) returns. Outside occupied hours
    every zone is released: standby only refines occupied mode.

    The simulated boxes have no occupancy sensor; a zone whose sensor point
    does not exist is left alone (logged once). Other read failures raise.
    """

    step_interval = 60.0
    standby_delay = 300.0  # s vacant before standby
    sensor_object = "binary-value,1"
    sensors: dict[int, Any] | None = None  # {vav: (device, object_id)}; None: sensor_object on each box

    def reset(self) -> None:
        self.vacant_since: dict[int, float] = {}
        self.missing: set[int] = set()

    async def occupied(self, vav: int) -> bool | None:
        """The zone's occupancy sensor: True, False, or None when the box has no sensor."""
        device, point = (self.sensors or {}).get(vav, (vav, self.sensor_object))
        try:
            return await self.bacnet_read(device, point) == "active"
        except BacnetRemoteError as exc:
            if exc.error_code != "unknown-object":
                raise
            if vav not in self.missing:
                self.missing.add(vav)
                self.log.warning("VAV %s: no occupancy sensor at %s %s; zone left alone", vav, device, point)
            return None

    async def on_step(self) -> None:
        scheduled = await self.bacnet_read(self.ahu, AHU_MODE) == OCCUPIED
        now = self.clock()
        for vav in self.vavs:
            occupied = await self.occupied(vav) if scheduled else None
            if occupied is False:
                since = self.vacant_since.setdefault(vav, now)
                if now - since >= self.standby_delay and await self.command(vav, ZONE_MODE, STANDBY):
                    self.log.info("VAV %s vacant for %.0f s: standby", vav, now - since)
                continue
            self.vacant_since.pop(vav, None)
            if await self.relinquish(vav, ZONE_MODE):
                self.log.info("VAV %s: %s, standby released", vav, "occupied again" if scheduled else "schedule unoccupied")
