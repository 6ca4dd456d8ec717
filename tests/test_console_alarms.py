"""The Alarms tab (F9) on the in-process demo building: list, acknowledge, join the recipient list, hear it live.

VAV 2001's zone temperature (analog-input,1) has a high-limit alarm (78 degF) reported through
notification-class,1; it is tripped as on site, by overriding the airflow setpoint to 0.
"""

from __future__ import annotations

from aso_console.app import AsoConsoleApp
from aso_console.runtime import ConsoleOptions
from aso_console.screens.confirm import ConfirmScreen
from aso_runtime.bacnet import read_recipients
from aso_runtime.closeout.audit import read_records
from aso_runtime.sim.alarms import set_recipients

from .ports import lease_many
from .test_console import discovered, opened, until
from .waiting import until as wait_for

VAV = 2001
ZONE_TEMP, AIRFLOW_SP, NC = "analog-input,1", "analog-value,3", "notification-class,1"
ROW = f"{VAV}|{ZONE_TEMP}"


async def in_state(client, state: str) -> bool:
    return await client.read(VAV, ZONE_TEMP, "event-state") == state


def header(pane) -> str:
    return str(pane.query_one("#alarm-summary").render())


async def answer_yes(app, pilot, *words: str) -> str:
    """Wait for the confirmation, check it names ``words``, say yes; returns its question."""
    await until(lambda: isinstance(app.screen, ConfirmScreen))
    question = app.screen.question
    assert all(word in question for word in words), question
    await pilot.press("y")
    return question


async def test_alarm_listed_acknowledged_then_heard_live_after_consent_and_entry_removed_on_exit(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        building, client = app.runtime.building, app.runtime.client
        nc = building.point(VAV, NC)
        set_recipients(nc, [])  # nobody hears this class yet: what arrives comes through our own entry
        await client.write(VAV, AIRFLOW_SP, 0.0, priority=8)  # no cool air: the zone passes 78 degF
        building.advance(1200, dt=5.0)

        await pilot.press("f9")
        pane = app.alarms
        await until(lambda: ROW in pane.rows and not pane.sweeping)
        row = pane.rows[ROW]
        assert (row.event_state, row.unacknowledged, row.priority, row.via) == ("high-limit", ["to-offnormal"], 100, "GEI")
        assert "1 unacknowledged, 1 active" in header(pane)

        await pilot.press("a")
        await answer_yes(app, pilot, str(VAV), ZONE_TEMP, "high-limit")
        await until(lambda: not pane.rows[ROW].unacknowledged)
        assert "to-offnormal" in await client.read(VAV, ZONE_TEMP, "acked-transitions")  # independent read
        assert "0 unacknowledged, 1 active" in header(pane)
        acks = [r for r in read_records() if r.property == "acknowledge-alarm"]  # recorded, never undone
        assert [(r.tool, r.device_instance, r.object_id, r.priority, r.outcome) for r in acks] == [
            ("console", VAV, ZONE_TEMP, None, "ok")]
        assert acks[0].after.startswith("high-limit (to-offnormal at ")

        await pilot.press("n")
        question = await answer_yes(app, pilot, NC, str(VAV), f"device {client.device_instance}", "exits")
        assert "confirmed" in question
        await until(lambda: pane.enrollments)
        listed = await read_recipients(client, VAV, 1)
        assert [e.device_instance for e in listed] == [client.device_instance]

        # The zone cools back down: the controller tells us, and the row changes without a reload.
        await client.release(VAV, AIRFLOW_SP, priority=8)
        building.advance(1800, dt=5.0)
        await until(lambda: pane.rows[ROW].event_state == "normal")
        assert pane.rows[ROW].via == "EVT" and pane.heard_count >= 1
        await client.write(VAV, ZONE_TEMP, True, property="out-of-service")  # a hot reading at the sensor
        await client.write(VAV, ZONE_TEMP, 85.0)
        await until(lambda: pane.rows[ROW].event_state == "high-limit")
        assert pane.rows[ROW].unacknowledged == ["to-offnormal"]  # a new alarm, waiting for an acknowledgement
        await until(lambda: any("Alarm" in line and "high-limit" in line for line in app.notices))

    # The console has exited: the controller's own list no longer names it, and the journal says so.
    assert list(nc.recipientList) == []
    writes = [r for r in read_records() if r.property == "recipient-list"]
    assert [(r.object_id, r.outcome, len(r.before), len(r.after)) for r in writes] == [(NC, "ok", 0, 1), (NC, "ok", 1, 0)]
    assert writes[1].undoes == writes[0].id


async def test_n_removes_our_entry_on_request_and_a_locked_list_is_one_line(cleanup_vlans):
    from aso_runtime.sim.alarms import lock_recipients

    async with opened(cleanup_vlans) as (app, pilot):
        building, client = app.runtime.building, app.runtime.client
        nc = building.point(VAV, NC)
        before = list(nc.recipientList)
        await client.write(VAV, ZONE_TEMP, True, property="out-of-service")
        await client.write(VAV, ZONE_TEMP, 85.0)
        await pilot.press("f9")
        pane = app.alarms
        await until(lambda: ROW in pane.rows and not pane.sweeping)
        await pilot.press("n")
        await answer_yes(app, pilot, NC)
        await until(lambda: pane.enrollments)
        assert len(nc.recipientList) == len(before) + 1
        await pilot.press("N")
        await answer_yes(app, pilot, NC, str(VAV))
        await until(lambda: not pane.enrollments)
        assert list(nc.recipientList) == before  # the site's own entry untouched

        lock_recipients(nc)
        await pilot.press("n")
        await answer_yes(app, pilot, NC)
        await until(lambda: any("failed" in line and "write-access-denied" in line for line in app.notices))
        line = next(line for line in app.notices if "write-access-denied" in line)
        assert "\n" not in line and "Traceback" not in line
        assert not pane.enrollments and list(nc.recipientList) == before


async def test_an_acknowledgement_the_device_refuses_is_one_line_and_recorded_as_failed(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        building, client = app.runtime.building, app.runtime.client
        set_recipients(building.point(VAV, NC), [])  # no notifications: the row keeps the stamp it was listed with
        await client.write(VAV, ZONE_TEMP, True, property="out-of-service")
        await client.write(VAV, ZONE_TEMP, 85.0)
        await pilot.press("f9")
        pane = app.alarms
        await until(lambda: ROW in pane.rows and not pane.sweeping)
        listed = pane.rows[ROW].active_stamp
        # Back to normal and into alarm again at the sensor: the device now holds a newer to-offnormal stamp.
        await client.write(VAV, ZONE_TEMP, 70.0)
        await wait_for(lambda: in_state(client, "normal"), what="back to normal")
        await client.write(VAV, ZONE_TEMP, 85.0)
        await wait_for(lambda: in_state(client, "high-limit"), what="high-limit again")

        await pilot.press("a")
        await answer_yes(app, pilot, str(VAV), ZONE_TEMP, listed)
        await until(lambda: any("invalid-time-stamp" in line for line in app.notices))
        line = next(line for line in app.notices if "invalid-time-stamp" in line)
        assert "\n" not in line and "Traceback" not in line
        assert "to-offnormal" not in await client.read(VAV, ZONE_TEMP, "acked-transitions")  # still unacknowledged
        acks = [r for r in read_records() if r.property == "acknowledge-alarm"]
        assert len(acks) == 1 and "invalid-time-stamp" in acks[0].outcome
        assert acks[0].after == f"high-limit (to-offnormal at {listed})"


async def test_over_udp_the_controller_finds_the_console_behind_the_bbmd_and_its_notification_arrives():
    """The demo on loopback UDP (ports 50000-50099): the console is a foreign device of the building's BBMD and
    the VAV is 2:3 behind its router. After consent the VAV must find device 4194302 by itself (Who-Is through
    the router and the BBMD) and deliver a confirmed notification there: what a real site asks of it."""
    with lease_many(range(50000, 50100, 2), 1) as (port,), lease_many(range(port + 1, port + 2), 1):
        app = AsoConsoleApp(options=ConsoleOptions(demo=True, demo_port=port, demo_step=0.2, release_orphans=False),
                            poll_interval=0.3)
        async with app.run_test(size=(80, 24)) as pilot:
            await discovered(app, pilot)
            building, client = app.runtime.building, app.runtime.client
            set_recipients(building.point(VAV, NC), [])  # only our own entry can bring a notification
            await client.write(VAV, ZONE_TEMP, True, property="out-of-service")
            await client.write(VAV, ZONE_TEMP, 85.0)  # a hot reading at the sensor: high-limit
            await pilot.press("f9")
            pane = app.alarms
            await until(lambda: ROW in pane.rows and not pane.sweeping)
            await pilot.press("n")
            await answer_yes(app, pilot, NC, str(VAV))
            await until(lambda: pane.enrollments)
            await client.write(VAV, ZONE_TEMP, 70.0)  # back to normal: the VAV tells us
            await until(lambda: pane.rows[ROW].event_state == "normal" and pane.rows[ROW].via == "EVT")
            assert pane.heard_count >= 1
            await client.write(VAV, ZONE_TEMP, False, property="out-of-service")
