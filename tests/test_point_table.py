"""The point table on its own: rows, cursor keys, messages, live updates, 2,000 rows.

Driven inside a tiny App with Textual's pilot; what is checked is what the
table draws (its lines) and the messages it posts. No BACnet is needed.
"""

from __future__ import annotations

from textual import events, on
from textual.app import App, ComposeResult
from textual.message import Message

from aso_console.widgets.point_table import PointTable, row_key
from aso_runtime.bacnet import ObjectInfo
from aso_runtime.verbs.text import PointLabels

from .waiting import until

DEVICE = 2001


def points(count: int, object_type: str = "analog-value", instance: int = DEVICE) -> list[tuple[int, ObjectInfo]]:
    return [(instance, ObjectInfo(instance, f"{object_type},{i}", name=f"Zone {i} Temperature", present_value=60.0 + i,
                                  units="degrees-fahrenheit", status_flags=[], out_of_service=False))
            for i in range(1, count + 1)]


class TableApp(App):
    """One point table filling the screen; the messages it posts are kept."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[Message] = []

    def compose(self) -> ComposeResult:
        yield PointTable(id="points")

    @on(PointTable.PointHighlighted)
    @on(PointTable.OpenRequested)
    @on(PointTable.WriteRequested)
    @on(PointTable.Back)
    def _heard(self, message: Message) -> None:
        self.heard.append(message)

    def last(self, kind: type[Message]) -> Message | None:
        return next((m for m in reversed(self.heard) if isinstance(m, kind)), None)

    def highlighted(self) -> tuple[int, str] | None:
        message = self.last(PointTable.PointHighlighted)
        return None if message is None else (message.instance, message.object_id)


def screen_lines(table: PointTable) -> list[str]:
    """The table's lines as they are drawn now, header first."""
    return [table.render_line(y).text for y in range(table.size.height)]


def line_of(table: PointTable, name: str) -> str:
    return next(line for line in screen_lines(table) if f" {name} " in line)


async def started(app: TableApp, pilot, rows, live=None, **kwargs) -> PointTable:
    table = app.query_one(PointTable)
    table.focus()
    table.show(rows, {} if live is None else live, **kwargs)
    await pilot.pause()
    return table


async def test_rows_show_their_cells_under_a_header():
    rows = points(3) + [(DEVICE, ObjectInfo(DEVICE, "multi-state-value,1", name="Occupancy", present_value=1))]
    live = {(DEVICE, "analog-value,2"): {"present-value": 55.0, "ccp": 8, "status-flags": ["in-alarm"]}}
    words = PointLabels(state_texts=("occupied", "unoccupied", "standby"))
    app = TableApp()
    async with app.run_test(size=(120, 20)) as pilot:
        table = await started(app, pilot, rows, live, labels=lambda instance, object_id: words)
        assert table.row_count == 4 and table.rows_shown[1] == (DEVICE, "analog-value,2")
        # 120 columns leave room for the sparkline column (empty until values have been recorded).
        assert screen_lines(table)[0].split() == ["Name", "Object", "Value", "Units", "Flags", "OOS", "Cmd", "Trend"]
        key = row_key(DEVICE, "analog-value,2")
        assert str(table.get_cell(key, "value")) == "55"  # the live value, not the discovered 62
        assert str(table.get_cell(key, "override")) == "@8" and str(table.get_cell(key, "flags")) == "A"
        assert str(table.get_cell(row_key(DEVICE, "multi-state-value,1"), "value")) == "occupied"
        assert line_of(table, "Zone 2 Temperature").split()[3:] == ["AV2", "55", "°F", "A", "@8"]
        assert "occupied" in line_of(table, "Occupancy").split()
        # Filling the rows highlights the first one, as a DataTable did.
        await until(lambda: app.highlighted() == (DEVICE, "analog-value,1"))


async def test_the_trend_column_draws_recorded_values_when_there_is_room():
    from aso_console.history import PointHistory

    history = PointHistory()
    for second, value in enumerate([70.0, 71.0, 73.0, 72.0, 75.0]):
        history.record((DEVICE, "analog-value,1"), 1000.0 + second, value)
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(PointTable)
        table.history = history
        table = await started(app, pilot, points(2), {})
        assert str(table.get_cell(row_key(DEVICE, "analog-value,1"), "trend")) == "▁▂▅▄█"
        assert str(table.get_cell(row_key(DEVICE, "analog-value,2"), "trend")) == ""
        await pilot.resize_terminal(60, 12)  # no room: the name keeps its width, the sparkline goes
        await pilot.pause()
        assert "Trend" not in screen_lines(table)[0]


async def test_a_long_name_ends_in_an_ellipsis_and_the_columns_stay_put():
    long_name = "AHU-1 Supply Air Temperature Reset Schedule Maximum Setpoint"
    app = TableApp()
    async with app.run_test(size=(80, 12)) as pilot:
        table = await started(app, pilot, [(DEVICE, ObjectInfo(DEVICE, "analog-value,1", name=long_name))])
        name_width = dict(table.column_widths())["Name"]
        line = screen_lines(table)[1]
        assert line[1:1 + name_width].endswith("…") and line[1:name_width].strip() in long_name
        assert line.index("AV1") == screen_lines(table)[0].index("Object")


async def test_the_header_stays_on_top_while_the_rows_scroll():
    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = await started(app, pilot, points(200))
        await pilot.press("end")
        await pilot.pause()
        lines = screen_lines(table)
        assert lines[0].split()[:2] == ["Name", "Object"]
        assert "Zone 200 Temperature" in lines[-1] and not any(" Zone 1 " in line for line in lines)


async def test_cursor_keys_move_the_cursor_and_say_which_point_it_is_on():
    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = await started(app, pilot, points(100))
        page = table.size.height - 1  # the rows under the header

        async def press(key: str, row: int) -> None:
            await pilot.press(key)
            await until(lambda: app.highlighted() == table.rows_shown[row], what=f"{key} to row {row}")
            assert table.cursor_row == row and table.current() == table.rows_shown[row]
            assert f" Zone {row + 1} Temperature " in "".join(screen_lines(table)[1:])  # kept in view

        await press("down", 1)
        await press("down", 2)
        await press("up", 1)
        await press("pagedown", 1 + page)
        await press("pagedown", 1 + 2 * page)
        await press("pageup", 1 + page)
        await press("end", 99)
        await press("home", 0)
        await press("ctrl+end", 99)
        await press("ctrl+home", 0)
        await pilot.press("up")  # already on the first row: nowhere to go
        await pilot.pause()
        assert table.cursor_row == 0


async def test_enter_opens_w_writes_and_esc_goes_back():
    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        await started(app, pilot, points(10))
        await pilot.press("down", "down", "enter", "w", "escape")
        await until(lambda: app.last(PointTable.Back) is not None)
        assert app.last(PointTable.OpenRequested) is not None
        written = app.last(PointTable.WriteRequested)
        assert (written.instance, written.object_id) == (DEVICE, "analog-value,3")


async def test_a_click_moves_the_cursor_and_a_second_click_opens_the_point():
    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = await started(app, pilot, points(10))
        await pilot.click(PointTable, offset=(5, 4))  # line 4: the fourth row
        await until(lambda: app.highlighted() == (DEVICE, "analog-value,4"))
        assert table.cursor_row == 3 and app.last(PointTable.OpenRequested) is None
        await pilot.click(PointTable, offset=(5, 4))
        await until(lambda: app.last(PointTable.OpenRequested) is not None)
        await pilot.click(PointTable, offset=(5, 0))  # the header: nothing happens
        await pilot.pause()
        assert table.cursor_row == 3


async def test_the_mouse_wheel_scrolls_the_rows():
    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = await started(app, pilot, points(100))
        for _ in range(3):
            table.post_message(events.MouseScrollDown(table, 5, 5, 0, 1, 0, False, False, False))
        await until(lambda: " Zone 1 " not in "".join(screen_lines(table)))
        assert screen_lines(table)[0].split()[0] == "Name"


async def test_update_point_redraws_a_visible_cell():
    live: dict = {}
    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = await started(app, pilot, points(5), live)
        assert line_of(table, "Zone 2 Temperature").split()[4] == "62"
        live[(DEVICE, "analog-value,2")] = {"present-value": 71.25, "ccp": 16}
        table.update_point(DEVICE, "analog-value,2")
        await pilot.pause()
        assert line_of(table, "Zone 2 Temperature").split()[4:] == ["71.25", "°F", "@16"]
        assert str(table.get_cell(row_key(DEVICE, "analog-value,2"), "value")) == "71.25"
        table.update_point(DEVICE, "analog-value,99")  # not shown: ignored


async def test_mark_offline_marks_the_values_and_clears_the_mark():
    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = await started(app, pilot, points(3))
        key = row_key(DEVICE, "analog-value,1")
        table.mark_offline(DEVICE, True)
        await pilot.pause()
        assert str(table.get_cell(key, "value")) == "61?"
        assert "strike" in str(table.get_cell(key, "value").style)
        assert "61?" in line_of(table, "Zone 1 Temperature").split()
        table.mark_offline(DEVICE, False)
        await pilot.pause()
        assert str(table.get_cell(key, "value")) == "61"
        assert "61" in line_of(table, "Zone 1 Temperature").split()
        # A device shown as offline from the start.
        table.show(points(3), {}, offline=True)
        await pilot.pause()
        assert str(table.get_cell(key, "value")) == "61?"


async def test_visible_points_follow_the_scrolling():
    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = await started(app, pilot, points(300))
        shown = table.visible_points(margin=0)
        assert shown[0] == (DEVICE, "analog-value,1") and len(shown) == table.size.height
        table.scroll_to(y=100, animate=False)
        await pilot.pause()
        assert table.visible_points(margin=0)[0] == (DEVICE, "analog-value,101")
        assert table.visible_points(margin=10)[0] == (DEVICE, "analog-value,91")
        await pilot.press("end")
        await pilot.pause()
        assert (DEVICE, "analog-value,300") in table.visible_points(margin=0)
        assert (DEVICE, "analog-value,101") not in table.visible_points(margin=10)


async def test_two_thousand_rows_and_the_cursor_to_the_end():
    app = TableApp()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await started(app, pilot, points(2000))
        assert table.row_count == 2000
        await pilot.press("end")
        await until(lambda: app.highlighted() == (DEVICE, "analog-value,2000"))
        assert table.current() == (DEVICE, "analog-value,2000")
        assert "Zone 2000 Temperature" in screen_lines(table)[-1]
        # Another group replaces the rows: the cursor and the scrolling start again at the top.
        table.show(points(2000, "analog-input"), {})
        await until(lambda: app.highlighted() == (DEVICE, "analog-input,1"))
        assert table.cursor_row == 0 and " Zone 1 " in screen_lines(table)[1]


async def test_a_resize_refits_the_name_column_and_keeps_the_cursor():
    app = TableApp()
    async with app.run_test(size=(120, 30)) as pilot:
        table = await started(app, pilot, points(200))
        wide = dict(table.column_widths())["Name"]
        table.move_cursor(row=150)
        await pilot.resize_terminal(80, 24)
        await until(lambda: dict(table.column_widths())["Name"] != wide)
        await pilot.pause()
        assert dict(table.column_widths())["Name"] < wide
        assert table.cursor_row == 150
        assert " Zone 151 Temperature " in "".join(screen_lines(table)[1:])
        assert max(len(line) for line in screen_lines(table)) <= 80


async def test_an_empty_table_has_no_current_point():
    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = await started(app, pilot, [])
        await pilot.press("down", "enter", "w")
        await pilot.pause()
        assert table.current() is None and table.row_count == 0
        assert not any(isinstance(m, (PointTable.OpenRequested, PointTable.WriteRequested)) for m in app.heard)
