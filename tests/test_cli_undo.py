"""`aso write` / `release` / `wpm` land in the audit journal, and `aso undo` puts slots back, through real
subprocesses against a genuine BACnet device on loopback UDP.

The device is test_cli.py's (run as a script with --serve) on 127.0.0.1, first free port of 48200-48209;
each CLI run binds its own port of 48220-48299. Nothing touches a real interface. The slot is always
checked with a separate `aso pa` run, an independent reader of the device's priority array.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .ports import lease

SERVER_PORTS = range(48200, 48210)
CLIENT_PORTS = range(48220, 48300)
ROOT = Path(__file__).resolve().parent.parent


def aso(*args: str, data_home: Path | None = None) -> subprocess.CompletedProcess:
    """`aso --address 127.0.0.1/8:<own port> ARGS...`; no terminal on stdin (as in a script)."""
    env = {k: v for k, v in os.environ.items() if k not in ("ASO_ADDRESS", "COLUMNS")}
    env["PYTHONPATH"] = str(ROOT)
    if data_home is not None:  # another user's tool: its writes are not in our audit journal
        env["XDG_DATA_HOME"] = str(data_home)
    with lease(CLIENT_PORTS) as port:
        command = [sys.executable, "-m", "aso_runtime.cli.main", "--address", f"127.0.0.1/8:{port}", *args]
        return subprocess.run(command, check=False, capture_output=True, text=True, timeout=30, env=env, cwd=ROOT,
                              stdin=subprocess.DEVNULL)


def ok(*args: str, **kwargs) -> str:
    result = aso(*args, **kwargs)
    assert result.returncode == 0, result.stderr
    return result.stdout


def slot(server: str, object_id: str, priority: int):
    """The slot as the device holds it, read by a separate `aso pa`."""
    return json.loads(ok("--json", "pa", server, object_id))["slots"][priority - 1]["value"]


@pytest.fixture(scope="module")
def server():
    with lease(SERVER_PORTS) as port:
        process = subprocess.Popen([sys.executable, str(ROOT / "tests" / "test_cli.py"), "--serve", str(port)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            line = process.stdout.readline()
            assert line.strip() == "ready", process.stderr.read()
            yield f"127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_write_then_undo_last_restores_the_slot_step_by_step(server):
    ok("write", server, "av,1", "21.5", "--priority", "8")  # the slot was empty
    ok("write", server, "av,1", "23", "--priority", "8")
    assert slot(server, "av,1", 8) == 23.0

    out = ok("undo", "--last", "--yes")
    assert f"wrote 21.5 back to {server} analog-value,1 @8" in out
    assert slot(server, "av,1", 8) == 21.5
    out = ok("undo", "--last", "--yes")  # the first write: the slot was empty before it
    assert "released" in out
    assert slot(server, "av,1", 8) is None

    listed = json.loads(ok("undo", "--list", "--json"))
    records = listed["records"]
    assert [(r["after"], r["before"], r["tool"], r["outcome"]) for r in records] == [
        ("21.5", None, "cli", "ok"), ("23", 21.5, "cli", "ok"), (21.5, 23.0, "cli", "ok"), (None, 21.5, "cli", "ok")]
    assert records[1]["undone_by"] == records[2]["id"] and records[2]["undoes"] == records[1]["id"]
    assert records[0]["undone_by"] == records[3]["id"]
    assert all(r["device"] == server and r["object_id"] == "analog-value,1" and r["priority"] == 8 for r in records)
    # Nothing left to undo.
    result = aso("undo", "--last", "--yes")
    assert result.returncode == 2 and "nothing to undo" in result.stderr


def test_undo_is_refused_when_someone_else_changed_the_slot_since(server, tmp_path):
    ok("write", server, "msv,1", "2", "--priority", "10")
    ok("write", server, "msv,1", "3", "--priority", "10", data_home=tmp_path / "someone-else")
    result = aso("undo", "--last", "--yes")
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("aso: error: ")
    assert "holds 3 now" in lines[0] and "another client" in lines[0] and "nothing was changed" in lines[0]
    assert slot(server, "msv,1", 10) == 3  # left as the other client wrote it
    ok("release", server, "msv,1", "--priority", "10", data_home=tmp_path / "someone-else")


def test_an_undo_by_id_of_a_release_writes_the_value_back(server):
    ok("write", server, "bv,1", "active", "--priority", "9")
    ok("release", server, "bv,1", "--priority", "9")
    records = json.loads(ok("undo", "--list", "--json"))["records"]
    released = records[-1]
    assert released["after"] is None and released["before"] == 1
    ok("undo", released["id"][:6], "--yes")  # the start of an id is enough
    assert slot(server, "bv,1", 9) == "active"
    ok("release", server, "bv,1", "--priority", "9")


def test_wpm_records_each_value_and_failed_writes_are_recorded_too(server):
    ok("wpm", server, "av,1", "present-value=25@11", "msv,1", "present-value=2@11")
    failed = aso("write", server, "av,9", "5", "--priority", "8")  # no such object
    assert failed.returncode == 1
    records = json.loads(ok("undo", "--list", "--json"))["records"]
    assert [(r["object_id"], r["priority"], r["after"], r["outcome"]) for r in records[:2]] == [
        ("analog-value,1", 11, "25", "ok"), ("multi-state-value,1", 11, "2", "ok")]
    assert records[2]["object_id"] == "analog-value,9" and records[2]["before_known"] is False
    assert records[2]["outcome"] != "ok" and "unknown-object" in records[2]["outcome"]
    human = ok("undo", "--list")
    assert records[0]["id"] in human and "failed:" in human
    for object_id in ("av,1", "msv,1"):
        ok("release", server, object_id, "--priority", "11")


def test_undo_without_a_terminal_wants_yes_and_binds_nothing(server):
    ok("write", server, "av,1", "24", "--priority", "12")
    result = aso("undo", "--last")
    assert result.returncode == 2 and "--yes" in result.stderr
    assert slot(server, "av,1", 12) == 24.0
    ok("undo", "--last", "--yes")
    assert slot(server, "av,1", 12) is None


def test_a_journal_that_cannot_be_written_never_fails_the_write_but_says_so(server, tmp_path):
    data = tmp_path / "data"
    (data / "aso-console").mkdir(parents=True)
    (data / "aso-console" / "audit").write_text("a file where the journal's directory should be")
    result = aso("write", server, "av,1", "26", "--priority", "13", data_home=data)
    assert result.returncode == 0, result.stderr
    assert "wrote 26 to" in result.stdout
    assert result.stderr.startswith("aso: warning: the write was made but is not in the audit journal")
    assert len(result.stderr.splitlines()) == 1
    assert slot(server, "av,1", 13) == 26.0
    ok("release", server, "av,1", "--priority", "13")
