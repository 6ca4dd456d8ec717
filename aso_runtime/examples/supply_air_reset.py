"""AHU supply air temperature setpoint trim & respond (ASHRAE Guideline 36)."""

from __future__ import annotations

from ._common import COOLING_SP, SAT_SP, ZONE_TEMP, TrimRespondAso, cooling_requests


class SupplyAirReset(TrimRespondAso):
    """Reset the supply air temperature setpoint by trim & respond on zone cooling requests.

    Requests: each VAV zone (``vavs``) compares its temperature
    (analog-input,1) with its cooling setpoint (analog-value,1): 3 requests
    when 3 degF above, 2 at 2 degF, 1 above ``request_deadband`` degF. With
    R requests the AHU setpoint (``ahu`` analog-value,2, degF) trims *up* by
    ``sp_trim`` when R <= ``ignored_requests``, else moves *down* by
    ``sp_respond`` per extra request, at most ``sp_respond_max`` per
    period, within ``sp_min``..``sp_max``. Held at ``sp_initial`` for
    ``hold_after_start`` s after the fan starts; released while it is off.

    A warmer supply air saves chiller (heat pump) energy and reheat; zones
    that get warm pull it back down. Defaults are Guideline 36's (T = 2 min,
    Td = 10 min, I = 2, SP0 = SPmax = 65, SPmin = 55, trim +0.2, respond
    -0.3, max -1.0 degF). Failure modes: a zone that does not answer raises
    and the ASO faults, handing the setpoint back to the BAS.
    """

    step_interval = 120.0
    setpoint_object = SAT_SP
    sp_initial = 65.0  # degF
    sp_min = 55.0
    sp_max = 65.0
    sp_trim = 0.2
    sp_respond = -0.3
    sp_respond_max = -1.0
    request_deadband = 1.0  # degF above the cooling setpoint for one request

    async def requests(self) -> int:
        temps = await self.read_each(self.vavs, ZONE_TEMP)
        setpoints = await self.read_each(self.vavs, COOLING_SP)
        return sum(cooling_requests(temps[vav], setpoints[vav], self.request_deadband) for vav in self.vavs)
