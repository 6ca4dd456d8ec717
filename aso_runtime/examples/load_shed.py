"""Electrical load shed in stages on the main meter's demand."""

from __future__ import annotations

from ._common import COOLING_SP, FAN_SPEED, HEAT_PUMPS, METER_KW, SiteAso, hp_enable, hp_status

STAGES = 3


class LoadShed(SiteAso):
    """Shed HVAC load in three stages while the building's kW is above a limit.

    Every step reads the main meter's demand (``meter`` analog-input,1, kW).
    When it has stayed above ``kw_limit`` for ``stage_up_delay`` s, one more
    stage is shed; when it has stayed below ``kw_limit - kw_deadband`` for
    ``stage_down_delay`` s, the last stage is restored (its points released).
    Each timer restarts after a stage change, so stages move one at a time.

    1. Raise every VAV cooling setpoint (analog-value,1) ``setpoint_raise``
       degF above what the BAS has there (skipping boxes an operator holds).
    2. Cap the AHU supply fan speed (analog-output,1) at ``fan_speed_limit`` %
       whenever the AHU's own loop asks for more.
    3. Disable running heat pumps (plant binary-output,1..4), highest number
       first, keeping ``heat_pumps_kept`` running.

    The long stage-down delay stops the shed from cycling as the building
    recovers. Failure modes: a meter that does not answer raises (the ASO
    faults and everything it holds is released: no shed is better than a
    blind one).
    """

    step_interval = 60.0
    kw_limit = 40.0  # kW
    kw_deadband = 2.0  # kW below the limit before restoring
    stage_up_delay = 300.0  # s above the limit before shedding one more stage
    stage_down_delay = 900.0  # s below limit - deadband before restoring one stage
    setpoint_raise = 2.0  # degF
    fan_speed_limit = 50.0  # %
    heat_pumps_kept = 1

    def reset(self) -> None:
        self.stage = 0
        self.above_since: float | None = None
        self.below_since: float | None = None

    async def on_step(self) -> None:
        kw = await self.bacnet_read(self.meter, METER_KW)
        now = self.clock()
        self.log.info("demand %.1f kW (limit %.1f kW), stage %d of %d", kw, self.kw_limit, self.stage, STAGES)
        self.above_since = (self.above_since or now) if kw > self.kw_limit else None
        self.below_since = (self.below_since or now) if kw < self.kw_limit - self.kw_deadband else None
        if self.above_since is not None and self.stage < STAGES and now - self.above_since >= self.stage_up_delay:
            self.stage += 1
            self.above_since = now
            self.log.warning("demand %.1f kW above %.1f kW: shedding stage %d", kw, self.kw_limit, self.stage)
        elif self.below_since is not None and self.stage > 0 and now - self.below_since >= self.stage_down_delay:
            await self.restore(self.stage)
            self.stage -= 1
            self.below_since = now
            self.log.info("demand %.1f kW: restored, now at stage %d", kw, self.stage)
        # Re-applied every step: the BAS's setpoints and the plant's staging move underneath us.
        if self.stage >= 1:
            await self.raise_setpoints()
        if self.stage >= 2:
            await self.cap_fan()
        if self.stage >= 3:
            await self.disable_heat_pumps()

    async def raise_setpoints(self) -> None:
        for vav in self.vavs:
            base = await self.underlying(vav, COOLING_SP)
            if base is not None:
                await self.command(vav, COOLING_SP, round(base + self.setpoint_raise, 1))

    async def cap_fan(self) -> None:
        wanted = await self.underlying(self.ahu, FAN_SPEED)
        if wanted is not None and wanted > self.fan_speed_limit:
            await self.command(self.ahu, FAN_SPEED, self.fan_speed_limit)
        else:
            await self.relinquish(self.ahu, FAN_SPEED)

    async def disable_heat_pumps(self) -> None:
        pumps = range(1, HEAT_PUMPS + 1)
        status = await self.bacnet_rpm(self.plant, *[(hp_status(n), "present-value") for n in pumps])
        running = [n for n in pumps if status[(hp_status(n), "present-value")] == "active"]
        for n in sorted(running, reverse=True)[: max(0, len(running) - self.heat_pumps_kept)]:
            await self.command(self.plant, hp_enable(n), "inactive")

    async def restore(self, stage: int) -> None:
        """Release the points of one stage."""
        if stage == 1:
            for vav in self.vavs:
                await self.relinquish(vav, COOLING_SP)
        elif stage == 2:
            await self.relinquish(self.ahu, FAN_SPEED)
        elif stage == 3:
            for n in range(1, HEAT_PUMPS + 1):
                await self.relinquish(self.plant, hp_enable(n))
