"""The point table: name, object id, present value, units, flags, OOS, override.

A Line-API widget over a plain row model: the points it was given and the
shared live dict. Only the lines on screen are rendered, from the live dict
at the time they are drawn, so choosing a group of 2,000 points is list work
(a DataTable measured all 14,000 cells: ~300 ms). Column widths are fixed,
so live updates never reflow the table; ``update_point`` redraws one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from aso_runtime.bacnet import ObjectInfo, is_commandable, short_id
from aso_runtime.verbs.text import PointLabels, format_value, units_symbol

from ..history import PointHistory

# (key, label, width): fixed, so live updates never reflow the table.
COLUMNS = (("name", "Name", 30), ("object", "Object", 7), ("value", "Value", 10), ("units", "Units", 5),
           ("flags", "Flags", 5), ("oos", "OOS", 3), ("override", "Cmd", 3), ("trend", "Trend", 10))
TREND_ROOM = 28  # the sparkline column is drawn only when the name column keeps this much
PADDING = 1  # blank cells each side of a cell, as a DataTable has
_HEADER = -1  # the header's slot in the line cache
_NO_STATE: dict = {}


def row_key(instance: int, object_id: str) -> str:
    return f"{instance}/{object_id}"


def cell_value(value: Any, labels: PointLabels | None = None) -> str:
    """A value in a narrow cell: ``72.5``, ``Running``, ``occupied``; ``-`` when not read yet."""
    return "-" if value is None else format_value(value, labels, short=True, units=False, places=2)


def format_flags(flags: list[str] | None) -> Text:
    if not flags:
        return Text("")
    short = {"in-alarm": "A", "fault": "F", "overridden": "O", "out-of-service": "S"}
    return Text("".join(short.get(f, "?") for f in flags), style="bold red")


def override_cell(priority: int | None, commandable: bool) -> Text:
    """'@8' in warning colour for an active command below relinquish default."""
    if not commandable:
        return Text("")
    if priority is None:
        return Text("-", style="dim")
    # Operator and above stand out; 16 is usually the controller's own program.
    style = "bold red" if priority <= 8 else "dim" if priority == 16 else "bold yellow"
    return Text(f"@{priority}", style=style)


def _no_labels(instance: int, object_id: str) -> PointLabels:
    return PointLabels()


class PointTable(ScrollView, can_focus=True):
    """Points of the selected device or group, live-updated line by line.

    Line 0 is the header and stays put; row ``r`` is drawn on line
    ``r + 1 - scroll_y``. The cursor is one row, kept in view.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "write", "Write", id="points.write"),
        Binding("escape", "back", "Tree", show=False, id="points.back"),
        Binding("enter", "open", "Priority array", show=False, id="points.open"),
        Binding("up", "cursor_up", "Up", show=False, id="points.up"),
        Binding("down", "cursor_down", "Down", show=False, id="points.down"),
        Binding("pageup", "cursor_page_up", "Page up", show=False, id="points.page_up"),
        Binding("pagedown", "cursor_page_down", "Page down", show=False, id="points.page_down"),
        Binding("home,ctrl+home", "cursor_first", "First", show=False, id="points.first"),
        Binding("end,ctrl+end", "cursor_last", "Last", show=False, id="points.last"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "point-table--header",
        "point-table--cursor",
        "point-table--even-row",
        "point-table--odd-row",
    }

    # Textual's DataTable look: the cursor is strong only while the table has the focus.
    DEFAULT_CSS = """
    PointTable {
        background: $surface;
        color: $foreground;
        & > .point-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .point-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .point-table--even-row { background: $surface-lighten-1 50%; }
        &:dark > .point-table--even-row { background: $surface-darken-1 40%; }
        & > .point-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .point-table--header { background-tint: $foreground 5%; }
            & > .point-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    class Back(Message):
        """Esc: back to the tree (in the narrow layout the tree comes back on screen)."""

    class PointHighlighted(Message):
        """The cursor is on a point (it moved, or ``show`` filled the rows)."""

        def __init__(self, instance: int, object_id: str) -> None:
            super().__init__()
            self.instance = instance
            self.object_id = object_id

    class WriteRequested(Message):
        def __init__(self, instance: int, object_id: str) -> None:
            super().__init__()
            self.instance = instance
            self.object_id = object_id

    class OpenRequested(Message):
        """Enter on a row, or a click on the row under the cursor: open its priority array."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows_shown: list[tuple[int, str]] = []
        self._points: list[tuple[int, ObjectInfo]] = []
        self._live: dict = {}
        self._rows: dict[str, int] = {}  # row key -> row
        self._stale: set[int] = set()  # devices whose rows show the last reading of a device that stopped answering
        self._labels: Callable[[int, str], PointLabels] = _no_labels
        self._cursor = 0
        self._fitted = COLUMNS[0][2]
        self._columns = tuple(key for key, _, _ in COLUMNS if key != "trend")  # shown, in order
        self.history: PointHistory | None = None  # the site's; the sparkline column reads it
        self._lines: dict[int, tuple[tuple, Strip]] = {}  # row -> (what it was drawn for, strip)
        self._pseudo_state: Any = None

    # ----- columns -----------------------------------------------------------------------------

    def _name_width(self, columns: tuple[str, ...]) -> int:
        """The name column takes what the fixed columns leave (at 80 columns too)."""
        fixed = sum(width + 2 * PADDING for key, _, width in COLUMNS if key != "name" and key in columns)
        available = self.size.width - fixed - 2 - 3 if self.size.width else COLUMNS[0][2]  # own padding, scrollbar
        return max(10, min(40, available))

    def column_widths(self) -> list[tuple[str, int]]:
        """(label, width) of each column shown, in order; the width is the text's, without the cell padding."""
        return [(label, self._fitted if key == "name" else width) for key, label, width in COLUMNS
                if key in self._columns]

    def _table_width(self) -> int:
        return sum(width + 2 * PADDING for _, width in self.column_widths())

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self._table_width(), len(self._points) + 1)

    def on_resize(self) -> None:
        every = tuple(key for key, _, _ in COLUMNS)
        columns = every if self._name_width(every) >= TREND_ROOM else tuple(k for k in every if k != "trend")
        fitted = self._name_width(columns)
        if (fitted, columns) != (self._fitted, self._columns):
            self._fitted, self._columns = fitted, columns
            self._lines.clear()
            self._update_virtual_size()
        self._scroll_cursor_into_view()

    # ----- rows --------------------------------------------------------------------------------

    def show(self, points: list[tuple[int, ObjectInfo]], live: dict, offline: bool = False,
             labels: Callable[[int, str], PointLabels] | None = None) -> None:
        """Replace the rows (selection changed); the cursor goes to the first row.

        ``live``: the site's live dict, ``(instance, object_id) -> state``, read
        whenever a row is drawn; ``offline``: their device does not answer (values
        are stale); ``labels(instance, object_id)``: the point's words, so a binary
        shows ``Running`` and a multi-state ``occupied`` instead of raw values.
        """
        self._points = list(points)
        self._live = live
        self._labels = labels or _no_labels
        self.rows_shown = [(instance, point.object_id) for instance, point in self._points]
        self._rows = {row_key(instance, object_id): row for row, (instance, object_id) in enumerate(self.rows_shown)}
        self._stale = {instance for instance, _ in self.rows_shown} if offline else set()
        self._lines.clear()
        self._cursor = 0
        self._update_virtual_size()
        self.scroll_to(0, 0, animate=False, force=True)
        self.refresh()
        if self.rows_shown:
            self.post_message(self.PointHighlighted(*self.rows_shown[0]))

    @property
    def row_count(self) -> int:
        return len(self._points)

    def update_point(self, instance: int, object_id: str) -> None:
        """Redraw one row (if shown) after its live state changed (read again from the site when drawn)."""
        row = self._rows.get(row_key(instance, object_id))
        if row is not None:
            self._refresh_row(row)

    def mark_offline(self, instance: int, offline: bool) -> None:
        """Mark (or clear) the device's rows as stale: values dim, struck through, with a ``?``."""
        if offline == (instance in self._stale):
            return
        self._stale.symmetric_difference_update({instance})
        if any(row_instance == instance for row_instance, _ in self.rows_shown):
            self._lines.clear()  # usually every row is that device's: one refresh, not one a row
            self.refresh()

    def _refresh_row(self, row: int) -> None:
        self._lines.pop(row, None)
        self.refresh_line(row + 1)

    def visible_points(self, margin: int = 10) -> list[tuple[int, str]]:
        """Points on screen now (plus a margin), for the live poller."""
        top = int(self.scroll_offset.y)
        height = max(1, self.size.height)
        return self.rows_shown[max(0, top - margin): top + height + margin]

    def current(self) -> tuple[int, str] | None:
        """(instance, object_id) under the cursor; None when the table is empty."""
        if not self.rows_shown or not 0 <= self._cursor < len(self.rows_shown):
            return None
        return self.rows_shown[self._cursor]

    def get_cell(self, row_key: str, column_key: str) -> Text:
        """The cell as drawn now (``55``, ``occupied``, ``72.5?`` when stale); KeyError if not shown."""
        if row_key not in self._rows:
            raise KeyError(f"no row {row_key!r}")
        return self._cells(self._rows[row_key])[self._columns.index(column_key)]

    def _cells(self, row: int) -> tuple[Text, ...]:
        # Text cells: the values are data, never markup.
        instance, point = self._points[row]
        state = self._live.get((instance, point.object_id), _NO_STATE)
        cells = {
            "name": lambda: Text(point.name or ""),
            "object": lambda: Text(short_id(point.object_id)),
            "value": lambda: self._value_cell(instance, point.object_id,
                                              state.get("present-value", point.present_value)),
            "units": lambda: Text(units_symbol(point.units)),
            "flags": lambda: format_flags(state.get("status-flags", point.status_flags)),
            "oos": lambda: Text("OOS", style="bold yellow") if state.get("out-of-service", point.out_of_service)
            else Text(""),
            "override": lambda: override_cell(state.get("ccp"), is_commandable(point.oid)),
            "trend": lambda: Text(self.history.sparkline((instance, point.object_id), COLUMNS[-1][2])
                                  if self.history is not None else "", style="cyan"),
        }
        return tuple(cells[key]() for key in self._columns)

    def _value_cell(self, instance: int, object_id: str, value: Any) -> Text:
        text = cell_value(value, self._labels(instance, object_id))
        if instance in self._stale:  # the device does not answer: the last reading, marked as such
            return Text(text + "?", style="dim strike")
        return Text(text)

    # ----- cursor ------------------------------------------------------------------------------

    @property
    def cursor_row(self) -> int:
        return self._cursor

    def move_cursor(self, *, row: int | None = None, animate: bool = False, scroll: bool = True) -> None:
        """Put the cursor on ``row`` (clamped to the rows) and keep it in view."""
        if row is None or not self._points:
            return
        row = max(0, min(row, len(self._points) - 1))
        if row != self._cursor:
            previous, self._cursor = self._cursor, row
            self.refresh_line(previous + 1)
            self.refresh_line(row + 1)
            self.post_message(self.PointHighlighted(*self.rows_shown[row]))
        if scroll:
            self._scroll_cursor_into_view(animate)

    def _rows_on_screen(self) -> int:
        return self.scrollable_content_region.height - 1  # under the header

    def _scroll_cursor_into_view(self, animate: bool = False) -> None:
        height = self._rows_on_screen()
        if height <= 0 or not self._points:
            return  # not laid out yet: on_resize does it
        top = self.scroll_offset.y
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=animate, force=True)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=animate, force=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self._cursor + 1)

    def action_cursor_page_up(self) -> None:
        self._page(-1)

    def action_cursor_page_down(self) -> None:
        self._page(1)

    def _page(self, direction: int) -> None:
        # The rows scroll by a page and the cursor stays on the same line of the screen.
        page = max(1, self._rows_on_screen())
        self.scroll_to(y=self.scroll_offset.y + direction * page, animate=False, force=True)
        self.move_cursor(row=self._cursor + direction * page)

    def action_cursor_first(self) -> None:
        self.move_cursor(row=0)

    def action_cursor_last(self) -> None:
        self.move_cursor(row=len(self._points) - 1)

    def on_click(self, event: events.Click) -> None:
        row = event.style.meta.get("row", _HEADER)
        if row == _HEADER or row >= len(self._points):
            return
        event.stop()
        if row == self._cursor:
            self.post_message(self.OpenRequested())
        else:
            self.move_cursor(row=row)

    def action_back(self) -> None:
        self.post_message(self.Back())

    def action_open(self) -> None:
        if self.current() is not None:
            self.post_message(self.OpenRequested())

    def action_write(self) -> None:
        current = self.current()
        if current is not None:
            self.post_message(self.WriteRequested(*current))

    # ----- drawing -----------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()  # a new theme, or the focus changed the cursor's style

    def render_lines(self, crop: Region) -> list[Strip]:
        self._pseudo_state = self.get_pseudo_class_state()
        self._base_style = self.rich_style  # once a frame, not once a line: it walks the ancestors
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        row = _HEADER if y == 0 else scroll_y + y - 1
        if row >= len(self._points):
            return Strip.blank(width, self._base_style)
        drawn_for = (row == self._cursor, width, self._fitted, self._columns, self._pseudo_state)
        cached = self._lines.get(row)
        if cached is not None and cached[0] == drawn_for:
            strip = cached[1]
        else:
            strip = self._render_row(row, width)
            if len(self._lines) > 4 * max(50, self.size.height):
                self._lines.clear()  # bounded: only lines recently on screen are worth keeping
            self._lines[row] = (drawn_for, strip)
        return strip.crop_extend(scroll_x, scroll_x + width, self._base_style)

    def _render_row(self, row: int, width: int) -> Strip:
        """One row (or the header) across the widget, styled as a DataTable styles it.

        Each cell carries its row and column as meta, as DataTable's do: a click
        reads its row from there.
        """
        style = self.get_component_rich_style
        post = Style.null()
        if row == _HEADER:
            cells = tuple(Text(label) for key, label, _ in COLUMNS if key in self._columns)
            pre = style("point-table--header")
        else:
            cells = self._cells(row)
            pre = style("point-table--odd-row" if row % 2 else "point-table--even-row")
            if row == self._cursor:
                cursor = style("point-table--cursor")
                pre += cursor
                post = Style.from_color(cursor.color)  # the cursor's colour wins over the cell's, as in DataTable
        get_style = self.app.console.get_style
        segments: list[Segment] = []
        for column, (cell, (_, cell_width)) in enumerate(zip(cells, self.column_widths())):
            if cell.cell_len > cell_width:
                cell.truncate(cell_width, overflow="ellipsis")
            cell_pre = pre + Style.from_meta({"row": row, "column": column})
            text_style = cell_pre + get_style(cell.style, default=Style.null())
            blank = cell_pre + post
            segments.append(Segment(" " * PADDING, blank))
            segments.extend(Segment(part.text, text_style + part.style + post) for part in cell.render(self.app.console))
            segments.append(Segment(" " * (cell_width - cell.cell_len + PADDING), blank))
        table_width = self._table_width()
        if width > table_width:  # the row's colour runs to the right edge
            segments.append(Segment(" " * (width - table_width), pre + Style.from_meta({"row": row})))
        return Strip(segments, max(width, table_width)).simplify()
