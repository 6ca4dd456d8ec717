"""What the example strategies share: the site's point map, a site-aware base class, trim & respond.

The point map is the simulated building's (``aso sim``; see
``aso_runtime/sim/devices.py``). On a real site, change the device
instances with parameters (``ahu``, ``vavs``, ``plant``, ``meter``) and, if
the point numbering differs, the constants here.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..aso.base import Aso
from ..aso.ledger import same_value
from ..bacnet import parse_object_id

# ----- devices (instances) ---------------------------------------------------------
AHU = 1001
VAVS = (2001, 2002, 2003, 2004, 2005)  # the default 8-device simulated building
PLANT = 3001
METER = 4001

# ----- AHU points ------------------------------------------------------------------
FAN_CMD = "binary-output,1"  # supply fan start/stop
FAN_STATUS = "binary-input,1"  # proof of flow
FAN_SPEED = "analog-output,1"  # VFD speed command, %
HEATING_VALVE = "analog-output,2"  # %
COOLING_VALVE = "analog-output,3"  # %
OA_DAMPER = "analog-output,4"  # %, follows the mixed-air damper signal
MA_DAMPER = "analog-output,6"  # economizer mixed-air damper signal, %: drives OA and RA dampers
DUCT_STATIC = "analog-input,1"  # inH2O
STATIC_SP = "analog-value,1"  # inH2O
SAT = "analog-input,2"  # degF
MAT = "analog-input,3"
RAT = "analog-input,4"
OAT = "analog-input,5"
SUPPLY_FLOW = "analog-input,6"  # cfm
SAT_SP = "analog-value,2"  # degF
AHU_MODE = "multi-state-value,1"  # occupancy mode: the building schedule

# ----- VAV points --------------------------------------------------------------------
ZONE_TEMP = "analog-input,1"  # degF
ZONE_FLOW = "analog-input,2"  # cfm
COOLING_SP = "analog-value,1"  # degF
HEATING_SP = "analog-value,2"  # degF
DAMPER = "analog-output,1"  # %
REHEAT = "analog-output,2"  # %
ZONE_MODE = "multi-state-value,1"  # occupancy mode of the zone

# ----- plant and meter ------------------------------------------------------------------
HEAT_PUMPS = 4


def hp_enable(n: int) -> str:
    return f"binary-output,{n}"


def hp_status(n: int) -> str:
    return f"binary-input,{n}"


METER_KW = "analog-input,1"

# Multi-state occupancy modes (BACnet states count from 1).
OCCUPIED, UNOCCUPIED, STANDBY = 1, 2, 3


def in_window(hour: float, start: float, end: float) -> bool:
    """Is ``hour`` (0..24) in [start, end)? A window may wrap midnight (22 -> 5); 0 -> 24 is all day."""
    if start <= end:
        return start <= hour < end
    return hour >= start or hour < end


def pressure_request(damper: float, requesting: bool, high: float = 95.0, low: float = 85.0) -> bool:
    """Guideline 36 static pressure request: damper above ``high`` %, held until it falls below ``low`` %."""
    return damper > high or (requesting and damper > low)


def cooling_requests(zone_temp: float, cooling_sp: float, deadband: float = 1.0) -> int:
    """Guideline 36 style supply air temperature requests of one zone (0..3).

    3 when the zone is 3 degF above its cooling setpoint, 2 at 2 degF, 1 when
    above by ``deadband`` (where the box's cooling loop is saturated: the sim
    does not publish the loop output).
    """
    error = zone_temp - cooling_sp
    return 3 if error > 3.0 else 2 if error > 2.0 else 1 if error > deadband else 0


# ----- the base class ------------------------------------------------------------------------


class SiteAso(Aso):
    """An ASO that knows the site's equipment and commands only what changed.

    Parameters (all strategies): ``ahu``, ``vavs``, ``plant``, ``meter`` (device
    instances) and ``clock_hour``: pin the hour of day (0..24) for a
    commissioning dry run or a test; None follows the host's local clock.

    ``command`` writes at the ASO's priority only when the value differs from
    what the ledger says we already hold, so a 60 s loop does not rewrite
    every point every minute. ``relinquish`` / ``relinquish_all`` hand points
    back. The runtime releases whatever is still held on stop, fault or
    disable; ``reset`` is called on start and after a disable so a strategy
    forgets stages and timers that no longer match the building.
    """

    ahu: int = AHU
    vavs: tuple[int, ...] = VAVS
    plant: int = PLANT
    meter: int = METER
    clock_hour: float | None = None

    def __init__(self, name: str | None = None, **params: Any) -> None:
        super().__init__(name, **params)
        self.reset()

    def reset(self) -> None:
        """Forget run state (stages, timers). Called on start and after a disable."""

    async def on_start(self) -> None:
        self.reset()

    async def on_disable(self) -> None:
        self.reset()  # the runtime has just released every point we held

    # ----- time ------------------------------------------------------------------------

    def hour(self) -> float:
        """Local hour of day, 0..24 (``clock_hour`` when set)."""
        if self.clock_hour is not None:
            return float(self.clock_hour) % 24
        now = datetime.now()
        return now.hour + now.minute / 60 + now.second / 3600

    def clock(self) -> float:
        """Seconds on a monotonic clock, for stage and delay timers."""
        return time.monotonic()

    # ----- reading ---------------------------------------------------------------------

    async def read_each(self, devices: "tuple[int, ...] | list[int]", object_id: str) -> dict[int, Any]:
        """The same point of several devices, read concurrently: ``{device: value}``."""
        values = await asyncio.gather(*(self.bacnet_read(device, object_id) for device in devices))
        return dict(zip(devices, values))

    async def underlying(self, device: int, object_id: str) -> Any:
        """What the point would be without us: the next lower active slot, or the relinquish default.

        None when a higher priority (an operator at 8, say) is in control: our
        command would not take effect, and we do not fight it.
        """
        array = await self.bacnet_priority_array(device, object_id)
        for slot in array.slots:
            if slot.active and slot.priority < self.priority:
                return None
            if slot.active and slot.priority > self.priority:
                return slot.value
        return array.relinquish_default

    # ----- commanding ------------------------------------------------------------------

    def holding(self, device: int | str, object_id: str) -> Any:
        """The value we hold on a point at our priority (from the ledger), or None."""
        key = (str(device).strip(), str(parse_object_id(object_id)), self.priority)
        for override in self.context.instance.held():
            if (override.device, override.object_id, override.priority) == key and override.property == "present-value":
                return override.value
        return None

    async def command(self, device: int, object_id: str, value: Any, tolerance: float = 0.0) -> bool:
        """Write ``value`` at our priority unless we already hold it (within ``tolerance``)."""
        held = self.holding(device, object_id)
        if held is not None and (same_value(held, value) or _close(held, value, tolerance)):
            return False
        await self.bacnet_write(device, object_id, value)
        return True

    async def relinquish(self, device: int | str, object_id: str) -> bool:
        """Release our priority on a point, if we hold it."""
        if self.holding(device, object_id) is None:
            return False
        await self.bacnet_release(device, object_id)
        return True

    async def relinquish_all(self) -> None:
        for override in self.context.instance.held():
            await self.bacnet_release(override.device, override.object_id, override.priority)


def _close(a: Any, b: Any, tolerance: float) -> bool:
    try:
        return tolerance > 0 and math.isclose(float(a), float(b), abs_tol=tolerance)
    except (TypeError, ValueError):
        return False


# ----- trim and respond ------------------------------------------------------------------------


@dataclass
class TrimRespond:
    """ASHRAE Guideline 36 trim & respond of one setpoint.

    Each period: with R requests and I ignored, if R <= I the setpoint moves
    by ``trim``; otherwise by ``respond * (R - I)``, at most ``|max_respond|``
    in the direction of ``respond``. Signs give the directions (duct static
    trims down and responds up, SAT the other way). Always clamped to
    [minimum, maximum].
    """

    initial: float
    minimum: float
    maximum: float
    trim: float
    respond: float
    max_respond: float
    ignore: int = 2
    setpoint: float = field(init=False)

    def __post_init__(self) -> None:
        self.setpoint = self.initial

    def update(self, requests: int) -> float:
        extra = requests - self.ignore
        if extra > 0:
            change = math.copysign(min(abs(self.respond * extra), abs(self.max_respond)), self.respond)
        else:
            change = self.trim
        self.setpoint = min(self.maximum, max(self.minimum, self.setpoint + change))
        return self.setpoint


class TrimRespondAso(SiteAso):
    """An AHU setpoint reset by trim & respond (shared by duct static and SAT reset).

    While the supply fan is proven on (``FAN_STATUS``), the setpoint
    ``setpoint_object`` on the AHU is held at ``sp_initial`` for
    ``hold_after_start`` s, then reset every step (the T&R period is
    ``step_interval``) from the zone requests counted by ``requests()``. While
    the fan is off the setpoint is released to the BAS and the reset starts
    over at the next fan start.
    """

    setpoint_object: str = ""
    sp_initial: float = 0.0
    sp_min: float = 0.0
    sp_max: float = 0.0
    sp_trim: float = 0.0
    sp_respond: float = 0.0
    sp_respond_max: float = 0.0
    ignored_requests: int = 2
    hold_after_start: float = 600.0  # s, Guideline 36 "Td"

    def reset(self) -> None:
        self.trim_respond: TrimRespond | None = None
        self.fan_on_since: float | None = None
        self.last_requests = 0

    async def requests(self) -> int:
        raise NotImplementedError

    async def on_step(self) -> None:
        if await self.bacnet_read(self.ahu, FAN_STATUS) != "active":
            self.reset()
            await self.relinquish(self.ahu, self.setpoint_object)
            return
        if self.trim_respond is None:
            self.fan_on_since = self.clock()
            self.trim_respond = TrimRespond(self.sp_initial, self.sp_min, self.sp_max, self.sp_trim,
                                           self.sp_respond, self.sp_respond_max, self.ignored_requests)
        if self.clock() - self.fan_on_since < self.hold_after_start:
            setpoint = self.sp_initial
        else:
            self.last_requests = await self.requests()
            setpoint = self.trim_respond.update(self.last_requests)
        if await self.command(self.ahu, self.setpoint_object, round(setpoint, 3)):
            self.log.info("%s setpoint %.3g (%d requests)", self.setpoint_object, setpoint, self.last_requests)
