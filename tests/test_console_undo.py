"""The console's session writes (U), undo (u), and the quit question about manual overrides still held.

Driven through Textual's pilot against the demo building on the in-process virtual network. The slot is
checked on the simulated device's own object (its priority array), never through the console.
"""

from __future__ import annotations

from textual.widgets import DataTable, Label, Static

from aso_console.screens.confirm import ConfirmScreen
from aso_console.screens.session_writes import ReleaseOnQuit, SessionWritesScreen
from aso_console.screens.write_modal import WriteScreen
from aso_console.widgets.priority_panel import SlotTable
from aso_runtime.bacnet import open_client
from aso_runtime.closeout.audit import read_records
from aso_runtime.closeout.records import ACKNOWLEDGE_ALARM, acknowledgement_text

from .test_console import AHU, FAN_SPEED, opened, select_point
from .waiting import until


def slot8(app):
    """Slot 8 of the fan speed command, as the simulated controller holds it (None: empty)."""
    value = app.runtime.building.point(AHU, FAN_SPEED).priorityArray[7]
    return None if value.null is not None else value.real


async def write_through_the_modal(app, pilot, value: str) -> None:
    await select_point(app, pilot, AHU, FAN_SPEED)
    slots = app.query_one(SlotTable)
    slots.focus()
    slots.move_cursor(row=7)  # slot 8, Manual Operator
    await pilot.press("w")
    await until(lambda: isinstance(app.screen, WriteScreen), what="the write modal")
    await pilot.press(*value, "enter")
    await until(lambda: slot8(app) == float(value), what="the write")
    await until(lambda: app.runtime.audit.session_records(), what="the audit record")


async def open_session_writes(app, pilot) -> DataTable:
    app.query_one(SlotTable).focus()
    await pilot.press("U")
    await until(lambda: isinstance(app.screen, SessionWritesScreen), what="the session writes")
    await pilot.pause()
    return app.screen.query_one("#writes", DataTable)


async def test_a_write_from_the_modal_is_listed_and_u_undoes_it(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        assert slot8(app) is None
        await write_through_the_modal(app, pilot, "55")
        [record] = read_records()  # in the journal on disk, as the console's
        assert (record.tool, record.device_instance, record.object_id, record.priority, record.before,
                record.after, record.outcome) == ("console", AHU, FAN_SPEED, 8, None, 55.0, "ok")
        table = await open_session_writes(app, pilot)
        assert table.row_count == 1
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[0] == record.id and row[2] == f"{AHU} AO1 @8" and row[3:5] == ["empty", "55.0"]
        detail = str(app.screen.query_one("#detail", Static).render())
        assert "Supply Fan Speed" in detail and f"wrote 55.0 to {AHU} {FAN_SPEED} @8, before: empty" in detail
        await pilot.press("u")
        await until(lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        assert "release" in str(app.screen.query_one(Label).render())
        await pilot.press("y")
        await until(lambda: slot8(app) is None, what="the undo")  # it was empty before the write
        await until(lambda: table.row_count == 2)
        assert "undone" in str(table.get_row_at(1)[5]) and "undo of" in str(table.get_row_at(0)[5])
        assert read_records()[-1].undoes == record.id


async def test_undo_is_refused_when_another_client_wrote_the_slot_since(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await write_through_the_modal(app, pilot, "55")
        other = await open_client(vlan=app.test_vlan, mac=202, instance=9997, timeout=1.0)
        try:
            await other.write(AHU, FAN_SPEED, 70.0, priority=8)
            await open_session_writes(app, pilot)
            await pilot.press("u")
            await until(lambda: any(n.startswith("Not undone") for n in app.notices), what="the refusal")
            notice = next(n for n in app.notices if n.startswith("Not undone"))
            assert "holds 70.0 now" in notice and "nothing was changed" in notice
            assert isinstance(app.screen, SessionWritesScreen)  # no question was asked
            assert slot8(app) == 70.0
        finally:
            await other.release(AHU, FAN_SPEED, 8)
            await other.close()


async def test_quit_lists_the_sessions_held_override_and_releases_it(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await write_through_the_modal(app, pilot, "55")
        await pilot.press("q")
        await until(lambda: isinstance(app.screen, ReleaseOnQuit), what="the quit question")
        question = str(app.screen.query_one("#question", Label).render())
        listing = str(app.screen.query_one("#held", Static).render())
        assert "1 manual override(s) written in this session still hold their slot" in question
        assert f"{AHU} {FAN_SPEED} @8 = 55.0 (before: empty)" in listing and "Supply Fan Speed" in listing
        await pilot.press("n")  # stay
        await pilot.pause()
        assert app.is_running and slot8(app) == 55.0
        await pilot.press("q")
        await until(lambda: isinstance(app.screen, ReleaseOnQuit), what="the quit question again")
        await pilot.press("r")
        await until(lambda: slot8(app) is None, what="the release")
        await until(lambda: not app.is_running, what="the exit")
    assert read_records()[-1].after is None and read_records()[-1].tool == "console"


async def test_quit_with_an_override_someone_else_took_over_asks_nothing_about_it(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await write_through_the_modal(app, pilot, "55")
        other = await open_client(vlan=app.test_vlan, mac=203, instance=9996, timeout=1.0)
        try:
            await other.write(AHU, FAN_SPEED, 71.0, priority=8)
            app.query_one(SlotTable).focus()
            await pilot.press("q")
            await until(lambda: not app.is_running, what="the exit")  # not ours any more: nothing to ask
            assert slot8(app) == 71.0
        finally:
            await other.close()  # the building is gone with the console: nothing to release


async def test_an_acknowledgement_shows_as_ack_and_in_full_below_at_80x24(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await pilot.resize_terminal(80, 24)
        journal = app.runtime.audit  # an acknowledgement as the Alarms tab records it
        text = acknowledgement_text("high-limit", "to-offnormal", "2026-11-29 17:02:03.00")
        journal.append(journal.new_record(device=str(AHU), device_instance=AHU, object_id="analog-input,2",
                                          property=ACKNOWLEDGE_ALARM, priority=None, index=None, before=None,
                                          before_known=False, after=text, outcome="ok"))
        table = await open_session_writes(app, pilot)
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[2:5] == [f"{AHU} AI2 ack", "", "ack"]
        detail = str(app.screen.query_one("#detail", Static).render())
        assert f"acknowledged {text} of {AHU} analog-input,2" in detail
        await pilot.press("u")
        await until(lambda: any(n.startswith("Not undone") for n in app.notices), what="the refusal")
        assert isinstance(app.screen, SessionWritesScreen)
