"""Schedules and calendars (issue 13): the simulated AHU's occupancy schedule read, edited and obeyed.

The simulated AHU (device 1001) serves schedule,1 driving binary-value,1
"AHU-1 Occupied (scheduled)" and calendar,1 of holidays (sim/schedules.py).
Reads and writes go through the client (aso_runtime.bacnet.schedule); an
independent generic ReadProperty of the raw property checks what the device
really holds. The schedule is evaluated on the simulation clock, which the
tests set.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from aso_runtime.bacnet import (
    BacnetError,
    BacnetRemoteError,
    InvalidInput,
    ScheduleException,
    open_client,
    read_calendar,
    read_schedule,
    write_day,
    write_exceptions,
)
from aso_runtime.bacnet.local import drop_virtual_network
from aso_runtime.bacnet.schedule_edit import (
    add_calendar_entry,
    add_exception,
    drop_calendar_entry,
    drop_exception,
    entries_text,
)
from aso_runtime.bacnet.schedule_text import calendar_entry_text, parse_calendar_entry
from aso_runtime.closeout.audit import AuditJournal, read_records
from aso_runtime.closeout.schedule_audit import (
    DATE_LIST,
    EXCEPTION_SCHEDULE,
    WEEKLY_SCHEDULE,
    audited_edit,
    dates_text,
    exceptions_text,
    parse_dates,
    parse_exceptions,
)
from aso_runtime.closeout.undo import check_undo, session_overrides, undo
from aso_runtime.sim import SimulatedBuilding

try:
    from .ports import lease
except ImportError:  # run as a plain file
    from ports import lease

AHU = 1001
SCHEDULE, CALENDAR, OCCUPIED_POINT = "schedule,1", "calendar,1", "binary-value,1"
ROOT = Path(__file__).resolve().parent.parent
_names = itertools.count(1)

WEEKDAY = [("07:00", "active"), ("18:00", "inactive")]


@pytest.fixture
async def site():
    name = f"test-schedule-{os.getpid()}-{next(_names)}"
    building = await SimulatedBuilding.start(vlan=name, devices=8)
    client = await open_client(vlan=name, mac=1, timeout=2.0)
    try:
        yield building, client
    finally:
        await client.close()
        await building.stop()
        drop_virtual_network(name)


# ----- reading -----------------------------------------------------------------------------


async def test_the_weekly_schedule_and_exceptions_read_as_served(site):
    _, client = site
    schedule = await read_schedule(client, AHU, SCHEDULE)
    assert schedule.name == "AHU-1 Occupancy Schedule" and schedule.kind == "binary"
    assert schedule.days[:5] == [WEEKDAY] * 5
    assert schedule.days[5] == [("08:00", "active"), ("12:00", "inactive")]
    assert schedule.days[6] == []
    assert schedule.default == "inactive"
    assert schedule.effective_period == ("2000-01-01", "2099-12-31")
    assert schedule.controls == ["device 1001 binary-value,1 present-value"]
    assert schedule.priority_for_writing == 16
    holiday, new_years_eve = schedule.exceptions
    assert (holiday.calendar, holiday.entries, holiday.priority) == ("calendar,1", [("00:00", "inactive")], 10)
    assert (new_years_eve.period, new_years_eve.calendar, new_years_eve.priority) == ("2026-12-31", None, 5)
    assert new_years_eve.entries == [("07:00", "active"), ("14:00", "inactive")]
    doc = schedule.as_dict()
    assert json.loads(json.dumps(doc)) == doc and doc["days"]["monday"] == [["07:00", "active"], ["18:00", "inactive"]]


async def test_the_calendar_lists_a_date_a_range_and_a_week_n_day(site):
    _, client = site
    calendar = await read_calendar(client, AHU, CALENDAR)
    assert calendar.name == "AHU-1 Holidays"
    assert calendar.dates == ["*-12-25", "2026-12-24..2027-01-02", "week-n-day month 11, 4th week, Thu"]


async def test_a_non_schedule_object_is_refused_before_anything_is_sent(site):
    _, client = site
    sent = client.requests_sent
    with pytest.raises(InvalidInput, match="not a schedule"):
        await read_schedule(client, AHU, "analog-input,1")
    assert client.requests_sent == sent


# ----- writing -----------------------------------------------------------------------------


async def test_write_a_day_and_read_it_back(site):
    _, client = site
    after = await write_day(client, AHU, SCHEDULE, "sunday", [("10:30", "inactive"), ("09:00", "active")])
    assert after.days[6] == [("09:00", "active"), ("10:30", "inactive")]  # sorted by time
    raw = await client.read(AHU, SCHEDULE, "weekly-schedule")  # an independent, generic read
    assert [tv["time"] for tv in raw[6]["daySchedule"]] == ["09:00:00.00", "10:30:00.00"]
    assert (await read_schedule(client, AHU, SCHEDULE)).days[:6] == after.days[:6]  # the other days untouched
    cleared = await write_day(client, AHU, SCHEDULE, "sun", [])
    assert cleared.days[6] == []


async def test_a_value_of_the_wrong_type_is_refused_by_the_device(site):
    _, client = site
    with pytest.raises(BacnetRemoteError, match="invalid-data-type"):
        await write_day(client, AHU, SCHEDULE, "monday", [("06:00", 72.5)], kind="analog")
    assert (await read_schedule(client, AHU, SCHEDULE)).days[0] == WEEKDAY
    with pytest.raises(InvalidInput):
        await write_day(client, AHU, SCHEDULE, "monday", [("25:00", "active")])
    with pytest.raises(InvalidInput):
        await write_day(client, AHU, SCHEDULE, "monday", [("06:00", "maybe")])


async def test_write_the_exceptions_and_read_them_back(site):
    _, client = site
    before = await read_schedule(client, AHU, SCHEDULE)
    closed = {"period": "2027-03-01", "entries": [("00:00", "inactive")], "priority": 3}
    after = await write_exceptions(client, AHU, SCHEDULE, [*before.exceptions, closed])
    assert [(e.period, e.priority) for e in after.exceptions] == [("calendar,1", 10), ("2026-12-31", 5),
                                                                 ("2027-03-01", 3)]
    assert after.exceptions[2].entries == [("00:00", "inactive")]
    with pytest.raises(InvalidInput, match="outside 1..16"):
        await write_exceptions(client, AHU, SCHEDULE, [{**closed, "priority": 17}])


@pytest.mark.parametrize("text,shown", [
    ("2026-12-25", "2026-12-25"), ("*-07-04", "*-07-04"), ("2026-odd-last", "2026-odd-last"),
    ("*-*-* sunday", "*-*-* Sun"), ("2026-12-24..2027-01-02", "2026-12-24..2027-01-02"),
    ("week-n-day 11, 4, thu", "week-n-day month 11, 4th week, Thu"),
    ("week-n-day month 5, last 7 days, Mon", "week-n-day month 5, last 7 days, Mon"),
    ("week-n-day *, last, fri", "week-n-day any month, last 7 days, Fri"),
])
def test_a_period_typed_reads_back_as_shown_and_the_shown_text_types_back(text, shown):
    assert calendar_entry_text(parse_calendar_entry(text)) == shown
    assert calendar_entry_text(parse_calendar_entry(shown)) == shown


@pytest.mark.parametrize("text,message", [
    ("2026-02-30", "no such day"), ("2026-13-01", "month must be 1..12"), ("25.12.2026", "expected YYYY-MM-DD"),
    ("2027-01-02..2026-12-24", "ends before it starts"), ("week-n-day 11, 4", "MONTH, WEEK, DAY"),
    ("week-n-day 11, 10, thu", "not a week"), ("*-*-* funday", "not a day of the week"),
])
def test_a_bad_period_is_refused_in_one_line(text, message):
    with pytest.raises(InvalidInput, match=message):
        parse_calendar_entry(text)


async def test_add_and_drop_one_exception_leaving_the_others_as_the_device_sent_them(site):
    _, client = site
    raw_before = await client.read(AHU, SCHEDULE, "exception-schedule")
    after = await add_exception(client, AHU, SCHEDULE, "week-n-day 11, 4, fri", [("00:00", "inactive")], 8)
    after = await add_exception(client, AHU, SCHEDULE, "2026-12-24..2026-12-26", [("09:00", "active")], 3)
    assert [(e.period, e.priority) for e in after.exceptions] == [
        ("calendar,1", 10), ("2026-12-31", 5), ("week-n-day month 11, 4th week, Fri", 8),
        ("2026-12-24..2026-12-26", 3)]
    raw = await client.read(AHU, SCHEDULE, "exception-schedule")  # an independent, generic read
    assert raw[:2] == raw_before and len(raw) == 4 and raw[3]["eventPriority"] == 3

    dropped = await drop_exception(client, AHU, SCHEDULE, 2, expected=after.exceptions[1])
    assert [e.period for e in dropped.exceptions] == ["calendar,1", "week-n-day month 11, 4th week, Fri",
                                                      "2026-12-24..2026-12-26"]
    raw = await client.read(AHU, SCHEDULE, "exception-schedule")
    assert raw[0] == raw_before[0] and len(raw) == 3


async def test_a_drop_is_refused_when_the_exception_changed_or_is_not_there(site):
    _, client = site
    schedule = await read_schedule(client, AHU, SCHEDULE)
    with pytest.raises(BacnetError, match="changed since it was read"):
        await drop_exception(client, AHU, SCHEDULE, 1, expected=schedule.exceptions[1])  # #1 is the holiday one
    with pytest.raises(InvalidInput, match=r"no such entry \(1..2\)"):
        await drop_exception(client, AHU, SCHEDULE, 3)
    with pytest.raises(InvalidInput, match="outside 1..16"):
        await add_exception(client, AHU, SCHEDULE, "2026-12-01", [("00:00", "inactive")], 0)
    assert (await read_schedule(client, AHU, SCHEDULE)).exceptions == schedule.exceptions


async def test_add_and_drop_a_calendar_date(site):
    _, client = site
    after = await add_calendar_entry(client, AHU, CALENDAR, "week-n-day 5, last, mon")
    assert after.dates[-1] == "week-n-day month 5, last 7 days, Mon" and len(after.dates) == 4
    with pytest.raises(BacnetError, match="changed since it was read"):
        await drop_calendar_entry(client, AHU, CALENDAR, 4, expected="*-12-25")
    after = await drop_calendar_entry(client, AHU, CALENDAR, 1, expected="*-12-25")
    assert after.dates == ["2026-12-24..2027-01-02", "week-n-day month 11, 4th week, Thu",
                           "week-n-day month 5, last 7 days, Mon"]
    raw = await client.read(AHU, CALENDAR, "date-list")  # an independent, generic read
    assert len(raw) == 3


async def test_writes_only_where_a_controller_allows_them(site):
    _, client = site
    with pytest.raises(BacnetRemoteError, match="write-access-denied"):
        await client.write(AHU, SCHEDULE, 7, property="priority-for-writing")


# ----- the schedule drives the occupancy point ---------------------------------------------


def at(building: SimulatedBuilding, when: datetime) -> None:
    """Set the simulation clock (local time) and let the model take one step."""
    building.model.clock = when.timestamp()
    building.advance(1.0)


@pytest.mark.parametrize("when,occupied,holiday", [
    (datetime(2026, 11, 23, 10, 0), "active", False),  # a Monday, in the day
    (datetime(2026, 11, 23, 19, 0), "inactive", False),  # that Monday evening
    (datetime(2026, 11, 28, 11, 0), "active", False),  # Saturday morning
    (datetime(2026, 11, 29, 11, 0), "inactive", False),  # Sunday: no entries, the default
    (datetime(2026, 11, 26, 10, 0), "inactive", True),  # Thanksgiving: 4th Thursday of November
    (datetime(2026, 12, 25, 10, 0), "inactive", True),  # Christmas, a Friday
    (datetime(2026, 12, 29, 10, 0), "inactive", True),  # in the winter-break range, a Tuesday
    (datetime(2026, 12, 31, 10, 0), "active", True),  # the priority-5 exception beats the holiday
    (datetime(2026, 12, 31, 15, 0), "inactive", True),  # ...until 14:00
])
async def test_the_occupancy_point_follows_the_schedule(site, when, occupied, holiday):
    building, client = site
    at(building, when)
    assert await client.read(AHU, OCCUPIED_POINT) == occupied
    assert await client.read(AHU, SCHEDULE) == (1 if occupied == "active" else 0)
    assert await client.read(AHU, CALENDAR) is holiday


async def test_an_edited_day_and_an_operator_override_take_effect(site):
    building, client = site
    monday_morning = datetime(2026, 11, 23, 6, 45)
    at(building, monday_morning)
    assert await client.read(AHU, OCCUPIED_POINT) == "inactive"
    await write_day(client, AHU, SCHEDULE, "monday", [("06:30", "active"), ("18:00", "inactive")])
    at(building, monday_morning)
    assert await client.read(AHU, OCCUPIED_POINT) == "active"
    await client.write(AHU, OCCUPIED_POINT, "inactive", priority=8)  # the operator wins over priority 16
    at(building, monday_morning)
    assert await client.read(AHU, OCCUPIED_POINT) == "inactive"
    await client.release(AHU, OCCUPIED_POINT, priority=8)
    assert await client.read(AHU, OCCUPIED_POINT) == "active"


async def test_an_exception_for_today_takes_over_and_dropping_it_gives_the_week_back(site):
    building, client = site
    sunday_morning = datetime(2026, 11, 29, 10, 0)  # Sunday: no entries, unoccupied
    at(building, sunday_morning)
    assert await client.read(AHU, OCCUPIED_POINT) == "inactive"
    after = await add_exception(client, AHU, SCHEDULE, "2026-11-29", [("09:00", "active"), ("12:00", "inactive")], 12)
    at(building, sunday_morning)
    assert await client.read(AHU, SCHEDULE) == 1 and await client.read(AHU, OCCUPIED_POINT) == "active"
    at(building, datetime(2026, 11, 29, 12, 30))
    assert await client.read(AHU, OCCUPIED_POINT) == "inactive"
    await drop_exception(client, AHU, SCHEDULE, 3, expected=after.exceptions[2])
    at(building, sunday_morning)
    assert await client.read(AHU, OCCUPIED_POINT) == "inactive"


async def test_a_date_added_to_the_calendar_makes_it_a_holiday(site):
    building, client = site
    monday = datetime(2026, 11, 23, 10, 0)
    at(building, monday)
    assert await client.read(AHU, OCCUPIED_POINT) == "active" and await client.read(AHU, CALENDAR) is False
    await add_calendar_entry(client, AHU, CALENDAR, "2026-11-23")
    at(building, monday)
    assert await client.read(AHU, CALENDAR) is True
    assert await client.read(AHU, OCCUPIED_POINT) == "inactive"  # the holiday exception (priority 10)
    await drop_calendar_entry(client, AHU, CALENDAR, 4, expected="2026-11-23")
    at(building, monday)
    assert await client.read(AHU, OCCUPIED_POINT) == "active" and await client.read(AHU, CALENDAR) is False


# ----- the CLI against `aso sim` on loopback ----------------------------------------------------

SIM_PORTS = range(50200, 50210, 2)  # the simulator; its suggested client takes port + 1


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ASO_ADDRESS", "COLUMNS")}
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.fixture(scope="module")
def sim_command():
    """`aso sim` on loopback; yields the connection options its announcement suggests."""
    with lease(SIM_PORTS) as port:
        process = subprocess.Popen(
            [sys.executable, "-m", "aso_runtime.cli.main", "--json", "sim", "--address", f"127.0.0.1/8:{port}",
             "--devices", "8"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT,
        )
        try:
            lines: list[str] = []
            while not lines or lines[-1] != "}\n":
                line = process.stdout.readline()
                assert line, process.stderr.read()
                lines.append(line)
            command = json.loads("".join(lines))["discover_command"].split()
            options = [word for word in command[2:]]  # after "aso whois"
            yield options
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def aso(options: list[str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aso_runtime.cli.main", *options, *args], check=False,
                          capture_output=True,
                          text=True, timeout=60, env=_env(), cwd=ROOT, input=stdin)


def test_cli_shows_the_week_and_edits_a_day(sim_command):
    shown = aso(sim_command, "schedule", "1001", "schedule,1")
    assert shown.returncode == 0, shown.stderr
    assert "AHU-1 Occupancy Schedule" in shown.stdout and "07:00" in shown.stdout and "calendar,1" in shown.stdout
    doc = json.loads(aso(sim_command, "--json", "schedule", "1001", "schedule,1").stdout)
    assert doc["days"]["monday"] == [["07:00", "active"], ["18:00", "inactive"]]

    refused = aso(sim_command, "schedule", "1001", "schedule,1", "--set", "sunday", "09:00=active", stdin="")
    assert refused.returncode == 2 and "--yes" in refused.stderr  # no terminal: nothing written
    assert json.loads(aso(sim_command, "--json", "schedule", "1001", "schedule,1").stdout)["days"]["sunday"] == []

    edited = aso(sim_command, "schedule", "1001", "schedule,1", "--set", "sunday", "09:00=active,10:00=inactive",
                 "--yes")
    assert edited.returncode == 0, edited.stderr
    assert "reads back 09:00=active, 10:00=inactive" in edited.stdout
    doc = json.loads(aso(sim_command, "--json", "schedule", "1001", "schedule,1").stdout)
    assert doc["days"]["sunday"] == [["09:00", "active"], ["10:00", "inactive"]]

    bad = aso(sim_command, "schedule", "1001", "schedule,1", "--set", "someday", "09:00=active", "--yes")
    assert bad.returncode == 2 and "monday..sunday" in bad.stderr


def test_cli_shows_the_calendar(sim_command):
    doc = json.loads(aso(sim_command, "--json", "calendar", "1001", "calendar,1").stdout)
    assert doc["dates"] == ["*-12-25", "2026-12-24..2027-01-02", "week-n-day month 11, 4th week, Thu"]
    shown = aso(sim_command, "calendar", "1001", "calendar,1")
    assert shown.returncode == 0 and "AHU-1 Holidays" in shown.stdout and "*-12-25" in shown.stdout


def test_cli_adds_and_drops_an_exception(sim_command):
    schedule = ["schedule", "1001", "schedule,1"]
    refused = aso(sim_command, *schedule, "--add-exception", "2026-12-24..2026-12-26", "00:00=inactive", stdin="")
    assert refused.returncode == 2 and "--yes" in refused.stderr  # no terminal: nothing written
    bad = aso(sim_command, *schedule, "--add-exception", "2026-02-30", "00:00=inactive", "--yes")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "aso: error: exception period: date '2026-02-30': there is no such day"
    count = len(json.loads(aso(sim_command, "--json", *schedule).stdout)["exceptions"])

    added = aso(sim_command, *schedule, "--add-exception", "2026-12-24..2026-12-26", "00:00=inactive",
                "--priority", "8", "--yes")
    assert added.returncode == 0, added.stderr
    assert f"added exception #{count + 1}" in added.stdout and "2026-12-24..2026-12-26 at priority 8" in added.stdout
    shown = aso(sim_command, *schedule)
    assert re.search(rf"^{count + 1} +8 +2026-12-24\.\.2026-12-26 +00:00=inactive$", shown.stdout, re.MULTILINE)
    doc = json.loads(aso(sim_command, "--json", *schedule).stdout)
    assert doc["exceptions"][-1] == {"period": "2026-12-24..2026-12-26", "calendar": None,
                                     "entries": [["00:00", "inactive"]], "priority": 8}

    missing = aso(sim_command, *schedule, "--drop-exception", str(count + 5), "--yes")
    assert missing.returncode == 2 and f"no exception #{count + 5}" in missing.stderr
    dropped = aso(sim_command, "--json", *schedule, "--drop-exception", str(count + 1), "--yes")
    assert dropped.returncode == 0, dropped.stderr
    assert len(json.loads(dropped.stdout)["exceptions"]) == count  # the schedule as read back


def test_cli_adds_and_drops_a_calendar_date(sim_command):
    calendar = ["calendar", "1001", "calendar,1"]
    refused = aso(sim_command, *calendar, "--add", "2027-04-05", stdin="")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    added = aso(sim_command, *calendar, "--add", "week-n-day 5, last, mon", "--yes")
    assert added.returncode == 0, added.stderr
    assert "added date #4 (week-n-day month 5, last 7 days, Mon)" in added.stdout
    assert re.search(r"^4 +week-n-day month 5, last 7 days, Mon$", aso(sim_command, *calendar).stdout, re.MULTILINE)
    dropped = aso(sim_command, "--json", *calendar, "--drop", "4", "--yes")
    assert dropped.returncode == 0, dropped.stderr
    assert json.loads(dropped.stdout)["dates"] == ["*-12-25", "2026-12-24..2027-01-02",
                                                   "week-n-day month 11, 4th week, Thu"]


# ----- the audit journal: edits recorded, undone only while the object still holds them --------------------


async def test_a_day_edit_is_recorded_and_undo_writes_the_old_day_back(site):
    _, client = site
    journal = AuditJournal(tool="cli")
    before = await read_schedule(client, AHU, SCHEDULE)
    entries = [("09:00", "active"), ("11:30", "inactive")]
    after, audited = await audited_edit(client, journal, AHU, SCHEDULE, WEEKLY_SCHEDULE, 6,
                                        entries_text(before.days[5]), entries_text(entries),
                                        lambda: write_day(client, AHU, SCHEDULE, "saturday", entries))
    assert audited.warning is None and after.days[5] == entries
    [record] = read_records()  # in the journal on disk
    assert (record.device_instance, record.object_id, record.property, record.index, record.priority,
            record.before, record.after, record.outcome) == (
        AHU, SCHEDULE, "weekly-schedule", 6, None, "08:00=active, 12:00=inactive", "09:00=active, 11:30=inactive",
        "ok")
    assert session_overrides([record]) == []  # a schedule is not an override left on the site

    plan = await check_undo(client, record, read_records())
    assert plan.action == "write" and "08:00=active, 12:00=inactive back to 1001 schedule,1 weekly-schedule[6]" in (
        plan.reason)
    result = await undo(client, journal, record, read_records())
    assert result.done and result.verified and result.record.undoes == record.id
    raw = await client.read(AHU, SCHEDULE, "weekly-schedule")  # an independent, generic read
    assert [tv["time"] for tv in raw[5]["daySchedule"]] == ["08:00:00.00", "12:00:00.00"]
    again = await check_undo(client, record, read_records())
    assert again.refused and f"already undone by {result.record.id}" in again.reason


async def test_undo_of_an_exception_edit_is_refused_once_someone_changed_them(site):
    _, client = site
    journal = AuditJournal(tool="cli")
    before = await read_schedule(client, AHU, SCHEDULE)
    await audited_edit(client, journal, AHU, SCHEDULE, EXCEPTION_SCHEDULE, None, exceptions_text(before.exceptions),
                       "", lambda: add_exception(client, AHU, SCHEDULE, "week-n-day 11, 4, fri",
                                                 [("00:00", "inactive")], 8))
    [record] = read_records()
    assert record.before == "calendar,1 at priority 10: 00:00=inactive; 2026-12-31 at priority 5: 07:00=active, " \
                            "14:00=inactive"
    assert record.after.endswith("; week-n-day month 11, 4th week, Fri at priority 8: 00:00=inactive")
    assert parse_exceptions(record.after)[2] == {"period": "week-n-day month 11, 4th week, Fri",
                                                 "entries": [("00:00", "inactive")], "priority": 8}
    edited = await read_schedule(client, AHU, SCHEDULE)
    await write_exceptions(client, AHU, SCHEDULE, edited.exceptions[::-1])  # someone else, without a record
    plan = await check_undo(client, record, read_records())
    assert plan.refused and "no longer holds what audit" in plan.reason and "nothing was changed" in plan.reason
    assert len(await client.read(AHU, SCHEDULE, "exception-schedule")) == 3  # nothing written


async def test_calendar_edits_are_recorded_and_undone_newest_first(site):
    _, client = site
    journal = AuditJournal(tool="console")
    listed = (await read_calendar(client, AHU, CALENDAR)).dates
    await audited_edit(client, journal, AHU, CALENDAR, DATE_LIST, None, dates_text(listed), "",
                       lambda: add_calendar_entry(client, AHU, CALENDAR, "2027-04-05"))
    added = (await read_calendar(client, AHU, CALENDAR)).dates
    await audited_edit(client, journal, AHU, CALENDAR, DATE_LIST, None, dates_text(added), "",
                       lambda: drop_calendar_entry(client, AHU, CALENDAR, 1, expected="*-12-25"))
    add, drop = read_records()
    assert (add.property, add.before, add.after) == ("date-list", dates_text(listed), dates_text(added))
    assert drop.after == "2026-12-24..2027-01-02; week-n-day month 11, 4th week, Thu; 2027-04-05"
    first = await check_undo(client, add, read_records())  # the drop changed the list since
    assert first.refused and f"written by {drop.user}@{drop.host} (console)" in first.reason
    assert (await undo(client, journal, drop, read_records())).done
    assert (await undo(client, journal, add, read_records())).done
    assert (await read_calendar(client, AHU, CALENDAR)).dates == listed
    assert len(await client.read(AHU, CALENDAR, "date-list")) == 3  # an independent, generic read


async def test_a_refused_edit_is_recorded_with_its_error_and_is_not_undone(site):
    _, client = site
    journal = AuditJournal(tool="cli")
    with pytest.raises(BacnetRemoteError, match="invalid-data-type"):
        await audited_edit(client, journal, AHU, SCHEDULE, WEEKLY_SCHEDULE, 1, entries_text(WEEKDAY), "06:00=72.5",
                           lambda: write_day(client, AHU, SCHEDULE, "monday", [("06:00", 72.5)], kind="analog"))
    with pytest.raises(InvalidInput):  # refused before anything was sent: not a write, not recorded
        await audited_edit(client, journal, AHU, SCHEDULE, WEEKLY_SCHEDULE, 1, "", "",
                           lambda: write_day(client, AHU, SCHEDULE, "monday", [("25:00", "active")]))
    [record] = read_records()
    assert "invalid-data-type" in record.outcome and "\n" not in record.outcome and record.after == "06:00=72.5"
    plan = await check_undo(client, record, read_records())
    assert plan.refused and "failed" in plan.reason


def test_the_recorded_texts_read_back_as_written():
    exceptions = [{"period": "week-n-day month 11, 4th week, Thu", "calendar": None, "entries": [], "priority": 3},
                  {"period": "calendar,1", "calendar": "calendar,1",
                   "entries": [("07:00", "active"), ("14:00", "default")], "priority": 16}]
    text = exceptions_text([ScheduleException(**e) for e in exceptions])
    assert text == ("week-n-day month 11, 4th week, Thu at priority 3: (none); "
                    "calendar,1 at priority 16: 07:00=active, 14:00=default")
    assert parse_exceptions(text) == [{k: v for k, v in e.items() if k != "calendar"} for e in exceptions]
    assert parse_exceptions("(none)") == [] and parse_dates(dates_text([])) == []
    assert parse_dates(dates_text(["*-12-25", "week-n-day month 5, last 7 days, Mon"])) == [
        "*-12-25", "week-n-day month 5, last 7 days, Mon"]
    with pytest.raises(InvalidInput, match="expected 'PERIOD at priority N"):
        parse_exceptions("2026-12-31: 07:00=active")


def test_cli_edits_are_in_the_journal_and_undo_puts_them_back(sim_command):
    schedule = ["schedule", "1001", "schedule,1"]
    edited = aso(sim_command, *schedule, "--set", "wednesday", "06:00=active,19:00=inactive", "--yes")
    assert edited.returncode == 0, edited.stderr
    [record] = json.loads(aso(sim_command, "--json", "undo", "--list").stdout)["records"]
    assert (record["tool"], record["property"], record["index"], record["priority"], record["before"],
            record["after"]) == ("cli", "weekly-schedule", 3, None, "07:00=active, 18:00=inactive",
                                 "06:00=active, 19:00=inactive")
    undone = aso(sim_command, "undo", "--last", "--yes")
    assert undone.returncode == 0, undone.stderr
    assert f"undone {record['id']}: wrote 07:00=active, 18:00=inactive back to 1001 schedule,1 " \
           "weekly-schedule[3]" in undone.stdout
    assert json.loads(aso(sim_command, "--json", *schedule).stdout)["days"]["wednesday"] == [list(e) for e in WEEKDAY]

    added = aso(sim_command, "calendar", "1001", "calendar,1", "--add", "2027-04-05", "--yes")
    assert added.returncode == 0, added.stderr
    again = aso(sim_command, "undo", record["id"], "--yes")  # already undone: refused in one line, exit 1
    assert again.returncode == 1 and "already undone" in again.stderr and len(again.stderr.splitlines()) == 1
    assert aso(sim_command, "undo", "--last", "--yes").returncode == 0  # the date added
    assert "2027-04-05" not in json.loads(aso(sim_command, "--json", "calendar", "1001", "calendar,1").stdout)["dates"]
