"""The `aso` command line, every verb through a real subprocess, against a genuine
BACnet device on loopback UDP.

The device is a bacpypes3 application started once per module in a background
process (this file run as a script with --serve). It serves device 1001 on
127.0.0.1 (first free port of 47700-47709) with an analog input, a
commandable analog value, binary value and multi-state value; it is also a
BBMD (so `--foreign` can be tested) and a router to virtual network 2, where
device 2002 (MAC 5) lives.

Network safety: everything binds 127.0.0.1 on ports 47700-47799, each CLI run
on its own free port (probed first: two runs of this file at once must not
share a port, which bacpypes3's SO_REUSEPORT would allow silently); nothing
touches a real interface. Input that must be refused runs on a port of
47500-47539 that the test holds itself, so it can never bind or send.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

if __package__:
    from .ports import is_free, lease  # noqa: F401 (is_free: test_addresses imports it from here)
else:  # run as a script (--serve, the test device): tests/ is on sys.path
    from ports import is_free, lease  # noqa: F401

SERVER_PORTS = range(47700, 47710)  # the test device takes the first free one
CLIENT_PORTS = range(47720, 47790)  # one per CLI run
SIM_PORTS = range(47790, 47800, 2)  # the simulator; the client it suggests takes port + 1
REFUSAL_PORTS = range(47500, 47540)  # held by the test itself while `aso` refuses input

ROOT = Path(__file__).resolve().parent.parent


# ----- helpers ------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ASO_ADDRESS", "COLUMNS")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _command(port: int, *args: str) -> list[str]:
    return [sys.executable, "-m", "aso_runtime.cli.main", "--address", f"127.0.0.1/8:{port}", *args]


def aso(*args: str) -> subprocess.CompletedProcess:
    """Run `aso --address 127.0.0.1/8:<own port> ARGS...` and return the finished process."""
    with lease(CLIENT_PORTS) as port:
        return subprocess.run(_command(port, *args), capture_output=True, text=True, timeout=30, env=_env(), cwd=ROOT)


def ok(*args: str) -> str:
    result = aso(*args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def ok_json(*args: str) -> dict:
    return json.loads(ok("--json", *args))


@contextlib.contextmanager
def held_port() -> Iterator[int]:
    """A loopback UDP port bound by the test (no SO_REUSEPORT, so nobody else can bind it)."""
    for port in REFUSAL_PORTS:
        holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            holder.bind(("127.0.0.1", port))
        except OSError:
            holder.close()
            continue
        with holder:
            yield port
        return
    raise RuntimeError(f"no free UDP port in {REFUSAL_PORTS.start}..{REFUSAL_PORTS.stop - 1} on 127.0.0.1")


def refused(*args: str) -> subprocess.CompletedProcess:
    """Run `aso --address 127.0.0.1/8:P ARGS...` (and $ASO_ADDRESS=that too) with P held by the test.

    Input refused as it must be ends with exit 2 before any socket; an `aso`
    that went on to bind would end with exit 1 "already in use" instead, so
    nothing is ever bound or sent, even by a test of a bug not yet fixed.
    """
    with held_port() as port:
        env = {**_env(), "ASO_ADDRESS": f"127.0.0.1/8:{port}"}
        return subprocess.run(_command(port, *args), capture_output=True, text=True, timeout=30, env=env, cwd=ROOT)


def assert_one_line_error(result: subprocess.CompletedProcess, code: int, *fragments: str) -> None:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("aso: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


# ----- the device under test -----------------------------------------------------


@pytest.fixture(scope="module")
def server():
    """The test device's address, e.g. 127.0.0.1:47700."""
    with lease(SERVER_PORTS) as port:
        process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT,
        )
        try:
            line = process.stdout.readline()
            assert line.strip() == "ready", process.stderr.read()
            yield f"127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


def serve(port: int) -> None:
    """Serve the test device until terminated (runs in its own process)."""
    import asyncio

    from bacpypes3.app import Application
    from bacpypes3.local.analog import AnalogInputObject, AnalogValueObject
    from bacpypes3.local.binary import BinaryValueObject
    from bacpypes3.local.cmd import Commandable
    from bacpypes3.local.multistate import MultiStateValueObject

    from aso_runtime.bacnet.local import (
        LocalDevice, build_application, device_object, ensure_virtual_network,
        parse_local_address, udp_port, virtual_port,
    )

    # Commandable mixed into the plain local classes: bacpypes3's shipped *ObjectCmd
    # classes have no property monitors and no COV.
    class CommandableAV(Commandable, AnalogValueObject):
        pass

    class CommandableBV(Commandable, BinaryValueObject):
        pass

    class CommandableMSV(Commandable, MultiStateValueObject):
        pass

    normal = {"statusFlags": [0, 0, 0, 0], "outOfService": False}

    async def main() -> None:
        ensure_virtual_network("field")
        build_application(Application, [
            device_object(LocalDevice(instance=1001, name="test-ahu")),
            udp_port(parse_local_address(f"127.0.0.1/8:{port}"), network=1, bbmd=True),
            virtual_port("field", 1, port_instance=2, network=2),
            AnalogInputObject(objectIdentifier=("analog-input", 1), objectName="OAT", presentValue=12.5,
                              units="degreesCelsius", **normal),
            CommandableAV(objectIdentifier=("analog-value", 1), objectName="SAT-SP", presentValue=20.0,
                          relinquishDefault=20.0, units="degreesCelsius", **normal),
            CommandableBV(objectIdentifier=("binary-value", 1), objectName="FAN-CMD", presentValue="inactive",
                          relinquishDefault="inactive", **normal),
            CommandableMSV(objectIdentifier=("multi-state-value", 1), objectName="MODE", presentValue=1,
                           relinquishDefault=1, numberOfStates=3, stateText=["Off", "Heat", "Cool"], **normal),
        ])
        build_application(Application, [
            device_object(LocalDevice(instance=2002, name="vav-2")),
            virtual_port("field", 5, network=2),
            AnalogInputObject(objectIdentifier=("analog-input", 1), objectName="ZN-T", presentValue=22.0,
                              units="degreesCelsius", **normal),
        ])
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


# ----- whois / whohas / routers ------------------------------------------------


def test_whois_prints_the_device_and_a_summary(server):
    out = ok("whois", "--target", server, "--quiet", "0.1")
    assert "INSTANCE" in out and "1001" in out and server in out
    assert "1 device in" in out


def test_whois_json_with_options_after_the_verb(server):
    doc = ok("whois", "1001", "--target", server, "--json")
    doc = json.loads(doc)
    assert doc["count"] == 1
    assert doc["devices"][0] == {
        "instance": 1001, "address": server, "vendor_id": 999, "max_apdu": 1476,
        "segmentation": "segmented-both", "network": None,
    }


def test_whois_through_a_bbmd_finds_the_routed_device(server):
    doc = ok_json("--foreign", server, "whois", "--quiet", "0.1")
    by_instance = {d["instance"]: d for d in doc["devices"]}
    assert set(by_instance) == {1001, 2002}
    assert by_instance[2002]["address"] == "2:5" and by_instance[2002]["network"] == 2


def test_whohas_by_object_id(server):
    out = ok("whohas", "av,1", "--target", server, "--quiet", "0.1")
    assert "analog-value,1" in out and "SAT-SP" in out and "1001" in out


def test_whohas_by_name_json(server):
    doc = ok_json("whohas", "--name", "OAT", "--target", server, "--quiet", "0.1")
    assert doc["holders"] == [{"device_instance": 1001, "address": server, "object_id": "analog-input,1", "object_name": "OAT"}]


def test_routers_json_and_human(server):
    doc = ok_json("routers", "--target", server)
    assert doc["routers"] == [{"address": server, "networks": [2]}]
    out = ok("routers", "2", "--target", server)
    assert server in out and "Networks" in out


def test_routers_broadcast_ends_on_quiet_once_the_router_answered(server):
    # Through the BBMD, like a technician on another subnet. A window no test would sit
    # out: only the quiet after the answer can end it (--debug logs why it ended).
    result = aso("--foreign", server, "--json", "--debug", "routers", "--quiet", "0.2", "--max-wait", "60")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["routers"] == [{"address": server, "networks": [2]}]
    assert "who-is-router-to-network ended on quiet" in result.stderr


# ----- read / rpm -------------------------------------------------------------------


def test_read_prints_the_bare_value(server):
    assert ok("read", server, "ai,1") == "12.5\n"


def test_local_address_from_the_environment(server):
    # No --address: $ASO_ADDRESS decides where we bind (never the real interface here).
    with lease(CLIENT_PORTS) as port:
        env = {**_env(), "ASO_ADDRESS": f"127.0.0.1/8:{port}"}
        result = subprocess.run([sys.executable, "-m", "aso_runtime.cli.main", "read", server, "ai,1"],
                                capture_output=True, text=True, timeout=30, env=env, cwd=ROOT)
    assert (result.returncode, result.stdout, result.stderr) == (0, "12.5\n", "")


def test_read_array_element_json(server):
    doc = ok_json("read", server, "MSV1", "state-text[2]")
    assert doc == {"device": server, "object_id": "multi-state-value,1", "property": "state-text", "index": 2, "value": "Heat"}


def test_read_by_instance_through_bbmd_and_router(server):
    assert ok("--foreign", server, "read", "2002", "ai,1") == "22\n"


def test_rpm_human_and_json(server):
    out = ok("rpm", server, "ai,1", "present-value,units", "av,1", "object-name")
    assert "12.5" in out and "degrees-celsius" in out and "SAT-SP" in out
    doc = ok_json("rpm", server, "ai,1", "present-value,units")
    assert doc["values"] == [
        {"object_id": "analog-input,1", "property": "present-value", "index": None, "value": 12.5, "error": None},
        {"object_id": "analog-input,1", "property": "units", "index": None, "value": "degrees-celsius", "error": None},
    ]


def test_rpm_with_one_failing_object_shows_the_rest_and_exits_1(server):
    result = aso("rpm", server, "ai,1", "present-value", "ai,9", "present-value")
    assert_one_line_error(result, 1, "1 of 2 properties failed", "unknown-object")
    assert "12.5" in result.stdout


# ----- write / release / wpm / priority-array ----------------------------------------


def test_write_priority_array_release_round_trip(server):
    doc = ok_json("write", server, "av,1", "21.5", "--priority", "8")
    assert doc["priority"] == 8 and doc["released"] is False and doc["present_value"] == 21.5

    array = ok_json("pa", server, "av,1")
    assert array["winning_priority"] == 8 and array["current_command_priority"] == 8
    assert array["slots"][7] == {"priority": 8, "name": "Manual Operator", "value": 21.5, "kind": "real"}
    assert array["relinquish_default"] == 20.0

    out = ok("release", server, "av,1", "--priority", "8")
    assert "released analog-value,1 present-value at priority 8" in out and "now 20" in out

    array = ok_json("priority-array", server, "av,1")
    assert array["winning_priority"] is None and array["present_value"] == 20.0


def test_write_binary_then_null_releases(server):
    out = ok("write", server, "bv,1", "active", "-p", "8")
    assert "wrote active to binary-value,1" in out and "present-value is now active" in out
    doc = ok_json("write", server, "bv,1", "null", "-p", "8")
    assert doc["released"] is True and doc["value"] is None and doc["present_value"] == "inactive"


def test_wpm_then_priority_array_table(server):
    out = ok("wpm", server, "av,1", "present-value=23@9", "msv,1", "present-value=3", "--priority", "10")
    assert "wrote 2 value(s)" in out and "multi-state-value,1" in out

    table = ok("pa", server, "msv,1")
    in_control = [line for line in table.splitlines() if "in control" in line]
    assert len(in_control) == 1 and in_control[0].split()[0] == "10" and " 3 (Cool) " in in_control[0]
    assert "present-value 3 (Cool) from priority 10 (Available); relinquish-default 1 (Off)" in table

    doc = ok_json("wpm", server, "av,1", "present-value=null@9", "msv,1", "present-value=null@10")
    assert doc["writes"] == [
        {"object_id": "analog-value,1", "property": "present-value", "value": None, "priority": 9},
        {"object_id": "multi-state-value,1", "property": "present-value", "value": None, "priority": 10},
    ]
    assert ok("read", server, "msv,1") == "1\n"


def test_write_takes_the_priority_after_the_value_and_reads_back_who_holds_the_point(server):
    out = ok("write", server, "av,1", "22", "9")
    assert "wrote 22 to analog-value,1 present-value at priority 9 (Available)" in out
    assert "present-value is now 22 °C, from priority 9 (Available)" in out
    doc = ok_json("release", server, "av,1", "9")
    assert doc["priority"] == 9 and doc["released"] is True and doc["present_value"] == 20.0


def test_a_write_masked_by_a_higher_priority_says_so(server):
    ok("write", server, "av,1", "25", "-p", "8")
    try:
        out = ok("write", server, "av,1", "19", "-p", "12")
        assert "priority 8 (Manual Operator) is above 12 and holds 25 °C" in out
    finally:
        ok("release", server, "av,1", "-p", "12")
        ok("release", server, "av,1", "-p", "8")


# ----- life safety: priorities 1 and 2 need --life-safety -----------------------------------


def _slot(server: str, point: str, priority: int):
    return ok_json("pa", server, point)["slots"][priority - 1]["value"]


def test_life_safety_write_and_release_need_the_flag(server):
    refused_write = aso("write", server, "av,1", "30", "-p", "1")
    assert_one_line_error(refused_write, 2, "priority 1 (Manual Life Safety) is life safety", "--life-safety")
    assert _slot(server, "av,1", 1) is None  # nothing was written
    doc = ok_json("write", server, "av,1", "30", "-p", "1", "--life-safety")
    assert doc["priority"] == 1 and doc["present_value"] == 30.0
    assert _slot(server, "av,1", 1) == 30.0
    assert_one_line_error(aso("release", server, "av,1", "1"), 2, "release at priority 1", "--life-safety")
    assert _slot(server, "av,1", 1) == 30.0  # the refused release left it
    ok("release", server, "av,1", "1", "--life-safety")
    assert _slot(server, "av,1", 1) is None


def test_life_safety_with_a_name_checks_the_points_name(server):
    wrong = aso("write", server, "bv,1", "active", "-p", "2", "--life-safety", "AHU fan")
    assert_one_line_error(wrong, 2, "'AHU fan' is not the point's name", "--life-safety FAN-CMD")
    assert _slot(server, "bv,1", 2) is None
    ok("write", server, "bv,1", "active", "-p", "2", "--life-safety", "FAN-CMD")
    assert _slot(server, "bv,1", 2) == "active"
    ok("wpm", server, "bv,1", "present-value=null@2", "--life-safety")
    assert _slot(server, "bv,1", 2) is None


# ----- discover -------------------------------------------------------------------------


def test_discover_table(server):
    out = ok("discover", server)
    for text in ("OAT", "SAT-SP", "FAN-CMD", "MODE", "degrees-celsius", "12.5", "analog-value,1"):
        assert text in out
    assert "7 objects on 1 device" in out  # device, 2 network ports, 4 points


def test_discover_all_csv(server):
    rows = list(csv.DictReader(io.StringIO(ok("discover", "--all", "--target", server, "--csv"))))
    by_id = {row["object_id"]: row for row in rows}
    assert by_id["analog-input,1"] == {
        "device_instance": "1001", "object_id": "analog-input,1", "name": "OAT", "present_value": "12.5",
        "units": "degrees-celsius", "status_flags": "", "out_of_service": "false",
    }
    assert by_id["binary-value,1"]["present_value"] == "inactive"


def test_discover_routed_device_by_instance_json(server):
    doc = ok_json("--foreign", server, "discover", "2002")
    points = {p["object_id"]: p for p in doc["points"]}
    assert points["analog-input,1"]["name"] == "ZN-T" and points["analog-input,1"]["present_value"] == 22.0
    assert doc["errors"] == []


# ----- bad input: exit 2, one line, no traceback --------------------------------------


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["read", "SERVER", "xx,1"], "unknown object type 'xx'"),
        (["write", "SERVER", "av,1", "21", "--priority", "0"], "priority 0 is out of range"),
        (["write", "SERVER", "av,1", "21", "--priority", "17"], "priority 17 is out of range"),
        (["release", "SERVER", "av,1", "-p", "17"], "priority 17"),
        (["write", "SERVER", "av,1", "hot", "-p", "8"], "'hot' is not a valid number"),
        (["write", "SERVER", "bv,1", "7", "-p", "8"], "active/inactive"),
        (["read", "SERVER", "ai,1", "present-valu"], "unknown property 'present-valu'"),
        (["read", "300.1.1.1", "ai,1"], "not an IPv4 address"),
        (["--address", "127.0.0.1/99:47799", "read", "SERVER", "ai,1"], "mask"),
        (["rpm", "SERVER", "ai,1", "present-value", "units"], "pairs"),
        (["wpm", "SERVER", "av,1", "present-value"], "no PROPERTY=VALUE"),
        (["frobnicate"], "invalid choice"),
    ],
    ids=["malformed-id", "priority-0", "priority-17", "release-17", "hot-to-analog", "7-to-binary",
         "unknown-property", "bad-device-address", "bad-local-address", "rpm-pairs", "wpm-syntax", "unknown-verb"],
)
def test_bad_input_exits_2(server, args, fragment):
    # SERVER stands for the test device (a host name, which is no device address).
    assert_one_line_error(aso(*[server if arg == "SERVER" else arg for arg in args]), 2, fragment)


# ----- refused before anything is bound: exit 2 (issue 8) --------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["run", "examples:load_shed", "--priority", "0"], "priority 0 is out of range"),
        (["run", "examples:load_shed", "-p", "17"], "priority 17 is out of range"),
        (["run", "examples:load_shed", "--retries", "-1"], "'-1' is not a number of retries"),
        (["run", "examples:load_shed", "--retries", "1_0"], "'1_0' is not a number of retries"),
        (["write", "10.0.0.5", "av,1", "21", "-p", "１５"], "'１５' is not a whole number"),
        (["wpm", "10.0.0.5", "av,1", "present-value=21@１５"], "ASCII"),
        (["wpm", "10.0.0.5", "av,1", "present-value=21@-1"], "cannot read priority '-1'"),
        (["wpm", "10.0.0.5", "av,1", "present-value=21@²"], "cannot read priority '²'"),
        (["read", "10.0.0.5", "ai,１"], "ASCII"),
        (["read", "10.0.0.5", "ai,1", "4294967296"], "property number 4294967296 in '4294967296' is above the BACnet maximum 4294967295"),
        (["read", "10.0.0.5", "ai,1", "present-value[１]"], "ASCII"),
        (["whois", "--network", "２"], "'２' is not a whole number"),
        (["write", "10.0.0.5", "av,1", "21", "-p", "1"], "life safety; add --life-safety"),
        (["write", "10.0.0.5", "av,1", "21", "2"], "priority 2 (Automatic Life Safety) is life safety"),
        (["release", "10.0.0.5", "av,1", "-p", "2"], "release at priority 2"),
        (["wpm", "10.0.0.5", "av,1", "present-value=21@8", "bv,1", "present-value=active@1"],
         "10.0.0.5 binary-value,1 present-value: write at priority 1"),
        (["wpm", "10.0.0.5", "av,1", "present-value=21", "-p", "1"], "life safety"),
        (["write", "10.0.0.5", "av,1", "21", "8", "-p", "9"], "two priorities given"),
    ],
    ids=["run-priority-0", "run-priority-17", "run-retries-negative", "run-retries-underscore",
         "write-fullwidth-priority", "wpm-fullwidth-priority", "wpm-negative-priority", "wpm-superscript-priority",
         "fullwidth-object-instance", "property-number-too-big", "fullwidth-index", "fullwidth-network",
         "write-life-safety", "write-life-safety-positional", "release-life-safety", "wpm-life-safety-item",
         "wpm-life-safety-default", "two-priorities"],
)
def test_refused_before_binding(args, fragment):
    assert_one_line_error(refused(*args), 2, fragment)


# ----- BACnet and network errors: exit 1 ------------------------------------------------


def test_unreachable_device_times_out():
    with lease(CLIENT_PORTS) as dead:  # nothing listens there
        result = aso("--timeout", "0.5", "read", f"127.0.0.1:{dead}", "ai,1")
    assert_one_line_error(result, 1, "no answer within 0.5 s")


def test_unknown_object_is_a_remote_error(server):
    assert_one_line_error(aso("read", server, "ai,7"), 1, "unknown-object")


def test_priority_array_of_a_non_commandable_point(server):
    assert_one_line_error(aso("pa", server, "ai,1"), 1, "not a commandable point")


def test_busy_local_port(server):
    with lease(CLIENT_PORTS) as busy, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", busy))
        result = aso("--address", f"127.0.0.1/8:{busy}", "read", server, "ai,1")
    assert_one_line_error(result, 1, f"UDP port {busy} on 127.0.0.1 is already in use")


def test_ctrl_c_exits_130_quietly(server):
    # A long quiet window keeps whois running after the first I-Am; SIGINT
    # is sent once that row is printed, so the loop is certainly running.
    with lease(CLIENT_PORTS) as port:
        process = subprocess.Popen(
            _command(port, "whois", "--target", server, "--quiet", "30", "--max-wait", "30"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT,
        )
        try:
            assert "INSTANCE" in process.stdout.readline()
            assert "1001" in process.stdout.readline()
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 130
    assert stderr == ""


# ----- help, in process (argparse only, no network) ----------------------------------


@pytest.mark.parametrize("verb", ["whois", "whohas", "read", "write", "release", "rpm", "wpm", "pa", "routers", "discover", "sim"])
def test_every_verb_has_examples_and_json_keys(verb, capsys):
    from aso_runtime.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main([verb, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and "json:" in text and "--address" in text


# ----- sim ------------------------------------------------------------------------------------


def _simulator_available() -> bool:
    try:
        from aso_runtime.sim import SimulatedBuilding  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _simulator_available(), reason="aso_runtime.sim.SimulatedBuilding is not importable (written under another issue)")
def test_sim_serves_devices_that_the_suggested_command_finds():
    with lease(SIM_PORTS) as port:  # the suggested client takes port + 1, outside every other range
        process = subprocess.Popen(
            [sys.executable, "-m", "aso_runtime.cli.main", "--json", "sim", "--address", f"127.0.0.1/8:{port}", "--devices", "8"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT,
        )
        try:
            lines: list[str] = []
            while not lines or lines[-1] != "}\n":  # the JSON document printed at start
                line = process.stdout.readline()
                assert line, process.stderr.read()
                lines.append(line)
            announced = json.loads("".join(lines))
            assert len(announced["devices"]) == 8
            command = announced["discover_command"].split()
            assert command[:2] == ["aso", "whois"] and f"127.0.0.1:{port}" in command
            found = subprocess.run(
                [sys.executable, "-m", "aso_runtime.cli.main", *command[1:], "--json"],
                capture_output=True, text=True, timeout=30, env=_env(), cwd=ROOT,
            )
            assert found.returncode == 0, found.stderr
            instances = {d["instance"] for d in json.loads(found.stdout)["devices"]}
            assert {d["instance"] for d in announced["devices"]} <= instances
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr


if __name__ == "__main__" and sys.argv[1:2] == ["--serve"]:
    serve(int(sys.argv[2]))
