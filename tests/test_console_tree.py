"""The site tree driven as a technician does: arrows, Enter, Space, the mouse, the filter and back."""

from __future__ import annotations

from aso_console.site_outline import NodeData
from aso_console.widgets.device_tree import DeviceTree
from aso_console.widgets.point_table import PointTable

from .test_console import AHU, opened


def cursor(app) -> NodeData:
    return app.query_one(DeviceTree).cursor_node.data


async def test_arrows_open_close_and_walk_the_tree(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        tree = app.query_one(DeviceTree)
        assert cursor(app) == NodeData("device", AHU)
        await pilot.press("right")  # opens the device
        assert tree.device_node(AHU).is_expanded
        await pilot.press("right")  # already open: to its first group
        assert cursor(app) == NodeData("group", AHU, "analog-input")
        await pilot.press("right", "right")  # open the group, then its first point
        assert cursor(app) == NodeData("point", AHU, "analog-input", "analog-input,1")
        await pilot.press("left")  # a point: to its group
        assert cursor(app) == NodeData("group", AHU, "analog-input")
        await pilot.press("left")  # an open group: closed
        assert not any(c.is_expanded for c in tree.device_node(AHU).children)
        await pilot.press("shift+left")
        assert cursor(app) == NodeData("device", AHU)
        await pilot.press("space")
        assert not tree.device_node(AHU).is_expanded
        await pilot.press("end")
        assert tree.cursor_line == tree.last_line
        await pilot.press("home")
        assert tree.cursor_line == 0
        await pilot.pause()
        # The selection follows the cursor: the details line is the device's.
        await pilot.press("down")
        await pilot.pause()
        assert app.explore.selection == cursor(app)


async def test_enter_on_a_point_goes_to_its_row(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await pilot.press("enter", "down", "enter", "down", "enter")
        await pilot.pause()
        assert isinstance(app.focused, PointTable)
        assert app.query_one(PointTable).current() == (AHU, "analog-input,1")


async def test_page_keys_move_a_screen_and_keep_the_cursor_in_view(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        tree = app.query_one(DeviceTree)
        tree.expand_all()
        await pilot.pause()
        assert tree.last_line > 2 * tree.size.height
        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        assert tree.cursor_line > tree.size.height
        assert tree.scroll_offset.y <= tree.cursor_line < tree.scroll_offset.y + tree.size.height
        await pilot.press("pageup", "pageup", "pageup")
        assert tree.cursor_line == 0


async def test_a_click_selects_a_line_and_a_click_on_the_arrow_opens_it(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        tree = app.query_one(DeviceTree)
        line = next(n for n, line in enumerate(tree.outline.lines) if line.data == NodeData("device", 2001))
        row = line - int(tree.scroll_offset.y)
        guide_width = 2  # "├ " before the device's arrow
        await pilot.click(DeviceTree, offset=(guide_width, row))  # the arrow
        await pilot.pause()
        assert tree.device_node(2001).is_expanded
        assert cursor(app) != NodeData("device", 2001)  # the arrow only opens
        await pilot.click(DeviceTree, offset=(guide_width + 4, row))  # the label
        await pilot.pause()
        assert cursor(app) == NodeData("device", 2001)


async def test_after_a_filter_the_tree_comes_back_with_the_chosen_point(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await pilot.press("slash", *"zone temp")
        await pilot.pause()
        await pilot.pause()
        tree = app.query_one(DeviceTree)
        assert tree.filter_text == "zone temp"
        await pilot.press("enter")  # back to the tree, still filtered
        target = NodeData("point", 2003, "analog-input", "analog-input,1")
        tree.move_cursor(target)
        await pilot.press("escape")
        await pilot.pause()
        assert tree.filter_text == ""
        assert cursor(app) == target  # the technician's place is kept, its device opened
        assert tree.device_node(AHU) is not None and tree.device_node(4001) is not None
