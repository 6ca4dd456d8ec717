"""The point table: name, object id, present value, units, flags, OOS, override.

Rows are keyed by ``instance/object_id`` and updated in place; the table is
only rebuilt when the selection (device or group) changes, never per tick.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from aso_runtime.bacnet import ObjectInfo
from aso_runtime.bacnet import is_commandable, parse_object_id, short_id
from aso_runtime.verbs.text import PointLabels, format_value, units_symbol


# (key, label, width): fixed, so live updates never reflow the table.
COLUMNS = (("name", "Name", 30), ("object", "Object", 7), ("value", "Value", 10), ("units", "Units", 5),
           ("flags", "Flags", 5), ("oos", "OOS", 3), ("override", "Cmd", 3))

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


class PointTable(DataTable):
    """Points of the selected device or group, live-updated cell by cell."""

    BINDINGS = [
        Binding("w", "write", "Write", id="points.write"),
        Binding("escape", "back", "Tree", show=False, id="points.back"),
    ]

    class Back(Message):
        """Esc: back to the tree (in the narrow layout the tree comes back on screen)."""

    class PointHighlighted(Message):
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
        pass

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.rows_shown: list[tuple[int, str]] = []
        self._last: tuple | None = None
        self._stale: set[int] = set()
        self._labels: Callable[[int, str], PointLabels] = lambda instance, object_id: PointLabels()  # devices whose rows show the last reading of a device that stopped answering

    def on_mount(self) -> None:
        self._add_columns()

    def _name_width(self) -> int:
        """The name column takes what the fixed columns leave (at 80 columns too)."""
        fixed = sum(width + 2 for key, _, width in COLUMNS if key != "name")
        available = self.size.width - fixed - 2 - 3 if self.size.width else COLUMNS[0][2]  # own padding, scrollbar
        return max(10, min(40, available))

    def _add_columns(self) -> None:
        self._fitted = self._name_width()
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=self._fitted if key == "name" else width)

    def on_resize(self) -> None:
        if self._name_width() != getattr(self, "_fitted", None) and self._last is not None:
            row = self.cursor_row
            self.clear(columns=True)
            self._add_columns()
            self.show(*self._last, offline=bool(self._stale), labels=self._labels)
            self.move_cursor(row=row)

    def show(self, points: list[tuple[int, ObjectInfo]], live: dict, offline: bool = False,
             labels: Callable[[int, str], PointLabels] | None = None) -> None:
        """Replace the rows (selection changed).

        ``offline``: their device does not answer (values are stale);
        ``labels(instance, object_id)``: the point's words, so a binary shows
        ``Running`` and a multi-state ``occupied`` instead of raw values.
        """
        self._last = (points, live)
        self._labels = labels or (lambda instance, object_id: PointLabels())
        self.clear()
        self.rows_shown = []
        self._stale = {instance for instance, _ in points} if offline else set()
        for instance, point in points:
            state = live.get((instance, point.object_id), {})
            value = state.get("present-value", point.present_value)
            flags = state.get("status-flags", point.status_flags)
            # Text cells: plain strings would be parsed as markup, row by row.
            self.add_row(
                Text(point.name or ""),
                Text(short_id(point.object_id)),
                self._value_cell(instance, point.object_id, value),
                Text(units_symbol(point.units)),
                format_flags(flags),
                Text("OOS" if point.out_of_service else ""),
                override_cell(state.get("ccp"), is_commandable(point.oid)),
                key=row_key(instance, point.object_id),
            )
            self.rows_shown.append((instance, point.object_id))

    def update_point(self, instance: int, object_id: str, state: dict) -> None:
        """Update one row in place from a live state dict."""
        key = row_key(instance, object_id)
        if key not in self.rows:
            return
        if "present-value" in state:
            self.update_cell(key, "value", self._value_cell(instance, object_id, state["present-value"]))
        if "status-flags" in state:
            self.update_cell(key, "flags", format_flags(state["status-flags"]))
        if "out-of-service" in state:
            self.update_cell(key, "oos", Text("OOS" if state["out-of-service"] else ""))
        if "ccp" in state:
            self.update_cell(key, "override", override_cell(state["ccp"], is_commandable(parse_object_id(object_id))))

    def _value_cell(self, instance: int, object_id: str, value: Any) -> Text:
        text = cell_value(value, self._labels(instance, object_id))
        if instance in self._stale:  # the device does not answer: the last reading, marked as such
            return Text(text + "?", style="dim strike")
        return Text(text)

    def mark_offline(self, instance: int, offline: bool) -> None:
        """Mark (or clear) the device's rows as stale, in place."""
        if offline == (instance in self._stale):
            return
        self._stale.symmetric_difference_update({instance})
        live = self._last[1] if self._last else {}
        for row_instance, object_id in self.rows_shown:
            if row_instance == instance:
                point_live = live.get((instance, object_id), {})
                value = point_live.get("present-value", self._present(instance, object_id))
                self.update_cell(row_key(instance, object_id), "value", self._value_cell(instance, object_id, value))

    def _present(self, instance: int, object_id: str) -> Any:
        for row_instance, point in self._last[0] if self._last else []:
            if row_instance == instance and point.object_id == object_id:
                return point.present_value
        return None

    def visible_points(self, margin: int = 10) -> list[tuple[int, str]]:
        """Points on screen now (plus a margin), for the live poller."""
        top = int(self.scroll_offset.y)
        height = max(1, self.size.height)
        return self.rows_shown[max(0, top - margin): top + height + margin]

    def current(self) -> tuple[int, str] | None:
        if not self.rows_shown or self.cursor_row < 0 or self.cursor_row >= len(self.rows_shown):
            return None
        return self.rows_shown[self.cursor_row]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        current = self.current()
        if current is not None:
            self.post_message(self.PointHighlighted(*current))

    def action_back(self) -> None:
        self.post_message(self.Back())

    def action_write(self) -> None:
        current = self.current()
        if current is not None:
            self.post_message(self.WriteRequested(*current))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.OpenRequested())
