"""Electrical load shift: pre-cool before the utility's peak, coast through it."""

from __future__ import annotations

from ._common import COOLING_SP, SiteAso, in_window


class LoadShift(SiteAso):
    """Move cooling energy out of the on-peak window by pre-cooling the building's mass.

    From ``precool_start_hour`` to ``peak_start_hour`` every VAV cooling
    setpoint (``vavs`` analog-value,1) is commanded ``precool_offset`` degF
    below what the BAS has there; from ``peak_start_hour`` to
    ``peak_end_hour`` it is commanded ``peak_offset`` degF above (the cooled
    structure carries the zones while the heat pumps do less). Outside those
    hours every setpoint is released. The BAS's value is read from the
    priority array under our slot, so a schedule change still moves the
    result; a box an operator holds at a higher priority is left alone.
    """

    step_interval = 300.0
    precool_start_hour = 10.0
    peak_start_hour = 14.0
    peak_end_hour = 18.0
    precool_offset = 2.0  # degF below
    peak_offset = 2.0  # degF above

    def period(self) -> str:
        hour = self.hour()
        if in_window(hour, self.peak_start_hour, self.peak_end_hour):
            return "peak"
        if in_window(hour, self.precool_start_hour, self.peak_start_hour):
            return "precool"
        return "normal"

    def reset(self) -> None:
        self.current = "normal"

    async def on_step(self) -> None:
        period = self.period()
        if period != self.current:
            self.log.info("%s -> %s", self.current, period)
            self.current = period
        if period == "normal":
            await self.relinquish_all()
            return
        offset = -self.precool_offset if period == "precool" else self.peak_offset
        for vav in self.vavs:
            base = await self.underlying(vav, COOLING_SP)
            if base is not None:
                await self.command(vav, COOLING_SP, round(base + offset, 1))
