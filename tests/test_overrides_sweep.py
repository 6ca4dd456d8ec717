"""The site-wide override sweep, its attribution and its release, on the simulated building.

The building is on the in-process virtual network; overrides are placed by another client (holder
unknown), by an ASO through the runner (holder aso), and by writes an audit record describes
(holder console / cli). The check is always an independent reader of the priority arrays (another
client reading each array), never the sweep's own results. `aso overrides` itself:
test_cli_overrides.py.
"""

from __future__ import annotations

import itertools
import os
import time

import pytest

from aso_runtime import Aso
from aso_runtime.aso import AsoRunner, Ledger
from aso_runtime.bacnet import is_commandable, object_list, open_client, parse_object_id
from aso_runtime.bacnet.local import drop_virtual_network
from aso_runtime.closeout.attribution import (
    Holders,
    LedgerClaim,
    attribute,
    load_holders,
    same_device,
)
from aso_runtime.closeout.records import AuditRecord, HeldSlot, OutOfServicePoint
from aso_runtime.closeout.release import Selection, release_slots
from aso_runtime.closeout.sweep import sweep_overrides
from aso_runtime.sim import SimulatedBuilding

from .waiting import until

_names = itertools.count(1)
BUILDING = {1001, 2001, 2002, 2003, 2004, 2005, 3001, 4001}


def record(device: int, object_id: str, priority: int | None, after, *, tool: str = "console", when: float | None = None,
           prop: str = "present-value", outcome: str = "ok", user: str = "alice", host: str = "edge1") -> AuditRecord:
    """An audit record as the journal keeps one (the audit module writes them; here we state them)."""
    return AuditRecord(id=f"r{next(_names):07d}", time=time.time() if when is None else when, user=user, host=host,
                       tool=tool, device=str(device), device_instance=device, object_id=object_id, property=prop,
                       priority=priority, index=None, before=None, before_known=True, after=after, outcome=outcome)


async def independent_slots(reader, instances) -> set[tuple[int, str, int]]:
    """Every held slot of these devices, read by another client (object-list, then each priority array)."""
    held = set()
    for instance in instances:
        for text in await object_list(reader, await reader_device(reader, instance)):
            oid = parse_object_id(text)
            if not is_commandable(oid):
                continue
            array = await reader.priority_array(instance, oid)
            held |= {(instance, str(oid), s.priority) for s in array.slots if s.active}
    return held


async def reader_device(reader, instance):
    from aso_runtime.bacnet import locate_device

    return await locate_device(reader, instance)


async def sweep(client, holders: Holders | None = None, devices=None):
    found = [item async for item in sweep_overrides(client, devices, holders=holders)]
    slots = {(s.device, s.object_id, s.priority): s for s in found if isinstance(s, HeldSlot)}
    points = {(p.device, p.object_id): p for p in found if isinstance(p, OutOfServicePoint)}
    return slots, points


# ----- the building on the in-process virtual network -------------------------------------------------


@pytest.fixture
async def site(tmp_path):
    """The 8-device building, a sweeping client (MAC 100) and an independent operator client (MAC 101)."""
    name = f"test-overrides-{os.getpid()}-{next(_names)}"
    building = await SimulatedBuilding.start(vlan=name, devices=8, step=0.5)
    sweeper = await open_client(vlan=name, mac=100, instance=5100, timeout=2.0)
    operator = await open_client(vlan=name, mac=101, instance=5101, timeout=2.0)
    try:
        yield building, sweeper, operator, name
    finally:
        await operator.close()
        await sweeper.close()
        await building.stop()
        drop_virtual_network(name)


class HoldsDamper(Aso):
    """Holds VAV-1-04's damper at 33 % (priority 13, the ASO default) every step."""

    step_interval = 0.05

    async def on_step(self):
        await self.bacnet_write("2004", "analog-output,1", 33.0)


async def test_every_held_slot_is_found_and_attributed(site, tmp_path):
    _, sweeper, operator, vlan = site
    await operator.write(1001, "analog-output,1", 55.0, 8)
    await operator.write(3001, "binary-output,1", "inactive", 5)
    await operator.write(2001, "multi-state-value,1", 2, 10)
    await operator.write(4001, "analog-value,1", 900.0, 1)
    # Written by the operator client, described by the audit journal: the console's, the CLI's.
    await operator.write(2002, "analog-value,1", 72.0, 9)
    await operator.write(2003, "analog-value,2", 68.0, 7)
    # The journal says the console wrote 71, but someone wrote 69 since: not the console's.
    await operator.write(2005, "analog-value,1", 69.0, 9)
    records = [record(2002, "analog-value,1", 9, 72.0),
               record(2003, "analog-value,2", 7, 68, tool="cli", user="bob"),
               record(2005, "analog-value,1", 9, 71.0)]

    runner_client = await open_client(vlan=vlan, mac=102, instance=5102, timeout=2.0)
    runner = AsoRunner(runner_client, ledger=Ledger.open(tmp_path / "ledger"), capture_prints=True)
    await runner.open()
    try:
        instance = runner.load(HoldsDamper, "damper-hold")
        instance.start()
        await until(lambda: instance.steps >= 1, what="the ASO's first write")
        slots, _ = await sweep(sweeper, load_holders(records, tmp_path / "ledger"))
    finally:
        await runner.close()
        await runner_client.close()

    def holder(device, oid, priority):
        return slots[(device, oid, priority)].holder

    assert holder(1001, "analog-output,1", 8) == "unknown"
    assert holder(3001, "binary-output,1", 5) == "unknown"
    assert holder(2001, "multi-state-value,1", 10) == "unknown"
    assert holder(4001, "analog-value,1", 1) == "unknown"
    assert holder(2005, "analog-value,1", 9) == "unknown"
    console = slots[(2002, "analog-value,1", 9)]
    assert console.holder == "console" and "alice@edge1" in console.holder_detail and console.since is not None
    assert holder(2003, "analog-value,2", 7) == "cli"
    aso = slots[(2004, "analog-output,1", 13)]
    assert aso.holder == "aso" and aso.holder_running and "damper-hold" in aso.holder_detail
    assert "running" in aso.holder_detail and aso.value == 33.0
    assert all(s.holder == "device" for (_, _, p), s in slots.items() if p == 16)

    # Values with their words, and what the point would do without the slot.
    fan = slots[(3001, "binary-output,1", 5)]
    assert fan.value == "inactive" and fan.value_text == "inactive (Disable)" and fan.winning
    speed = slots[(1001, "analog-output,1", 8)]
    assert speed.value_text == "55 %" and speed.level == "Manual Operator"
    assert speed.without == slots[(1001, "analog-output,1", 16)].value  # the program's value at 16 takes over
    assert not slots[(1001, "analog-output,1", 16)].winning
    mode = slots[(2001, "multi-state-value,1", 10)]
    assert mode.value_text == "2 (unoccupied)" and mode.without == 1  # relinquish default: occupied

    # Nothing missed, nothing invented: the sweep's slots are what an independent reader sees
    # (the ASO was stopped after the sweep and released its slot).
    expected = await independent_slots(operator, BUILDING)
    swept = {key for key in slots if key[0] in BUILDING} - {(2004, "analog-output,1", 13)}
    assert swept == expected


async def test_dead_host_journal_is_an_orphan_not_running(site, tmp_path):
    _, sweeper, operator, _ = site
    await operator.write(2001, "analog-value,3", 450.0, 12)
    directory = tmp_path / "ledger"
    directory.mkdir()
    pid = os.fork()
    if pid == 0:  # a host that journals the write, then dies without closing (kill -9)
        try:
            Ledger.open(directory).record_write("night-flush", "2001", "analog-value,3", "present-value", 12, 450.0)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    slots, _ = await sweep(sweeper, load_holders((), directory), devices=[2001])
    held = slots[(2001, "analog-value,3", 12)]
    assert held.holder == "aso" and not held.holder_running
    assert "night-flush" in held.holder_detail and "orphan" in held.holder_detail


async def test_out_of_service_input_is_found_with_its_value(site):
    _, sweeper, operator, _ = site
    await operator.write(2001, "analog-input,1", True, property="out-of-service")
    await operator.write(2001, "analog-input,1", 99.5)
    records = [record(2001, "analog-input,1", None, True, prop="out-of-service", tool="cli", user="carol")]
    _, points = await sweep(sweeper, Holders(records=tuple(records)), devices=["2001", 2002])
    point = points[(2001, "analog-input,1")]
    assert point.present_value == 99.5 and point.value_text == "99.5 °F"
    assert point.object_name == "VAV-1-01 Zone Temperature" and point.device_name == "VAV-1-01"
    assert point.holder == "cli" and "carol" in point.holder_detail
    assert set(points) == {(2001, "analog-input,1")}


async def test_release_by_filter_releases_exactly_the_selection_and_verifies(site):
    _, sweeper, operator, _ = site
    placed = [(1001, "analog-output,2", 40.0, 8), (2001, "analog-value,1", 71.0, 8), (2002, "analog-value,2", 66.0, 8),
              (2003, "analog-value,1", 75.0, 9), (3001, "binary-output,2", "inactive", 8)]
    for device, oid, value, priority in placed:
        await operator.write(device, oid, value, priority)
    slots, _ = await sweep(sweeper)
    chosen = [s for s in slots.values() if s.priority == 8]  # "--priority 8"
    assert {(s.device, s.object_id) for s in chosen} == {(d, o) for d, o, _, p in placed if p == 8}
    # Someone changes one of them between the sweep and the release: it is left alone.
    await operator.write(2002, "analog-value,2", 64.0, 8)
    selection = Selection(tuple(chosen))
    assert selection.describe() == "4 slots on 4 devices" and not selection.life_safety and not selection.running_aso

    results = {(r.slot.device, r.slot.object_id): r for r in await release_slots(sweeper, selection.slots)}
    assert {k: r.outcome for k, r in results.items()} == {
        (1001, "analog-output,2"): "released", (2001, "analog-value,1"): "released",
        (3001, "binary-output,2"): "released", (2002, "analog-value,2"): "taken-over"}
    assert results[(2002, "analog-value,2")].now == 64.0

    after = await independent_slots(operator, BUILDING)
    assert (2002, "analog-value,2", 8) in after  # someone else's value now: untouched
    assert (2003, "analog-value,1", 9) in after  # not selected
    for device, oid, _, priority in placed:
        if priority == 8 and oid != "analog-value,2":
            assert (device, oid, 8) not in after
    assert all((device, oid, 16) in after for device, oid, p in slots if p == 16)  # the programs keep theirs


async def test_release_reports_a_refusal_and_an_empty_slot(site):
    _, sweeper, operator, _ = site
    await operator.write(2001, "analog-value,1", 71.0, 8)
    await operator.write(2001, "analog-value,2", 69.0, 8)
    slots, _ = await sweep(sweeper, devices=[2001])
    await operator.release(2001, "analog-value,2", 8)  # gone before we get there

    async def refusing(device, object_id, priority):
        # A device that refuses: the release is sent as a write the device rejects.
        await sweeper.write(device, object_id, 5000.0, priority)

    results = await release_slots(sweeper, [slots[(2001, "analog-value,2", 8)]])
    assert results[0].outcome == "already-released"
    refused = await release_slots(sweeper, [slots[(2001, "analog-value,1", 8)]], release=refusing)
    assert refused[0].outcome == "refused" and "value-out-of-range" in refused[0].detail
    assert (await operator.priority_array(2001, "analog-value,1")).at(8).value == 71.0


async def test_value_source_is_read_only_where_the_device_has_it(site):
    from bacpypes3.basetypes import DeviceObjectReference, TimeStamp, ValueSource
    from bacpypes3.primitivedata import ObjectIdentifier

    building, sweeper, operator, _ = site
    await operator.write(2001, "analog-output,1", 20.0, 8)
    await operator.write(2002, "analog-output,1", 20.0, 8)
    for instance in (2001, 2002):  # what a BACnet 2016 controller records of the command in control
        point = building.point(instance, "analog-output,1")
        point.valueSource = ValueSource(object=DeviceObjectReference(objectIdentifier=ObjectIdentifier("device,5101")))
        point.lastCommandTime = TimeStamp(sequenceNumber=7)
    building.application(2002).device_object.protocolRevision = 14  # before BACnet 2016: never asked
    slots, _ = await sweep(sweeper, devices=[2001, 2002])
    held = slots[(2001, "analog-output,1", 8)]
    assert held.value_source == {"objectIdentifier": "device,5101"} and held.last_command_time == 7
    assert slots[(2001, "analog-output,1", 16)].value_source is None  # it describes the command in control only
    assert slots[(2001, "analog-output,2", 16)].value_source is None  # an object without it: no error, nothing
    assert slots[(2002, "analog-output,1", 8)].value_source is None


def test_a_device_named_by_address_or_instance_is_the_same_device():
    assert same_device("2001", 2001, "0x03") and same_device("device,2001", 2001, None)
    assert same_device("0x03", 2001, "0x03") and same_device("127.0.0.1:48150", 7, "127.0.0.1:48150")
    assert not same_device("2002", 2001, "0x03") and not same_device("0x04", 2001, "0x03")


def test_attribution_takes_the_latest_write_and_prefers_a_running_aso():
    from aso_runtime.aso.ledger import Override

    slot = HeldSlot(2001, "VAV", "analog-value,1", "SP", 9, "Available", 72.0, "72", 70.0, "70", True, "unknown", "")
    old, new = time.time() - 600, time.time() - 60
    # A release recorded after the write: the value now is not the CLI's.
    released = [record(2001, "analog-value,1", 9, 72.0, tool="cli", when=old),
                record(2001, "analog-value,1", 9, None, tool="cli", when=new)]
    assert attribute(slot, Holders(records=tuple(released))).holder == "unknown"
    # A failed later write of another value does not hide the earlier one that landed.
    failed = [record(2001, "analog-value,1", 9, 72.0, when=old),
              record(2001, "analog-value,1", 9, 80.0, when=new, outcome="device refused: value-out-of-range")]
    assert attribute(slot, Holders(records=tuple(failed))).holder == "console"
    claim = LedgerClaim(Override("shed", "2001", "analog-value,1", "present-value", 9, 72.0, old, (72.0,)),
                        running=True, path="x.jsonl", pid=1)
    both = attribute(slot, Holders(ledger=(claim,), records=tuple(failed)))
    assert both.holder == "aso" and both.holder_running
    assert attribute(slot, Holders()).holder == "unknown"


async def test_a_device_that_does_not_answer_is_reported_and_the_rest_swept(site):
    building, sweeper, operator, _ = site
    await operator.write(2001, "analog-value,1", 71.0, 8)
    known = await reader_device(sweeper, 2005)  # its I-Am was heard; then it goes quiet
    building.silence_device(2005)
    swept = []
    found = [item async for item in sweep_overrides(sweeper, [2001, known], on_device=swept.append)]
    by_device = {s.reference: s for s in swept}
    assert by_device["2005"].error and "no answer" in by_device["2005"].error
    assert by_device["2001"].error is None and by_device["2001"].held == sum(s.device == 2001 for s in found)
    assert any(s.device == 2001 and s.priority == 8 for s in found if isinstance(s, HeldSlot))
