"""Device management from the console (m on a device in Explore), on the demo building.

Time sync with the clock read back, DCC shown in the tree while it lasts,
ReinitializeDevice refused with a wrong password and done with the right
one; each behind a confirmation naming the device, each in the audit journal.
"""

from __future__ import annotations

import datetime as dt
import time

from textual.widgets import Checkbox, DataTable, Input, Select

from aso_console.app import AsoConsoleApp
from aso_console.runtime import ConsoleOptions
from aso_console.screens.bbmd_tables import BbmdTablesScreen
from aso_console.screens.confirm import ConfirmScreen
from aso_console.screens.device_actions import DeviceActionsScreen
from aso_console.site import SiteDevice
from aso_console.widgets.device_tree import DeviceTree
from aso_console.widgets.tree_labels import communication_text
from aso_runtime.bacnet import DeviceInfo, time_synchronize
from aso_runtime.sim.management import DEFAULT_PASSWORD

from .ports import lease_many
from .test_console import discovered, opened, until

VAV = 2001


async def manage(app, pilot, instance: int = VAV) -> DeviceActionsScreen:
    """The cursor on the device in the tree, then m."""
    tree = app.query_one(DeviceTree)
    tree.move_cursor(tree.device_node(instance))
    tree.focus()
    await pilot.pause()
    await pilot.press("m")
    await until(lambda: isinstance(app.screen, DeviceActionsScreen))
    return app.screen


async def confirm(app, pilot) -> str:
    """Answer yes to the confirmation; returns its question."""
    await until(lambda: isinstance(app.screen, ConfirmScreen))
    question = app.screen.question
    await pilot.press("y")
    return question


def tree_label(app, instance: int = VAV) -> str:
    return str(app.query_one(DeviceTree).device_node(instance).label)


def journal(app, service: str) -> list:
    return [r for r in app.runtime.audit.session_records() if r.property == service]


async def test_time_sync_asks_naming_the_device_and_reads_the_clock_back(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        client = app.runtime.client
        # Put the device's clock three days back first, so the read-back shows the sync took.
        back = dt.datetime.now() - dt.timedelta(days=3)
        await time_synchronize(client, VAV, when=back)
        screen = await manage(app, pilot)
        await until(lambda: screen.clock_before is not None)
        assert back.strftime("%Y-%m-%d") in screen.clock_before and "utc-offset" in screen.clock_before

        await pilot.press("t")
        question = await confirm(app, pilot)
        name = app.site.devices[VAV].name
        assert f"device {VAV} {name} ({app.site.devices[VAV].info.address})" in question
        assert "local time" in question and "BROADCAST" not in question
        await until(lambda: screen.clock_after is not None)
        assert dt.datetime.now().strftime("%Y-%m-%d") in screen.clock_after
        assert [r.outcome for r in journal(app, "time-synchronization")] == ["ok"]


async def test_broadcast_time_sync_needs_its_own_choice(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        screen = await manage(app, pilot)
        # On the demo's one virtual network the device has no network number: no broadcast to offer.
        assert screen.query_one("#broadcast").disabled
        await pilot.press("escape")
        await until(lambda: not isinstance(app.screen, DeviceActionsScreen))


async def test_dcc_disable_for_minutes_shows_in_the_tree_and_enable_clears_it(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        building = app.runtime.building
        screen = await manage(app, pilot)
        screen.query_one("#dcc-state", Select).value = "disable"
        screen.query_one("#dcc-minutes", Input).value = "15"
        screen.query_one("#password", Input).value = DEFAULT_PASSWORD
        await pilot.press("d")
        question = await confirm(app, pilot)
        assert question.startswith(f"disable communication of device {VAV} ") and "for 15 min" in question
        await until(lambda: "comm disabled 15 min" in tree_label(app))
        assert building.application(VAV).communication_state == "disable"  # the device itself, not our note

        screen.query_one("#dcc-state", Select).value = "enable"
        await pilot.press("d")
        await confirm(app, pilot)
        await until(lambda: "comm disabled" not in tree_label(app))
        assert building.application(VAV).communication_state == "enable"
        assert [r.after for r in journal(app, "device-communication-control")] == ["disable for 15 min", "enable"]


async def test_a_timed_disable_leaves_the_tree_when_it_runs_out(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        screen = await manage(app, pilot)
        screen.query_one("#dcc-state", Select).value = "disable-initiation"
        screen.query_one("#dcc-minutes", Input).value = "1"
        screen.query_one("#password", Input).value = DEFAULT_PASSWORD
        await pilot.press("d")
        await confirm(app, pilot)
        await until(lambda: "initiation disabled 1 min" in tree_label(app))
        # A minute later (as the device sees it) the tree's next tick takes it off.
        app.site.devices[VAV].communication_until = time.monotonic() - 1
        app.query_one(DeviceTree).communication_tick()
        assert "disabled" not in tree_label(app)


def test_the_countdown_rounds_up_and_indefinite_says_so():
    device = SiteDevice(DeviceInfo(VAV, "2:3", 999, 1476, "no-segmentation"))
    assert communication_text(device) is None
    device.communication = "disable"
    assert communication_text(device) == "comm disabled"
    device.communication_until = 1000.0
    assert communication_text(device, now=1000.0 - 13 * 60 - 1) == "comm disabled 14 min"
    assert communication_text(device, now=1000.0) is None


async def test_reinitialize_with_a_wrong_password_is_one_line_and_the_right_one_restarts(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        screen = await manage(app, pilot)
        screen.query_one("#password", Input).value = "wrong"
        await pilot.press("r")
        question = await confirm(app, pilot)
        assert question.startswith(f"warmstart device {VAV} ") and "whole controller restarts" in question
        status = app.query_one("#status")
        await until(lambda: "Reinitialize failed" in str(status.render()))
        line = str(status.render())
        assert f"device {VAV} refused warmstart: password-failure" in line and "Traceback" not in line
        assert any("password-failure" in notice for notice in app.notices)  # the toast, kept for F4
        assert "password-failure" in str(screen.query_one("#result").render())

        screen.query_one("#reinit-state", Select).value = "coldstart"
        screen.query_one("#password", Input).value = DEFAULT_PASSWORD
        await pilot.press("r")
        await confirm(app, pilot)
        await until(lambda: "acknowledged" in str(screen.query_one("#result").render()))
        assert await app.runtime.client.read(VAV, f"device,{VAV}", "last-restart-reason") == "coldstart"
        outcomes = [r.outcome for r in journal(app, "reinitialize-device")]
        assert outcomes[1] == "ok" and "password-failure" in outcomes[0]


async def test_no_is_no_and_nothing_is_sent(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        screen = await manage(app, pilot)
        screen.query_one("#password", Input).value = DEFAULT_PASSWORD
        await pilot.press("r")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await until(lambda: "not sent" in str(screen.query_one("#result").render()))
        assert journal(app, "reinitialize-device") == []


async def test_bbmd_tables_on_a_virtual_network_say_why_not(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await manage(app, pilot)
        await pilot.press("b")
        await until(lambda: isinstance(app.screen, BbmdTablesScreen))
        app.screen.query_one(Input).value = "127.0.0.1:50199"
        await pilot.press("enter")
        await until(lambda: "BACnet/IP" in str(app.screen.query_one("#bbmd-result").render()))


async def test_bbmd_tables_of_the_demo_building_over_loopback():
    """The demo on loopback UDP (ports 50100-50199): the console is a foreign device of the building's BBMD."""
    with lease_many(range(50100, 50200, 2), 1) as (port,), lease_many(range(port + 1, port + 2), 1):
        app = AsoConsoleApp(options=ConsoleOptions(demo=True, demo_port=port, demo_step=0.2, release_orphans=False),
                            poll_interval=0.3)
        async with app.run_test(size=(80, 24)) as pilot:
            await discovered(app, pilot)
            await manage(app, pilot)
            await pilot.press("b")  # opens on the building's BBMD and reads at once
            await until(lambda: isinstance(app.screen, BbmdTablesScreen)
                        and app.screen.query_one("#fdt", DataTable).row_count > 0)
            fdt = app.screen.query_one("#fdt", DataTable)
            assert f"127.0.0.1:{port + 1}" in [str(fdt.get_row_at(r)[0]) for r in range(fdt.row_count)]
            bdt = app.screen.query_one("#bdt", DataTable)
            assert [str(c) for c in bdt.get_row_at(0)] == [f"127.0.0.1:{port}", "255.255.255.255"]


async def test_broadcast_time_sync_over_the_demo_sets_every_clock_of_the_network():
    """The demo on loopback UDP: VAV-1-01 is 2:3, so the second tick box offers network 2; one broadcast
    through the building's router sets the clock of every device there, not only the one managed."""
    with lease_many(range(50100, 50200, 2), 1) as (port,), lease_many(range(port + 1, port + 2), 1):
        app = AsoConsoleApp(options=ConsoleOptions(demo=True, demo_port=port, demo_step=0.2, release_orphans=False),
                            poll_interval=0.3)
        async with app.run_test(size=(80, 24)) as pilot:
            await discovered(app, pilot)
            building = app.runtime.building
            on_network_2 = [i for i, d in app.site.devices.items() if str(d.info.address).startswith("2:")]
            assert VAV in on_network_2 and len(on_network_2) >= 6
            for instance in on_network_2:  # three days slow, as a controller that lost its clock
                building.application(instance).device_object._clock_offset = -3 * 86400.0
            screen = await manage(app, pilot)
            box = screen.query_one("#broadcast", Checkbox)
            assert not box.disabled and not box.value  # offered, never chosen for the technician
            box.value = True
            await pilot.press("t")
            question = await confirm(app, pilot)
            assert question.startswith("BROADCAST") and "every device of network 2" in question
            await until(lambda: all(abs(building.application(i).device_object.clock_offset) < 60
                                    for i in on_network_2))
            assert [r.outcome for r in journal(app, "time-synchronization")] == ["ok"]
