"""The site the fault tests run on: one field controller on loopback UDP, a relay in front of it,
and an independent checker that reads it directly.

Ports 47301-47304 on 127.0.0.1 only. The fixtures (``loopback_device``,
``relay``, ``loopback_checker``) live in conftest.py and build on the
functions here.
"""

from __future__ import annotations

from aso_runtime.bacnet import open_client
from aso_runtime.bacnet.application import AsoApplication
from aso_runtime.bacnet.local import (
    LocalDevice,
    build_application,
    device_object,
    parse_local_address,
    udp_port,
)
from aso_runtime.sim.points import analog_value

from .peers import field_objects
from .relay import UdpRelay
from .waiting import until  # noqa: F401 (the fault tests import it from here)

DEVICE_PORT, RELAY_PORT, HOST_PORT, CHECKER_PORT = 47301, 47302, 47303, 47304
DEVICE = f"127.0.0.1:{RELAY_PORT}"  # how the host reaches the device: through the relay
DIRECT = f"127.0.0.1:{DEVICE_PORT}"  # how the independent checker reaches it


def serve_device():
    """A field controller on loopback UDP: the peers' points plus a range-checked setpoint av,50 (50..90)."""
    objects = [*field_objects(), analog_value(50, "Zone Setpoint", "degrees-fahrenheit", 72.0, "", 50.0, 90.0)]
    return build_application(AsoApplication, [device_object(LocalDevice(instance=1001, name="FC-1001")),
                                               udp_port(parse_local_address(f"127.0.0.1/8:{DEVICE_PORT}")), *objects])


async def start_relay() -> UdpRelay:
    return await UdpRelay.start(RELAY_PORT, ("127.0.0.1", DEVICE_PORT))


async def open_checker():
    """The independent reader: its own client, straight to the device."""
    return await open_client(address=f"127.0.0.1/8:{CHECKER_PORT}", instance=777, timeout=1.0)


async def held_slots(checker, *points: str) -> dict[str, list[int]]:
    """Every active slot of each point, read straight from the device."""
    result = {}
    for point in points:
        array = await checker.priority_array(DIRECT, point)
        result[point] = [slot.priority for slot in array.slots if slot.active]
    return result
