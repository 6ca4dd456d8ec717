"""`aso overrides` in a subprocess against the simulated building served on loopback UDP by this test's loop.

The building is a BBMD/router on 127.0.0.1 (ports 48150-48199, each leased with a lock file so two
runs at once never share one); every command line carries an explicit loopback --address. The check
is an independent client reading the priority arrays, never the command's own output alone.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from aso_runtime.aso import AsoRunner, Ledger
from aso_runtime.bacnet import open_client
from aso_runtime.sim import SimulatedBuilding

from .test_overrides_sweep import BUILDING, HoldsDamper
from .ports import lease_many
from .waiting import until

ROOT = Path(__file__).resolve().parent.parent


PORTS = range(48150, 48200)


@pytest.fixture
async def udp_site():
    """The building on 127.0.0.1 (a BBMD/router), an independent checker, and a port for `aso`."""
    with lease_many(PORTS, 3) as (sim, checker_port, cli):
        building = await SimulatedBuilding.start(address=f"127.0.0.1/8:{sim}", devices=8, step=0.5)
        try:
            checker = await open_client(address=f"127.0.0.1/8:{checker_port}", foreign=f"127.0.0.1:{sim}", ttl=60,
                                        timeout=2.0)
            try:
                yield checker, sim, cli
            finally:
                await checker.close()
        finally:
            await building.stop()


async def aso(site, *args: str, stdin=None, timeout: float = 60.0) -> tuple[int, str, str]:
    """`aso --address 127.0.0.1/8:<cli> --foreign <sim> ARGS` as a subprocess; stdin not a terminal unless given."""
    _, sim, cli = site
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aso_runtime.cli.main", "--address", f"127.0.0.1/8:{cli}", "--foreign",
        f"127.0.0.1:{sim}", "--timeout", "2", *args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=asyncio.subprocess.DEVNULL if stdin is None else stdin, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode, out.decode(), err.decode()


async def test_cli_lists_slots_and_points_as_json_and_csv(udp_site):
    checker = udp_site[0]
    await checker.write(1001, "analog-output,1", 55.0, 8)
    await checker.write(2001, "analog-input,1", True, property="out-of-service")
    code, out, err = await aso(udp_site, "--json", "overrides")
    assert code == 0, err
    doc = json.loads(out)
    held = {(s["device"], s["object_id"], s["priority"]): s for s in doc["held"]}
    slot = held[(1001, "analog-output,1", 8)]
    assert slot["holder"] == "unknown" and slot["value_text"] == "55 %" and slot["level"] == "Manual Operator"
    assert {(p["device"], p["object_id"]) for p in doc["out_of_service"]} == {(2001, "analog-input,1")}
    assert BUILDING <= {d["instance"] for d in doc["devices"]} and doc["count"]["held"] == len(doc["held"])
    assert held.keys() >= {(1001, "analog-output,1", 16)}

    code, out, err = await aso(udp_site, "overrides", "1001", "--csv", "--priority", "8")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["kind"], r["device"], r["object_id"], r["priority"]) for r in rows] == \
        [("held", "1001", "analog-output,1", "8")]

    code, out, err = await aso(udp_site, "overrides", "--priority", "8")
    assert code == 0, err
    assert "AHU-1 Supply Fan Speed Command (AO1)" in out and "8 Manual Operator" in out and "unknown" in out


async def test_cli_release_without_a_terminal_or_yes_releases_nothing(udp_site):
    checker = udp_site[0]
    await checker.write(1001, "analog-output,1", 55.0, 8)
    code, _, err = await aso(udp_site, "overrides", "--release", "--priority", "8")
    assert code == 1
    assert err.count("\n") == 1 and "nothing released" in err and "1 slot on 1 device" in err and "--yes" in err
    assert (await checker.priority_array(1001, "analog-output,1")).at(8).value == 55.0


async def test_cli_release_with_yes_releases_exactly_what_matches(udp_site):
    checker = udp_site[0]
    await checker.write(1001, "analog-output,1", 55.0, 8)
    await checker.write(2001, "analog-value,1", 70.0, 10)
    await checker.write(2002, "analog-value,1", 71.0, 9)  # not selected
    await checker.write(2003, "analog-input,1", True, property="out-of-service")  # not selected: --priority
    code, out, err = await aso(udp_site, "--json", "overrides", "--release", "--priority", "8,10", "--yes")
    assert code == 0, err
    doc = json.loads(out)
    assert sorted((r["device"], r["object_id"], r["priority"], r["outcome"]) for r in doc["released"]) == [
        (1001, "analog-output,1", 8, "released"), (2001, "analog-value,1", 10, "released")]
    assert not (await checker.priority_array(1001, "analog-output,1")).at(8).active
    assert not (await checker.priority_array(2001, "analog-value,1")).at(10).active
    assert (await checker.priority_array(2002, "analog-value,1")).at(9).value == 71.0
    assert await checker.read(2003, "analog-input,1", "out-of-service") is True
    assert (await checker.priority_array(1001, "analog-output,1")).at(16).active  # the program's slot stays

    # The releases are the CLI's in the audit journal: what it released is attributed to no one now,
    # and a slot written again at 8 by someone else is not the CLI's either.
    await checker.write(1001, "analog-output,1", 56.0, 8)
    code, out, err = await aso(udp_site, "--json", "overrides", "1001", "--priority", "8")
    assert code == 0, err
    assert [s["holder"] for s in json.loads(out)["held"]] == ["unknown"]


async def test_cli_life_safety_and_running_aso_slots_need_their_own_flags(udp_site, tmp_path):
    checker, sim, _ = udp_site
    await checker.write(4001, "analog-value,1", 900.0, 1)
    code, out, err = await aso(udp_site, "overrides", "--release", "--priority", "1-15", "--yes")
    assert code == 2 and "life safety" in err and "--life-safety" in err
    assert (await checker.priority_array(4001, "analog-value,1")).at(1).value == 900.0

    # An ASO running in this process holds a slot: its ledger is locked by us, so `aso` sees it running.
    from aso_runtime.aso.ledger import ledger_dir

    with lease_many(PORTS, 1) as (port,):
        client = await open_client(address=f"127.0.0.1/8:{port}", foreign=f"127.0.0.1:{sim}", ttl=60, timeout=2.0)
        runner = AsoRunner(client, ledger=Ledger.open(ledger_dir()), capture_prints=True)
        await runner.open()
        try:
            instance = runner.load(HoldsDamper, "damper-hold")
            instance.start()
            await until(lambda: instance.steps >= 1, what="the ASO's first write")
            code, out, err = await aso(udp_site, "overrides", "--release", "--priority", "2-15", "--yes")
            assert code == 2 and "running ASO" in err and "--include-aso" in err
            assert (await checker.priority_array(2004, "analog-output,1")).at(13).value == 33.0
            code, out, err = await aso(udp_site, "--json", "overrides", "--holder", "aso")
            assert code == 0, err
            [slot] = json.loads(out)["held"]
            assert slot["holder_running"] and "damper-hold" in slot["holder_detail"]
        finally:
            await runner.close()
            await client.close()

    code, out, err = await aso(udp_site, "--json", "overrides", "--release", "--priority", "1", "--yes",
                               "--life-safety")
    assert code == 0, err
    assert [r["outcome"] for r in json.loads(out)["released"]] == ["released"]
    assert not (await checker.priority_array(4001, "analog-value,1")).at(1).active


async def test_cli_asks_on_a_terminal_and_no_releases_nothing(udp_site):
    checker = udp_site[0]
    await checker.write(2001, "analog-value,1", 70.0, 8)
    master, slave = pty.openpty()
    try:
        os.write(master, b"n\n")
        code, out, err = await aso(udp_site, "overrides", "--release", "--priority", "8", stdin=slave)
    finally:
        os.close(slave)
        os.close(master)
    assert code == 1
    assert "Release 1 slot on 1 device?" in err
    assert "nothing released" in out
    assert (await checker.priority_array(2001, "analog-value,1")).at(8).value == 70.0


@pytest.mark.parametrize("args, message", [
    (["--priority", "17"], "priorities are 1..16"),
    (["--holder", "bogus"], "holders are"),
    (["--min-age", "soon"], "not an age"),
    (["--yes"], "go with --release"),
    (["--csv", "--json"], "choose one of"),
])
def test_bad_input_is_refused_before_anything_is_bound(args, message):
    result = subprocess.run([sys.executable, "-m", "aso_runtime.cli.main", "--address", "127.0.0.1/8:48199",
                             "overrides", *args], check=False, capture_output=True, text=True, timeout=30, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1


async def test_cli_on_a_terminal_life_safety_slots_need_the_words_typed(udp_site):
    checker = udp_site[0]
    await checker.write(2001, "analog-value,1", 70.0, 8)
    await checker.write(4001, "analog-value,1", 900.0, 1)
    master, slave = pty.openpty()
    try:
        os.write(master, b"y\nno\n")  # yes to the release, but not the words for life safety
        code, out, err = await aso(udp_site, "overrides", "--release", "--priority", "1,8", stdin=slave)
    finally:
        os.close(slave)
        os.close(master)
    assert code == 1, err  # something selected was not released
    assert "Release 2 slots on 2 devices?" in err and "Type 'life safety'" in err
    assert "life-safety slot(s) stay held" in out and "1 of 1 done" in out
    assert not (await checker.priority_array(2001, "analog-value,1")).at(8).active
    assert (await checker.priority_array(4001, "analog-value,1")).at(1).value == 900.0
