"""The BACnet client against genuine bacpypes3 devices on the virtual network."""

from __future__ import annotations

import asyncio

import pytest

from aso_runtime.bacnet import (
    BacnetAbort,
    BacnetRemoteError,
    BacnetTimeout,
    InvalidInput,
    discover_objects,
    open_client,
    who_has,
    who_is,
    who_is_stream,
)
from aso_runtime.bacnet.local import close_application

from .peers import serve_field_device


async def test_who_is_finds_device_with_its_i_am_details(client):
    devices = await who_is(client)
    assert [d.instance for d in devices] == [1001]
    device = devices[0]
    assert device.address == "0x02"
    assert device.vendor_id == 999
    assert device.max_apdu == 1476
    assert device.segmentation == "segmented-both"


async def test_who_is_stream_yields_before_the_window_closes(client):
    # A huge max-wait: the stream must still end on quiet, not sit out 30 s.
    found = [d async for d in who_is_stream(client, max_wait=30.0, quiet=0.1)]
    assert [d.instance for d in found] == [1001]


async def test_who_is_range_and_directed(client):
    assert await who_is(client, 2000, 3000, max_wait=0.3) == []
    assert [d.instance for d in await who_is(client, 1001, 1001)] == [1001]
    assert [d.instance for d in await who_is(client, address="0x02")] == [1001]


async def test_who_is_rejects_half_a_range(client):
    with pytest.raises(InvalidInput, match="low and a high"):
        await who_is(client, 5, None)


async def test_read_by_address_instance_and_device_info(client):
    devices = await who_is(client)
    assert await client.read("0x02", "ai,1") == 72.5
    assert await client.read(1001, "AI1") == 72.5
    assert await client.read(devices[0], "analog-input:1", "objectName") == "Zone Temperature"
    assert await client.read(1001, "av,1", "units") == "degrees-fahrenheit"
    assert await client.read(1001, "bv,1") == "active"
    assert await client.read(1001, "device,1001", "object-list[0]") == 7


async def test_read_errors_are_one_line_and_name_the_point(client):
    with pytest.raises(BacnetRemoteError) as caught:
        await client.read(1001, "ai,9")
    assert caught.value.error_code == "unknown-object"
    message = str(caught.value)
    assert "device 1001" in message and "analog-input,9" in message and "\n" not in message
    with pytest.raises(BacnetRemoteError, match="unknown-property"):
        await client.read(1001, "ai,1", "priority-array")
    with pytest.raises(InvalidInput, match="unknown property"):
        await client.read(1001, "ai,1", "present-valu")
    with pytest.raises(InvalidInput, match="accepted forms"):
        await client.read(1001, "zz,1")


async def test_dead_device_times_out_without_stalling_others(client):
    # MAC 9 has nobody behind it. The live device must answer while the dead
    # one is still timing out.
    order = []

    async def dead():
        try:
            await client.read("0x09", "ai,1", timeout=0.5)
        except BacnetTimeout as exc:
            order.append("dead")
            return exc

    async def live():
        value = await client.read("0x02", "ai,1")
        order.append("live")
        return value

    error, value = await asyncio.gather(dead(), live())
    assert isinstance(error, BacnetTimeout) and "no answer" in str(error)
    assert value == 72.5
    assert order == ["live", "dead"]


async def test_many_concurrent_reads_to_one_device_do_not_hit_the_invoke_id_cliff(client):
    # bacpypes3 spins forever past 255 outstanding requests to one peer; the
    # per-device limit keeps us far from it.
    values = await asyncio.wait_for(asyncio.gather(*(client.read(1001, "ai,1") for _ in range(600))), 60)
    assert values == [72.5] * 600
    assert client.outstanding_requests == 0


async def test_read_multiple_returns_per_property_errors(client):
    values = await client.read_multiple(1001, [("ai,1", ["present-value", "units", "priority-array"]), ("av,1", ["object-name"])])
    by_key = {(v.object_id, v.property): v for v in values}
    assert by_key[("analog-input,1", "present-value")].value == 72.5
    assert by_key[("analog-input,1", "units")].value == "degrees-fahrenheit"
    assert not by_key[("analog-input,1", "priority-array")].ok
    assert "unknown-property" in by_key[("analog-input,1", "priority-array")].error
    assert by_key[("analog-value,1", "object-name")].value == "Cooling Setpoint"


async def test_write_at_priority_shows_in_priority_array_and_release_restores(client):
    await client.write(1001, "av,1", 68, priority=8)
    array = await client.priority_array(1001, "av,1")
    assert array.at(8).value == 68.0 and array.at(8).kind == "real"
    assert array.at(8).name == "Manual Operator"
    assert array.winning.priority == 8
    assert array.current_command_priority == 8
    assert array.present_value == 68.0
    assert array.relinquish_default == 74.0

    await client.release(1001, "av,1", 8)
    array = await client.priority_array(1001, "av,1")
    assert array.winning is None
    assert array.present_value == 74.0
    assert all(not slot.active for slot in array.slots)


async def test_binary_and_multistate_priority_arrays_decode_plainly(client):
    await client.write(1001, "bv,1", "inactive", priority=10)
    await client.write(1001, "msv,1", 3, priority=12)
    binary = await client.priority_array(1001, "bv,1")
    assert binary.at(10).value == "inactive" and binary.present_value == "inactive"
    multi = await client.priority_array(1001, "msv,1")
    assert multi.at(12).value == 3 and multi.present_value == 3
    await client.write(1001, "bv,1", "null", priority=10)  # easy-aso style release
    assert (await client.priority_array(1001, "bv,1")).winning is None


@pytest.mark.parametrize(
    ("oid", "value", "priority", "message"),
    [
        ("av,1", "hot", 8, "not a valid number"),
        ("bv,1", 7, 8, "active/inactive"),
        ("bv,1", "on", 8, "active/inactive"),
        ("av,1", 70, 0, "out of range"),
        ("av,1", 70, 17, "out of range"),
        ("av,1", None, None, "needs a priority"),
        ("av,1", "NaN", 8, "not a valid number"),
        ("av,1", float("inf"), 8, "not a valid number"),
    ],
)
async def test_bad_writes_are_refused_before_sending(client, oid, value, priority, message):
    sent = client.requests_sent
    with pytest.raises(InvalidInput, match=message):
        await client.write(1001, oid, value, priority=priority)
    assert client.requests_sent == sent
    assert (await client.priority_array(1001, oid)).winning is None


async def test_write_multiple_applies_every_value(client):
    await client.write_multiple(1001, [("av,1", "present-value", 71, 9), ("bv,1", "present-value", "inactive", 9),
                                       ("msv,1", "present-value", 2, 9)])
    assert (await client.priority_array(1001, "av,1")).at(9).value == 71.0
    assert await client.read(1001, "bv,1") == "inactive"
    assert await client.read(1001, "msv,1") == 2
    await client.write_multiple(1001, [("av,1", "present-value", None, 9), ("bv,1", "present-value", None, 9),
                                       ("msv,1", "present-value", None, 9)])
    assert await client.read(1001, "av,1") == 74.0


async def test_write_multiple_failure_names_the_device(client):
    # A bacpypes3 0.0.110 *server* raises WritePropertyMultipleError and never
    # sends it, so against this peer a failed WPM can only end in our timeout;
    # what matters is a one-line error naming the device, not a hang.
    with pytest.raises((BacnetRemoteError, BacnetTimeout), match="device 1001"):
        await client.write_multiple(1001, [("av,1", "present-value", 1, 9), ("av,9", "present-value", 1, 9)])


async def test_priority_array_of_a_sensor_says_it_is_not_commandable(client):
    with pytest.raises(BacnetRemoteError, match="not a commandable point"):
        await client.priority_array(1001, "ai,1")


async def test_discover_objects_lists_every_point(client):
    points = await discover_objects(client, 1001)
    by_id = {p.object_id: p for p in points}
    assert set(by_id) == {"device,1001", "network-port,1", "analog-input,1", "analog-value,1", "binary-value,1",
                          "multi-state-value,1", "analog-output,2"}
    zone = by_id["analog-input,1"]
    assert (zone.name, zone.present_value, zone.units, zone.status_flags, zone.out_of_service) == (
        "Zone Temperature", 72.5, "degrees-fahrenheit", [], False)
    assert by_id["binary-value,1"].present_value == "active"
    assert by_id["device,1001"].name == "FC-1001"


async def test_discovery_of_a_small_non_segmenting_controller(vlan_name, client):
    """No segmentation: a 306-object list does not fit one answer; index by index, small RPM batches."""
    app = serve_field_device(vlan_name, 3, 1002, points=300, name="FC-small", max_apdu=480,
                             segmentation="no-segmentation")
    try:
        devices = {d.instance: d for d in await who_is(client)}
        small = devices[1002]
        assert (small.max_apdu, small.segmentation) == (480, "no-segmentation")
        points = await discover_objects(client, small)
        names = {p.object_id: p.name for p in points}
        assert len(points) == 307
        assert names["analog-input,399"] == "Sensor 299 Temperature"
        assert all(p.name for p in points)
        values = {p.object_id: p.present_value for p in points}
        assert (values["analog-input,100"], values["analog-input,399"]) == (0.0, 299.0)
        # The whole object list really does not fit one answer (RPM has no fallback) ...
        with pytest.raises(BacnetAbort, match="segmentation-not-supported"):
            await client.read_multiple(small, [("device,1002", ["object-list"])])
        # ... and a plain read of it, as `aso read` does, falls back to index by index.
        whole = await client.read(small, "device,1002", "object-list")
        assert len(whole) == 307 and whole[0] == "device,1002"
        assert (await client.read_many(small, [("device,1002", ["object-list"])]))[0].value == whole
    finally:
        await close_application(app)


async def test_who_has_by_name_and_by_id(client):
    by_name = await who_has(client, name="Cooling Setpoint")
    assert [(h.device_instance, h.object_id) for h in by_name] == [(1001, "analog-value,1")]
    by_id = await who_has(client, "bv,1")
    assert [(h.device_instance, h.object_name) for h in by_id] == [(1001, "Fan Enable")]
    assert await who_has(client, name="No Such Point", max_wait=0.3) == []


async def test_unknown_device_instance_is_a_timeout_naming_it(client):
    with pytest.raises(BacnetTimeout, match="device 4242"):
        await client.read(4242, "ai,1")


async def test_bad_device_address_is_invalid_input(client):
    with pytest.raises(InvalidInput, match="device address"):
        await client.read("10.0.0.300:x", "ai,1")


async def test_clients_share_a_virtual_network_without_sockets(vlan_name, field_device):
    second = await open_client(vlan=vlan_name, mac=7, timeout=1.0)
    try:
        assert [d.instance for d in await who_is(second)] == [1001]
    finally:
        await second.close()


async def test_remote_network_without_a_router_is_a_clear_error(client):
    with pytest.raises(BacnetTimeout, match="no route to network 5"):
        await client.read("5:7", "ai,1")


async def test_discover_site_reads_each_device_as_its_i_am_arrives(vlan_name, client):
    from aso_runtime.bacnet import discover_site

    dead_end = serve_field_device(vlan_name, 4, 1003)
    try:
        results = {r.device.instance: r async for r in discover_site(client, properties=["present-value"])}
        assert sorted(results) == [1001, 1003]
        zone = next(p for p in results[1003].points if p.object_id == "analog-input,1")
        assert (zone.name, zone.present_value, zone.units) == ("Zone Temperature", 72.5, None)  # units not asked
        assert all(r.error is None for r in results.values())
    finally:
        await close_application(dead_end)
