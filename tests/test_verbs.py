"""One verb layer: the CLI and the console's F2 line share one grammar, one executor, one presentation.

Parsing needs no network; execution runs against a genuine bacpypes3 device
on the in-process virtual network (the ``client`` fixture: device 1001).
"""

from __future__ import annotations

import shlex
from types import SimpleNamespace

import pytest
from rich.console import Console

from aso_console.commands import CommandRunner
from aso_console.site import Site
from aso_runtime.bacnet import InvalidInput, parse_object_id
from aso_runtime.bacnet.priority import Priority
from aso_runtime.cli.parser import build_parser
from aso_runtime.verbs import VERBS, LifeSafety, build_request, execute, parse_command
from aso_runtime.verbs.render import render


def cli_request(line: str):
    """What `aso LINE` would run (the CLI's own parser, its global options included)."""
    args = build_parser().parse_args(shlex.split(line))
    return build_request(VERBS[args.verb_name], args)


def f2_request(line: str):
    return parse_command(shlex.split(line))


def text(renderables) -> str:
    console = Console(width=400, color_system=None, force_terminal=False)  # one error line stays one line
    with console.capture() as capture:
        for item in renderables:
            console.print(item)
    return capture.get()


@pytest.mark.parametrize("line", [
    "read 1001 ai,1",
    "read 10.0.0.5:47809 AV-3 priority-array[8]",
    "write 1001 av,3 21.5 8",
    "write 1001 av,3 21.5 -p 8 --property present-value",
    "write 1001 bv,1 null --priority 8",
    "release 1001 av,3 8",
    "release 2:7 msv,1 --priority 1 --life-safety Zone 4 Mode",
    "rpm 1001 ai,1 present-value,units av,2 object-name",
    "wpm 1001 av,3 present-value=21@8 bv,1 present-value=active --priority 9",
    "pa 1001 av,3",
    "priority-array 1001 bo,2",
    "whois 1000 1999 --network 5 --quiet 1",
    "whois 1001",
    "whohas --name AHU-1 SAT",
    "whohas av,3 --target 10.0.0.20",
    "routers 5 --max-wait 1",
    "discover 1001",
    "discover --all --network 5",
])
def test_a_line_means_the_same_in_the_cli_and_in_f2(line):
    assert f2_request(line) == cli_request(line)


def test_the_request_is_typed_once_where_it_was_typed():
    request = f2_request("release 2:7 msv,1 1 --life-safety Zone 4 Mode")
    assert request.object_id == parse_object_id("multi-state-value,1")
    assert isinstance(request.priority, Priority) and request.priority.life_safety and request.released
    assert request.consent == LifeSafety(("Zone 4 Mode",))
    assert f2_request("write 1001 av,3 20 1 --life-safety").consent == LifeSafety(())
    assert f2_request("write 1001 av,3 20 1").consent is None


@pytest.mark.parametrize(("line", "fragment"), [
    ("write 1001 av,3 21 8 -p 9", "two priorities given"),
    ("write 1001 av,3 null", "give --priority 1..16"),
    ("release 1001 av,3", "needs the priority slot"),
    ("write 1001 av,3 21 １５", "'１５' is not a whole number"),
    ("wpm 1001 av,3 present-value=21@１５", "ASCII"),
    ("whois 1999 1000", "backwards"),
    ("whohas", "needs an object id or --name"),
    ("discover", "needs a DEVICE or --all"),
    ("pa 255.255.255.255 av,3", "broadcast"),
    ("read 1001", "the following arguments are required: OBJECT"),
    ("read 1001 ai,1 --bogus", "unrecognized arguments: --bogus"),
    ("fly away", "unknown command 'fly'"),
])
def test_f2_refuses_what_the_cli_refuses_with_one_line(line, fragment):
    with pytest.raises(InvalidInput) as caught:
        f2_request(line)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


async def test_f2_shows_exactly_what_the_cli_shows(client):
    runner = CommandRunner(SimpleNamespace(client=client, read_only=False), Site())
    await client.write(1001, "av,1", 21.5, priority=8)
    try:
        for line in ("pa 1001 av,1", "read 1001 av,1", "rpm 1001 av,1 present-value,units", "write 1001 av,1 23 9"):
            cli = text(render(await execute(cli_request(line), client)))
            assert text(await runner.run(line)) == cli, line
    finally:
        await client.release(1001, "av,1", 8)
        await client.release(1001, "av,1", 9)


async def test_the_priority_array_shows_values_with_their_words(client):
    result = await execute(f2_request("pa 1001 av,1"), client)
    shown = text(render(result))
    assert "Manual Operator" in shown and "relinquish-default" in shown
    assert result.to_json()["slots"][7] == {"priority": 8, "name": "Manual Operator", "value": None, "kind": "null"}


async def test_life_safety_in_f2_wants_the_points_name(client):
    name = await client.read(1001, "av,1", "object-name")
    runner = CommandRunner(SimpleNamespace(client=client, read_only=False), Site())
    refused = text(await runner.run("write 1001 av,1 30 2 --life-safety"))
    assert f"end the line with: --life-safety {shlex.quote(name)}" in refused
    assert (await client.priority_array(1001, "av,1")).at(2).value is None
    done = text(await runner.run(f"write 1001 av,1 30 2 --life-safety {shlex.quote(name)}"))
    assert "at priority 2 (Automatic Life Safety)" in done
    assert (await client.priority_array(1001, "av,1")).at(2).value == 30.0
    await runner.run(f"release 1001 av,1 2 --life-safety {shlex.quote(name)}")
    assert (await client.priority_array(1001, "av,1")).at(2).value is None


async def test_read_only_console_refuses_every_writing_verb(client):
    runner = CommandRunner(SimpleNamespace(client=client, read_only=True), Site())
    for line in ("write 1001 av,1 40 8", "release 1001 av,1 8", "wpm 1001 av,1 present-value=40@8"):
        assert "read-only" in text(await runner.run(line))
    assert (await client.priority_array(1001, "av,1")).at(8).value is None


def test_the_verb_layer_imports_no_ui_library():
    import subprocess
    import sys

    code = ("import sys, aso_runtime.verbs, aso_runtime.verbs.execute, aso_runtime.verbs.grammar, "
            "aso_runtime.bacnet.priority\n"
            "bad = [m for m in ('textual', 'rich') if m in sys.modules]\n"
            "print(bad); sys.exit(1 if bad else 0)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# ----- routers: a search that ends once the routers have answered -------------------------------


@pytest.fixture
async def router(vlan_name):
    """A genuine bacpypes3 router at MAC 3 of the test's network (1) to a far network (7)."""
    from bacpypes3.app import Application

    from aso_runtime.bacnet.local import (
        LocalDevice, build_application, close_application, device_object, drop_virtual_network,
        ensure_virtual_network, virtual_port,
    )

    far = f"{vlan_name}-far"
    ensure_virtual_network(far)
    app = build_application(Application, [
        device_object(LocalDevice(instance=3003, name="router")),
        virtual_port(vlan_name, 3, network=1),
        virtual_port(far, 1, port_instance=2, network=7),
    ])
    yield app
    await close_application(app)
    drop_virtual_network(far)


def searches_ended(caplog, search: str) -> list[str]:
    """Why each search of that kind ended (the runtime's DEBUG record): quiet, max-wait or enough."""
    return [record.ended for record in caplog.records if getattr(record, "search", None) == search]


async def test_routers_ends_on_quiet_once_the_routers_answered(client, router, caplog):
    caplog.set_level("DEBUG", logger="aso.bacnet")
    # A window far longer than any test: only the quiet after the answer can end it.
    result = await execute(f2_request("routers --max-wait 60"), client)
    assert result.to_json() == {"routers": [{"address": "0x03", "networks": [7]}], "count": 1}
    assert searches_ended(caplog, "who-is-router-to-network") == ["quiet"]


async def test_routers_to_one_network_ends_on_its_router_and_quiet_is_an_option(client, router, caplog):
    caplog.set_level("DEBUG", logger="aso.bacnet")
    request = cli_request("routers 7 --quiet 0.1 --max-wait 60")
    assert (request.quiet, request.max_wait) == (0.1, 60.0)
    result = await execute(request, client)
    assert [(r.address, r.networks) for r in result.routers] == [("0x03", [7])]
    assert searches_ended(caplog, "who-is-router-to-network") == ["enough"]
    # Nobody routes to network 9: the window is what ends it, with nothing found.
    assert (await execute(f2_request("routers 9 --max-wait 0.2"), client)).routers == []
    assert searches_ended(caplog, "who-is-router-to-network")[-1] == "max-wait"
