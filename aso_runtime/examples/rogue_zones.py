"""Identify rogue zones: the boxes that drive the AHU's reset requests."""

from __future__ import annotations

from collections import Counter

from ._common import COOLING_SP, DAMPER, ZONE_TEMP, SiteAso, pressure_request


class RogueZones(SiteAso):
    """Report which zones keep asking for more static pressure or colder air (commands nothing).

    Every step each VAV (``vavs``) is sampled: damper command
    (analog-output,1) above ``damper_request`` % counts as a static pressure
    request; zone temperature (analog-input,1) more than ``temp_request``
    degF over the cooling setpoint (analog-value,1) as a supply air
    temperature request: what the trim & respond resets count. Every
    ``report_every`` s the ASO logs, at WARNING, each zone that requested in
    at least ``rogue_fraction`` of its samples, with its name (the device's
    object-name) and why, then starts a new period.

    One rogue zone (a stuck damper, an undersized box, a sensor in the sun)
    can hold the whole AHU at high static and cold air; the report tells the
    technician which box to visit. ``rogues`` keeps the latest list.
    """

    step_interval = 60.0
    report_every = 24 * 3600.0  # s
    rogue_fraction = 0.5
    damper_request = 95.0  # %
    temp_request = 2.0  # degF over the cooling setpoint

    def reset(self) -> None:
        self.samples = 0
        self.static_requests: Counter[int] = Counter()
        self.cooling_requests: Counter[int] = Counter()
        self.period_start = self.clock()
        self.rogues: list[str] = []
        self.zone_names: dict[int, str] = {}

    async def on_step(self) -> None:
        dampers = await self.read_each(self.vavs, DAMPER)
        temps = await self.read_each(self.vavs, ZONE_TEMP)
        setpoints = await self.read_each(self.vavs, COOLING_SP)
        self.samples += 1
        for vav in self.vavs:
            self.static_requests[vav] += pressure_request(dampers[vav], False, self.damper_request)
            self.cooling_requests[vav] += temps[vav] - setpoints[vav] > self.temp_request
        if self.clock() - self.period_start >= self.report_every:
            await self.report()

    async def report(self) -> None:
        self.rogues = []
        for vav in self.vavs:
            why = [f"{what} in {count / self.samples:.0%} of {self.samples} samples"
                   for what, count in (("static pressure requests", self.static_requests[vav]),
                                       ("cooling requests", self.cooling_requests[vav]))
                   if count / self.samples >= self.rogue_fraction]
            if why:
                name = self.zone_names.get(vav) or await self.bacnet_read(vav, f"device,{vav}", "object-name")
                self.zone_names[vav] = name
                self.rogues.append(name)
                self.log.warning("rogue zone %s (device %s): %s", name, vav, "; ".join(why))
        if not self.rogues:
            self.log.info("no rogue zones in %d samples", self.samples)
        self.samples = 0
        self.static_requests.clear()
        self.cooling_requests.clear()
        self.period_start = self.clock()
