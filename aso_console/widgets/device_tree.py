"""The site tree: network, then device, then object-type groups, then objects.

It draws only the lines on screen (Textual's Line API) from the site
outline (:mod:`aso_console.site_outline`): a 20,000-point site costs no
widget per point, and a filter keystroke or a device's point list arriving
only recomputes which lines exist. Object lists load lazily: opening a
device whose points are not read yet asks the pane (a message) to read them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..site import Site, SiteDevice
from ..site_outline import ROOT, Line, NodeData, SiteOutline
from .tree_labels import node_label

__all__ = ["DeviceTree", "NodeData", "SiteNode"]

OPEN_ICON, CLOSED_ICON = "▼ ", "▶ "
TOGGLE = Style(meta={"toggle": True})


@dataclass(frozen=True)
class SiteNode:
    """A handle on one node of the tree (tests and benchmarks look through it)."""

    tree: DeviceTree
    data: NodeData

    @property
    def label(self) -> Text:
        return self.tree.label(self.data)

    @property
    def children(self) -> list[SiteNode]:
        return [SiteNode(self.tree, child) for child in self.tree.outline.children(self.data)]

    @property
    def is_expanded(self) -> bool:
        return self.tree.outline.is_open(self.data)

    def expand(self) -> None:
        self.tree.set_open(self.data, True)

    def collapse(self) -> None:
        self.tree.set_open(self.data, False)


class DeviceTree(ScrollView, can_focus=True):
    """Devices stream in as their I-Ams arrive; points load on expand."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False, id="tree.up"),
        Binding("down", "cursor(1)", "Down", show=False, id="tree.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="tree.page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="tree.page-down"),
        Binding("home", "first", "First", show=False, id="tree.first"),
        Binding("end", "last", "Last", show=False, id="tree.last"),
        Binding("left", "close_or_parent", "Close", show=False, id="tree.close"),
        Binding("right", "open_or_child", "Open", show=False, id="tree.open"),
        Binding("shift+left", "parent", "Parent", show=False, id="tree.parent"),
        Binding("enter", "select", "Open", show=False, id="tree.select"),
        Binding("space", "toggle", "Toggle", show=False, id="tree.toggle"),
        Binding("r", "refresh_device", "Reload", id="tree.reload"),
        # In ? help and the palette (the key bar keeps its room for 80 columns).
        Binding("m", "manage", "Manage", show=False, id="tree.manage"),
        # Tab goes to the points (in the narrow layout they are not on screen to be tabbed to).
        Binding("tab", "open_points", "Points", show=False, id="tree.points"),
    ]

    COMPONENT_CLASSES = {"device-tree--cursor", "device-tree--guides", "device-tree--hover"}

    DEFAULT_CSS = """
    DeviceTree {
        background: $surface;
        color: $foreground;
        & > .device-tree--guides { color: $surface-lighten-2; }
        & > .device-tree--cursor {
            text-style: $block-cursor-blurred-text-style;
            background: $block-cursor-blurred-background;
        }
        & > .device-tree--hover { background: $block-hover-background; }
        &:focus {
            background-tint: $foreground 5%;
            & > .device-tree--cursor {
                color: $block-cursor-foreground;
                background: $block-cursor-background;
                text-style: $block-cursor-text-style;
            }
            & > .device-tree--guides { color: $surface-lighten-3; }
        }
        &:light > .device-tree--guides { color: $surface-darken-1; }
    }
    DeviceTree:ansi {
        color: ansi_default;
        & > .device-tree--guides { color: $ansi-background; }
        &:nocolor > .device-tree--cursor { text-style: reverse; }
    }
    """

    class LoadPoints(Message):
        def __init__(self, instance: int) -> None:
            super().__init__()
            self.instance = instance

    class PointOpened(Message):
        """Enter on a point, or Tab: go to the points (the row and its priority array)."""

    class ManageDevice(Message):
        """``m`` on a device (or anything under it): time sync, DCC, reinitialize, BBMD tables."""

        def __init__(self, instance: int) -> None:
            super().__init__()
            self.instance = instance

    # The node under the cursor. The pane watches it (a synchronous watcher, not a
    # message): the new selection's points are then in the same frame as the cursor.
    cursor_data: var[NodeData | None] = var(None, init=False)

    def __init__(self, site: Site, **kwargs) -> None:
        super().__init__(**kwargs)
        self.site = site
        self.outline = SiteOutline(site)
        self.cursor_line = 0
        self.hover_line = -1
        self._built_for: list[Line] | None = None
        self._sync_scheduled = False
        # Drawn lines, by line number: (cursor on it, mouse on it, focused) -> Strip. Cleared whenever
        # the lines, a label or the styles change; a cursor move draws two lines again.
        self._drawn: dict[int, tuple[tuple[bool, bool, bool], Strip]] = {}
        self._styles: tuple[Style, Style, Style, Style] | None = None

    COMMUNICATION_TICK = 5.0  # s between redraws of "comm disabled N min" (and its end)

    def on_mount(self) -> None:
        self.set_interval(self.COMMUNICATION_TICK, self.communication_tick)

    def communication_tick(self) -> None:
        """Count down the DCC disables this console sent; a run-out one is over (the device re-enabled itself)."""
        now = time.monotonic()
        changed = False
        for device in self.site.devices.values():
            if device.communication == "enable":
                continue
            changed = True
            if device.communication_until is not None and device.communication_until <= now:
                device.communication, device.communication_until = "enable", None
        if changed:
            self._drawn.clear()  # the countdown is in the labels
            self.refresh()

    # ----- what the pane tells the tree ---------------------------------------------------------------

    @property
    def filter_text(self) -> str:
        return self.outline.query.text

    def add_device(self, device: SiteDevice) -> None:
        """Add or relabel a device (devices are kept sorted by instance)."""
        self.outline.add_device(device.instance)
        self._lines_changed()

    def relabel(self, instance: int) -> None:
        self._drawn.clear()  # labels are drawn from the site; only the lines on screen are drawn again
        self.refresh()

    def show_points(self, instance: int) -> None:
        """The device's point list arrived (or was read again)."""
        self.outline.points_changed(instance)
        self._lines_changed()

    def apply_filter(self, text: str) -> int:
        """Show only devices and points matching ``text``; returns how many points match.

        A device matches by its instance or name (then all its points show) or
        through its points; the rest leave the tree until the filter is cleared,
        which brings the technician's own tree back with the cursor's node in it.
        """
        if not text.strip() and self.cursor_data is not None:
            self.outline.opened.update(self.outline.ancestors(self.cursor_data))
        matches = self.outline.set_filter(text)
        self._sync()
        self.scroll_to_cursor()
        return matches

    def set_open(self, data: NodeData, is_open: bool) -> None:
        self.outline.set_open(data, is_open)
        if is_open and data.kind == "device":
            device = self.site.devices.get(data.instance)
            if device is not None and device.points is None:
                self.post_message(self.LoadPoints(data.instance))
        self._lines_changed()

    def expand_all(self) -> None:
        """Open every network, device and group (points not read yet are asked for)."""
        pending = [ROOT]
        while pending:
            node = pending.pop()
            for child in self.outline.children(node):
                if child.kind in ("network", "device", "group"):
                    self.set_open(child, True)
                    pending.append(child)

    def select_point(self, instance: int, object_id: str) -> bool:
        """Move the cursor to a point (opening its device and group); False if the tree has no such line."""
        point = self.site.point(instance, object_id)
        if point is None or not self.outline.has_device(instance):
            return False
        data = NodeData("point", instance, point.object_type, point.object_id)
        self.outline.reveal(data)
        if self.outline.index_of(data) is None:
            return False  # the filter hides it
        self.move_cursor(data)
        return True

    # ----- nodes --------------------------------------------------------------------------------------

    @property
    def root(self) -> SiteNode:
        return SiteNode(self, ROOT)

    @property
    def cursor_node(self) -> SiteNode | None:
        self._sync()
        return SiteNode(self, self.cursor_data) if self.cursor_data is not None else None

    def device_node(self, instance: int) -> SiteNode | None:
        return SiteNode(self, NodeData("device", instance)) if self.outline.has_device(instance) else None

    @property
    def last_line(self) -> int:
        return len(self.outline.lines) - 1

    def move_cursor(self, node: SiteNode | NodeData | None) -> None:
        data = node.data if isinstance(node, SiteNode) else node
        if data is None:
            return
        self.outline.reveal(data)
        self._sync()
        line = self.outline.index_of(data)
        if line is not None:
            self._set_cursor(line)

    # ----- the cursor ---------------------------------------------------------------------------------

    def _lines_changed(self) -> None:
        """The outline changed: draw again, and put the cursor right once the current work is done."""
        self.refresh()
        if not self._sync_scheduled:
            self._sync_scheduled = True
            self.call_later(self._sync)

    def _place(self) -> list[Line]:
        """New lines: size the scroll area and find the cursor's node in them (it does not change node)."""
        lines = self.outline.lines
        if lines is not self._built_for:
            self._built_for = lines
            self._drawn.clear()
            self.virtual_size = Size(self.size.width, len(lines))
            line = self.outline.index_of(self.cursor_data)
            self.cursor_line = line if line is not None else max(0, min(self.cursor_line, len(lines) - 1))
        return lines

    def _sync(self) -> None:
        """The cursor stays on its node, or goes to the nearest one still shown."""
        self._sync_scheduled = False
        lines = self._place()
        if self.cursor_data is not None and self.outline.index_of(self.cursor_data) is not None:
            return
        line = next((self.outline.index_of(a) for a in reversed(self.outline.ancestors(self.cursor_data))
                     if self.outline.index_of(a) is not None), None) if self.cursor_data is not None else None
        if line is None:
            line = self._first_device_line(lines) if self.cursor_data is None else self.cursor_line
        self._set_cursor(line, scroll=False)

    @staticmethod
    def _first_device_line(lines: list[Line]) -> int:
        # A technician starts on the first device, not on the network heading.
        return next((number for number, line in enumerate(lines) if line.data.kind == "device"), 0)

    def _set_cursor(self, line: int, scroll: bool = True) -> None:
        lines = self.outline.lines
        if not lines:
            self.cursor_data = None
            return
        line = max(0, min(line, len(lines) - 1))
        data = lines[line].data
        if self.cursor_data is None and data.kind == "network":
            return  # nothing to show yet: wait for a device to start on
        self.cursor_line = line
        if scroll:
            self.scroll_to_cursor()
        self.cursor_data = data
        self.refresh()

    def scroll_to_cursor(self) -> None:
        self.scroll_to_region(Region(0, self.cursor_line, max(1, self.size.width), 1), animate=False, force=True)

    @property
    def _cursor_line_data(self) -> Line | None:
        self._sync()
        lines = self.outline.lines
        return lines[self.cursor_line] if 0 <= self.cursor_line < len(lines) else None

    # ----- keys and mouse -----------------------------------------------------------------------------

    def action_cursor(self, step: int) -> None:
        self._sync()
        self._set_cursor(self.cursor_line + step)

    def action_page(self, direction: int) -> None:
        self._sync()
        self._set_cursor(self.cursor_line + direction * max(1, self.scrollable_content_region.height - 1))

    def action_first(self) -> None:
        self._set_cursor(0)

    def action_last(self) -> None:
        self._set_cursor(len(self.outline.lines) - 1)

    def action_close_or_parent(self) -> None:
        line = self._cursor_line_data
        if line is None:
            return
        if line.expanded:
            self.set_open(line.data, False)
        else:
            self.action_parent()

    def action_open_or_child(self) -> None:
        line = self._cursor_line_data
        if line is None or not line.expandable:
            return
        if not line.expanded:
            self.set_open(line.data, True)
        else:
            self.action_cursor(1)

    def action_parent(self) -> None:
        if self.cursor_data is not None:
            parent = self.outline.parent(self.cursor_data)
            if parent is not None and parent.kind != "site":
                self.move_cursor(parent)

    def action_select(self) -> None:
        line = self._cursor_line_data
        if line is None:
            return
        if line.data.kind == "point":
            self.post_message(self.PointOpened())
        elif line.expandable:
            self.set_open(line.data, not line.expanded)

    def action_toggle(self) -> None:
        line = self._cursor_line_data
        if line is not None and line.expandable:
            self.set_open(line.data, not line.expanded)

    def action_open_points(self) -> None:
        self.post_message(self.PointOpened())

    def action_refresh_device(self) -> None:
        if self.cursor_data is not None and self.cursor_data.instance is not None:
            self.post_message(self.LoadPoints(self.cursor_data.instance))

    def action_manage(self) -> None:
        if self.cursor_data is not None and self.cursor_data.instance is not None:
            self.post_message(self.ManageDevice(self.cursor_data.instance))

    def on_click(self, event: events.Click) -> None:
        meta = event.style.meta
        if "line" not in meta:
            return
        self._sync()
        lines = self.outline.lines
        if not 0 <= meta["line"] < len(lines):
            return
        if meta.get("toggle"):
            line = lines[meta["line"]]
            self.set_open(line.data, not line.expanded)
            return
        self._set_cursor(meta["line"])
        self.action_select()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        line = event.style.meta.get("line", -1)
        if line != self.hover_line:
            self.hover_line = line
            self.refresh()

    def on_leave(self) -> None:
        self.hover_line = -1
        self.refresh()

    def on_resize(self) -> None:
        self._built_for = None  # the virtual width follows the widget's
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn.clear()  # a new theme

    # ----- drawing ----------------------------------------------------------------------------------------

    def label(self, data: NodeData) -> Text:
        return node_label(self.site, self.outline, data)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._place()
        # Once a frame, not once a line: rich_style walks the ancestors.
        self._styles = (self.rich_style, self.get_component_rich_style("device-tree--guides", partial=True),
                        self.get_component_rich_style("device-tree--cursor", partial=False),
                        self.get_component_rich_style("device-tree--hover"))
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        number = self.scroll_offset.y + y
        lines = self.outline.lines
        if number >= len(lines):
            return Strip.blank(self.size.width, self._styles[0])
        state = (number == self.cursor_line, number == self.hover_line, self.has_focus)
        drawn = self._drawn.get(number)
        if drawn is None or drawn[0] != state:
            if len(self._drawn) > 4 * max(50, self.size.height):
                self._drawn.clear()  # bounded: only lines recently on screen are worth keeping
            drawn = self._drawn[number] = (state, self._draw(number, lines[number], *state))
        return drawn[1]

    def _draw(self, number: int, line: Line, cursor: bool, hover: bool, focused: bool) -> Strip:
        base, guides_style, cursor_style, hover_style = self._styles
        width = self.size.width
        line_style = base + Style(meta={"line": number})
        if hover:
            line_style += hover_style
        text = Text(style=line_style, no_wrap=True, overflow="ellipsis", end="")
        if line.last:
            text.append("".join("  " if last else "│ " for last in line.last[:-1]), guides_style)
            text.append("└ " if line.last[-1] else "├ ", guides_style)
        if line.expandable:
            text.append(OPEN_ICON if line.expanded else CLOSED_ICON, TOGGLE)
        label = self.label(line.data)
        if cursor:
            label.stylize(cursor_style)
        text.append_text(label)
        text.truncate(width, overflow="ellipsis")
        return Strip(text.render(self.app.console), text.cell_len).extend_cell_length(width, line_style)
