"""Demand control ventilation from zone occupancy (Guideline 36 / ASHRAE 62.1 zone calculation)."""

from __future__ import annotations

from ._common import AHU_MODE, MA_DAMPER, OCCUPIED, ZONE_MODE, SiteAso


class DemandControlVentilation(SiteAso):
    """Set the AHU's minimum outside air damper from how many zones are occupied.

    The simulated building has no CO2 sensors, so the people in each zone
    come from its occupancy mode (``vavs`` multi-state-value,1): an occupied
    zone counts its design occupants, a standby or unoccupied zone (vacant by
    its occupancy sensor, see ``occupied_standby``) counts none, as
    Guideline 36 allows. Per zone (ASHRAE 62.1): Vbz = Rp * Pz + Ra * Az;
    the system needs Vot = sum(Vbz) / Ev. With no airflow station the
    damper is scaled from the design minimum:
    position = ``design_min_oa`` * Vot / Vot(all zones occupied),
    never below ``min_oa_damper`` %.

    Commands the AHU mixed-air damper signal (``ahu`` analog-output,6), which
    drives the outside and return air dampers together. Steps aside
    (releases) when the AHU is not occupied (``ahu`` multi-state-value,1) or
    when the AHU's own program asks for more than the design minimum: it is
    economizing, and DCV must never cut free cooling. Writes only changes of
    ``deadband`` % or more.
    """

    step_interval = 300.0
    people_per_zone = 5.0  # Pz, design occupants
    cfm_per_person = 5.0  # Rp, office
    zone_area = 1000.0  # Az, ft2
    cfm_per_area = 0.06  # Ra, office
    zone_efficiency = 0.8  # Ev, system ventilation efficiency
    design_min_oa = 20.0  # % damper for Vot with every zone occupied (the AHU's fixed minimum)
    min_oa_damper = 5.0  # %
    deadband = 1.0  # %

    def zone_outdoor_air(self, occupied: bool) -> float:
        """Vbz in cfm."""
        return self.cfm_per_area * self.zone_area + (self.cfm_per_person * self.people_per_zone if occupied else 0.0)

    async def on_step(self) -> None:
        if await self.bacnet_read(self.ahu, AHU_MODE) != OCCUPIED:
            await self.relinquish(self.ahu, MA_DAMPER)
            return
        program = (await self.bacnet_priority_array(self.ahu, MA_DAMPER)).at(16).value
        if program is not None and program > self.design_min_oa + self.deadband:
            if await self.relinquish(self.ahu, MA_DAMPER):
                self.log.info("AHU economizing (%.0f %%): minimum outside air released", program)
            return
        modes = await self.read_each(self.vavs, ZONE_MODE)
        occupied = sum(mode == OCCUPIED for mode in modes.values())
        needed = sum(self.zone_outdoor_air(mode == OCCUPIED) for mode in modes.values()) / self.zone_efficiency
        design = len(self.vavs) * self.zone_outdoor_air(True) / self.zone_efficiency
        position = max(self.min_oa_damper, round(self.design_min_oa * needed / design, 1))
        if await self.command(self.ahu, MA_DAMPER, position, tolerance=self.deadband):
            self.log.info("%d of %d zones occupied: Vot %.0f cfm, minimum outside air %.1f %%",
                          occupied, len(modes), needed, position)
