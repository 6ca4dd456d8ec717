"""The simulated building, checked the way a technician would: through the BACnet client.

Most tests run on the in-process virtual network (no sockets). The UDP tests
bind only 127.0.0.1 on ports 47960-47999 and prove that a foreign-registered
client on the same machine finds every device behind the simulator's router.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import time

import pytest
from bacpypes3.vlan import VirtualNetwork

from aso_runtime.bacnet import (
    BacnetReject,
    BacnetRemoteError,
    InvalidInput,
    LocalNetworkError,
    discover_objects,
    open_client,
    who_is,
)
from aso_runtime.bacnet.local import check_can_bind, drop_virtual_network, parse_local_address
from aso_runtime.sim import SimulatedBuilding

_names = itertools.count(1)

FAST = {"step": 0.05, "speed": 60.0}  # 3 simulated seconds every 50 ms
ZONE_TEMP, DAMPER, COOLING_SP = "analog-input,1", "analog-output,1", "analog-value,1"
FAN_SPEED, DUCT_STATIC = "analog-output,1", "analog-input,1"


async def eventually(read, predicate, timeout: float = 10.0, every: float = 0.05):
    """Poll ``read()`` until ``predicate(value)``; return the last value either way."""
    deadline = time.monotonic() + timeout
    value = await read()
    while not predicate(value) and time.monotonic() < deadline:
        await asyncio.sleep(every)
        value = await read()
    return value


def free_port_pair(first: int = 47960, last: int = 47999) -> int:
    """Two consecutive free loopback ports in our test range (others may run tests too)."""
    for port in range(first, last):
        try:
            check_can_bind(parse_local_address(f"127.0.0.1/8:{port}"))
            check_can_bind(parse_local_address(f"127.0.0.1/8:{port + 1}"))
        except LocalNetworkError:
            continue
        return port
    pytest.skip("no free loopback port pair in 47960-47999")


@pytest.fixture
async def site():
    """A building of 8 devices on its own virtual network, and a client at MAC 1."""
    name = f"test-sim-{os.getpid()}-{next(_names)}"
    building = await SimulatedBuilding.start(vlan=name, devices=8, **FAST)
    client = await open_client(vlan=name, mac=1, timeout=2.0)
    try:
        yield building, client
    finally:
        await client.close()
        await building.stop()
        drop_virtual_network(name)


@pytest.fixture
async def found(site):
    building, client = site
    devices = await who_is(client)
    return building, client, {d.instance: d for d in devices}


# ----- discovery on the virtual network ---------------------------------------------


async def test_who_is_finds_ahu_vavs_plant_and_meter(found):
    building, _, devices = found
    assert set(devices) == {1001, 2001, 2002, 2003, 2004, 2005, 3001, 4001}
    kinds = sorted(d.kind for d in building.devices)
    assert kinds == ["ahu", "meter", "plant"] + ["vav"] * 5
    # What the building says a client will see is what the client saw.
    for device in building.devices:
        assert devices[device.instance].address == device.address


async def test_plant_and_meter_announce_no_segmentation_and_their_max_apdu(found):
    _, _, devices = found
    assert (devices[3001].max_apdu, devices[3001].segmentation) == (1476, "no-segmentation")
    assert (devices[4001].max_apdu, devices[4001].segmentation) == (480, "no-segmentation")
    assert devices[1001].segmentation == "segmented-both"


async def test_points_have_names_a_technician_recognises_and_units(found):
    _, client, devices = found
    ahu = {p.name: p for p in await discover_objects(client, devices[1001])}
    assert ahu["AHU-1 Supply Fan Command"].object_id == "binary-output,1"
    assert ahu["AHU-1 Duct Static Pressure"].units == "inches-of-water"
    assert ahu["AHU-1 Supply Air Temperature Setpoint"].units == "degrees-fahrenheit"
    vav = {p.name: p for p in await discover_objects(client, devices[2003])}
    assert vav["VAV-1-03 Zone Temperature"].object_id == ZONE_TEMP
    assert vav["VAV-1-03 Airflow"].units == "cubic-feet-per-minute"
    assert vav["VAV-1-03 Damper Command"].units == "percent"
    states = await client.read(devices[2003], "multi-state-value,1", "state-text")
    assert states == ["occupied", "unoccupied", "standby"]


async def test_meter_rejects_rpm_but_discovery_still_reads_its_points(found):
    _, client, devices = found
    meter = devices[4001]
    with pytest.raises(BacnetReject) as rejected:
        await client.read_multiple(meter, [("analog-input,1", ["present-value"])])
    assert rejected.value.reason == "unrecognized-service"
    points = {p.object_id: p for p in await discover_objects(client, meter)}
    assert points["analog-input,1"].name == "METER-1 Building Power"
    assert points["analog-input,1"].units == "kilowatts"
    assert points["analog-input,2"].units == "kilowatt-hours"
    assert points["analog-value,1"].name == "METER-1 Demand Limit"
    services = await client.read(meter, "device,4001", "protocol-services-supported")
    assert {"read-property", "write-property", "who-is", "i-am"} <= set(services)
    assert "read-property-multiple" not in services


async def test_plant_points_discovered_despite_no_segmentation(found):
    _, client, devices = found
    names = {p.name for p in await discover_objects(client, devices[3001])}
    for n in range(1, 5):
        assert {f"PLANT-1 HP-{n} Enable Command", f"PLANT-1 HP-{n} Status", f"PLANT-1 HP-{n} Power"} <= names
    assert "PLANT-1 Chilled Water Supply Temperature Setpoint" in names


# ----- commands drive the model --------------------------------------------------------


async def test_priority_8_damper_write_shows_in_array_and_cools_the_zone(found):
    _, client, devices = found
    vav = devices[2001]
    before = await client.read(vav, ZONE_TEMP)
    await client.write(vav, DAMPER, 100.0, 8)
    array = await client.priority_array(vav, DAMPER)
    assert array.at(8).value == pytest.approx(100.0)
    assert array.current_command_priority == 8
    assert array.present_value == pytest.approx(100.0)
    assert array.at(16).active  # the box's own program keeps writing at 16 underneath
    after = await eventually(lambda: client.read(vav, ZONE_TEMP), lambda t: t < before - 1.0)
    assert after < before - 1.0, f"zone stayed at {after:.2f} degF (was {before:.2f}) with the damper wide open"
    airflow = await client.read(vav, "analog-input,2")
    assert airflow > 800  # wide open at design static: near the 1000 cfm box maximum

    await client.release(vav, DAMPER, 8)
    released = await client.priority_array(vav, DAMPER)
    assert not released.at(8).active
    assert released.current_command_priority == 16


async def test_fan_speed_override_raises_duct_static_and_meter_kw(found):
    _, client, devices = found
    ahu, meter = devices[1001], devices[4001]
    static_before = await client.read(ahu, DUCT_STATIC)
    kw_before = await client.read(meter, "analog-input,1")
    await client.write(ahu, FAN_SPEED, 100.0, 8)
    static = await eventually(lambda: client.read(ahu, DUCT_STATIC), lambda s: s > static_before + 0.5)
    assert static > static_before + 0.5
    kw = await eventually(lambda: client.read(meter, "analog-input,1"), lambda k: k > kw_before + 1.5)
    assert kw > kw_before + 1.5, "fan at 100% should cost kW (cube law)"

    await client.write(ahu, "binary-output,1", "inactive", 8)  # stop the fan
    stopped = await eventually(lambda: client.read(ahu, DUCT_STATIC), lambda s: s < 0.05)
    assert stopped < 0.05
    assert await client.read(ahu, "binary-input,1") == "inactive"


async def test_heat_pump_enable_shows_in_status_and_meter(found):
    _, client, devices = found
    plant, meter = devices[3001], devices[4001]
    await client.write(plant, "binary-output,4", "active", 8)  # lag pump: off unless the load is high
    status = await eventually(lambda: client.read(plant, "binary-input,4"), lambda s: s == "active")
    assert status == "active"
    assert await client.read(plant, "analog-input,4") > 1.0
    kw_on = await client.read(meter, "analog-input,1")
    await client.write(plant, "binary-output,4", "inactive", 8)
    kw_off = await eventually(lambda: client.read(meter, "analog-input,1"), lambda k: k < kw_on - 1.0)
    assert kw_off < kw_on - 1.0


async def test_sensors_refuse_writes_unless_out_of_service(found):
    building, client, devices = found
    vav = devices[2002]
    with pytest.raises(BacnetRemoteError) as denied:
        await client.write(vav, ZONE_TEMP, 80.0)
    assert denied.value.error_code == "write-access-denied"
    # Out of service, the technician's value stands and the model leaves it alone.
    await client.write(vav, ZONE_TEMP, True, property="out-of-service")
    await client.write(vav, ZONE_TEMP, 80.0)
    building.advance(30, dt=3)
    assert await client.read(vav, ZONE_TEMP) == pytest.approx(80.0)
    assert "out-of-service" in await client.read(vav, ZONE_TEMP, "status-flags")
    # ...and the box believes it: full cooling airflow.
    setpoint = await eventually(lambda: client.read(vav, "analog-value,3"), lambda f: f > 900)
    assert setpoint > 900


async def test_out_of_range_commands_are_refused(found):
    _, client, devices = found
    with pytest.raises(BacnetRemoteError) as refused:
        await client.write(devices[2001], DAMPER, 150.0, 8)
    assert refused.value.error_code == "value-out-of-range"
    with pytest.raises(BacnetRemoteError):
        await client.write(devices[2001], "multi-state-value,1", 4, 8)  # three states only


async def test_point_gives_the_local_object(site):
    building, _ = site
    damper = building.point(2001, "analog-output,1")
    assert str(damper.objectName) == "VAV-1-01 Damper Command"
    assert building.point(1001, "msv 1").numberOfStates == 3
    with pytest.raises(KeyError):
        building.point(2001, "analog-output,9")
    with pytest.raises(KeyError):
        building.point(9999, "analog-output,1")


# ----- scale, arguments, shutdown -----------------------------------------------------------


async def test_fifty_devices_all_answer_who_is():
    name = f"test-sim-{os.getpid()}-{next(_names)}"
    building = await SimulatedBuilding.start(vlan=name, devices=50)
    client = await open_client(vlan=name, mac=1, timeout=2.0)
    try:
        devices = await who_is(client)
        assert len(devices) == 50
        assert sum(d.kind == "vav" for d in building.devices) == 47
        assert {d.instance for d in devices} == {d.instance for d in building.devices}
        assert building.device(2047).name == "VAV-5-07"
    finally:
        await client.close()
        await building.stop()
    assert name not in VirtualNetwork._networks


@pytest.mark.parametrize("devices", [7, 251, 0])
async def test_device_count_outside_the_range_is_refused(devices):
    with pytest.raises(InvalidInput):
        await SimulatedBuilding.start(vlan=f"test-sim-bad-{devices}", devices=devices)
    assert f"test-sim-bad-{devices}" not in VirtualNetwork._networks


async def test_exactly_one_topology_is_required():
    with pytest.raises(ValueError):
        await SimulatedBuilding.start()
    with pytest.raises(ValueError):
        await SimulatedBuilding.start(vlan="x", address="127.0.0.1/8:47998")


async def test_stop_leaves_no_task_and_drops_the_vlan():
    name = f"test-sim-{os.getpid()}-{next(_names)}"
    building = await SimulatedBuilding.start(vlan=name, devices=8, **FAST)
    assert name in VirtualNetwork._networks
    await building.stop()
    await building.stop()  # idempotent
    assert name not in VirtualNetwork._networks
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "aso-sim-model"]


# ----- over loopback UDP, through the router -------------------------------------------------


async def test_foreign_client_discovers_and_commands_every_device_through_the_router():
    port = free_port_pair()
    building = await SimulatedBuilding.start(address=f"127.0.0.1/8:{port}", devices=8, **FAST)
    client = await open_client(address=f"127.0.0.1/8:{port + 1}", foreign=f"127.0.0.1:{port}", timeout=2.0)
    try:
        devices = {d.instance: d for d in await who_is(client)}
        assert set(devices) == {100, 1001, 2001, 2002, 2003, 2004, 2005, 3001, 4001}
        assert devices[100].address == f"127.0.0.1:{port}"  # the router's own device
        for device in building.devices:
            assert devices[device.instance].address == device.address
            assert device.address.startswith("2:")

        vav = devices[2004]
        assert await client.read(vav, "device,2004", "object-name") == "VAV-1-04"
        await client.write(vav, COOLING_SP, 76.5, 8)
        array = await client.priority_array(vav, COOLING_SP)
        assert array.at(8).value == pytest.approx(76.5)
        assert array.relinquish_default == pytest.approx(74.0)
        await client.release(vav, COOLING_SP, 8)
        assert await client.read(vav, COOLING_SP) == pytest.approx(74.0)

        # The meter refuses RPM; its points still come through the router by single reads.
        points = {p.object_id: p for p in await discover_objects(client, devices[4001])}
        assert points["analog-input,1"].name == "METER-1 Building Power"
    finally:
        await client.close()
        await building.stop()
    # The socket is really closed: the port can be bound again at once.
    check_can_bind(parse_local_address(f"127.0.0.1/8:{port}"))
    assert building.vlan not in VirtualNetwork._networks


async def test_busy_port_is_refused_with_a_clear_error():
    port = free_port_pair()
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", port))
    try:
        with pytest.raises(LocalNetworkError, match="already in use"):
            await SimulatedBuilding.start(address=f"127.0.0.1/8:{port}", devices=8)
    finally:
        holder.close()
