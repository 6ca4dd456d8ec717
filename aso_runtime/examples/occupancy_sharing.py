"""Classic BAS supervisory control: share one value with every controller through priority."""

from __future__ import annotations

from ._common import AHU_MODE, ZONE_MODE, SiteAso


class OccupancySharing(SiteAso):
    """Push the AHU's occupancy mode to every VAV box at the ASO's priority.

    The building schedule lives in the AHU (``ahu`` multi-state-value,1:
    occupied / unoccupied / standby). Each step the ASO reads it and writes
    the same state to each VAV's occupancy (``vavs`` multi-state-value,1) at
    ``priority`` (13), only when it changed: the classic "global data share"
    of a supervisory controller.

    Because the share is a priority-13 command and not a program value, an
    operator's override at priority 8 on one box still wins there, and
    stopping the ASO relinquishes every box back to its own program.
    Failure modes: an AHU that does not answer raises (the ASO faults and
    the boxes are released); a box that refuses the write faults it too.
    """

    step_interval = 30.0

    async def on_step(self) -> None:
        mode = await self.bacnet_read(self.ahu, AHU_MODE)
        for vav in self.vavs:
            if await self.command(vav, ZONE_MODE, int(mode)):
                self.log.info("VAV %s occupancy <- %d (from AHU %s)", vav, mode, self.ahu)
