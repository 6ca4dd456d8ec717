"""Alarms and events on the simulated building, seen through the client: trip, list, acknowledge, hear.

The first VAV (2001) serves notification-class,1 and a high-limit alarm on
its zone temperature (analog-input,1, limit 78 degF). Unit tests run on the
in-process virtual network; the CLI test runs `aso sim` and `aso` on
127.0.0.1 (ports 47870-47879 for the simulator, its client at port + 1).
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from aso_runtime.bacnet import (
    BacnetReject,
    BacnetRemoteError,
    acknowledge_alarm,
    get_alarm_summary,
    get_event_information,
    listen_for_events,
)
from aso_runtime.closeout.audit import read_records
from aso_runtime.closeout.report import released_records
from aso_runtime.closeout.undo import last_undoable
from aso_runtime.sim.alarms import destination, set_recipients

from .sim_site import device_table, sim_site
from .ports import lease
from .waiting import until

ZONE_TEMP, AIRFLOW_SP = "analog-input,1", "analog-value,3"
VAV = 2001
_names = itertools.count(1)
ROOT = Path(__file__).resolve().parent.parent
SIM_PORTS = range(47870, 47880, 2)


@pytest.fixture
async def site():
    async with sim_site("alarms", devices=8, step=0.05, speed=1.0, timeout=2.0) as both:
        yield both


async def trip_by_out_of_service(client) -> None:
    """What a technician does at the point: out of service, then a hot reading."""
    await client.write(VAV, ZONE_TEMP, True, property="out-of-service")
    await client.write(VAV, ZONE_TEMP, 85.0)


async def test_nothing_is_listed_while_the_zone_is_comfortable(site):
    _, client = site
    assert await get_event_information(client, VAV) == []
    assert await client.read(VAV, ZONE_TEMP, "event-state") == "normal"
    assert await client.read(VAV, "notification-class,1", "priority") == [100, 200, 200]


async def test_overriding_the_airflow_setpoint_trips_the_high_limit_then_ack_clears_it(site):
    building, client = site
    await client.write(VAV, AIRFLOW_SP, 0.0, priority=8)  # no cool air: the zone warms up
    building.advance(1200, dt=5.0)
    assert await client.read(VAV, ZONE_TEMP) > 78.0
    await until(lambda: client.read(VAV, ZONE_TEMP, "event-state"), what="event-state change")
    events = await until(lambda: get_event_information(client, VAV), what="an event listed")
    assert [(e.object_id, e.event_state) for e in events] == [(ZONE_TEMP, "high-limit")]
    event = events[0]
    assert event.unacknowledged == ["to-offnormal"]
    assert event.active_time_stamp is not None and event.time_stamps[2] is None  # never back to normal yet
    assert event.notify_type == "alarm" and event.priorities == [100, 200, 200]
    assert "in-alarm" in await client.read(VAV, ZONE_TEMP, "status-flags")

    summary = await get_alarm_summary(client, VAV)
    assert [(s.object_id, s.event_state, s.unacknowledged) for s in summary] == [(ZONE_TEMP, "high-limit", ["to-offnormal"])]

    await acknowledge_alarm(client, VAV, ZONE_TEMP, event.event_state, event.active_time_stamp, source="test tech")
    after = await get_event_information(client, VAV)
    assert [(e.event_state, e.unacknowledged) for e in after] == [("high-limit", [])]  # still hot, now acknowledged
    acked = await client.read(VAV, ZONE_TEMP, "acked-transitions")
    assert "to-offnormal" in acked  # an independent read of the property


async def test_an_acknowledgement_with_a_stale_time_stamp_is_refused(site):
    _, client = site
    await trip_by_out_of_service(client)
    event = (await until(lambda: get_event_information(client, VAV), what="an event listed"))[0]
    with pytest.raises(BacnetRemoteError) as refused:
        await acknowledge_alarm(client, VAV, ZONE_TEMP, "high-limit", "01:02:03.00")
    assert refused.value.error_code == "invalid-time-stamp"
    with pytest.raises(BacnetRemoteError) as refused:
        await acknowledge_alarm(client, VAV, ZONE_TEMP, "normal", event.active_time_stamp)
    assert refused.value.error_code == "invalid-event-state"
    assert (await get_event_information(client, VAV))[0].unacknowledged == ["to-offnormal"]


async def test_recipients_hear_the_alarm_confirmed_and_unconfirmed(site):
    building, client = site
    heard = []
    stop = listen_for_events(client, heard.append)
    nc = building.point(VAV, "notification-class,1")
    # The site's default entry (local broadcast, unconfirmed) plus us by address, confirmed.
    set_recipients(nc, [*nc.recipientList, destination(mac=bytes([1]), process_id=7, confirmed=True)])
    try:
        await trip_by_out_of_service(client)
        await until(lambda: len(heard) >= 2, what="two notifications")
    finally:
        stop()
    by_kind = {n.confirmed: n for n in heard}
    assert set(by_kind) == {True, False}
    confirmed = by_kind[True]
    assert (confirmed.device_instance, confirmed.object_id, confirmed.process_id) == (VAV, ZONE_TEMP, 7)
    assert (confirmed.from_state, confirmed.to_state, confirmed.event_type) == ("normal", "high-limit", "out-of-range")
    assert (confirmed.priority, confirmed.ack_required, confirmed.notify_type) == (100, True, "alarm")
    event = (await get_event_information(client, VAV))[0]
    assert confirmed.time_stamp == event.active_time_stamp  # what an operator acknowledges with


async def test_devices_without_alarms_refuse_the_services(site):
    _, client = site
    with pytest.raises(BacnetReject):
        await get_event_information(client, 1001)  # GetEventInformation refused, then GetAlarmSummary too
    services = await client.read(1001, "device,1001", "protocol-services-supported")
    assert "get-event-information" not in services and "acknowledge-alarm" not in services
    services = await client.read(VAV, f"device,{VAV}", "protocol-services-supported")
    assert all(s in services for s in ("get-event-information", "get-alarm-summary", "acknowledge-alarm"))


# ----- the CLI against `aso sim` on loopback ---------------------------------------------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ASO_ADDRESS", "COLUMNS")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_aso_alarms_and_ack_against_the_simulator():
    with lease(SIM_PORTS) as port:
        sim = subprocess.Popen(
            [sys.executable, "-m", "aso_runtime.cli.main", "--json", "sim", "--address", f"127.0.0.1/8:{port}", "--devices", "8"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT)
        try:
            announced = device_table(sim)
            vav = next(d for d in announced["devices"] if d["instance"] == VAV)

            def aso(*args: str) -> subprocess.CompletedProcess:
                command = [sys.executable, "-m", "aso_runtime.cli.main", "--address", f"127.0.0.1/8:{port + 1}",
                           "--foreign", f"127.0.0.1:{port}", *args]
                return subprocess.run(command, check=False, capture_output=True, text=True, timeout=60, env=_env(), cwd=ROOT,
                                      stdin=subprocess.DEVNULL)

            quiet = aso("--json", "alarms", vav["address"])
            assert quiet.returncode == 0, quiet.stderr
            assert json.loads(quiet.stdout)["events"] == []
            for args in (("out-of-service", "true"), ("present-value", "85")):
                wrote = aso("write", vav["address"], ZONE_TEMP, *args)
                assert wrote.returncode == 0, wrote.stderr
            site = aso("--json", "alarms")  # site-wide: Who-Is, then every device
            assert site.returncode == 0, site.stderr
            events = json.loads(site.stdout)["events"]
            assert [(e["object"], e["event_state"], e["acked_transitions"]["to-offnormal"]) for e in events] == [
                (ZONE_TEMP, "high-limit", False)]
            refused = aso("ack", vav["address"], ZONE_TEMP)  # no terminal, no --yes: nothing sent
            assert refused.returncode == 2 and "--yes" in refused.stderr
            acked = aso("ack", vav["address"], "ai,1", "--yes", "--source", "cli test")
            assert acked.returncode == 0, acked.stderr
            table = aso("alarms", vav["address"])
            assert table.returncode == 0 and "high-limit" in table.stdout
            after = json.loads(aso("--json", "alarms", vav["address"]).stdout)["events"]
            assert after[0]["acked_transitions"] == {"to-offnormal": True, "to-fault": True, "to-normal": True}

            # The acknowledgement is in the audit journal beside the two writes; undo lists it and leaves it alone.
            ack = next(r for r in read_records() if r.property == "acknowledge-alarm")
            assert (ack.tool, ack.object_id, ack.priority, ack.outcome) == ("cli", ZONE_TEMP, None, "ok")
            assert ack.after.startswith("high-limit (to-offnormal at ")
            listed = aso("undo", "--list")
            assert listed.returncode == 0 and ack.id in listed.stdout and "acknowledge-alarm" in listed.stdout
            refused = aso("undo", ack.id, "--yes")
            assert refused.returncode != 0 and "cannot be taken back" in refused.stderr
            assert len(refused.stderr.strip().splitlines()) == 1
            records = read_records()
            assert last_undoable(records).property == "present-value"  # `aso undo --last` skips the acknowledgement
            assert released_records(records) == []  # the closeout report sees no release in it
            sim.send_signal(signal.SIGINT)
            _, stderr = sim.communicate(timeout=15)
        finally:
            if sim.poll() is None:
                sim.kill()
    assert sim.returncode == 0, stderr
    assert "Traceback" not in stderr


async def test_an_empty_alarm_summary_is_an_answer_not_a_timeout(site):
    _, client = site
    assert await get_alarm_summary(client, VAV, timeout=2.0) == []  # bacpypes3 alone cannot decode it
