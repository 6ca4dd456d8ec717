"""ASO runtime: lifecycle, override ledger, releases, kill switch, on genuine devices."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from aso_runtime import Aso, EasyASO
from aso_runtime.aso import AsoNotRunning, Ledger, RestartPolicy, ScriptError, load_aso_class, release_orphans
from aso_runtime.bacnet import InvalidInput, open_client

from .waiting import until

SEED = '''
import asyncio
from aso_runtime import EasyASO

class CustomHvacAso(EasyASO):
    async def on_start(self):
        print("Custom ASO is deploying! Lets do something!")
    async def on_step(self):
        sensor = await self.bacnet_read("{device}", "analog-input,1")
        override_valve = sensor + 5.0
        await self.bacnet_write("{device}", "analog-output,2", override_valve)
        print("Executing step actions... The system is being optimized!")
        await asyncio.sleep(60)
    async def on_stop(self):
        await self.bacnet_write("{device}", "analog-output,2", 'null')
        print("Executing stop actions... The system is released back to normal!")
'''

DEVICE = "0x02"  # the field device's MAC on the test virtual network


def journal_of_a_dead_host(directory, writes) -> None:
    """Journal ``writes`` (aso, object, priority, value) in a child process that then dies.

    The child exits with ``os._exit``: no clean close, the kernel drops its
    lock, exactly what a ``kill -9`` or a power cut leaves behind.
    """
    pid = os.fork()
    if pid == 0:
        try:
            ledger = Ledger.open(directory)
            for aso, object_id, priority, value in writes:
                ledger.record_write(aso, DEVICE, object_id, "present-value", priority, value)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


async def slot(client, point: str, priority: int):
    return (await client.priority_array(DEVICE, point)).at(priority).value


async def test_seed_example_runs_unchanged_and_releases(host, operator, tmp_path):
    script = tmp_path / "custom.py"
    script.write_text(SEED.format(device=DEVICE))
    logs = []
    host.events.on_event(lambda e: logs.append(e.message) if e.kind == "log" else None)
    instance = host.load(str(script))
    instance.start()
    await until(lambda: slot(operator, "ao,2", 13))
    assert await slot(operator, "ao,2", 13) == 77.5  # sensor 72.5 + 5
    assert instance.state == "running" and instance.steps == 0  # still sleeping in its first step
    await instance.stop()  # must not wait out the 60 s sleep
    array = await operator.priority_array(DEVICE, "ao,2")
    assert array.winning is None and array.present_value == 0.0
    assert instance.state == "stopped"
    assert "Custom ASO is deploying! Lets do something!" in logs
    assert "Executing stop actions... The system is released back to normal!" in logs
    assert host.ledger.held() == []


class Forgetful(Aso):
    """Writes two points and never releases them in on_stop."""

    step_interval = 0.05

    async def on_step(self):
        await self.bacnet_write(DEVICE, "av,1", 70.0)
        await self.bacnet_write(DEVICE, "bv,1", "inactive", priority=9)


async def test_runtime_releases_what_on_stop_forgot(host, operator):
    instance = host.load(Forgetful)
    instance.start()
    await until(lambda: instance.steps >= 2)
    assert {(o.object_id, o.priority) for o in instance.held()} == {("analog-value,1", 13), ("binary-value,1", 9)}
    results = await instance.stop()
    assert sorted(r.outcome for r in results) == ["released", "released"]
    assert (await operator.priority_array(DEVICE, "av,1")).winning is None
    assert (await operator.priority_array(DEVICE, "bv,1")).winning is None
    assert instance.held() == []


class Crashes(Aso):
    step_interval = 0.05

    async def on_step(self):
        await self.bacnet_write(DEVICE, "av,1", 66.0)
        raise ZeroDivisionError("bad maths in step")


class Counter(Aso):
    step_interval = 0.02

    async def on_step(self):
        await self.bacnet_write(DEVICE, "msv,1", 2)


async def test_fault_releases_and_leaves_other_aso_running(host, operator):
    crash = host.load(Crashes)
    steady = host.load(Counter)
    steady.start()
    crash.start()
    await until(lambda: crash.state == "faulted")
    assert "ZeroDivisionError: bad maths in step" in crash.last_error
    assert "Traceback" in crash.last_traceback and "bad maths" in crash.last_traceback
    assert (await operator.priority_array(DEVICE, "av,1")).winning is None
    before = steady.steps
    await until(lambda: steady.steps > before + 3)
    assert steady.state == "running"
    assert await slot(operator, "msv,1", 13) == 2


async def test_restart_policy_retries_after_a_fault(host):
    crash = host.load(Crashes, restart=RestartPolicy(retries=2, backoff=0.05))
    crash.start()
    await until(lambda: crash.faults >= 3 and crash.state == "faulted")
    assert crash.faults == 3  # first run + 2 retries, then it stays faulted


class Watchful(Aso):
    step_interval = 0.05

    def __init__(self, **kw):
        super().__init__(**kw)
        self.calls = []

    async def on_step(self):
        self.calls.append("step")
        await self.bacnet_write(DEVICE, "av,1", 68.0)

    async def on_disable(self):
        self.calls.append("disable")

    async def on_enable(self):
        self.calls.append("enable")


async def test_kill_switch_written_over_bacnet_disables_and_releases(host, operator):
    instance = host.load(Watchful)
    instance.start()
    await until(lambda: slot(operator, "av,1", 13))
    # The operator's BAS writes optimization-enabled inactive at priority 8.
    await operator.write("0x01", "binary-value,1", "inactive", priority=8)
    await until(lambda: instance.state == "disabled", timeout=1.0)
    assert (await operator.priority_array(DEVICE, "av,1")).winning is None
    assert "disable" in instance.aso.calls
    steps = instance.steps
    await asyncio.sleep(0.3)
    assert instance.steps == steps  # stepping paused
    # Relinquished: the ASO resumes.
    await operator.release("0x01", "binary-value,1", 8)
    await until(lambda: instance.state == "running" and instance.steps > steps)
    assert instance.aso.calls.count("enable") == 1
    await until(lambda: slot(operator, "av,1", 13))


async def test_each_aso_has_its_own_enable_point_and_status_points(host, operator):
    first = host.load(Counter, name="counter-a")
    second = host.load(Counter, name="counter-b")
    first.start()
    second.start()
    await until(lambda: first.steps > 2 and second.steps > 2)
    names = {await operator.read("0x01", f"binary-value,{n}", "object-name") for n in (11, 12)}
    assert names == {"counter-a-enabled", "counter-b-enabled"}
    await operator.write("0x01", "binary-value,11", "inactive", priority=8)
    await until(lambda: first.state == "disabled")
    assert second.state == "running"
    assert await operator.read("0x01", "multi-state-value,11") == 4  # 'disabled'
    assert await operator.read("0x01", "multi-state-value,12") == 3  # 'running'
    assert await operator.read("0x01", "analog-value,12") >= 2.0  # heartbeat counts steps
    with pytest.raises(Exception, match="write-access-denied"):
        await operator.write("0x01", "multi-state-value,12", 1)


async def test_nothing_is_released_that_someone_else_wrote(host, operator):
    class Once(Aso):
        step_interval = 10

        async def on_step(self):
            await self.bacnet_write(DEVICE, "av,1", 69.0)

    instance = host.load(Once)
    instance.start()
    await until(lambda: slot(operator, "av,1", 13))
    # Someone else takes over the same slot with their own value.
    await operator.write(DEVICE, "av,1", 60.0, priority=13)
    results = await instance.stop()
    assert [r.outcome for r in results] == ["taken-over"]
    assert await slot(operator, "av,1", 13) == 60.0
    await operator.release(DEVICE, "av,1", 13)


async def test_life_safety_priorities_refused_unless_opted_in(host, operator):
    class Reckless(Aso):
        async def on_step(self):
            pass

    class Opted(Reckless):
        allow_life_safety = True

    careless = host.load(Reckless)
    careless.start()
    await until(lambda: careless.state == "running")
    with pytest.raises(InvalidInput, match="life safety"):
        await careless.aso.bacnet_write(DEVICE, "av,1", 71.0, priority=1)
    with pytest.raises(InvalidInput, match="out of range"):
        await careless.aso.bacnet_write(DEVICE, "av,1", 71.0, priority=17)
    assert (await operator.priority_array(DEVICE, "av,1")).at(1).value is None  # nothing was sent
    opted = host.load(Opted)
    opted.start()
    await until(lambda: opted.state == "running")
    await opted.aso.bacnet_write(DEVICE, "av,1", 71.0, priority=2)
    assert (await operator.priority_array(DEVICE, "av,1")).at(2).value == 71.0
    await opted.stop()  # released with everything else it holds
    assert (await operator.priority_array(DEVICE, "av,1")).at(2).value is None


async def test_writes_refused_while_disabled(host, operator):
    instance = host.load(Counter)
    instance.start()
    await until(lambda: instance.steps > 0)
    host.set_enabled(False)
    await until(lambda: instance.state == "disabled")
    with pytest.raises(AsoNotRunning, match="disabled"):
        await instance.aso.bacnet_write(DEVICE, "av,1", 1.0)
    host.set_enabled(True)


async def test_orphans_of_a_dead_host_are_released_on_next_start(vlan_name, field_device, operator, tmp_path):
    directory = tmp_path / "ledger"
    # A host journals and writes, then dies without releasing (its lock goes with it).
    dead_client = await open_client(vlan=vlan_name, mac=3, instance=598, timeout=1.0)
    journal_of_a_dead_host(directory, [("gone", "analog-value,1", 12, 61.0)])
    await dead_client.write(DEVICE, "av,1", 61.0, priority=12)
    await dead_client.close()
    # Someone else's override at another priority must survive.
    await operator.write(DEVICE, "av,1", 65.0, priority=14)
    assert await slot(operator, "av,1", 12) == 61.0

    client = await open_client(vlan=vlan_name, mac=1, instance=599, timeout=1.0)
    try:
        sweep = await release_orphans(client, directory)
        assert [r.outcome for r in sweep.results] == ["released"] and sweep.ok
        array = await operator.priority_array(DEVICE, "av,1")
        assert array.at(12).value is None and array.at(14).value == 65.0
        assert list(directory.glob("*.jsonl")) == []  # settled journal removed
        assert (await release_orphans(client, directory)).results == []
    finally:
        await operator.release(DEVICE, "av,1", 14)
        await client.close()


async def test_live_hosts_journal_is_not_an_orphan(host, tmp_path):
    host.ledger.record_write("alive", DEVICE, "analog-value,1", "present-value", 12, 1.0)
    assert (await release_orphans(host.client, tmp_path / "ledger")).results == []
    host.ledger.record_release("alive", DEVICE, "analog-value,1", "present-value", 12)


class Blocker(Aso):
    step_interval = 0.05

    async def on_step(self):
        time.sleep(0.3)  # the mistake: a blocking sleep in async code


async def test_a_blocking_step_is_reported_naming_the_aso(host):
    host.block_warning = 0.2
    warnings = []
    host.events.on_event(lambda e: warnings.append(e.message) if e.kind == "warning" else None)
    instance = host.load(Blocker, name="slowpoke")
    instance.start()
    await until(lambda: warnings)
    assert "slowpoke" in warnings[0] and "on_step" in warnings[0]
    await instance.stop()


async def test_event_stream_reports_states_in_order(host):
    seen = []

    async def watch():
        async for event in host.events.subscribe():
            if event.kind == "state" and event.aso == "Counter":
                seen.append(event.state)
                if event.state == "stopped":
                    return

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0)
    instance = host.load(Counter)
    instance.start()
    await until(lambda: instance.steps > 1)
    await instance.stop()
    await asyncio.wait_for(watcher, 5)
    assert seen == ["loaded", "starting", "running", "stopping", "stopped"]


async def test_parameters_per_instance(host):
    a = host.load(Counter, name="fast", step_interval=0.01, priority=11)
    assert (a.aso.step_interval, a.aso.priority) == (0.01, 11)
    with pytest.raises(InvalidInput, match="no parameter 'colour'"):
        host.load(Counter, name="odd", colour="red")
    with pytest.raises(InvalidInput, match="already loaded"):
        host.load(Counter, name="fast")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def broken(:\n", "syntax error"),
        ("x = 1\n", "no ASO class"),
        ("from aso_runtime import Aso\nclass Lazy(Aso):\n    pass\n", "defines none of on_start/on_step"),
        ("from aso_runtime import Aso\nclass Sync(Aso):\n    def on_step(self):\n        pass\n", "must be `async def`"),
        ("raise RuntimeError('boom at import')\n", "error while loading"),
    ],
)
def test_broken_scripts_are_refused_with_one_line(tmp_path, source, message):
    script = tmp_path / "script.py"
    script.write_text(source)
    with pytest.raises(ScriptError, match=message) as caught:
        load_aso_class(str(script))
    assert "\n" not in str(caught.value)


def test_script_path_and_class_selection(tmp_path):
    script = tmp_path / "two.py"
    script.write_text("from aso_runtime import Aso\nclass A(Aso):\n    async def on_step(self): pass\n"
                      "class B(Aso):\n    async def on_step(self): pass\n")
    with pytest.raises(ScriptError, match="several ASO classes"):
        load_aso_class(str(script))
    assert load_aso_class(f"{script}:B").__name__ == "B"
    with pytest.raises(ScriptError, match="no ASO class 'C'"):
        load_aso_class(f"{script}:C")
    with pytest.raises(ScriptError, match="no such file"):
        load_aso_class(str(tmp_path / "missing.py"))


def test_easy_aso_alias():
    assert EasyASO is Aso




async def test_print_is_logged_once_per_call_across_disable_and_enable(host, tmp_path):
    script = tmp_path / "printer.py"
    script.write_text("import asyncio\nfrom aso_runtime import Aso\n\nclass Printer(Aso):\n"
                      "    step_interval = 0.05\n\n    async def on_step(self):\n"
                      "        print('one step')\n        await asyncio.sleep(10)\n")
    lines = []
    host.events.on_event(lambda e: lines.append(e.message) if e.kind == "log" and e.message == "one step" else None)
    instance = host.load(str(script))
    instance.start()
    await until(lambda: lines)
    host.set_enabled(False)
    await until(lambda: instance.state == "disabled")
    host.set_enabled(True)
    await until(lambda: len(lines) >= 2)
    await asyncio.sleep(0.2)
    assert lines == ["one step", "one step"]


def test_ledger_rotates_and_keeps_only_what_is_held(tmp_path):
    from aso_runtime.aso.ledger import orphan_journals, replay

    ledger = Ledger.open(tmp_path, max_records=10)
    for step in range(25):  # months of steps, in miniature
        ledger.record_write("shed", DEVICE, "analog-value,1", "present-value", 13, float(step))
        ledger.record_acknowledged("shed", DEVICE, "analog-value,1", "present-value", 13, float(step))
    ledger.record_write("shed", DEVICE, "analog-value,2", "present-value", 13, 1.0)
    ledger.record_release("shed", DEVICE, "analog-value,2", "present-value", 13)
    journals = list(tmp_path.glob("*.jsonl"))
    assert journals == [ledger.path]  # the old journals are gone
    assert len(ledger.path.read_text().splitlines()) < 10
    held = replay(ledger.path).overrides
    assert [(o.object_id, o.value) for o in held] == [("analog-value,1", 24.0)]
    first = ledger.held()[0].since
    ledger.record_write("shed", DEVICE, "analog-value,1", "present-value", 13, 99.0)
    assert ledger.held()[0].since == first  # "since" is when the override began
    assert list(orphan_journals(tmp_path)) == []  # ours is locked: not an orphan
    ledger.close()
    assert list(tmp_path.glob("*.jsonl")) == [ledger.path]  # still held: the journal stays for the next start
