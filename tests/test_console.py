"""The console driven through Textual's pilot against the real demo building."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os

import pytest
from textual.widgets import Input, Label, TabbedContent

from aso_console.app import AsoConsoleApp
from aso_console.runtime import ConsoleOptions
from aso_console.screens.write_modal import WriteScreen
from aso_console.widgets.device_tree import DeviceTree
from aso_console.widgets.point_table import PointTable
from aso_console.widgets.priority_panel import PriorityPanel, SlotTable
from aso_runtime.bacnet import open_client

_vlans = itertools.count(1)

AHU = 1001
FAN_SPEED = "analog-output,1"  # AHU-1 Supply Fan Speed Command


def make_app(read_only: bool = False, devices: int = 8, **kwargs) -> AsoConsoleApp:
    vlan = f"console-{os.getpid()}-{next(_vlans)}"
    options = ConsoleOptions(demo=True, vlan=vlan, read_only=read_only, demo_devices=devices, demo_step=0.2,
                             release_orphans=False)
    app = AsoConsoleApp(options=options, poll_interval=0.3, **kwargs)
    app.test_vlan = vlan
    return app


def building_devices(app: AsoConsoleApp) -> list[int]:
    """The devices discovered in the building (the console's own device left out)."""
    own = app.runtime.client.device_instance
    return sorted(instance for instance in app.site.devices if instance != own)


async def discovered(app: AsoConsoleApp, pilot) -> None:
    await asyncio.wait_for(app.tree_complete.wait(), 20)
    await pilot.pause()


@contextlib.asynccontextmanager
async def opened(cleanup: list, **kwargs):
    """The demo app, running and discovered: (app, pilot)."""
    app = make_app(**kwargs)
    cleanup.append(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await discovered(app, pilot)
        yield app, pilot


async def select_point(app, pilot, instance: int, object_id: str) -> None:
    tree = app.query_one(DeviceTree)
    assert tree.select_point(instance, object_id)
    await pilot.pause()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_discovery_fills_tree_with_named_devices(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        # The building's eight, and the console's own device (its kill switch), which never
        # answers our own Who-Is but is in the tree and readable by instance.
        assert sorted(app.site.devices) == [1001, 2001, 2002, 2003, 2004, 2005, 3001, 4001, 4194302]
        tree = app.query_one(DeviceTree)
        labels = [str(tree.device_node(i).label) for i in (1001, 4001, 4194302)]
        assert labels[0].startswith("1001 AHU-1") and labels[1].startswith("4001 METER-1")
        assert labels[2].startswith("4194302 aso-console")
        assert await app.runtime.client.read(4194302, "binary-value,1", "object-name") == "optimization-enabled"
        status = str(app.query_one("#status").render())
        assert "9 device(s)" in status and "point(s)" in status
        # The cursor starts on the first device; its details show.
        assert tree.cursor_node.data.instance == 1001
        assert "max APDU" in str(app.query_one("#details").render())


async def test_expand_device_and_select_point_shows_priority_array(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await select_point(app, pilot, AHU, FAN_SPEED)
        table = app.query_one(PointTable)
        assert table.current() == (AHU, FAN_SPEED)
        panel = app.query_one(PriorityPanel)
        assert panel.object_id == FAN_SPEED and panel.array is not None
        assert "Supply Fan Speed" in str(app.query_one("#pa-header").render())


async def test_write_at_slot_8_shows_override_and_release_clears_it(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await select_point(app, pilot, AHU, FAN_SPEED)
        slots = app.query_one(SlotTable)
        slots.focus()
        slots.move_cursor(row=7)  # slot 8, Manual Operator
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, WriteScreen)
        await pilot.press(*"55")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        client = app.runtime.client
        array = await client.priority_array(AHU, FAN_SPEED)
        assert array.at(8).value == 55.0 and array.winning.priority == 8
        table = app.query_one(PointTable)
        key = f"{AHU}/{FAN_SPEED}"
        assert str(table.get_cell(key, "override")) == "@8"
        assert str(table.get_cell(key, "value")) == "55"
        assert app.query_one(PriorityPanel).array.at(8).value == 55.0

        slots.focus()
        slots.move_cursor(row=7)
        await pilot.press("x")
        await app.workers.wait_for_complete()
        await pilot.pause()
        array = await client.priority_array(AHU, FAN_SPEED)
        assert array.at(8).value is None
        # The simulated BAS program still commands the fan at priority 16.
        assert array.winning is None or array.winning.priority > 8
        assert str(table.get_cell(key, "override")) != "@8"


async def test_wrong_typed_value_is_refused_in_the_modal_with_nothing_sent(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await select_point(app, pilot, AHU, FAN_SPEED)
        app.query_one(PointTable).focus()
        await pilot.press("w")
        await pilot.pause()
        sent = app.runtime.client.writes_sent
        await pilot.press(*"hot", "enter")
        await pilot.pause()
        assert isinstance(app.screen, WriteScreen)
        assert "not a number" in str(app.screen.query_one("#error", Label).render())
        assert app.runtime.client.writes_sent == sent
        # An out-of-range priority is refused the same way.
        priority = app.screen.query_one("#priority", Input)
        priority.value = "17"
        app.screen.query_one("#value", Input).value = "40"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "out of range" in str(app.screen.query_one("#error", Label).render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.runtime.client.writes_sent == sent
        assert (await app.runtime.client.priority_array(AHU, FAN_SPEED)).at(8).value is None


async def test_life_safety_slot_needs_the_point_name(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await select_point(app, pilot, AHU, FAN_SPEED)
        slots = app.query_one(SlotTable)
        slots.focus()
        slots.move_cursor(row=0)
        await pilot.press("w")
        await pilot.pause()
        app.screen.query_one("#value", Input).value = "30"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "life safety" in str(app.screen.query_one("#error", Label).render())
        app.screen.query_one("#confirm", Input).value = "AHU-1 Supply Fan Speed Command"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        array = await app.runtime.client.priority_array(AHU, FAN_SPEED)
        assert array.at(1).value == 30.0
        await app.runtime.client.release(AHU, FAN_SPEED, 1)


async def test_read_only_refuses_every_write_path(cleanup_vlans):
    async with opened(cleanup_vlans, read_only=True) as (app, pilot):
        await select_point(app, pilot, AHU, FAN_SPEED)
        assert "READ-ONLY" in str(app.query_one("#status").render())
        app.query_one(PointTable).focus()
        await pilot.press("w")
        await pilot.pause()
        assert not isinstance(app.screen, WriteScreen)
        slots = app.query_one(SlotTable)
        slots.focus()
        await pilot.press("w", "x")
        await pilot.pause()
        assert not isinstance(app.screen, WriteScreen)
        for line in ("write 1001 ao,1 40 8", "release 1001 ao,1 8", "wpm 1001 ao,1 present-value 40 8"):
            output = await app.commands.run(line)
            assert "read-only" in str(output[0])
        assert any("Read-only" in notice for notice in app.notices)
        assert (await app.runtime.client.priority_array(AHU, FAN_SPEED)).at(8).value is None


async def test_filter_finds_points_across_the_site(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await pilot.press("slash")
        await pilot.press(*"Zone Temp")
        await pilot.pause(0.4)  # the filter applies once typing pauses
        tree = app.query_one(DeviceTree)
        vav = tree.device_node(2001)
        assert vav.is_expanded
        leaves = [leaf.data.object_id for group in vav.children for leaf in group.children]
        # The zone temperature, and its trend log ("... Zone Temperature Trend") where the device has one.
        assert leaves and all("Zone Temperature" in app.site.point(2001, oid).name for oid in leaves)
        assert tree.device_node(4001) is None  # the meter has no zone temperature: not shown
        assert "point(s)" in str(app.query_one("#status").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.query_one("#filter").has_class("hidden")
        assert tree.device_node(4001) is not None  # every device is back
        assert "filter" not in str(app.query_one("#status").render())  # the old filter is not left there


def tree_points(tree: DeviceTree) -> set[tuple[int, str]]:
    """(device, object id) of every point leaf the tree shows."""
    found = set()
    for instance in (2001, 1001, 3001, 4001, 2002):
        node = tree.device_node(instance)
        for group in node.children if node is not None else []:
            found |= {(instance, leaf.data.object_id) for leaf in group.children if leaf.data.kind == "point"}
    return found


@pytest.mark.parametrize("typed", ["AV3", "av3", "av,3", "av:3", "analog-value,3", "AV-3"])
async def test_filter_takes_every_id_form_the_command_line_takes(cleanup_vlans, typed):
    async with opened(cleanup_vlans) as (app, pilot):
        await pilot.press("slash")
        await pilot.press(*typed)
        await pilot.pause(0.4)
        shown = tree_points(app.query_one(DeviceTree))
        assert (2001, "analog-value,3") in shown
        assert all(object_id == "analog-value,3" for _, object_id in shown)


async def test_a_filter_that_matches_nothing_says_so(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await pilot.press("slash")
        await pilot.press(*"no such point")
        await pilot.pause(0.4)
        tree = app.query_one(DeviceTree)
        assert all(tree.device_node(instance) is None for instance in app.site.devices)
        labels = [str(node.label) for node in tree.root.children]
        assert any("no point or device matches 'no such point'" in label for label in labels)


async def test_command_line_runs_verbs_with_history(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await pilot.press("f2")
        await pilot.pause()
        assert app.query_one(TabbedContent).active == "command"
        await pilot.press(*"read 1001 ao,1 object-name", "enter")
        from aso_console.widgets.command_pane import CommandPane

        pane = app.query_one(CommandPane)
        deadline = asyncio.get_running_loop().time() + 10
        while not pane.entries or pane.running:
            assert asyncio.get_running_loop().time() < deadline, "the command did not finish"
            await pilot.pause(0.02)
        assert "> read 1001 ao,1 object-name\nAHU-1 Supply Fan Speed Command" in pane.transcript()
        await pilot.press("up")
        assert app.query_one("#command-input", Input).value == "read 1001 ao,1 object-name"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("read 1001 ao,1 units", "percent"),
        ("pa 1001 ao,1", "relinquish-default"),
        ("priority-array 1001 ao,1", "Manual Operator"),
        ("rpm 1001 ao,1 present-value,units ai,1 object-name", "object-name"),
        ("whois", "8 devices"),
        ("whois 2001 2003", "3 devices"),
        ('whohas --name "AHU-1 Supply Fan Speed Command"', "1 answer"),
        ("whohas --name AHU-1 Supply Fan Speed Command", "analog-output,1"),
        ("routers", "router"),
        ("discover 4001", "objects on 1 device"),
        ("help", "read DEVICE OBJECT"),
        ("help write", "write DEVICE OBJECT [PROPERTY] VALUE"),
        ("write --help", "write 10.0.0.20 av,3 21.5 8"),
        ("read 1001 zz,1", "accepted forms"),
        ("write 1001 ao,1 hot 8", "not a valid number"),
        ("write 1001 ao,1 40 17", "out of range"),
        ("write 1001 ao,1 40 -p 8 --frob", "unrecognized arguments: --frob"),
        ("read 1001 ai,99", "unknown-object"),
        ("fly 1001", "unknown command"),
        ('read "1001', "cannot split"),
        ("discover 4001 --csv", "in a terminal"),
        # Life safety: refused, saying exactly what to type (the point's name, as the write modal asks).
        ("write 1001 ao,1 40 1", "end the line with: --life-safety 'AHU-1 Supply Fan Speed Command'"),
        ("write 1001 ao,1 40 1 --life-safety", "end the line with: --life-safety 'AHU-1 Supply Fan Speed Command'"),
        ("release 1001 ao,1 -p 2", "release at priority 2 (Automatic Life Safety)"),
        ("wpm 1001 ao,1 present-value=40@1", "--life-safety 'AHU-1 Supply Fan Speed Command'"),
        ("write 1001 ao,1 40 1 --life-safety AHU-1", "'AHU-1' is not the point's name"),
    ],
)
async def test_command_verbs(cleanup_vlans, line, expected):
    async with opened(cleanup_vlans) as (app, pilot):
        text = _rendered(app, await app.commands.run(line))
        assert expected in text
        array = await app.runtime.client.priority_array(AHU, FAN_SPEED)
        assert array.at(1).value is None and array.at(2).value is None  # a refused life-safety line wrote nothing


async def test_write_release_and_wpm_verbs_change_the_device(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        client = app.runtime.client
        await app.commands.run("write 1001 ao,1 42 9")
        assert (await client.priority_array(AHU, FAN_SPEED)).at(9).value == 42.0
        await app.commands.run("release 1001 ao,1 9")
        assert (await client.priority_array(AHU, FAN_SPEED)).at(9).value is None
        await app.commands.run("wpm 1001 ao,1 present-value=33@10")
        assert (await client.priority_array(AHU, FAN_SPEED)).at(10).value == 33.0
        await app.commands.run("release 1001 ao,1 --priority 10")
        assert (await client.priority_array(AHU, FAN_SPEED)).at(10).value is None
        # Priority 1 once the point's name is typed, as the write modal asks; released the same way.
        name = "--life-safety 'AHU-1 Supply Fan Speed Command'"
        text = _rendered(app, await app.commands.run(f"write 1001 ao,1 30 1 {name}"))
        assert "wrote 30 to analog-output,1 present-value at priority 1 (Manual Life Safety)" in text
        assert (await client.priority_array(AHU, FAN_SPEED)).at(1).value == 30.0
        assert "life safety" in _rendered(app, await app.commands.run("release 1001 ao,1 1"))
        assert (await client.priority_array(AHU, FAN_SPEED)).at(1).value == 30.0
        await app.commands.run("release 1001 ao,1 1 --life-safety AHU-1 Supply Fan Speed Command")
        assert (await client.priority_array(AHU, FAN_SPEED)).at(1).value is None


def _rendered(app, output) -> str:
    """Command output as plain text, the way a technician reads it."""
    from rich.console import Console

    console = Console(width=200, color_system=None, force_terminal=False)
    with console.capture() as capture:
        for item in output:
            console.print(item)
    return capture.get()


async def test_writing_an_out_of_service_input_reports_what_it_now_holds(cleanup_vlans):
    """An input has no priority array: the write succeeded and must not be reported as an error."""
    async with opened(cleanup_vlans) as (app, pilot):
        client = app.runtime.client
        await client.write(AHU, "ai,2", True, property="out-of-service")
        try:
            text = _rendered(app, await app.commands.run("write 1001 ai,2 61.5 8"))
            assert "acknowledged" in text and "present-value is now 61.5" in text
            assert "unknown-property" not in text and "error" not in text.lower()
            assert await client.read(AHU, "ai,2") == 61.5
        finally:
            await client.write(AHU, "ai,2", False, property="out-of-service")


async def test_keys_are_handled_while_a_50_device_site_is_discovered(cleanup_vlans):
    app = make_app(devices=50)
    cleanup_vlans.append(app)
    handled_during_discovery = []
    show_tab = app.action_show_tab

    def recording_show_tab(tab: str) -> None:
        handled_during_discovery.append(not app.tree_complete.is_set())
        show_tab(tab)

    app.action_show_tab = recording_show_tab
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.site.devices:  # press as soon as the first I-Am is shown
            await asyncio.sleep(0.001)
        await pilot.press("f2")
        assert app.query_one(TabbedContent).active == "command"
        assert handled_during_discovery == [True]  # the key did not wait for discovery
        await pilot.press("f1")
        await discovered(app, pilot)
        assert len(building_devices(app)) == 50


async def test_offline_device_is_marked_not_fatal(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await select_point(app, pilot, 4001, "analog-input,1")
        await app.runtime.building.stop_device(4001)
        app.runtime.client.timeout = 0.3
        for _ in range(20):
            await asyncio.sleep(0.2)
            if app.site.devices[4001].offline:
                break
        assert app.site.devices[4001].offline
        await pilot.pause()
        assert "offline" in str(app.query_one(DeviceTree).device_node(4001).label)


async def test_every_device_is_marked_offline_and_back_not_only_the_one_on_screen(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await select_point(app, pilot, 4001, "analog-input,1")
        building, explore, tree = app.runtime.building, app.explore, app.query_one(DeviceTree)
        app.runtime.client.timeout = 0.3
        explore.liveness_quiet = 0.0  # check every device at each tick (25 s of quiet in the field)
        building.silence_device(4001)  # the meter, on screen
        building.silence_device(3001)  # the plant, not on screen
        await until(lambda: app.site.devices[4001].offline and app.site.devices[3001].offline,
                    tick=explore.check_quiet_devices)
        await pilot.pause()
        assert "offline" in str(tree.device_node(3001).label)
        assert "OFFLINE" in str(app.query_one("#details").render())
        table = app.query_one(PointTable)
        assert str(table.get_cell("4001/analog-input,1", "value")).endswith("?")  # the last reading, marked
        assert "2 offline" in str(app.query_one("#status").render())
        building.revive_device(4001)
        building.revive_device(3001)
        await until(lambda: not app.site.devices[4001].offline and not app.site.devices[3001].offline,
                    tick=explore.check_quiet_devices)
        await pilot.pause()
        # Back without moving the cursor: no stale OFFLINE, no stale mark.
        assert "OFFLINE" not in str(app.query_one("#details").render())
        assert not str(table.get_cell("4001/analog-input,1", "value")).endswith("?")
        assert "offline" not in str(tree.device_node(3001).label)


async def until(condition, tick=None, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        if tick is not None:
            tick()
        await asyncio.sleep(0.2)


async def test_help_screen_opens_and_closes(cleanup_vlans):
    app = make_app()
    cleanup_vlans.append(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await discovered(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ != "HelpScreen"


async def test_live_updates_keep_running_under_an_open_modal(cleanup_vlans):
    """Timers query widgets of the main screen, not of the modal on top of it."""
    async with opened(cleanup_vlans) as (app, pilot):
        await select_point(app, pilot, AHU, FAN_SPEED)
        app.query_one(PointTable).focus()
        await pilot.press("w")
        await pilot.pause()
        sent = app.runtime.client.requests_sent
        # Several poll ticks (0.3 s) with the modal open: the poller keeps reading.
        await until(lambda: app.runtime.client.requests_sent > sent + 3)
        assert isinstance(app.screen, WriteScreen) and app.is_running


async def test_cov_updates_the_table_without_polling(cleanup_vlans):
    app = make_app()
    app.poll_interval = 3600  # no polling at all: only COV can update the cell
    cleanup_vlans.append(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await discovered(app, pilot)
        await select_point(app, pilot, AHU, FAN_SPEED)
        # The tick that subscribes the rows on screen; then wait for the device to accept it.
        await until(lambda: (AHU, FAN_SPEED) in app.explore.cov.subscribed, tick=app.explore.poll_visible)
        other = await open_client(vlan=app.test_vlan, mac=201, instance=9998, timeout=1.0)
        try:
            await other.write(AHU, FAN_SPEED, 33.0, priority=8)
            key = f"{AHU}/{FAN_SPEED}"
            table = app.query_one(PointTable)
            for _ in range(40):
                await pilot.pause(0.05)
                if str(table.get_cell(key, "value")) == "33":
                    break
            assert str(table.get_cell(key, "value")) == "33"
            await other.release(AHU, FAN_SPEED, 8)
        finally:
            await other.close()


async def test_discover_options_range_and_address(cleanup_vlans):
    app = make_app(discover_on_start=False)
    cleanup_vlans.append(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        app.screen.query_one("#low", Input).value = "2001"
        app.screen.query_one("#high", Input).value = "2003"
        await pilot.press("enter")
        await discovered(app, pilot)
        assert building_devices(app) == [2001, 2002, 2003]
        await pilot.press("f6")
        await pilot.pause()
        app.screen.query_one("#address", Input).value = "0x09"  # the meter's MAC on the demo network
        await pilot.press("enter")
        await discovered(app, pilot)
        assert 4001 in app.site.devices and 1001 not in app.site.devices
        await pilot.press("f6")
        await pilot.pause()
        app.screen.query_one("#low", Input).value = "9"
        app.screen.query_one("#high", Input).value = "3"
        await pilot.press("enter")
        await pilot.pause()
        assert "must satisfy" in str(app.screen.query_one("#error", Label).render())


async def test_a_device_that_stops_answering_mid_discovery(cleanup_vlans):
    app = make_app()
    cleanup_vlans.append(app)
    async with app.run_test(size=(120, 40)) as pilot:
        app.runtime.client.timeout = 0.5
        while 4001 not in app.site.devices:  # its I-Am is in; its points are not read yet
            await asyncio.sleep(0.001)
        await app.runtime.building.stop_device(4001)
        await discovered(app, pilot)
        meter = app.site.devices[4001]
        assert meter.offline or meter.error
        assert len(app.site.devices[1001].points) > 10  # the others were read
        assert app.is_running
        assert "offline" in str(app.query_one(DeviceTree).device_node(4001).label) or meter.error


async def test_unreachable_device_in_the_command_line_is_one_line(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        app.runtime.client.timeout = 0.3
        output = await app.commands.run("read 0x77 ai,1")
        assert len(output) == 1 and "no answer" in str(output[0])


async def test_ctrl_c_quits_like_q(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await pilot.press("f2")  # even with the command line focused
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert not app.is_running


async def test_f1_returns_from_the_command_line_with_the_tree_focused(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        for away in ("f2", "f4", "f3"):
            await pilot.press(away)
            await pilot.pause()
            await pilot.press("f1")
            await pilot.pause()
            assert app.query_one(TabbedContent).active == "explore", away
            assert isinstance(app.focused, DeviceTree), away
        line = app.query_one(DeviceTree).cursor_line
        await pilot.press("down")
        assert app.query_one(DeviceTree).cursor_line == line + 1
