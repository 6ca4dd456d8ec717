"""Self-commissioning bot: an AHU functional performance check."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from ._common import (COOLING_VALVE, DUCT_STATIC, FAN_CMD, FAN_SPEED, FAN_STATUS, HEATING_VALVE, MA_DAMPER, MAT, OAT,
                      RAT, SAT, SiteAso)


class AhuFunctionalCheck(SiteAso):
    """Command the AHU through a test sequence, check its sensors answer, report, release.

    Runs once, in the first step; then idles. Each test commands points at
    the ASO's priority, waits up to ``settle_timeout`` s (polling every
    ``poll_interval`` s) for the expected sensor response, records pass or
    fail, and releases what it commanded:

    1. fan start: fan command (binary-output,1) on at ``fan_speed`` %
       (analog-output,1) -> fan status (binary-input,1) proves on and duct
       static (analog-input,1) rises above ``min_static`` inH2O;
    2. cooling valve (analog-output,3) 100 %, heating 0 -> supply air
       (analog-input,2) at least ``coil_delta`` degF below mixed air (analog-input,3);
    3. heating valve (analog-output,2) 100 %, cooling 0 -> supply air
       ``coil_delta`` above mixed air;
    4. economizer: mixed-air damper (analog-output,6) 100 % -> mixed air
       within ``mix_tolerance`` degF of outside air (analog-input,5); then
       0 % -> mixed air near return air (analog-input,4). Skipped when outside
       and return air are closer than ``coil_delta`` (inconclusive);
    5. fan stop: fan command off -> status off.

    When the fan does not prove, the rest is skipped. The report is logged
    (``AHU functional check PASSED`` / ``FAILED``) and kept in ``results`` as
    ``(test, outcome, detail)``. Run it with the AHU out of service for the
    occupants: it overrides the AHU's own control for several minutes.
    """

    step_interval = 3600.0  # idle after the check
    fan_speed = 70.0  # %
    min_static = 0.3  # inH2O
    coil_delta = 5.0  # degF
    mix_tolerance = 2.0  # degF
    settle_timeout = 300.0  # s for each response
    poll_interval = 5.0  # s

    def reset(self) -> None:
        self.results: list[tuple[str, str, str]] = []
        self.done = False

    async def on_step(self) -> None:
        if self.done:
            return
        self.log.info("AHU %s functional check starting", self.ahu)
        await self.run_checks()
        await self.relinquish_all()
        self.done = True
        failed = [name for name, outcome, _ in self.results if outcome == "fail"]
        for name, outcome, detail in self.results:
            self.log.info("  %-16s %-4s %s", name, outcome.upper(), detail)
        verdict = f"FAILED ({', '.join(failed)})" if failed else "PASSED"
        passed = sum(outcome == "pass" for _, outcome, _ in self.results)
        self.log.warning("AHU %s functional check %s: %d passed of %d", self.ahu, verdict, passed, len(self.results))

    async def run_checks(self) -> None:
        ahu = self.ahu
        await self.command(ahu, FAN_CMD, "active")
        await self.command(ahu, FAN_SPEED, self.fan_speed)
        fan_ok = await self.check("fan start", self.fan_proven, "status on and static above minimum")
        if not fan_ok:
            self.results += [(name, "skip", "fan not proven") for name in ("cooling valve", "heating valve", "economizer")]
        else:
            await self.command(ahu, HEATING_VALVE, 0.0)
            await self.command(ahu, COOLING_VALVE, 100.0)
            await self.check("cooling valve", lambda: self.coil(-1), f"supply {self.coil_delta:g} degF below mixed")
            await self.command(ahu, COOLING_VALVE, 0.0)
            await self.command(ahu, HEATING_VALVE, 100.0)
            await self.check("heating valve", lambda: self.coil(+1), f"supply {self.coil_delta:g} degF above mixed")
            await self.relinquish(ahu, HEATING_VALVE)
            await self.relinquish(ahu, COOLING_VALVE)
            await self.economizer()
        await self.command(ahu, FAN_CMD, "inactive")
        await self.check("fan stop", self.fan_stopped, "status off")

    async def check(self, name: str, test: Callable[[], Awaitable[bool]], expectation: str) -> bool:
        """Poll ``test`` until true or ``settle_timeout``; record the outcome."""
        deadline = self.clock() + self.settle_timeout
        while not (ok := await test()) and self.clock() < deadline:
            await asyncio.sleep(self.poll_interval)
        self.results.append((name, "pass" if ok else "fail", expectation))
        (self.log.info if ok else self.log.error)("%s: %s", name, "pass" if ok else f"FAIL, expected {expectation}")
        return ok

    async def fan_proven(self) -> bool:
        status = await self.bacnet_read(self.ahu, FAN_STATUS)
        return status == "active" and await self.bacnet_read(self.ahu, DUCT_STATIC) > self.min_static

    async def fan_stopped(self) -> bool:
        return await self.bacnet_read(self.ahu, FAN_STATUS) == "inactive"

    async def coil(self, sign: int) -> bool:
        supply, mixed = await self.bacnet_read(self.ahu, SAT), await self.bacnet_read(self.ahu, MAT)
        return sign * (supply - mixed) >= self.coil_delta

    async def mixed_near(self, point: str) -> bool:
        mixed, target = await self.bacnet_read(self.ahu, MAT), await self.bacnet_read(self.ahu, point)
        return abs(mixed - target) <= self.mix_tolerance

    async def economizer(self) -> None:
        outside, returned = await self.bacnet_read(self.ahu, OAT), await self.bacnet_read(self.ahu, RAT)
        if abs(outside - returned) < self.coil_delta:
            self.results.append(("economizer", "skip", f"outside {outside:.1f} too close to return {returned:.1f} degF"))
            return
        await self.command(self.ahu, MA_DAMPER, 100.0)
        await self.check("outside air", lambda: self.mixed_near(OAT), "mixed air near outside air at 100 %")
        await self.command(self.ahu, MA_DAMPER, 0.0)
        await self.check("return air", lambda: self.mixed_near(RAT), "mixed air near return air at 0 %")
        await self.relinquish(self.ahu, MA_DAMPER)
