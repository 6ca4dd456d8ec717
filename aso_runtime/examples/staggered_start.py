"""Heat pump cold-weather staggered start, for electrical demand."""

from __future__ import annotations

from ._common import AHU_MODE, HEAT_PUMPS, OAT, OCCUPIED, SiteAso, hp_enable


class StaggeredStart(SiteAso):
    """On a cold morning start, let the heat pumps come on one at a time.

    Watches the schedule (``ahu`` multi-state-value,1). When it changes to
    occupied while the outside air (``ahu`` analog-input,5) is below
    ``cold_oat`` degF, every heat pump but the first is locked out
    (``plant`` binary-output,2..4 = inactive at the ASO's priority), then
    released one at a time, HP-2 first, ``stagger_delay`` s apart. A
    released pump goes back to the plant's own staging; the lockout only
    delays it. Starting every compressor together after a cold night sets the
    month's demand peak; staggered, the peak is one compressor's inrush at a
    time.

    Nothing happens when the ASO is started while already occupied (no start
    to stagger) or when it is mild outside. Keep ``step_interval`` short
    (10 s): the lockout must land before the plant stages up.
    """

    step_interval = 10.0
    cold_oat = 40.0  # degF
    stagger_delay = 300.0  # s between heat pumps

    def reset(self) -> None:
        self.last_mode: int | None = None
        self.locked: list[int] = []  # heat pumps still locked out, in release order
        self.next_release = 0.0

    async def on_step(self) -> None:
        mode = await self.bacnet_read(self.ahu, AHU_MODE)
        started = self.last_mode is not None and self.last_mode != OCCUPIED and mode == OCCUPIED
        self.last_mode = mode
        now = self.clock()
        if started:
            outside = await self.bacnet_read(self.ahu, OAT)
            if outside < self.cold_oat:
                self.locked = list(range(2, HEAT_PUMPS + 1))
                self.next_release = now + self.stagger_delay
                for n in self.locked:
                    await self.command(self.plant, hp_enable(n), "inactive")
                self.log.info("cold start (%.1f degF): heat pumps %s locked out, staggered %.0f s apart",
                              outside, self.locked, self.stagger_delay)
        if self.locked and now >= self.next_release:
            n = self.locked.pop(0)
            await self.relinquish(self.plant, hp_enable(n))
            self.next_release = now + self.stagger_delay
            self.log.info("HP-%d released to the plant's staging", n)
