"""The audit journal and undo: the file (append, rotation, a torn line, two processes at once), the one
write helper against a genuine bacpypes3 device on the in-process virtual network, and undo's rules.

The check of a slot is always an independent read of the device's priority array (another client),
never the journal's own bookkeeping.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aso_runtime.bacnet import BacnetRemoteError
from aso_runtime.closeout.audit import (
    AuditJournal,
    audit_dir,
    read_records,
    record_from_dict,
    session_records,
)
from aso_runtime.closeout.audited import audited_write
from aso_runtime.closeout.undo import check_undo, last_undoable, session_overrides, undo

ROOT = Path(__file__).resolve().parent.parent
FIELD = "0x02"  # the field device (1001) on the virtual network


def record(journal: AuditJournal, n: int = 0, **changes):
    fields = {"device": "1001", "device_instance": 1001, "object_id": "analog-value,1", "property": "present-value",
              "priority": 8, "index": None, "before": None, "before_known": True, "after": float(n), "outcome": "ok"}
    made = journal.new_record(**{**fields, **changes})
    journal.append(made)
    return made


# ----- the file ----------------------------------------------------------------------------------


def test_records_are_appended_as_json_lines_and_read_back_oldest_first():
    journal = AuditJournal(tool="console")
    first, second = record(journal, 1), record(journal, 2, priority=None, property="out-of-service", after=True)
    assert journal.path.parent == audit_dir()  # the user's data directory (tests point XDG at tmp)
    lines = journal.path.read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [first.id, second.id]
    back = read_records()
    assert back == [first, second]
    assert back[0].tool == "console" and back[0].user and back[0].host and back[0].session == journal.session
    assert journal.path.stat().st_mode & 0o777 == 0o600


def test_session_records_are_one_sessions_only():
    console, cli = AuditJournal(tool="console"), AuditJournal(tool="cli")
    mine = [record(console, 1), record(console, 2)]
    record(cli, 3)
    assert session_records(console.session) == mine
    assert console.session_records() == mine


def test_rotation_by_size_keeps_the_newest_files():
    journal = AuditJournal(max_bytes=2000, keep=2)
    made = [record(journal, n) for n in range(40)]
    files = journal.files()
    assert [f.name for f in files] == ["audit.2.jsonl", "audit.1.jsonl", "audit.jsonl"]
    assert all(f.stat().st_size <= 2000 for f in files)
    back = journal.read()
    assert not back.problems
    ids = [r.id for r in back.records]
    # The oldest were dropped with the file past `keep`; what is left is the newest, in order, none lost between.
    assert ids == [r.id for r in made[-len(ids):]] and 10 < len(ids) < 40


def test_reading_since_a_moment_skips_the_files_written_before_it():
    journal = AuditJournal(max_bytes=2000, keep=5)
    old = [record(journal, n) for n in range(12)]
    rotated = journal.files()[:-1]
    assert rotated
    for path in rotated:
        os.utime(path, (1.0, 1.0))  # last written long ago
    new = record(journal, 99)
    recent = journal.read(since=new.time - 60).records
    assert recent[-1] == new and len(recent) < len(old)
    assert journal.read().records == [*old, new]


def test_a_torn_last_line_is_skipped_and_reported_and_the_next_record_is_whole():
    journal = AuditJournal()
    good = record(journal, 1)
    with open(journal.path, "ab") as file:  # a power cut in the middle of a record
        file.write(b'{"id": "deadbeef", "time": 17')
    back = journal.read()
    assert back.records == [good]
    assert len(back.problems) == 1 and "cut short" in back.problems[0].reason and back.problems[0].line == 2
    after = record(journal, 2)  # starts on a line of its own, not glued to the torn one
    back = journal.read()
    assert back.records == [good, after]
    assert len(back.problems) == 1 and back.problems[0].line == 2 and "damaged" in back.problems[0].reason


def test_unknown_keys_are_ignored_and_a_record_missing_fields_is_reported():
    journal = AuditJournal()
    good = record(journal, 1)
    with open(journal.path, "a") as file:
        file.write(json.dumps({**good.to_dict(), "id": "feedface", "from_a_newer_version": 1}) + "\n")
        file.write(json.dumps({"id": "0badc0de", "time": 1.0}) + "\n")
    back = journal.read()
    assert [r.id for r in back.records] == [good.id, "feedface"]
    assert len(back.problems) == 1 and "missing" in back.problems[0].reason
    with pytest.raises(ValueError):
        record_from_dict({**good.to_dict(), "priority": "8"})


APPENDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from aso_runtime.closeout.audit import AuditJournal
    journal = AuditJournal(Path(sys.argv[1]), tool=sys.argv[2], max_bytes=20_000, keep=100)
    for n in range(int(sys.argv[3])):
        made = journal.new_record(device="1001", device_instance=1001, object_id="analog-value,1",
                                  property="present-value", priority=8, index=None, before=None,
                                  before_known=True, after="x" * 100 + str(n), outcome="ok")
        journal.append(made)
""")


def test_two_processes_appending_at_once_lose_and_tear_nothing(tmp_path):
    directory = tmp_path / "audit"
    count = 300
    processes = [subprocess.Popen([sys.executable, "-c", APPENDER, str(directory), tool, str(count)], cwd=ROOT)
                 for tool in ("console", "cli")]
    for process in processes:
        assert process.wait(timeout=60) == 0
    journal = AuditJournal(directory)
    back = journal.read()
    assert not back.problems
    assert len(journal.files()) > 2  # they rotated while both were appending
    for tool in ("console", "cli"):
        mine = [r.after for r in back.records if r.tool == tool]
        assert mine == ["x" * 100 + str(n) for n in range(count)]  # every record, each process's in its order
    for path in journal.files():
        assert path.read_bytes().endswith(b"\n")


# ----- the write helper, against a genuine device ----------------------------------------------------------


async def test_a_write_records_the_slot_before_and_after(client, operator):
    journal = AuditJournal(tool="cli")
    first = (await audited_write(client, journal, FIELD, "av,1", "55", 8)).records[0]
    assert (first.object_id, first.priority, first.before, first.before_known, first.after, first.outcome) == \
        ("analog-value,1", 8, None, True, "55", "ok")
    second = (await audited_write(client, journal, FIELD, "av,1", "56", 8)).records[0]
    assert second.before == 55.0
    released = (await audited_write(client, journal, FIELD, "av,1", None, 8)).records[0]
    assert released.before == 56.0 and released.after is None
    assert (await operator.priority_array(1001, "av,1")).at(8).value is None
    assert read_records() == [first, second, released]


async def test_a_refused_write_is_recorded_with_the_devices_error(client):
    journal = AuditJournal(tool="cli")
    with pytest.raises(BacnetRemoteError):
        await audited_write(client, journal, FIELD, "av,1", "Other name", None, "object-name")
    [made] = read_records()
    # Another property: its value before is the property itself.
    assert made.property == "object-name" and made.before == "Cooling Setpoint" and made.before_known
    assert made.outcome != "ok" and "write-access-denied" in made.outcome and "\n" not in made.outcome


async def test_a_slot_that_cannot_be_read_first_is_recorded_as_unknown(client):
    journal = AuditJournal(tool="cli")
    with pytest.raises(BacnetRemoteError):  # an input has no priority array (and refuses the write)
        await audited_write(client, journal, FIELD, "ai,1", "70", 8)
    [made] = read_records()
    assert made.before_known is False and made.before is None and made.outcome != "ok"


# ----- undo -------------------------------------------------------------------------------------------


async def test_undo_writes_the_old_value_back_then_releases_the_empty_slot(client, operator):
    journal = AuditJournal(tool="console")
    await operator.write(1001, "av,1", 60, priority=8)  # someone's value first
    ours = (await audited_write(client, journal, FIELD, "av,1", "55", 8)).records[0]
    assert ours.before == 60.0
    result = await undo(client, journal, ours, read_records())
    assert result.done and result.verified and result.plan.action == "write"
    assert result.record.undoes == ours.id and result.record.after == 60.0
    assert (await operator.priority_array(1001, "av,1")).at(8).value == 60.0
    # Undone once: not again.
    again = await check_undo(client, ours, read_records())
    assert again.refused and "already undone" in again.reason

    await operator.release(1001, "av,1", 8)
    fresh = (await audited_write(client, journal, FIELD, "av,1", "57", 8)).records[0]
    assert last_undoable(read_records()) == fresh
    result = await undo(client, journal, fresh, read_records())
    assert result.done and result.plan.action == "release"
    assert (await operator.priority_array(1001, "av,1")).at(8).value is None


async def test_undo_is_refused_when_someone_else_wrote_the_slot_since(client, operator):
    journal = AuditJournal(tool="console")
    ours = (await audited_write(client, journal, FIELD, "av,1", "55", 9)).records[0]
    await operator.write(1001, "av,1", 61, priority=9)  # not through the audit journal
    result = await undo(client, journal, ours, read_records())
    assert not result.done and result.plan.now == 61.0
    assert "holds 61.0 now" in result.plan.reason and "another client" in result.plan.reason
    assert (await operator.priority_array(1001, "av,1")).at(9).value == 61.0  # left alone
    assert len(read_records()) == 1  # nothing written, nothing recorded
    # A later write that IS in the journal is named.
    other = AuditJournal(tool="cli")
    later = (await audited_write(client, other, FIELD, "av,1", "62", 9)).records[0]
    plan = await check_undo(client, ours, read_records())
    assert plan.refused and f"(audit {later.id})" in plan.reason and "(cli)" in plan.reason
    await operator.release(1001, "av,1", 9)


async def test_the_sessions_held_overrides_leave_out_releases_undos_and_failures(client, operator):
    journal = AuditJournal(tool="console")
    await audited_write(client, journal, FIELD, "av,1", "55", 8)
    await audited_write(client, journal, FIELD, "av,1", None, 8)  # released again
    held = (await audited_write(client, journal, FIELD, "av,1", "58", 10)).records[0]
    undone = (await audited_write(client, journal, FIELD, "msv,1", "2", 8)).records[0]
    await undo(client, journal, undone, read_records())
    with pytest.raises(BacnetRemoteError):
        await audited_write(client, journal, FIELD, "ai,1", "1", 8)
    assert session_overrides(journal.session_records(), read_records()) == [held]
    await operator.release(1001, "av,1", 10)


async def test_a_device_service_in_the_journal_is_never_what_undo_last_picks(client):
    """A DCC or reinitialize the console recorded is not a slot: `aso undo --last` skips it, by id it is refused."""
    journal = AuditJournal(tool="console")
    write = record(journal, 1)
    dcc = record(journal, 2, object_id="device,1001", property="device-communication-control", priority=None,
                 before_known=False, after="disable 15 min")
    assert last_undoable(read_records()) == write
    plan = await check_undo(client, dcc, read_records())
    assert plan.refused and "not a write" in plan.reason and "aso dcc" in plan.reason
