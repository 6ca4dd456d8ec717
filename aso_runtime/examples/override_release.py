"""Overnight release of stale operator overrides."""

from __future__ import annotations

from typing import Any

from ._common import COOLING_SP, DAMPER, HEATING_SP, REHEAT, SAT_SP, STATIC_SP, SiteAso, in_window


class OverrideRelease(SiteAso):
    """Find operator overrides left in place too long and release them overnight.

    Every step, each point on ``allow_list`` (``(device, object_id)`` pairs;
    default: VAV setpoints, dampers and reheat valves, AHU SAT and static
    setpoints) has its priority array read. A value in the
    ``override_priority`` slot (8, manual operator) is tracked from the
    moment the bot first sees it; a different value there restarts its age.
    Once an override is older than ``max_age`` s and the local hour is
    within ``release_start_hour``..``release_end_hour``, the bot reads the
    slot once more and, if it still holds the same value, relinquishes that
    slot and checks the array again. Each release is logged at WARNING
    with the value and its age, for the morning report.

    These overrides are *not* the ASO's own, so the release goes straight
    through the client (``self.context.client.release``), not through
    ``bacnet_write(None)``: the runtime's ledger holds only what an ASO
    wrote, and journaling someone else's slot there would make the runtime
    treat it as ours. The bot writes no value, so there is nothing for the
    runtime to release when it stops. BACnet carries no timestamp in a
    priority array: an override's age is counted from when the bot first
    saw it (after a restart it starts again, which can only release later,
    never earlier). Points not on the list and other priorities are never
    touched.
    """

    step_interval = 600.0
    allow_list: Any = None  # [(device, object_id), ...]; None: the defaults above for ``vavs`` and ``ahu``
    override_priority = 8
    max_age = 12 * 3600.0  # s
    release_start_hour = 1.0
    release_end_hour = 5.0

    def reset(self) -> None:
        self.seen: dict[tuple[int, str], tuple[float, Any]] = {}  # point -> (first seen, value)
        self.released: list[tuple[int, str, Any]] = []

    async def on_start(self) -> None:
        await super().on_start()
        self._priority(self.override_priority)  # 1..16, and never life safety (1, 2) unless allowed

    def points(self) -> list[tuple[int, str]]:
        if self.allow_list is not None:
            return [tuple(entry) for entry in self.allow_list]
        zones = [(vav, point) for vav in self.vavs for point in (COOLING_SP, HEATING_SP, DAMPER, REHEAT)]
        return zones + [(self.ahu, SAT_SP), (self.ahu, STATIC_SP)]

    async def slot(self, device: int, point: str) -> Any:
        return (await self.bacnet_priority_array(device, point)).at(self.override_priority).value

    async def on_step(self) -> None:
        now = self.clock()
        releasing = in_window(self.hour(), self.release_start_hour, self.release_end_hour)
        for device, point in self.points():
            key = (device, point)
            value = await self.slot(device, point)
            first = self.seen.get(key)
            if value is None:
                self.seen.pop(key, None)
            elif first is None or first[1] != value:
                self.seen[key] = (now, value)
                self.log.info("override seen: %s %s = %r @%d", device, point, value, self.override_priority)
            elif releasing and now - first[0] >= self.max_age:
                await self.release(device, point, value, now - first[0])

    async def release(self, device: int, point: str, value: Any, age: float) -> None:
        if not self.context.instance.should_run() or await self.slot(device, point) != value:
            return  # disabled meanwhile, or the operator just changed it: look again next step
        await self.context.client.release(device, point, self.override_priority)
        left = await self.slot(device, point)
        if left is not None:
            self.log.error("%s %s: slot %d still holds %r after release", device, point, self.override_priority, left)
            return
        self.seen.pop((device, point), None)
        self.released.append((device, point, value))
        self.log.warning("released stale override %s %s = %r @%d (seen %.1f h)",
                         device, point, value, self.override_priority, age / 3600)
