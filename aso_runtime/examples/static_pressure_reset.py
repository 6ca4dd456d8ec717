"""AHU duct static pressure setpoint trim & respond (ASHRAE Guideline 36)."""

from __future__ import annotations

from ._common import DAMPER, STATIC_SP, TrimRespondAso, pressure_request


class StaticPressureReset(TrimRespondAso):
    """Reset the duct static pressure setpoint by trim & respond on VAV damper requests.

    Requests: a VAV box whose damper command (``vavs`` analog-output,1) is
    above ``request_high`` % sends one request until it falls below
    ``request_low`` % (Guideline 36 hysteresis). With R requests the AHU
    setpoint (``ahu`` analog-value,1, inH2O) trims by ``sp_trim`` when
    R <= ``ignored_requests``, else rises by ``sp_respond`` per extra request,
    at most ``sp_respond_max`` per period, within ``sp_min``..``sp_max``.
    Held at ``sp_initial`` for ``hold_after_start`` s after the fan starts;
    released to the BAS while the fan is off (AHU binary-input,1).

    Lower static at the same airflow means less fan energy (cube law); the
    boxes that still need air ask for it. Defaults are Guideline 36's
    (T = 2 min, Td = 10 min, I = 2, SP0 = 0.5, trim -0.05, respond +0.06,
    max +0.13 inH2O); ``sp_max`` is the design static of the simulated AHU.
    Failure modes: a box that does not answer raises and the ASO faults,
    handing the setpoint back to the BAS.
    """

    step_interval = 120.0  # T&R period
    setpoint_object = STATIC_SP
    sp_initial = 0.5  # inH2O
    sp_min = 0.1
    sp_max = 1.5
    sp_trim = -0.05
    sp_respond = 0.06
    sp_respond_max = 0.13
    request_high = 95.0  # % damper
    request_low = 85.0

    def reset(self) -> None:
        super().reset()
        self.requesting: set[int] = set()

    async def requests(self) -> int:
        dampers = await self.read_each(self.vavs, DAMPER)
        self.requesting = {vav for vav, position in dampers.items()
                           if pressure_request(position, vav in self.requesting, self.request_high, self.request_low)}
        return len(self.requesting)
