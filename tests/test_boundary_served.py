"""Serving our own points through the client: no bacpypes3 object outside aso_runtime.bacnet.

An operator (a separate client on the virtual network) reads and writes
them as a BAS front end would.
"""

from __future__ import annotations

import pytest

from aso_runtime.bacnet import (
    BacnetRemoteError,
    CounterPoint,
    EnablePoint,
    InvalidInput,
    ObjectId,
    StatePoint,
    open_client,
)

from .waiting import until

HOST = "0x01"


@pytest.fixture
async def host(vlan_name):
    client = await open_client(vlan=vlan_name, mac=1, instance=599, name="aso-host", timeout=1.0)
    yield client
    await client.close()


@pytest.fixture
async def operator(vlan_name, host):
    client = await open_client(vlan=vlan_name, mac=9, instance=777, name="operator", timeout=1.0)
    yield client
    await client.close()


async def test_an_enable_point_follows_command_priority_and_tells_its_owner(host, operator):
    seen, commands = [], []
    point = EnablePoint(21, "pump-enabled", "Pump optimisation runs while active", on_change=seen.append)
    point.on_command = lambda: commands.append(point.commands())
    host.serve(point)
    assert point.object_id == ObjectId("binary-value", 21) and point.name == "pump-enabled"
    assert await operator.read(HOST, "bv,21") == "active" and point.enabled

    await operator.write(HOST, "bv,21", "inactive", priority=8)
    await until(lambda: seen == [False], what="the owner told of the change")
    assert not point.enabled and point.commands() == {8: "inactive"}
    await operator.write(HOST, "bv,21", "inactive", priority=16)  # masked by @8: no change, still a command
    assert seen == [False] and commands[-1] == {8: "inactive", 16: "inactive"}

    await operator.release(HOST, "bv,21", 8)
    assert await operator.read(HOST, "bv,21") == "inactive" and seen == [False]  # inactive @16 now wins
    await operator.release(HOST, "bv,21", 16)
    await until(lambda: seen == [False, True], what="on again once every command is relinquished")


async def test_restored_commands_are_served_as_if_written(host, operator):
    point = EnablePoint(22, "fan-enabled", "Fan optimisation")
    point.restore({8: "inactive"})
    host.serve(point)
    array = await operator.priority_array(HOST, "bv,22")
    assert (array.at(8).value, array.present_value) == ("inactive", "inactive")
    with pytest.raises(ValueError):
        point.restore({8: "maybe"})


async def test_state_and_counter_points_are_read_only_and_report_plain_values(host, operator):
    state = StatePoint(23, "pump-state", "State of the pump ASO", ("loaded", "running", "stopped"))
    beats = CounterPoint(23, "pump-heartbeat", "Steps completed")
    changes = []
    beats.watch(lambda old, new: changes.append((old, new)))
    host.serve(state, beats)
    state.show("running")
    beats.set(3)
    assert (state.state, beats.present_value, changes) == ("running", 3.0, [(0.0, 3.0)])
    assert await operator.read(HOST, "msv,23") == 2
    assert await operator.read(HOST, "msv,23", "state-text") == ["loaded", "running", "stopped"]
    assert await operator.read(HOST, "av,23") == 3.0
    with pytest.raises(BacnetRemoteError, match="write-access-denied"):
        await operator.write(HOST, "av,23", 9.0, priority=8)


async def test_a_name_already_served_is_refused_and_nothing_of_the_batch_is_served(host, operator):
    host.serve(EnablePoint(24, "boiler-enabled", "Boiler"))
    second = StatePoint(25, "boiler-state", "State", ("off", "on"))
    with pytest.raises(InvalidInput, match="boiler-enabled"):
        host.serve(second, EnablePoint(26, "boiler-enabled", "Boiler again"))
    with pytest.raises(BacnetRemoteError, match="unknown-object"):
        await operator.read(HOST, "msv,25")


async def test_a_withdrawn_point_is_gone_from_the_network(host, operator):
    point = CounterPoint(27, "chiller-heartbeat", "Steps")
    host.serve(point)
    assert await operator.read(HOST, "av,27") == 0.0
    host.withdraw(point)
    with pytest.raises(BacnetRemoteError, match="unknown-object"):
        await operator.read(HOST, "av,27")
    host.withdraw(point)  # twice is harmless
