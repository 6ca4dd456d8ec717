"""The example strategies, each run against the simulated building on an in-process virtual network.

Every test shows the strategy's effect the way a technician would see it
(through BACnet reads and priority arrays from a separate operator client)
and that nothing stays commanded at the ASO's priority after it stops.
Timers and periods are passed as small parameters; waits poll with a
generous timeout and never assert on durations.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from dataclasses import dataclass, field
from datetime import datetime

import pytest

from aso_runtime.aso import AsoRunner, Ledger
from aso_runtime.bacnet import open_client
from aso_runtime.examples import _common as site_points
from aso_runtime.examples import by_name, catalogue, names, summaries
from aso_runtime.examples.ahu_functional_check import AhuFunctionalCheck
from aso_runtime.examples.demand_control_ventilation import DemandControlVentilation
from aso_runtime.examples.load_shed import LoadShed
from aso_runtime.examples.load_shift import LoadShift
from aso_runtime.examples.night_flush import NightFlush
from aso_runtime.examples.occupancy_sharing import OccupancySharing
from aso_runtime.examples.occupied_standby import OccupiedStandby
from aso_runtime.examples.override_release import OverrideRelease
from aso_runtime.examples.rogue_zones import RogueZones
from aso_runtime.examples.staggered_start import StaggeredStart
from aso_runtime.examples.static_pressure_reset import StaticPressureReset
from aso_runtime.examples.supply_air_reset import SupplyAirReset
from aso_runtime.sim import SimulatedBuilding, points

from .test_aso import until as poll_until

_names = itertools.count(1)
FAST = {"step": 0.05, "speed": 60.0}  # 3 simulated seconds every 50 ms
STEP = 0.05  # ASO step interval in the tests


def until(predicate, timeout: float = 15.0):
    """Poll a predicate (sync or async) until true, with a generous timeout (a correctness wait, not a timing assertion)."""
    return poll_until(predicate, timeout=timeout, interval=0.03)


@dataclass
class Site:
    building: SimulatedBuilding
    runner: AsoRunner
    operator: object  # a second BACnet client: the BAS front end / technician
    logs: list[str] = field(default_factory=list)

    def run(self, cls, **params):
        instance = self.runner.load(cls, name=cls.__name__, step_interval=STEP, **params)
        instance.start()
        return instance

    async def read(self, device: int, point: str):
        return await self.operator.read(device, point)

    async def slot(self, device: int, point: str, priority: int = 13):
        """The value in one slot of a point's priority array (None when empty)."""
        return (await self.operator.priority_array(device, point)).at(priority).value

    async def nothing_held(self, points, priority: int = 13) -> None:
        """The ASO's priority slot is empty on every point it commanded."""
        for device, point in points:
            assert await self.slot(device, point, priority) is None, f"{device} {point} still held at {priority}"

    def pin_sim_clock(self, hour: int) -> None:
        """Move the model's clock to ``hour`` today: the outside air follows (coolest at 03:00, warmest 15:00)."""
        self.building.model.clock = datetime.now().replace(hour=hour, minute=0, second=0).timestamp()


@pytest.fixture
async def site(tmp_path):
    name = f"test-examples-{os.getpid()}-{next(_names)}"
    building = await SimulatedBuilding.start(vlan=name, devices=8, **FAST)
    host = await open_client(vlan=name, mac=1, instance=599, name="aso-host", timeout=2.0)
    operator = await open_client(vlan=name, mac=200, instance=777, name="operator", timeout=2.0)
    runner = AsoRunner(host, ledger=Ledger.open(tmp_path / "ledger"))
    await runner.open()
    result = Site(building, runner, operator)
    runner.events.on_event(lambda e: result.logs.append(e.message) if e.kind == "log" else None)
    try:
        yield result
    finally:
        await runner.close()
        await operator.close()
        await host.close()
        await building.stop()


VAVS = site_points.VAVS
AHU, PLANT, METER = site_points.AHU, site_points.PLANT, site_points.METER


# ----- reading the building the way a technician does ------------------------------------


async def _below(reading, limit):
    value = await reading
    return value if value is not None and value < limit else None


async def _all_equal(site, devices, point, value, priority=13):
    return all([await site.slot(device, point, priority) == value for device in devices])


async def _equal(reading, expected):
    value = await reading
    if isinstance(expected, str) or value is None:
        return value == expected
    return value == pytest.approx(expected)


async def _above(reading, limit):
    value = await reading
    return value is not None and value > limit


# ----- the catalogue -------------------------------------------------------------------


def test_catalogue_lists_every_tutorial_with_a_docstring():
    expected = {
        "load_shed", "occupancy_sharing", "static_pressure_reset", "supply_air_reset", "demand_control_ventilation",
        "occupied_standby", "night_flush", "override_release", "staggered_start", "load_shift", "rogue_zones",
        "ahu_functional_check",
    }
    assert set(names()) == expected
    for name in expected:
        cls = by_name(name)
        assert cls is not None and cls is catalogue()[cls.__name__]
        assert len((cls.__doc__ or "").splitlines()) > 5, f"{name} needs a docstring explaining its logic"
    assert summaries()["load_shed"].startswith("Shed HVAC load in three stages")
    assert by_name("load-shed") is by_name("LoadShed") and by_name("nothing") is None


def test_trim_and_respond_and_time_windows():
    static = site_points.TrimRespond(initial=0.5, minimum=0.1, maximum=1.5, trim=-0.05, respond=0.06, max_respond=0.13)
    assert static.update(2) == pytest.approx(0.45)  # two requests are ignored: trim
    assert static.update(3) == pytest.approx(0.51)  # one counted request
    assert static.update(10) == pytest.approx(0.64)  # eight would be 0.48: capped at 0.13
    for _ in range(20):
        static.update(0)
    assert static.setpoint == pytest.approx(0.1)  # never below the minimum
    sat = site_points.TrimRespond(initial=55.0, minimum=55.0, maximum=65.0, trim=0.2, respond=-0.3, max_respond=-1.0)
    assert sat.update(0) == pytest.approx(55.2) and sat.update(12) == pytest.approx(55.0)
    assert site_points.in_window(3.0, 1.0, 6.0) and not site_points.in_window(6.0, 1.0, 6.0)
    assert site_points.in_window(23.5, 22.0, 5.0) and site_points.in_window(2.0, 22.0, 5.0)
    assert not site_points.in_window(12.0, 22.0, 5.0) and site_points.in_window(12.0, 0.0, 24.0)


# ----- electrical load shed -----------------------------------------------------------------


async def test_load_shed_lowers_meter_kw_in_stages_and_releases(site):
    kw_before = await site.read(METER, site_points.METER_KW)
    shed = site.run(LoadShed, kw_limit=1.0, kw_deadband=0.5, stage_up_delay=0.1, stage_down_delay=0.3,
                    fan_speed_limit=30.0, heat_pumps_kept=0)
    await until(lambda: shed.aso.stage == 3)
    # All heat pumps off and the fan slowed leave little more than lights and plugs (about 11 kW).
    kw = await until(lambda: _below(site.read(METER, site_points.METER_KW), kw_before - 4.0))
    assert kw < kw_before - 4.0
    for vav in VAVS:
        assert await site.slot(vav, site_points.COOLING_SP) == pytest.approx(76.0)
    assert await site.slot(AHU, site_points.FAN_SPEED) == pytest.approx(30.0)
    assert await site.read(PLANT, site_points.hp_status(1)) == "inactive"

    # Demand well under the limit: the last stage (heat pumps) is restored first.
    shed.aso.kw_limit = 1000.0
    await until(lambda: shed.aso.stage == 2)
    shed.aso.stage_down_delay = 3600.0  # hold stage 2 while we look
    await site.nothing_held([(PLANT, site_points.hp_enable(n)) for n in range(1, 5)])
    assert await site.slot(AHU, site_points.FAN_SPEED) == pytest.approx(30.0)

    await shed.stop()
    await site.nothing_held([(vav, site_points.COOLING_SP) for vav in VAVS] + [(AHU, site_points.FAN_SPEED)])
    assert site.runner.ledger.held() == []


async def test_a_disabled_load_shed_releases_and_starts_again_from_stage_zero(site):
    shed = site.run(LoadShed, kw_limit=1.0, stage_up_delay=0.1, heat_pumps_kept=0)
    await until(lambda: shed.aso.stage == 3)
    site.runner.set_enabled(False)  # the BAS writes optimization-enabled inactive
    await until(lambda: shed.state == "disabled" and shed.aso.stage == 0)  # on_disable forgot the stages
    assert not shed.held()
    await site.nothing_held([(vav, site_points.COOLING_SP) for vav in VAVS] + [(AHU, site_points.FAN_SPEED)])
    site.runner.set_enabled(True)
    await until(lambda: shed.aso.stage >= 1 and _equal(site.slot(2001, site_points.COOLING_SP), 76.0))
    await shed.stop()


# ----- supervisory occupancy sharing --------------------------------------------------------


async def test_occupancy_sharing_pushes_the_ahu_mode_but_an_operator_override_wins(site):
    mode = site_points.ZONE_MODE
    await site.operator.write(2003, mode, site_points.OCCUPIED, priority=8)  # a technician holds one box
    share = site.run(OccupancySharing)
    await until(lambda: _all_equal(site, VAVS, mode, site_points.OCCUPIED))
    await site.operator.write(AHU, site_points.AHU_MODE, site_points.UNOCCUPIED, priority=8)  # the schedule
    await until(lambda: _all_equal(site, VAVS, mode, site_points.UNOCCUPIED))
    for vav in VAVS:
        expected = site_points.OCCUPIED if vav == 2003 else site_points.UNOCCUPIED
        assert await site.read(vav, mode) == expected

    await share.stop()
    await site.nothing_held([(vav, mode) for vav in VAVS])
    assert await site.read(2001, mode) == site_points.OCCUPIED  # back to the box's relinquish default


# ----- trim and respond ---------------------------------------------------------------------


async def test_static_pressure_reset_trims_then_responds_to_open_dampers(site):
    reset = site.run(StaticPressureReset, sp_initial=1.2, hold_after_start=0.0)
    await until(lambda: _below(site.slot(AHU, site_points.STATIC_SP), 1.0))  # no requests: trimmed
    for vav in VAVS:  # every box starved: five requests, two ignored
        await site.operator.write(vav, site_points.DAMPER, 100.0, priority=8)
    await until(lambda: _equal(site.slot(AHU, site_points.STATIC_SP), 1.5))  # responded up to the maximum
    assert reset.aso.last_requests == 5

    await reset.stop()
    await site.nothing_held([(AHU, site_points.STATIC_SP)])
    assert await site.read(AHU, site_points.STATIC_SP) == pytest.approx(1.5)


async def test_supply_air_reset_trims_up_then_responds_to_warm_zones(site):
    reset = site.run(SupplyAirReset, sp_initial=58.0, sp_trim=0.5, hold_after_start=0.0)
    await until(lambda: _above(site.read(AHU, site_points.SAT_SP), 59.0))
    for vav in VAVS[:4]:  # four zones now 8 degF over their setpoint: three requests each
        await site.operator.write(vav, site_points.COOLING_SP, 65.0, priority=8)
    await until(lambda: _equal(site.slot(AHU, site_points.SAT_SP), 55.0))

    await reset.stop()
    await site.nothing_held([(AHU, site_points.SAT_SP)])


# ----- ventilation and zone modes -----------------------------------------------------------


async def test_demand_control_ventilation_lowers_outside_air_as_zones_empty(site):
    site.pin_sim_clock(15)  # 87 degF outside: no free cooling, the AHU holds its 20 % minimum
    await until(lambda: _equal(site.slot(AHU, site_points.MA_DAMPER, 16), 20.0))
    dcv = site.run(DemandControlVentilation)
    await until(lambda: _equal(site.slot(AHU, site_points.MA_DAMPER), 20.0))  # all occupied: the design minimum
    for vav in VAVS[:3]:
        await site.operator.write(vav, site_points.ZONE_MODE, site_points.STANDBY, priority=8)
    # Vot: (2 x 85 + 3 x 60) / 0.8 = 437.5 of 531.25 cfm -> 16.5 % outside air
    await until(lambda: _equal(site.read(AHU, site_points.OA_DAMPER), 16.5))

    await dcv.stop()
    await site.nothing_held([(AHU, site_points.MA_DAMPER)])
    await until(lambda: _equal(site.read(AHU, site_points.OA_DAMPER), 20.0))


async def test_occupied_standby_follows_occupancy_sensors(site):
    sensor = "binary-value,1"
    for vav in VAVS[:4]:  # the lighting integration maps a sensor into four boxes; 2005 has none
        site.building.application(vav).add_object(points.binary_value(1, f"{vav} Occupancy Sensor", True))
    standby = site.run(OccupiedStandby, standby_delay=0.2)
    for vav in (2002, 2004):
        await site.operator.write(vav, sensor, "inactive", priority=8)
    await until(lambda: _all_equal(site, (2002, 2004), site_points.ZONE_MODE, site_points.STANDBY))
    assert await site.read(2002, site_points.ZONE_MODE) == site_points.STANDBY
    await site.nothing_held([(2001, site_points.ZONE_MODE), (2003, site_points.ZONE_MODE)])

    await site.operator.write(2002, sensor, "active", priority=8)  # someone walks in
    await until(lambda: _equal(site.read(2002, site_points.ZONE_MODE), site_points.OCCUPIED))
    await site.nothing_held([(2002, site_points.ZONE_MODE)])

    await standby.stop()
    await site.nothing_held([(2004, site_points.ZONE_MODE)])
    assert any("2005: no occupancy sensor" in line for line in site.logs)


# ----- overnight strategies -------------------------------------------------------------------


AHU_COMMANDS = [(AHU, p) for p in (site_points.FAN_CMD, site_points.FAN_SPEED, site_points.MA_DAMPER,
                                   site_points.COOLING_VALVE, site_points.HEATING_VALVE)]


async def test_night_flush_runs_the_fan_on_outside_air_in_its_window(site):
    site.pin_sim_clock(4)  # about 63 degF outside, zones about 73 degF
    flush = site.run(NightFlush, clock_hour=3.0)
    await until(lambda: flush.steps >= 3)
    assert not flush.held()  # in the window, but the building is occupied: the BAS runs it
    await site.operator.write(AHU, site_points.AHU_MODE, site_points.UNOCCUPIED, priority=8)
    await until(lambda: _equal(site.read(AHU, site_points.FAN_STATUS), "active"))
    await until(lambda: _equal(site.read(AHU, site_points.OA_DAMPER), 100.0))
    await until(lambda: _all_equal(site, VAVS, site_points.DAMPER, 100.0))

    flush.aso.clock_hour = 7.0  # the window is over: everything handed back, the fan stops
    await until(lambda: not flush.held())
    await until(lambda: _equal(site.read(AHU, site_points.FAN_STATUS), "inactive"))

    flush.aso.clock_hour = 2.0
    await until(lambda: _equal(site.slot(AHU, site_points.FAN_CMD), "active"))
    await flush.stop()
    await site.nothing_held(AHU_COMMANDS + [(vav, site_points.DAMPER) for vav in VAVS])


async def test_override_release_bot_releases_only_aged_allow_listed_priority_8(site):
    cooling, heating = site_points.COOLING_SP, site_points.HEATING_SP
    await site.operator.write(2001, cooling, 78.0, priority=8)  # on the list
    await site.operator.write(2002, cooling, 78.0, priority=8)  # not on the list
    await site.operator.write(2001, heating, 68.0, priority=9)  # on the list, not at 8
    bot = site.run(OverrideRelease, allow_list=[(2001, cooling), (2001, heating)], max_age=3600.0, clock_hour=2.0)
    await until(lambda: bot.steps >= 3)
    assert await site.slot(2001, cooling, 8) == 78.0  # too young
    assert any("override seen: 2001 analog-value,1 = 78.0" in line for line in site.logs)

    bot.aso.max_age, bot.aso.clock_hour = 0.2, 12.0  # old enough, but daytime
    await asyncio.sleep(0.3)
    steps = bot.steps
    await until(lambda: bot.steps >= steps + 3)
    assert await site.slot(2001, cooling, 8) == 78.0

    bot.aso.clock_hour = 2.0
    await until(lambda: _equal(site.slot(2001, cooling, 8), None))
    assert await site.slot(2002, cooling, 8) == 78.0
    assert await site.slot(2001, heating, 9) == 68.0
    assert bot.aso.released == [(2001, cooling, 78.0)]
    assert any("released stale override 2001 analog-value,1 = 78.0 @8" in line for line in site.logs)
    await bot.stop()
    assert site.runner.ledger.held() == []


# ----- plant and demand ------------------------------------------------------------------------


async def test_staggered_start_locks_heat_pumps_and_releases_them_one_by_one(site):
    releases: list[tuple[float, str]] = []
    site.runner.events.on_event(lambda e: releases.append((e.time, e.message)) if "released to the plant" in e.message else None)
    await site.operator.write(AHU, site_points.AHU_MODE, site_points.UNOCCUPIED, priority=8)
    stagger = site.run(StaggeredStart, cold_oat=200.0, stagger_delay=0.4)  # every morning counts as cold
    await until(lambda: stagger.steps >= 2)
    await site.nothing_held([(PLANT, site_points.hp_enable(n)) for n in range(1, 5)])  # no start yet

    await site.operator.release(AHU, site_points.AHU_MODE, 8)  # the schedule starts the building
    await until(lambda: _equal(site.slot(PLANT, site_points.hp_enable(4)), "inactive"))
    assert await site.slot(PLANT, site_points.hp_enable(1)) is None  # the first pump is never held
    await until(lambda: len(releases) == 3)
    assert [message for _, message in releases] == [f"HP-{n} released to the plant's staging" for n in (2, 3, 4)]
    assert all(later - earlier >= 0.35 for (earlier, _), (later, _) in zip(releases, releases[1:]))
    await stagger.stop()
    await site.nothing_held([(PLANT, site_points.hp_enable(n)) for n in range(1, 5)])


async def test_load_shift_precools_then_coasts_through_the_peak(site):
    cooling = [(vav, site_points.COOLING_SP) for vav in VAVS]
    shift = site.run(LoadShift, clock_hour=8.0)
    await until(lambda: shift.steps >= 2)
    await site.nothing_held(cooling)  # morning: the BAS's setpoints stand
    shift.aso.clock_hour = 11.0
    await until(lambda: _all_equal(site, VAVS, site_points.COOLING_SP, 72.0))  # 74 - 2 degF
    shift.aso.clock_hour = 15.0
    await until(lambda: _all_equal(site, VAVS, site_points.COOLING_SP, 76.0))  # 74 + 2 degF
    await shift.stop()
    await site.nothing_held(cooling)
    assert await site.read(2001, site_points.COOLING_SP) == pytest.approx(74.0)


# ----- reports ------------------------------------------------------------------------------


async def test_rogue_zones_names_the_box_with_a_stuck_open_damper(site):
    await site.operator.write(2003, site_points.DAMPER, 100.0, priority=8)
    rogue = site.run(RogueZones, report_every=0.3)
    await until(lambda: any("rogue zone" in line for line in site.logs))
    assert rogue.aso.rogues == ["VAV-1-03"]
    assert any("rogue zone VAV-1-03 (device 2003): static pressure requests in 100%" in line for line in site.logs)
    await rogue.stop()
    assert site.runner.client.writes_sent == 0  # report only: never commanded anything


async def test_ahu_functional_check_passes_on_a_healthy_ahu_and_releases(site):
    site.pin_sim_clock(15)  # 87 degF outside against about 75 degF return: the economizer test is conclusive
    check = site.run(AhuFunctionalCheck, settle_timeout=10.0, poll_interval=0.05)
    await until(lambda: check.aso.done)
    assert [(name, outcome) for name, outcome, _ in check.aso.results] == [
        ("fan start", "pass"), ("cooling valve", "pass"), ("heating valve", "pass"),
        ("outside air", "pass"), ("return air", "pass"), ("fan stop", "pass")]
    assert any("functional check PASSED: 6 passed of 6" in line for line in site.logs)
    assert not check.held()  # handed back before it even stops
    await check.stop()
    await site.nothing_held(AHU_COMMANDS)


async def test_ahu_functional_check_fails_when_the_fan_status_never_proves(site):
    # A failed current switch: the technician's out-of-service value stays "off".
    await site.operator.write(AHU, site_points.FAN_STATUS, True, property="out-of-service")
    await site.operator.write(AHU, site_points.FAN_STATUS, "inactive")
    check = site.run(AhuFunctionalCheck, settle_timeout=0.5, poll_interval=0.05)
    await until(lambda: check.aso.done)
    outcomes = {name: outcome for name, outcome, _ in check.aso.results}
    assert outcomes["fan start"] == "fail" and outcomes["cooling valve"] == "skip"
    assert any("functional check FAILED (fan start)" in line for line in site.logs)
    await check.stop()
    await site.nothing_held(AHU_COMMANDS)


async def test_ahu_functional_check_fails_the_heating_valve_on_a_stuck_supply_sensor(site):
    site.pin_sim_clock(15)
    # The supply air sensor reads 60 degF whatever happens (out of service: the model leaves it alone).
    await site.operator.write(AHU, site_points.SAT, True, property="out-of-service")
    await site.operator.write(AHU, site_points.SAT, 60.0)
    check = site.run(AhuFunctionalCheck, settle_timeout=1.0, poll_interval=0.05)
    await until(lambda: check.aso.done)
    outcomes = {name: outcome for name, outcome, _ in check.aso.results}
    assert outcomes == {"fan start": "pass", "cooling valve": "pass", "heating valve": "fail",
                        "outside air": "pass", "return air": "pass", "fan stop": "pass"}
    assert any("functional check FAILED (heating valve): 5 passed of 6" in line for line in site.logs)
