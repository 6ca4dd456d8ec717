"""The kill switch means what the README says, and an operator's "off" survives restarts.

Genuine bacpypes3 devices on the in-process virtual network; the operator
is a separate client, as a BAS front end would be. (Values and priorities a
real device refuses are sent raw in tests/test_hostile.py.)
"""

from __future__ import annotations

import json


from aso_runtime import Aso, AsoRunner
from aso_runtime.aso import Ledger
from aso_runtime.aso.persist import commands_path
from aso_runtime.bacnet import open_client

from .test_aso import DEVICE
from .waiting import until

HOST = "0x01"


class Writer(Aso):
    step_interval = 0.05

    async def on_step(self):
        await self.bacnet_write(DEVICE, "av,1", 68.0)


async def open_host(vlan_name, tmp_path) -> AsoRunner:
    client = await open_client(vlan=vlan_name, mac=1, instance=599, name="aso-host", timeout=1.0)
    runner = AsoRunner(client, ledger=Ledger.open(tmp_path / "ledger"))
    await runner.open()
    return runner


async def close_host(runner: AsoRunner) -> None:
    await runner.close()
    await runner.client.close()


async def test_an_operators_off_survives_a_restart(vlan_name, field_device, operator, tmp_path):
    first = await open_host(vlan_name, tmp_path)
    await operator.write(HOST, "binary-value,1", "inactive", priority=8)
    await until(lambda: not first.enabled)
    await close_host(first)  # (a crash leaves the same file: it is written on every command)

    second = await open_host(vlan_name, tmp_path)
    try:
        assert not second.enabled  # before any ASO is loaded
        instance = second.load(Writer)
        instance.start()
        await until(lambda: instance.state == "disabled")
        assert instance.steps == 0  # disabled before its first step: it never wrote
        assert (await operator.priority_array(DEVICE, "av,1")).at(13).value is None
        array = await operator.priority_array(HOST, "binary-value,1")
        assert array.at(8).value == "inactive" and array.present_value == "inactive"
        await operator.release(HOST, "binary-value,1", 8)  # the operator says "on" again
        await until(lambda: instance.state == "running" and instance.steps > 0)
    finally:
        await close_host(second)


async def test_each_asos_own_enable_point_is_kept_too(vlan_name, field_device, operator, tmp_path):
    first = await open_host(vlan_name, tmp_path)
    first.load(Writer, name="writer")
    await operator.write(HOST, "binary-value,11", "inactive", priority=8)
    await close_host(first)
    second = await open_host(vlan_name, tmp_path)
    try:
        instance = second.load(Writer, name="writer")
        instance.start()
        await until(lambda: instance.state == "disabled")
        assert second.enabled  # only this ASO was switched off
    finally:
        await close_host(second)


async def test_standard_priority_rules_decide(vlan_name, field_device, operator, tmp_path):
    """Inactive at 16 is masked by active at 8, as on every BACnet point (and as the README says)."""
    host = await open_host(vlan_name, tmp_path)
    try:
        await operator.write(HOST, "binary-value,1", "inactive", priority=16)
        await until(lambda: not host.enabled)
        await operator.write(HOST, "binary-value,1", "active", priority=8)
        await until(lambda: host.enabled)
        await operator.release(HOST, "binary-value,1", 8)
        await until(lambda: not host.enabled)
        await operator.release(HOST, "binary-value,1", 16)
        await until(lambda: host.enabled)
    finally:
        await close_host(host)


async def test_a_damaged_saved_state_fails_safe(vlan_name, field_device, operator, tmp_path):
    path = commands_path(599)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    host = await open_host(vlan_name, tmp_path)
    try:
        assert not host.enabled  # nothing runs on a guess
        array = await operator.priority_array(HOST, "binary-value,1")
        assert array.at(16).value == "inactive"
        await operator.release(HOST, "binary-value,1", 16)  # the documented way back
        await until(lambda: host.enabled)
        assert json.loads(path.read_text())["points"]["optimization-enabled"] == {}
    finally:
        await close_host(host)
