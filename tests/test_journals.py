"""Damaged and unreadable override journals: every good record is released, every bad one reported.

A journal left by a dead host may be damaged (a power cut mid-line, a stray
edit, a bad block) or unreadable. Release must not stop at the first bad
line, and "nothing held" must never be said of a journal that could not be
read in full. Checked against a genuine device on loopback UDP
(tests/fault_site.py); the CLI runs as a real process.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from aso_runtime.aso import release_orphans
from aso_runtime.bacnet import open_client

from .fault_site import DIRECT, HOST_PORT
from .hosts import AsoProcess, aso_env

GOOD = {"event": "write", "aso": "shed", "device": DIRECT, "object_id": "analog-value,1",
        "property": "present-value", "priority": 12, "value": 61.0, "since": 1.0}

DAMAGE = {
    "not-utf8": b'{"event": "write", "aso": "sh\xffed"}\n',
    "a-number": b"123\n",
    "a-list": b"[1, 2]\n",
    "bad-priority": json.dumps({**GOOD, "object_id": "analog-value,2", "priority": "abc"}).encode() + b"\n",
    "cut-short": json.dumps({**GOOD, "object_id": "analog-value,2"}).encode()[:40],  # no newline: the last write
}


def write_journal(directory, name: str, *lines: bytes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}-1-1-0.jsonl").write_bytes(b"".join(lines))


def good_line() -> bytes:
    return json.dumps(GOOD).encode() + b"\n"


async def sweep(directory):
    client = await open_client(address=f"127.0.0.1/8:{HOST_PORT}", instance=599, timeout=1.0)
    try:
        return await release_orphans(client, directory)
    finally:
        await client.close()


@pytest.mark.parametrize("damage", sorted(DAMAGE))
async def test_good_records_are_released_and_each_damaged_one_is_named(loopback_checker, tmp_path, damage):
    directory = tmp_path / "ledger"
    await loopback_checker.write(DIRECT, "av,1", 61.0, priority=12)
    write_journal(directory, "host", good_line(), DAMAGE[damage])
    result = await sweep(directory)
    assert [r.outcome for r in result.results] == ["released"]
    assert (await loopback_checker.priority_array(DIRECT, "av,1")).at(12).value is None
    assert not result.ok
    (problem,) = result.problems
    assert problem.line == 2 and "host-1-1-0.jsonl" in str(problem) and "skipped" in str(problem)
    # Kept for a person to read, out of the way of the next start.
    assert list(directory.glob("*.jsonl")) == []
    assert [p.name for p in (directory / "damaged").iterdir()] == ["host-1-1-0.jsonl"]


async def test_a_journal_that_cannot_be_read_is_reported_never_nothing_held(loopback_checker, tmp_path):
    directory = tmp_path / "ledger"
    (directory / "host-1-1-0.jsonl").mkdir(parents=True)  # not a file: cannot be opened as one
    result = await sweep(directory)
    assert result.results == [] and not result.ok
    assert "cannot open the journal" in str(result.problems[0])


async def test_the_cli_reports_damage_with_exit_1_and_never_says_nothing_held(loopback_checker, tmp_path):
    env = aso_env(tmp_path)
    directory = tmp_path / "data" / "aso-console" / "ledger"
    write_journal(directory, "host", DAMAGE["cut-short"])  # the only record is cut short
    process = await AsoProcess.start(f"127.0.0.1/8:{HOST_PORT}", "release-orphans", env=env)
    code = await process.finish(None)
    assert code == 1, process.output
    assert "no orphaned overrides" not in process.output
    assert "record cut short" in process.output and "host-1-1-0.jsonl:1" in process.output
    assert "Traceback" not in process.output and "internal error" not in process.output


async def test_aso_run_starts_despite_a_damaged_journal_and_releases_the_good_records(loopback_checker, tmp_path):
    env = aso_env(tmp_path)
    directory = tmp_path / "data" / "aso-console" / "ledger"
    await loopback_checker.write(DIRECT, "av,1", 61.0, priority=12)
    write_journal(directory, "host", good_line(), DAMAGE["a-list"], DAMAGE["bad-priority"])
    script = tmp_path / "idle.py"
    script.write_text("from aso_runtime import Aso\n\nclass Idle(Aso):\n    async def on_step(self):\n        pass\n")
    process = await AsoProcess.start(f"127.0.0.1/8:{HOST_PORT}", "run", str(script), env=env)
    await process.wait_for_line("hosting ASO Idle")
    code = await process.finish()
    assert (await loopback_checker.priority_array(DIRECT, "av,1")).at(12).value is None
    assert "released orphan of a previous run" in process.output
    assert "2 orphaned journal record(s) could not be read" in process.output
    assert code == 1, process.output  # what those records held is unknown: not a clean bill of health
    assert "internal error" not in process.output


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
async def test_a_journal_owned_by_another_user_is_still_released(loopback_checker):
    """Run as "nobody", `aso release-orphans` reads root's read-only journal and releases it."""
    home = Path(tempfile.mkdtemp(prefix="aso-other-user-"))
    try:
        home.chmod(0o755)
        directory = home / "data" / "aso-console" / "ledger"
        await loopback_checker.write(DIRECT, "av,1", 61.0, priority=12)
        write_journal(directory, "host", good_line())
        for part in (home / "data", home / "data" / "aso-console", directory):
            part.chmod(0o755)  # readable by everyone, writable by root only
        (directory / "host-1-1-0.jsonl").chmod(0o644)
        env = {**aso_env(home), "HOME": str(home)}
        process = await AsoProcess.start(f"127.0.0.1/8:{HOST_PORT}", "release-orphans", env=env,
                                         prefix=("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"))
        code = await process.finish(None)
        assert (await loopback_checker.priority_array(DIRECT, "av,1")).at(12).value is None, process.output
        assert "not writable by this user" in process.output
        assert code == 0, process.output
    finally:
        shutil.rmtree(home, ignore_errors=True)
