"""Issue 13's services against an independent stack: rusty-bacnet 0.14 (Rust, PyPI).

Both directions, over real UDP on 127.0.0.1 only (ports 47600-47699,
``share_port_by_address=True`` on every rusty endpoint):

- our client (``aso_runtime.bacnet``: trend / alarms / schedule / management
  and the ``aso`` CLI) against a rusty device serving a trend log, an analog
  input with intrinsic high-limit reporting and its notification class, a
  schedule, a calendar, DCC and ReinitializeDevice with a password;
- rusty's client against our simulated devices (the VAV with trend-log,1,
  the zone high-limit alarm and notification-class,1; the AHU with
  schedule,1 and calendar,1), each served straight on loopback UDP with the
  simulator's own application class (rusty's client reaches only ``ip:port``
  addresses for these services, never a device behind a router).

What rusty-bacnet does, as measured here:

- ReadRange count is INTEGER16 (clause 21): a count of 0x7FFFFFFF is
  Reject(parameter-out-of-range). Our ``trend.read_range`` asked that count
  for a whole log until it learned this here; it asks 32767 now and pages on.
- GetEventInformation is not answered at all (no Error, no Reject) while any
  event-capable object (an analog input, a binary value, a trend log...) names a
  notification class the device does not have, as every one does by default
  (class 0; rusty logs "projection failed"): skipped below as rusty's fault.
- A Notification Class's Priority and Ack_Required are read-only
  (write-access-denied) and ``add_notification_class`` cannot set them, so
  a rusty event never waits for an acknowledgement.
- DCC ``disable`` (deprecated since 135-2016) is refused with
  services / service-request-denied; ``disable-initiation`` and ``enable``
  work. Without ``on_reinitialize`` every ReinitializeDevice is refused.
- Unacknowledged transitions need the notification class's ack-required
  bits; without them every transition reads acknowledged at once.
- Event time stamps never set read as sequence number 0 (``#0``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

import pytest

rb = pytest.importorskip("rusty_bacnet")

from aso_runtime.bacnet.alarms import acknowledge_alarm, get_alarm_summary, get_event_information  # noqa: E402
from aso_runtime.bacnet.errors import BacnetRemoteError, BacnetTimeout  # noqa: E402
from aso_runtime.bacnet.local import (  # noqa: E402
    LocalDevice,
    build_application,
    close_application,
    device_object,
    parse_local_address,
    udp_port,
    wait_until_bound,
)
from aso_runtime.bacnet.management import (  # noqa: E402
    device_communication_control,
    reinitialize_device,
    time_synchronize,
)
from aso_runtime.bacnet.schedule import read_calendar, read_schedule, write_day  # noqa: E402
from aso_runtime.bacnet.trend import read_range  # noqa: E402
from aso_runtime.sim import devices as sim_devices  # noqa: E402
from aso_runtime.sim import trends as sim_trends  # noqa: E402
from aso_runtime.sim.management import DEFAULT_PASSWORD  # noqa: E402

from .rusty_peer import free_port, ours, rusty_client  # noqa: E402, F401 (ours is a fixture)

P, PV, OT = rb.PropertyIdentifier, rb.PropertyValue, rb.ObjectType
RUSTY_INSTANCE = 4322
PASSWORD = "sesame"
HIGH_LIMIT = 80.0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def oid(kind: "rb.ObjectType", instance: int = 1) -> "rb.ObjectIdentifier":
    return rb.ObjectIdentifier(kind, instance)


async def until(check, what: str, wait: float = 3.0):
    """Poll ``check()`` (async) until it returns something truthy or ``wait`` s pass."""
    deadline = time.monotonic() + wait
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


# ----- a rusty device serving issue 13's objects ---------------------------------------


@dataclass
class RustyDevice:
    server: "rb.BACnetServer"
    address: str
    reinitialized: list = field(default_factory=list)

    async def local(self, object_id, prop, index=None):
        return (await self.server.read_property(object_id, prop, index)).value


def _rusty_device(port: int, reinitialized: list) -> "rb.BACnetServer":
    server = rb.BACnetServer(
        device_instance=RUSTY_INSTANCE, device_name="Rusty AHU", interface="127.0.0.1", port=port,
        broadcast_address="127.255.255.255", share_port_by_address=True,
        dcc_password=PASSWORD, reinit_password=PASSWORD, dcc_policy="require_password",
        # Returns at once (rusty holds its object lock while this runs): accept and remember.
        on_reinitialize=lambda request: reinitialized.append(request.state) or True,
    )
    server.add_analog_input(1, "Zone Temperature", units=64, present_value=72.5)
    # 5 hundredths of a second: a handful of records within a test's first moments.
    server.add_trend_log(1, "Zone Temperature Trend", 100, reference=(oid(OT.ANALOG_INPUT), P.PRESENT_VALUE),
                         log_interval=5, logging_type="polled")
    server.add_notification_class(1, "Zone Alarms", 1)
    server.add_calendar(1, "Holidays", date_list=[
        {"kind": "date", "date": (2026, 12, 25, 5)},
        {"kind": "date_range", "start_date": (2026, 12, 24, 4), "end_date": (2027, 1, 2, 6)},
    ])
    weekday = [((7, 0, 0, 0), PV.enumerated(1)), ((18, 0, 0, 0), PV.enumerated(0))]
    server.add_schedule(1, "Occupancy Schedule", weekly_schedule=[weekday] * 5 + [[], []], exception_schedule=[
        {"period": oid(OT.CALENDAR), "time_values": [((0, 0, 0, 0), PV.enumerated(0))], "priority": 10}])
    return server


@pytest.fixture
async def rusty_device():
    port, reinitialized = free_port(), []
    server = _rusty_device(port, reinitialized)
    await server.start()
    try:
        yield RustyDevice(server, f"127.0.0.1:{port}", reinitialized)
    finally:
        await server.stop()


async def enough_records(device: RustyDevice, count: int = 5) -> None:
    await until(lambda: _at_least(device, count), f"{count} records in rusty's trend log")


async def _at_least(device: RustyDevice, count: int) -> bool:
    return await device.local(oid(OT.TREND_LOG), P.RECORD_COUNT) >= count


async def test_our_read_range_reads_a_rusty_trend_log(ours, rusty_device):
    await enough_records(rusty_device)
    address = rusty_device.address

    newest = await read_range(ours, address, "trend-log,1", count=3)
    by_position = await read_range(ours, address, "trend-log,1", count=3, by="position")

    assert len(newest) == len(by_position) == 3
    assert [r.value for r in newest] == [72.5] * 3
    sequences = [r.sequence for r in newest]
    assert sequences == list(range(sequences[0], sequences[0] + 3))  # numbered by rusty, in order
    assert all(r.kind == "value" and r.status == () for r in newest)
    assert [r.epoch for r in newest] == sorted(r.epoch for r in newest)
    assert abs(newest[-1].epoch - time.time()) < 60  # rusty's local time read as ours


async def test_our_read_range_reads_a_whole_rusty_trend_log(ours, rusty_device):
    await enough_records(rusty_device)
    records = await read_range(ours, rusty_device.address, "trend-log,1")
    assert len(records) >= 5


async def _enrol_high_limit(device: RustyDevice) -> None:
    """Zone AI: high limit 80 reported to notification class 1 (rusty's: its priority and ack-required are fixed)."""
    server, ai = device.server, oid(OT.ANALOG_INPUT)
    for object_id, prop, value in [
        (oid(OT.TREND_LOG), P.NOTIFICATION_CLASS, PV.unsigned(1)),  # event-capable too: else rusty stays silent
        (ai, P.NOTIFICATION_CLASS, PV.unsigned(1)), (ai, P.HIGH_LIMIT, PV.real(HIGH_LIMIT)),
        (ai, P.LOW_LIMIT, PV.real(50.0)), (ai, P.DEADBAND, PV.real(1.0)),
        (ai, P.LIMIT_ENABLE, PV.bit_string(6, bytes([0x40]))),  # high limit only
        (ai, P.EVENT_ENABLE, PV.bit_string(5, bytes([0xE0]))), (ai, P.TIME_DELAY, PV.unsigned(0)),
    ]:
        await server.write_property_local(object_id, prop, value, source_object=None)


async def _trip_high_limit(device: RustyDevice) -> None:
    await device.server.set_present_value_local(oid(OT.ANALOG_INPUT), PV.real(85.0))
    await until(lambda: _event_state_is(device, 3), "rusty's zone temperature in high-limit")


async def _event_state_is(device: RustyDevice, state: int) -> bool:
    return await device.local(oid(OT.ANALOG_INPUT), P.EVENT_STATE) == state


async def test_our_alarm_list_and_acknowledge_against_a_rusty_high_limit(ours, rusty_device):
    address = rusty_device.address
    await _enrol_high_limit(rusty_device)
    assert await get_event_information(ours, address) == []
    await _trip_high_limit(rusty_device)

    [event] = await get_event_information(ours, address)
    assert (event.object_id, event.event_state, event.notify_type) == ("analog-input,1", "high-limit", "alarm")
    # rusty's notification class cannot ask for acknowledgements (read-only ack-required, none set).
    assert event.unacknowledged == []
    nc_priority = await rusty_device.local(oid(OT.NOTIFICATION_CLASS), P.PRIORITY)
    assert event.priorities == list(nc_priority)
    assert event.active_time_stamp is not None and event.active_time_stamp[:2] == "20"  # a date and time
    [summary] = await get_alarm_summary(ours, address)
    assert (summary.object_id, summary.event_state, summary.unacknowledged) == ("analog-input,1", "high-limit", [])

    # The time stamp must echo the event's: a stale one is refused.
    with pytest.raises(BacnetRemoteError, match="invalid-time-stamp"):
        await acknowledge_alarm(ours, address, event.object_id, event.event_state, "#12345")
    await acknowledge_alarm(ours, address, event.object_id, event.event_state, event.active_time_stamp,
                            source="interop test")


async def test_our_get_event_information_with_no_notification_class_on_rusty(ours):
    """An AI names notification class 0, which the device lacks: GetEventInformation must still answer."""
    port = free_port()
    server = rb.BACnetServer(device_instance=RUSTY_INSTANCE, device_name="Rusty Bare", interface="127.0.0.1",
                             port=port, broadcast_address="127.255.255.255", share_port_by_address=True)
    server.add_analog_input(1, "Zone Temperature", units=64, present_value=72.5)
    await server.start()
    try:
        try:
            events = await get_event_information(ours, f"127.0.0.1:{port}")
        except BacnetTimeout:
            pytest.skip("rusty 0.14 sends no answer to GetEventInformation when a notification class is missing")
        assert events == []
    finally:
        await server.stop()


async def test_our_schedule_and_calendar_reads_of_rusty(ours, rusty_device):
    schedule = await read_schedule(ours, rusty_device.address, "schedule,1")

    assert schedule.name == "Occupancy Schedule"
    # No controlled object and a Null default: values show as the numbers they are.
    assert schedule.days[:5] == [[("07:00", 1), ("18:00", 0)]] * 5
    assert schedule.days[5:] == [[], []]
    [holiday] = schedule.exceptions
    assert (holiday.calendar, holiday.priority, holiday.entries) == ("calendar,1", 10, [("00:00", 0)])
    assert schedule.effective_period == ("*-*-*", "*-*-*")

    calendar = await read_calendar(ours, rusty_device.address, "calendar,1")
    assert calendar.name == "Holidays"
    assert calendar.dates == ["2026-12-25 Fri", "2026-12-24 Thu..2027-01-02 Sat"]


async def test_our_write_day_to_a_rusty_schedule_reads_back(ours, rusty_device):
    after = await write_day(ours, rusty_device.address, "schedule,1", "saturday",
                            [("08:00", "active"), ("12:30", "inactive")], kind="binary")

    assert after.days[5] == [("08:00", "active"), ("12:30", "inactive")]
    # rusty's own view of the property, not our read-back.
    saturday = await rusty_device.local(oid(OT.SCHEDULE), P.WEEKLY_SCHEDULE, 6)
    assert [(t, v.value) for t, v in saturday] == [((8, 0, 0, 0), 1), ((12, 30, 0, 0), 0)]


async def test_our_device_management_against_rusty(ours, rusty_device):
    address, server = rusty_device.address, rusty_device.server

    with pytest.raises(BacnetRemoteError, match="password-failure"):
        await device_communication_control(ours, address, "disable-initiation", 1, password="wrong")
    assert await server.comm_state() == rb.EnableDisable.ENABLE
    await device_communication_control(ours, address, "disable-initiation", 1, password=PASSWORD)
    assert await server.comm_state() == rb.EnableDisable.DISABLE_INITIATION
    await device_communication_control(ours, address, "enable", password=PASSWORD)
    assert await server.comm_state() == rb.EnableDisable.ENABLE

    with pytest.raises(BacnetRemoteError, match="password-failure"):
        await reinitialize_device(ours, address, "warmstart", password="wrong")
    await reinitialize_device(ours, address, "warmstart", password=PASSWORD)
    assert rusty_device.reinitialized == [rb.ReinitializedState.WARMSTART]

    sent = await time_synchronize(ours, address, when=dt.datetime(2030, 1, 2, 4, 5, 6))
    assert sent == dt.datetime(2030, 1, 2, 4, 5, 6)
    # Unconfirmed: rusty's device object is the only witness that the clock moved.
    device = oid(OT.DEVICE, RUSTY_INSTANCE)
    assert await until(lambda: _local_is(rusty_device, device, (2030, 1, 2, 3)), "rusty's clock set")
    hour, minute, _, _ = await rusty_device.local(device, P.LOCAL_TIME)
    assert (hour, minute) == (4, 5)


async def _local_is(device: RustyDevice, object_id, wanted) -> bool:
    return await device.local(object_id, P.LOCAL_DATE) == wanted


async def test_rusty_refuses_the_deprecated_dcc_disable(ours, rusty_device):
    with pytest.raises(BacnetRemoteError, match="service-request-denied"):
        await device_communication_control(ours, rusty_device.address, "disable", 1, password=PASSWORD)
    assert await rusty_device.server.comm_state() == rb.EnableDisable.ENABLE


async def test_cli_against_a_rusty_device(rusty_device):
    """``aso trend/alarms/schedule/calendar/time-sync/dcc/reinit`` with an explicit loopback --address."""
    address = rusty_device.address
    env = {k: v for k, v in os.environ.items() if k not in ("ASO_ADDRESS", "COLUMNS")}
    env["PYTHONPATH"] = ROOT

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "aso_runtime.cli.main", "--address", f"127.0.0.1/8:{free_port()}",
                   "--timeout", "2", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, cwd=ROOT,
                              stdin=subprocess.DEVNULL)

    async def aso(*args: str) -> subprocess.CompletedProcess:
        return await asyncio.to_thread(run, *args)  # rusty's server keeps answering on this loop meanwhile

    await enough_records(rusty_device, 3)
    await _enrol_high_limit(rusty_device)  # else rusty does not answer GetEventInformation (see above)
    trend = await aso("--json", "trend", address, "trend-log,1", "--count", "3")
    assert trend.returncode == 0, trend.stderr
    assert [r["value"] for r in json.loads(trend.stdout)["records"]] == [72.5] * 3

    alarms = await aso("--json", "alarms", address)
    assert alarms.returncode == 0, alarms.stderr
    assert json.loads(alarms.stdout)["events"] == []

    schedule = await aso("--json", "schedule", address, "schedule,1")
    assert schedule.returncode == 0, schedule.stderr
    assert json.loads(schedule.stdout)["days"]["monday"] == [["07:00", 1], ["18:00", 0]]

    for args in (("time-sync", address, "--yes"), ("dcc", address, "enable", "--password", PASSWORD, "--yes"),
                 ("reinit", address, "warmstart", "--password", PASSWORD, "--yes")):
        done = await aso(*args)
        assert done.returncode == 0, (args, done.stderr)
    assert rusty_device.reinitialized == [rb.ReinitializedState.WARMSTART]

    wrong = await aso("reinit", address, "warmstart", "--password", "wrong", "--yes")
    assert wrong.returncode == 1 and "password-failure" in wrong.stderr and "Traceback" not in wrong.stderr


# ----- rusty's client against our simulated devices --------------------------------------


@dataclass
class SimOnLoopback:
    spec: sim_devices.DeviceSpec
    address: str

    def point(self, role: str):
        return self.spec.points[role]


async def _serve(spec: sim_devices.DeviceSpec):
    port = free_port()
    app = build_application(spec.application_class, [
        device_object(LocalDevice(instance=spec.instance, name=spec.name)),
        udp_port(parse_local_address(f"127.0.0.1/8:{port}")),
        *spec.objects,
    ])
    await wait_until_bound(app)
    return app, SimOnLoopback(spec, f"127.0.0.1:{port}")


@pytest.fixture
async def sim_vav():
    """The simulator's first VAV (trend-log,1, zone high-limit alarm, notification-class,1) on loopback UDP."""
    app, device = await _serve(sim_devices.vav(0))
    try:
        yield device
    finally:
        await close_application(app)


@pytest.fixture
async def sim_ahu():
    """The simulator's AHU (schedule,1 and calendar,1) on loopback UDP."""
    app, device = await _serve(sim_devices.ahu(5))
    try:
        yield device
    finally:
        await close_application(app)


@pytest.fixture
async def rusty():
    async with rusty_client(free_port()) as client:
        yield client


async def test_rusty_read_range_of_our_trend_log(rusty, sim_vav):
    start = time.time() - 100
    sim_trends.fill(sim_vav.point("trend"), 20, start=start, value=lambda i: 70.0 + i / 4)
    log = oid(OT.TREND_LOG)

    whole = await rusty.read_range(sim_vav.address, log, P.LOG_BUFFER)  # strict: every ReadRange rule checked
    records = rb.decode_log_records(whole)
    assert whole["item_count"] == 20 and whole["violations"] == []
    assert [r["datum"]["real"] for r in records] == [70.0 + i / 4 for i in range(20)]
    assert records[0]["status_flags"] == 0

    by_sequence = await rusty.read_range(sim_vav.address, log, P.LOG_BUFFER, range_type="sequence",
                                         reference_seq=5, count=3)
    assert by_sequence["first_sequence_number"] == 5
    assert [r["datum"]["real"] for r in rb.decode_log_records(by_sequence)] == [71.0, 71.25, 71.5]

    by_position = await rusty.read_range(sim_vav.address, log, P.LOG_BUFFER, range_type="position",
                                         reference_index=20, count=-2)
    assert [r["datum"]["real"] for r in rb.decode_log_records(by_position)] == [74.5, 74.75]

    by_time = await rusty.read_range(sim_vav.address, log, P.LOG_BUFFER, range_type="time",
                                     reference_time=dt.datetime.fromtimestamp(start + 9.5), count=2)
    assert [r["datum"]["real"] for r in rb.decode_log_records(by_time)] == [72.5, 72.75]

    page = await rusty.read_log_page(sim_vav.address, log, "oldest", 8)
    assert len(page["records"]) == 8 and page["next"] == ("sequence", 9) and not page["done"]


async def test_rusty_lists_and_acknowledges_our_zone_alarm(rusty, sim_vav):
    zone = sim_vav.point("zone_temp")
    assert await rusty.get_alarm_summary(sim_vav.address) == []
    zone.outOfService = True  # the technician's way: sensor out of service, a hot value written
    zone.presentValue = 85.0
    await until(lambda: _high(zone), "our zone temperature in high-limit")

    [alarm] = await rusty.get_alarm_summary(sim_vav.address)
    assert (alarm["object_id"], alarm["alarm_state"]) == (oid(OT.ANALOG_INPUT), rb.EventState.HIGH_LIMIT)
    assert alarm["acknowledged_transitions"] == {"unused_bits": 5, "data": bytes([0x60])}  # to-offnormal unacked
    [enrollment] = await rusty.get_enrollment_summary(sim_vav.address)
    assert (enrollment["event_type"], enrollment["priority"], enrollment["notification_class"]) == (
        rb.EventType.OUT_OF_RANGE, 100, 1)
    raw = await rusty.get_event_information(sim_vav.address)
    assert raw.startswith(bytes.fromhex("0e0c00000001"))  # [0] list, first summary analog-input,1

    stamp = zone.eventTimeStamps[0].time
    h, m, s, hs = tuple(stamp)
    await rusty.acknowledge_alarm_request(
        sim_vav.address, 1, oid(OT.ANALOG_INPUT), rb.EventState.HIGH_LIMIT, rb.BACnetTimeStamp.time(h, m, s, hs),
        "rusty interop", rb.BACnetTimeStamp.time(12, 0, 0, 0))
    assert list(zone.ackedTransitions)[0] == 1


async def _high(zone) -> bool:
    return str(zone.eventState) == "high-limit"


async def test_rusty_manages_our_simulated_device(rusty, sim_vav):
    address, device = sim_vav.address, oid(OT.DEVICE, sim_vav.spec.instance)

    await rusty.time_synchronization(address, (2030, 1, 2, 3), (4, 5, 6, 0))
    local_date = await until(lambda: _read_if(rusty, address, device, P.LOCAL_DATE, (2030, 1, 2, 3)), "the clock set")
    assert local_date == (2030, 1, 2, 3)

    with pytest.raises(rb.BacnetProtocolError) as refused:
        await rusty.device_communication_control(address, rb.EnableDisable.DISABLE_INITIATION, 5, "wrong")
    assert (refused.value.error_class, refused.value.error_code) == (
        rb.ErrorClass.SECURITY.to_raw(), rb.ErrorCode.PASSWORD_FAILURE.to_raw())
    await rusty.device_communication_control(address, rb.EnableDisable.DISABLE_INITIATION, 5, DEFAULT_PASSWORD)
    await rusty.device_communication_control(address, rb.EnableDisable.ENABLE, None, DEFAULT_PASSWORD)

    await rusty.reinitialize_device(address, rb.ReinitializedState.WARMSTART, DEFAULT_PASSWORD)
    reason = await rusty.read_property(address, device, P.LAST_RESTART_REASON)
    assert reason.value == 2  # warmstart


async def _read_if(client, address, object_id, prop, wanted):
    value = (await client.read_property(address, object_id, prop)).value
    return value if value == wanted else None


async def test_rusty_reads_our_schedule_and_calendar(rusty, sim_ahu):
    weekly = await rusty.read_property(sim_ahu.address, oid(OT.SCHEDULE), P.WEEKLY_SCHEDULE)
    monday = [(t, v.value) for t, v in weekly.value[0]]
    assert monday == [((7, 0, 0, 0), 1), ((18, 0, 0, 0), 0)]
    exceptions = await rusty.read_property(sim_ahu.address, oid(OT.SCHEDULE), P.EXCEPTION_SCHEDULE)
    assert [e["priority"] for e in exceptions.value] == [10, 5]
    assert exceptions.value[0]["period"] == oid(OT.CALENDAR)
    dates = await rusty.read_property(sim_ahu.address, oid(OT.CALENDAR), P.DATE_LIST)
    assert [d["kind"] for d in dates.value] == ["date", "date_range", "week_n_day"]


async def test_rusty_writes_our_weekly_schedule(rusty, sim_ahu):
    schedule, sched_oid = sim_ahu.point("occupancy_schedule"), oid(OT.SCHEDULE)
    monday = await rusty.read_property(sim_ahu.address, sched_oid, P.WEEKLY_SCHEDULE, 1)
    assert monday.tag == "daily_schedule"

    # A day as rusty read it, written back to Sunday; Saturday as the octets of a BACnetDailySchedule.
    await rusty.write_property(sim_ahu.address, sched_oid, P.WEEKLY_SCHEDULE, monday, None, 7)
    saturday = bytes.fromhex("0e" "b4061e0000" "9101" "b411000000" "9100" "0f")  # 06:30 active, 17:00 inactive
    await rusty.write_property(sim_ahu.address, sched_oid, P.WEEKLY_SCHEDULE, PV.application_data(saturday), None, 6)

    def day(index):
        return [(tuple(tv.time), int(tv.value.get_value())) for tv in schedule.weeklySchedule[index].daySchedule]
    assert day(6) == [((7, 0, 0, 0), 1), ((18, 0, 0, 0), 0)]
    assert day(5) == [((6, 30, 0, 0), 1), ((17, 0, 0, 0), 0)]
    # A day of text values is refused as a field controller would: property / invalid-data-type.
    wrong = bytes.fromhex("0e" "b4071e0000" "7103006f6e" "0f")  # 07:30 "on"
    with pytest.raises(rb.BacnetProtocolError) as refused:
        await rusty.write_property(sim_ahu.address, sched_oid, P.WEEKLY_SCHEDULE, PV.application_data(wrong), None, 1)
    assert refused.value.error_code == rb.ErrorCode.INVALID_DATA_TYPE.to_raw()
    assert day(0) == [((7, 0, 0, 0), 1), ((18, 0, 0, 0), 0)]
