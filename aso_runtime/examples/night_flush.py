"""Overnight building flush with cool outside air."""

from __future__ import annotations

from ._common import (AHU_MODE, COOLING_VALVE, DAMPER, FAN_CMD, FAN_SPEED, HEATING_VALVE, MA_DAMPER, OAT,
                      UNOCCUPIED, ZONE_TEMP, SiteAso, in_window)


class NightFlush(SiteAso):
    """Flush the building with outside air overnight while it is cooler than the zones.

    Between ``flush_start_hour`` and ``flush_end_hour`` (local time), while
    the schedule is unoccupied (``ahu`` multi-state-value,1 = 2) and the
    outside air (``ahu`` analog-input,5) is at least ``flush_delta`` degF
    below the average zone temperature (``vavs`` analog-input,1) and not
    below ``min_outdoor_temp`` (no heating penalty, no condensation), the
    ASO starts the supply fan (binary-output,1) at ``fan_speed`` %
    (analog-output,1), opens the economizer fully (mixed-air damper
    analog-output,6 = 100 %: outside air 100 %, return 0 %), closes both coil
    valves (analog-output,2 and 3) and opens the VAV dampers to
    ``zone_damper`` % (analog-output,1 on each box).

    It stops (releases everything) when the window ends, the schedule goes
    occupied, the zones are down to ``min_zone_temp``, or the outside air is
    no longer ``flush_delta / 2`` below the zones (hysteresis).
    Stored coolth means less cooling, and a smaller peak, in the morning.
    """

    step_interval = 60.0
    flush_start_hour = 1.0
    flush_end_hour = 6.0
    flush_delta = 5.0  # degF outside below the zones to start
    min_outdoor_temp = 50.0  # degF
    min_zone_temp = 68.0  # degF: stop before the morning needs heat
    fan_speed = 80.0  # %
    zone_damper = 100.0  # %

    def reset(self) -> None:
        self.flushing = False

    async def on_step(self) -> None:
        mode = await self.bacnet_read(self.ahu, AHU_MODE)
        outside = await self.bacnet_read(self.ahu, OAT)
        temps = await self.read_each(self.vavs, ZONE_TEMP)
        zones = sum(temps.values()) / len(temps)
        margin = self.flush_delta / 2 if self.flushing else self.flush_delta
        wanted = (in_window(self.hour(), self.flush_start_hour, self.flush_end_hour) and mode == UNOCCUPIED
                  and outside >= self.min_outdoor_temp and zones > self.min_zone_temp and outside <= zones - margin)
        if wanted != self.flushing:
            self.log.info("%s flush: outside %.1f degF, zones %.1f degF", "starting" if wanted else "ending", outside, zones)
            self.flushing = wanted
        if not wanted:
            await self.relinquish_all()
            return
        for point, value in ((FAN_CMD, "active"), (FAN_SPEED, self.fan_speed), (MA_DAMPER, 100.0),
                             (COOLING_VALVE, 0.0), (HEATING_VALVE, 0.0)):
            await self.command(self.ahu, point, value)
        for vav in self.vavs:
            await self.command(vav, DAMPER, self.zone_damper)
