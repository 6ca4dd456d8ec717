"""Plausible building dynamics behind the simulated points.

Each step the model does what the controllers' programs would do (PI loops
writing their outputs at priority 16), then moves the physics forward and
reports it through the sensors. Controllers read the *sensor points*, so a
technician who puts a zone sensor out of service and writes 80 degF sees the
box go to full cooling; physics uses the true state. Outputs are taken from
each point's present value, i.e. the priority-array winner, so a write at
priority 8 takes effect on the next step.

Physics, in plain terms (imperial units, as on site):

- Outside air: daily sinusoid on the simulation clock (wall clock at speed
  1), coolest at 03:00, warmest at 15:00.
- Supply fan: the VFD ramps to its command; duct static goes with speed
  squared and rises as the boxes close; fan kW goes with speed cubed.
- Mixed air: OA fraction from the OA / RA dampers; supply air from the mixed
  air minus what the cooling valve (limited by chilled water temperature)
  takes out plus what the heating valve puts in.
- Zones: internal gains, envelope to outside, and supply air (discharge air
  after reheat) times airflow; solved exactly per step so any step is stable.
- Plant: heat pumps staged on the cooling coil load (and the meter's demand
  limit); a short plant lets chilled water drift warm.
- Meter: base load + fan + heat pumps; kWh integrates kW.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from . import points as p
from .devices import HEAT_PUMPS, OCCUPIED, STANDBY, UNOCCUPIED, DeviceSpec
from .trends import log_trends
from .schedules import run_schedules

AIR = 1.08  # Btu/h per cfm per degF: sensible heat carried by standard air
BTU_PER_TON = 12000.0
CONTROL_DT_MAX = 5.0  # s: controllers integrate at most this much per step (stability at high speed)


def _relax(value: float, target: float, dt: float, tau: float) -> float:
    """First-order lag solved exactly: stable for any step."""
    return target + (value - target) * math.exp(-dt / tau) if tau > 0 else target


def _clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def overridden(obj: Any) -> bool:
    """True when a command above the program's priority 16 is in control."""
    ccp = p.raw(obj, "currentCommandPriority")
    return ccp is not None and ccp.unsigned is not None and ccp.unsigned < p.PROGRAM_PRIORITY


def outside_air_temperature(epoch: float, mean: float = 75.0, swing: float = 12.0) -> float:
    """degF on a daily sinusoid of local time: minimum at 03:00, maximum at 15:00."""
    t = time.localtime(epoch)
    hours = t.tm_hour + t.tm_min / 60 + t.tm_sec / 3600
    return mean + swing * math.sin(2 * math.pi * (hours - 9) / 24)


@dataclass
class PiLoop:
    """PI controller with output clamp and anti-windup; holds while overridden."""

    kp: float
    ki: float
    low: float = 0.0
    high: float = 100.0
    integral: float = 0.0

    def update(self, error: float, dt: float, hold: bool = False) -> float:
        if not hold:
            self.integral = _clamp(self.integral + self.ki * error * min(dt, CONTROL_DT_MAX), self.low, self.high)
        return _clamp(self.kp * error + self.integral, self.low, self.high)


class Zone:
    """One VAV box and the room it serves."""

    def __init__(self, spec: DeviceSpec) -> None:
        self.pts = spec.points
        self.max_cfm = spec.extra["max_cfm"]
        self.min_cfm = spec.extra["min_cfm"]
        index = spec.extra["index"]
        # Zones differ (interior, south, corner...): a fixed spread of gains.
        self.gain_factor = 0.6 + 0.8 * ((index * 37) % 11) / 10
        self.capacitance = 300.0  # Btu/degF: furniture and air, light construction
        self.ua = 150.0  # Btu/h/degF through the envelope
        self.reheat_btuh = 15000.0
        self.temp = 73.0 + ((index * 17) % 7) / 6  # 73..74 degF at start
        self.flow = 500.0
        self.discharge = 56.0
        self.cooling = PiLoop(kp=20.0, ki=0.05, integral=30.0)
        self.heating = PiLoop(kp=20.0, ki=0.05)
        self.damper = PiLoop(kp=0.3, ki=0.1, integral=50.0)

    def control(self, dt: float) -> None:
        pts = self.pts
        mode = p.value_of(pts["occupancy"])
        cool_sp, heat_sp = p.value_of(pts["cooling_sp"]), p.value_of(pts["heating_sp"])
        minimum = self.min_cfm
        if mode == UNOCCUPIED:
            cool_sp, heat_sp, minimum = 85.0, 60.0, 0.0
        elif mode == STANDBY:
            cool_sp, heat_sp, minimum = cool_sp + 2.0, heat_sp - 2.0, 0.5 * minimum
        zone = p.value_of(pts["zone_temp"])
        cooling = self.cooling.update(zone - cool_sp, dt)
        heating = self.heating.update(heat_sp - zone, dt, hold=overridden(pts["reheat"]))
        flow_sp = minimum + cooling / 100 * (self.max_cfm - minimum)
        if heating > 0 and mode != UNOCCUPIED:
            flow_sp = max(flow_sp, 0.4 * self.max_cfm)  # reheat needs air to carry it
        p.program_write(pts["airflow_sp"], flow_sp, 1.0)
        flow_sp = p.value_of(pts["airflow_sp"])
        error = (flow_sp - p.value_of(pts["airflow"])) / self.max_cfm * 100
        p.program_write(pts["damper"], self.damper.update(error, dt, hold=overridden(pts["damper"])), 0.1)
        p.program_write(pts["reheat"], heating, 0.1)

    def physics(self, dt: float, supply_temp: float, static: float, oat: float, fan_on: bool) -> None:
        pts = self.pts
        damper = _clamp(p.value_of(pts["damper"]), 0, 100) / 100
        target = self.max_cfm * damper * math.sqrt(max(static, 0.0) / 1.5) if fan_on else 0.0
        self.flow = _relax(self.flow, min(target, 1.3 * self.max_cfm), dt, 3.0)
        reheat = _clamp(p.value_of(pts["reheat"]), 0, 100) / 100
        rise = min(45.0, reheat * self.reheat_btuh / (AIR * max(self.flow, 100.0))) if self.flow > 1 else 0.0
        self.discharge = _relax(self.discharge, supply_temp + rise, dt, 20.0)
        mode = p.value_of(pts["occupancy"])
        gains = 9000.0 * self.gain_factor if mode != UNOCCUPIED else 2000.0 * self.gain_factor
        conductance = self.ua + AIR * self.flow  # Btu/h/degF
        equilibrium = (gains + self.ua * oat + AIR * self.flow * self.discharge) / conductance
        self.temp = _relax(self.temp, equilibrium, dt, self.capacitance / conductance * 3600)
        p.sense(pts["zone_temp"], self.temp)
        p.sense(pts["airflow"], self.flow, 1.0)
        p.sense(pts["discharge_temp"], self.discharge)


class AirHandler:
    """The AHU: fan, coils, economizer; its loads go to the plant, its kW to the meter."""

    def __init__(self, spec: DeviceSpec) -> None:
        self.pts = spec.points
        self.design_cfm = spec.extra["design_cfm"]
        self.fan_kw_rated = 0.9 * self.design_cfm / 1000  # ~0.9 kW per 1000 cfm at full speed
        self.speed = 70.0  # % actual VFD output
        self.static = 1.5
        self.supply = 55.0
        self.mixed = 75.0
        self.cooling_load = 0.0  # Btu/h taken out by the cooling coil
        self.fan = PiLoop(kp=10.0, ki=2.0, low=20.0, high=100.0, integral=70.0)
        self.cool = PiLoop(kp=8.0, ki=0.3, integral=40.0)
        self.heat = PiLoop(kp=8.0, ki=0.3)
        self.economizer = PiLoop(kp=5.0, ki=0.2, low=20.0, high=100.0, integral=20.0)

    @property
    def fan_kw(self) -> float:
        return self.fan_kw_rated * (self.speed / 100) ** 3

    def control(self, dt: float, oat: float) -> None:
        pts = self.pts
        mode = p.value_of(pts["occupancy"])
        p.program_write(pts["fan_cmd"], mode != UNOCCUPIED)
        fan_on = p.value_of(pts["fan_cmd"])
        static_error = p.value_of(pts["static_sp"]) - p.value_of(pts["static"])
        speed = self.fan.update(static_error, dt, hold=overridden(pts["fan_speed"]) or not fan_on)
        p.program_write(pts["fan_speed"], speed if fan_on else 0.0, 0.1)
        sat, sat_sp = p.value_of(pts["sat"]), p.value_of(pts["sat_sp"])
        running = fan_on and self.speed > 5
        cool = self.cool.update(sat - sat_sp, dt, hold=overridden(pts["cooling_valve"]) or not running)
        heat = self.heat.update(sat_sp - 2.0 - sat, dt, hold=overridden(pts["heating_valve"]) or not running)
        p.program_write(pts["cooling_valve"], cool if running else 0.0, 0.1)
        p.program_write(pts["heating_valve"], heat if running else 0.0, 0.1)
        rat = p.value_of(pts["rat"])
        free_cooling = mode == OCCUPIED and 35.0 < oat < rat - 2.0
        mix_error = p.value_of(pts["mat"]) - (sat_sp - 2.0)
        mix = self.economizer.update(mix_error, dt, hold=not free_cooling or overridden(pts["ma_damper"]))
        if not free_cooling:
            mix = 20.0 if mode == OCCUPIED else 0.0  # minimum outside air when occupied
        p.program_write(pts["ma_damper"], mix if fan_on else 0.0, 0.1)
        mix = p.value_of(pts["ma_damper"])
        p.program_write(pts["oa_damper"], mix, 0.1)
        p.program_write(pts["ra_damper"], 100.0 - mix, 0.1)

    def physics(self, dt: float, oat: float, zones: list[Zone], chws: float, plant_share: float) -> None:
        pts = self.pts
        fan_on = p.value_of(pts["fan_cmd"])
        command = _clamp(p.value_of(pts["fan_speed"]), 0, 100) if fan_on else 0.0
        self.speed = _relax(self.speed, command, dt, 5.0)
        dampers = sum(_clamp(p.value_of(z.pts["damper"]), 0, 100) for z in zones) / (100 * len(zones))
        resistance = (0.7 / (0.25 + 0.75 * dampers)) ** 2  # closed boxes push static up
        self.static = _relax(self.static, min(4.5, 3.0 * (self.speed / 100) ** 2 * resistance), dt, 3.0)
        flow = sum(z.flow for z in zones)
        if flow > 1:
            returned = sum(z.temp * z.flow for z in zones) / flow + 1.0  # +1 degF from lights in the plenum
        else:
            returned = sum(z.temp for z in zones) / len(zones)
        oa, ra = _clamp(p.value_of(pts["oa_damper"]), 0, 100), _clamp(p.value_of(pts["ra_damper"]), 0, 100)
        fraction = oa / (oa + ra) if self.speed > 1 and oa + ra > 0 else 0.0
        self.mixed = _relax(self.mixed, fraction * oat + (1 - fraction) * returned, dt, 10.0)
        cool = _clamp(p.value_of(pts["cooling_valve"]), 0, 100) / 100
        heat = _clamp(p.value_of(pts["heating_valve"]), 0, 100) / 100
        # The coil cannot cool below chilled water + 5 degF, and only as far as the plant keeps up.
        leaving = max(self.mixed - cool * 35.0 * plant_share, min(self.mixed, chws + 5.0))
        self.cooling_load = AIR * flow * (self.mixed - leaving)
        heated = leaving + heat * 40.0
        target = heated + 1.0 if self.speed > 5 else returned  # +1 degF fan heat
        self.supply = _relax(self.supply, target, dt, 30.0)
        p.sense(pts["fan_status"], fan_on and self.speed > 5)
        p.sense(pts["static"], self.static if self.speed > 1 else 0.0, 0.001)
        p.sense(pts["sat"], self.supply)
        p.sense(pts["mat"], self.mixed)
        p.sense(pts["rat"], returned)
        p.sense(pts["oat"], oat)
        p.sense(pts["airflow"], flow, 1.0)


class Plant:
    """Heat pumps staged on the cooling load, capped by the meter's demand limit."""

    KW_PER_TON = 1.0
    IDLE_KW = 1.5
    STAGE_DELAY = 60.0  # s between stage changes (compressor protection)

    def __init__(self, spec: DeviceSpec, design_cfm: float) -> None:
        self.pts = spec.points
        design_tons = AIR * design_cfm * 20.0 / BTU_PER_TON
        self.capacity_tons = design_tons / 3  # N+1: three carry the design load
        self.design_tons = design_tons
        self.chws = 44.0
        self.stages = 2
        self.since_stage = 0.0
        self.share = 1.0  # fraction of the coil load the running pumps can carry
        self.kw = [0.0] * HEAT_PUMPS
        self.hp_rated_kw = self.IDLE_KW + self.capacity_tons * self.KW_PER_TON

    def control(self, dt: float, load_btuh: float, other_kw: float, demand_limit: float) -> None:
        self.since_stage += dt
        load = load_btuh / BTU_PER_TON
        running_capacity = self.stages * self.capacity_tons
        if self.since_stage >= self.STAGE_DELAY:
            if load > 0.85 * running_capacity and self.stages < HEAT_PUMPS:
                self.stages, self.since_stage = self.stages + 1, 0.0
            elif self.stages > 0 and load < 0.5 * (self.stages - 1) * self.capacity_tons + 0.1:
                self.stages, self.since_stage = self.stages - 1, 0.0
        allowed = int(max(0.0, demand_limit - other_kw) // self.hp_rated_kw)
        self.stages = min(self.stages, allowed, HEAT_PUMPS)
        for n in range(1, HEAT_PUMPS + 1):
            p.program_write(self.pts[f"hp{n}_enable"], n <= self.stages)

    def physics(self, dt: float, load_btuh: float) -> None:
        pts = self.pts
        running = [p.value_of(pts[f"hp{n}_enable"]) for n in range(1, HEAT_PUMPS + 1)]
        count = sum(running)
        load = load_btuh / BTU_PER_TON
        capacity = count * self.capacity_tons
        served = min(load, capacity)
        if count == 0:
            self.share = 0.0  # nothing running: no chilled water, whatever the load
        else:
            self.share = 1.0 if load <= capacity or load <= 0 else capacity / load
        setpoint = p.value_of(pts["chws_sp"])
        target = setpoint + (1 - self.share) * 14.0 if count else 60.0
        self.chws = _relax(self.chws, target, dt, 120.0 if count else 600.0)
        for n, on in enumerate(running, start=1):
            self.kw[n - 1] = self.IDLE_KW + served / count * self.KW_PER_TON if on else 0.0
            p.sense(pts[f"hp{n}_status"], on)
            p.sense(pts[f"hp{n}_kw"], self.kw[n - 1])
        p.sense(pts["chws"], self.chws)
        p.sense(pts["chwr"], self.chws + _clamp(10.0 * served / max(self.design_tons * 0.6, 0.1), 0.0, 16.0))


class Meter:
    def __init__(self, spec: DeviceSpec, zones: int) -> None:
        self.pts = spec.points
        self.base_kw = 5.0 + 1.2 * zones  # lights and plug loads
        self.kw = 0.0
        self.kwh = 0.0

    def physics(self, dt: float, kw: float) -> None:
        self.kw = kw
        self.kwh += kw * dt / 3600
        p.sense(self.pts["kw"], kw)
        p.sense(self.pts["kwh"], self.kwh)


class BuildingModel:
    """All equipment of one simulated building; ``step(dt)`` advances it ``dt`` seconds."""

    def __init__(self, specs: list[DeviceSpec], clock: float | None = None) -> None:
        by_kind: dict[str, list[DeviceSpec]] = {}
        for spec in specs:
            by_kind.setdefault(spec.kind, []).append(spec)
        self.ahu = AirHandler(by_kind["ahu"][0])
        self.zones = [Zone(spec) for spec in by_kind["vav"]]
        self.plant = Plant(by_kind["plant"][0], self.ahu.design_cfm)
        self.meter = Meter(by_kind["meter"][0], len(self.zones))
        self.clock = time.time() if clock is None else clock  # simulation epoch seconds
        self.steps = 0

    def occupied_fraction(self) -> float:
        return sum(p.value_of(z.pts["occupancy"]) == OCCUPIED for z in self.zones) / len(self.zones)

    def step(self, dt: float) -> None:
        """Advance ``dt`` simulated seconds: programs first, then physics, then sensors."""
        if dt <= 0:
            return
        self.clock += dt
        self.steps += 1
        run_schedules(self.ahu.pts, self.clock)  # occupancy schedule on the simulation clock
        oat = outside_air_temperature(self.clock)
        base = self.meter.base_kw * (0.4 + 0.6 * self.occupied_fraction())
        self.ahu.control(dt, oat)
        for zone in self.zones:
            zone.control(dt)
        limit = p.value_of(self.meter.pts["demand_limit"])
        self.plant.control(dt, self.ahu.cooling_load, base + self.ahu.fan_kw, limit)
        self.ahu.physics(dt, oat, self.zones, self.plant.chws, self.plant.share)
        static, supply = self.ahu.static, self.ahu.supply
        fan_on = self.ahu.speed > 5
        for zone in self.zones:
            zone.physics(dt, supply, static, oat, fan_on)
        self.plant.physics(dt, self.ahu.cooling_load)
        self.meter.physics(dt, base + self.ahu.fan_kw + sum(self.plant.kw))
        log_trends([*(zone.pts for zone in self.zones), self.meter.pts], self.clock)  # trend logs (trends.py)
