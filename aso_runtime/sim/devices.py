"""What each simulated device is: its device object settings and its points.

One builder per kind of equipment returns a :class:`DeviceSpec`: the local
objects to serve plus a ``points`` map from role (``"fan_speed"``) to object,
which is how the model finds what to read and drive. Object names are what a
technician reads on a graphics page: ``"AHU-1 Supply Fan Command"``,
``"VAV-2-03 Zone Temperature"``.

Instances: AHU 1001, VAVs 2001.., plant 3001, meter 4001. The plant and the
meter are configured like small field controllers (no segmentation; the
meter with max APDU 480 and no ReadPropertyMultiple) so that clients'
fallbacks get exercised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bacpypes3.app import Application

from ..bacnet.application import AsoApplication
from ..bacnet.errors import InvalidInput
from . import points as p
from .alarms import add_zone_alarm
from .management import ManagedDevice
from .trends import add_trend_log, add_trend_log_multiple
from .schedules import add_schedule

AHU_INSTANCE = 1001
VAV_FIRST_INSTANCE = 2001
PLANT_INSTANCE = 3001
METER_INSTANCE = 4001
HEAT_PUMPS = 4
VAVS_PER_FLOOR = 10

OCCUPANCY_STATES = ["occupied", "unoccupied", "standby"]
OCCUPIED, UNOCCUPIED, STANDBY = 1, 2, 3


@dataclass(frozen=True)
class SimDevice:
    """A simulated device as a client sees it (plain data).

    ``address`` is what the client accepts back: ``"5"`` (MAC 5 on the
    shared virtual network) or ``"2:5"`` (MAC 5 on network 2 behind the
    simulator's router). ``kind`` is ``'ahu'``, ``'vav'``, ``'plant'`` or
    ``'meter'``.
    """

    instance: int
    name: str
    address: str
    kind: str


@dataclass
class DeviceSpec:
    """Everything needed to serve one device (before it has an address)."""

    instance: int
    name: str
    kind: str
    description: str
    objects: list[Any]
    points: dict[str, Any]
    max_apdu: int = 1476
    segmentation: str = "segmented-both"
    reject_rpm: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # model parameters (design airflow...)

    @property
    def application_class(self) -> type[Application]:
        return FieldControllerApplication if self.reject_rpm else SimApplication


class SimApplication(ManagedDevice, AsoApplication):
    """A simulated device's application: our application (correct services-supported),
    answering time synchronization, DCC and ReinitializeDevice (``management.py``)."""


class FieldControllerApplication(SimApplication):
    """A small controller that does not implement ReadPropertyMultiple.

    The request is answered with Reject(unrecognized-service), the
    standard answer for an unsupported confirmed service, and the device's
    protocol-services-supported does not claim it (see AsoApplication).
    """

    do_ReadPropertyMultipleRequest = None


def _add(points: dict[str, Any], role: str, obj: Any) -> Any:
    points[role] = obj
    return obj


# ----- AHU -----------------------------------------------------------------------


def ahu(vav_count: int, instance: int = AHU_INSTANCE, name: str = "AHU-1") -> DeviceSpec:
    """A VAV air handler: supply fan on a VFD, heating and cooling coils, economizer."""
    pts: dict[str, Any] = {}
    a = lambda role, obj: _add(pts, role, obj)  # noqa: E731 (local shorthand)
    a("fan_cmd", p.binary_output(1, f"{name} Supply Fan Command", True, "Supply fan start/stop", "Start", "Stop"))
    a("fan_status", p.binary_input(1, f"{name} Supply Fan Status", True, "Supply fan proof of flow (current switch)", "On", "Off"))
    a("fan_speed", p.analog_output(1, f"{name} Supply Fan Speed Command", "percent", 70.0, "Supply fan VFD speed command"))
    a("heating_valve", p.analog_output(2, f"{name} Heating Valve Command", "percent", 0.0, "Hot water heating coil valve"))
    a("cooling_valve", p.analog_output(3, f"{name} Cooling Valve Command", "percent", 40.0, "Chilled water cooling coil valve"))
    a("oa_damper", p.analog_output(4, f"{name} Outside Air Damper Command", "percent", 20.0, "Outside air damper position command"))
    a("ra_damper", p.analog_output(5, f"{name} Return Air Damper Command", "percent", 80.0, "Return air damper position command"))
    a("ma_damper", p.analog_output(6, f"{name} Mixed Air Damper Command", "percent", 20.0, "Economizer mixed air damper signal"))
    a("static", p.analog_input(1, f"{name} Duct Static Pressure", "inches-of-water", 1.5, "Supply duct static pressure, 2/3 down the duct", 0.02))
    a("static_sp", p.analog_value(1, f"{name} Duct Static Pressure Setpoint", "inches-of-water", 1.5, "Duct static pressure setpoint", 0.0, 4.0))
    a("sat", p.analog_input(2, f"{name} Supply Air Temperature", "degrees-fahrenheit", 55.0, "Supply air temperature leaving the fan"))
    a("mat", p.analog_input(3, f"{name} Mixed Air Temperature", "degrees-fahrenheit", 72.0, "Mixed air temperature before the coils"))
    a("rat", p.analog_input(4, f"{name} Return Air Temperature", "degrees-fahrenheit", 74.0, "Return air temperature"))
    a("oat", p.analog_input(5, f"{name} Outside Air Temperature", "degrees-fahrenheit", 75.0, "Outside air temperature (shared sensor)"))
    a("airflow", p.analog_input(6, f"{name} Supply Airflow", "cubic-feet-per-minute", 0.0, "Total supply airflow", 10.0))
    a("sat_sp", p.analog_value(2, f"{name} Supply Air Temperature Setpoint", "degrees-fahrenheit", 55.0, "Supply air temperature setpoint", 45.0, 75.0))
    a("occupancy", p.multistate_value(1, f"{name} Occupancy Mode", OCCUPANCY_STATES, OCCUPIED, "Occupancy mode of the air handler"))
    add_schedule(pts, name)  # schedule,1 + calendar,1 driving binary-value,1 (schedules.py)
    return DeviceSpec(
        instance, name, "ahu", "Air handling unit serving the VAV boxes", list(pts.values()), pts,
        extra={"design_cfm": 1000.0 * vav_count},
    )


# ----- VAV boxes ------------------------------------------------------------------


def vav_name(index: int) -> str:
    """``VAV-<floor>-<box>``: ten boxes a floor, numbered from 01."""
    return f"VAV-{index // VAVS_PER_FLOOR + 1}-{index % VAVS_PER_FLOOR + 1:02d}"


def vav(index: int, instance: int | None = None) -> DeviceSpec:
    """A pressure-independent VAV box with hot water reheat (index from 0)."""
    instance = VAV_FIRST_INSTANCE + index if instance is None else instance
    name = vav_name(index)
    max_cfm = 1000.0
    pts: dict[str, Any] = {}
    a = lambda role, obj: _add(pts, role, obj)  # noqa: E731
    a("zone_temp", p.analog_input(1, f"{name} Zone Temperature", "degrees-fahrenheit", 73.0, "Space temperature sensor"))
    add_zone_alarm(pts, name, index)  # zone high-limit alarm + notification-class,1 on the first VAV (alarms.py)
    a("airflow", p.analog_input(2, f"{name} Airflow", "cubic-feet-per-minute", 500.0, "Measured primary airflow", 5.0))
    a("discharge_temp", p.analog_input(3, f"{name} Discharge Air Temperature", "degrees-fahrenheit", 56.0, "Air leaving the reheat coil"))
    a("cooling_sp", p.analog_value(1, f"{name} Cooling Setpoint", "degrees-fahrenheit", 74.0, "Occupied cooling setpoint", 60.0, 90.0))
    a("heating_sp", p.analog_value(2, f"{name} Heating Setpoint", "degrees-fahrenheit", 70.0, "Occupied heating setpoint", 50.0, 80.0))
    a("airflow_sp", p.analog_value(3, f"{name} Airflow Setpoint", "cubic-feet-per-minute", 500.0, "Primary airflow setpoint", 0.0, max_cfm * 1.2))
    a("damper", p.analog_output(1, f"{name} Damper Command", "percent", 50.0, "Primary air damper position command"))
    a("reheat", p.analog_output(2, f"{name} Reheat Valve Command", "percent", 0.0, "Hot water reheat valve command"))
    a("occupancy", p.multistate_value(1, f"{name} Occupancy", OCCUPANCY_STATES, OCCUPIED, "Zone occupancy mode"))
    add_trend_log(pts, name, instance, "zone_temp")  # trend-log,1 of the zone temperature (trends.py)
    if index == 0:  # trend-log-multiple,1 on the first VAV: zone temperature, airflow, damper together
        add_trend_log_multiple(pts, name, instance, ("zone_temp", "airflow", "damper"))
    return DeviceSpec(
        instance, name, "vav", f"VAV box {name} with hot water reheat", list(pts.values()), pts,
        extra={"max_cfm": max_cfm, "min_cfm": 0.3 * max_cfm, "index": index},
    )


# ----- central plant --------------------------------------------------------------


def plant(instance: int = PLANT_INSTANCE, name: str = "PLANT-1") -> DeviceSpec:
    """Four staged heat pumps making chilled water; no segmentation, max APDU 1476."""
    pts: dict[str, Any] = {}
    a = lambda role, obj: _add(pts, role, obj)  # noqa: E731
    for n in range(1, HEAT_PUMPS + 1):
        a(f"hp{n}_enable", p.binary_output(n, f"{name} HP-{n} Enable Command", False, f"Heat pump {n} enable", "Enable", "Disable"))
        a(f"hp{n}_status", p.binary_input(n, f"{name} HP-{n} Status", False, f"Heat pump {n} compressor running", "Running", "Off"))
        a(f"hp{n}_kw", p.analog_input(n, f"{name} HP-{n} Power", "kilowatts", 0.0, f"Heat pump {n} electrical demand"))
    a("chws", p.analog_input(HEAT_PUMPS + 1, f"{name} Chilled Water Supply Temperature", "degrees-fahrenheit", 44.0, "Common chilled water supply"))
    a("chwr", p.analog_input(HEAT_PUMPS + 2, f"{name} Chilled Water Return Temperature", "degrees-fahrenheit", 54.0, "Common chilled water return"))
    a("chws_sp", p.analog_value(1, f"{name} Chilled Water Supply Temperature Setpoint", "degrees-fahrenheit", 44.0, "Chilled water supply setpoint", 38.0, 60.0))
    return DeviceSpec(
        instance, name, "plant", "Central plant: four heat pumps on a common chilled water loop", list(pts.values()), pts,
        max_apdu=1476, segmentation="no-segmentation",
    )


# ----- electric meter ---------------------------------------------------------------


def meter(demand_limit_kw: float = 2000.0, instance: int = METER_INSTANCE, name: str = "METER-1") -> DeviceSpec:
    """The building's main electric meter: max APDU 480, no segmentation, no RPM."""
    pts: dict[str, Any] = {}
    a = lambda role, obj: _add(pts, role, obj)  # noqa: E731
    a("kw", p.analog_input(1, f"{name} Building Power", "kilowatts", 0.0, "Whole-building electrical demand"))
    a("kwh", p.analog_input(2, f"{name} Building Energy", "kilowatt-hours", 0.0, "Whole-building energy since the meter started", 1.0))
    a("demand_limit", p.analog_value(1, f"{name} Demand Limit", "kilowatts", demand_limit_kw, "Demand limit: the plant sheds heat pumps above it", 0.0, 100000.0))
    add_trend_log(pts, name, instance, "kw")  # trend-log,1 of the building kW (trends.py)
    return DeviceSpec(
        instance, name, "meter", "Main electric meter", list(pts.values()), pts,
        max_apdu=480, segmentation="no-segmentation", reject_rpm=True,
    )


# ----- the whole building -------------------------------------------------------------

MIN_DEVICES = 8  # AHU + plant + meter + 5 VAVs
# One-byte virtual MACs 2..251: bacpypes3 0.0.110 refuses a 2-byte virtual MAC
# (NetworkPortObject macAddress b"\x01\x2c" -> "invalid address").
MAX_DEVICES = 250


def building_specs(devices: int) -> list[DeviceSpec]:
    """AHU, the VAV boxes, plant and meter: ``devices`` in total (8..250).

    Raises InvalidInput (a ValueError) outside that range.
    """
    if isinstance(devices, bool) or not isinstance(devices, int) or not MIN_DEVICES <= devices <= MAX_DEVICES:
        raise InvalidInput(f"the simulated building has {MIN_DEVICES}..{MAX_DEVICES} devices (AHU, plant, meter and VAVs), got {devices}")
    vav_count = devices - 3
    # Well above the normal peak (about 4.5 kW a zone), so it only bites when lowered.
    demand_limit = float(round(50 + 8 * vav_count, -1))
    return [ahu(vav_count), *(vav(i) for i in range(vav_count)), plant(), meter(demand_limit)]
