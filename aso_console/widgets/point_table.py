"""The point table: name, object id, present value, units, flags, OOS, override.

Rows are keyed by ``instance/object_id`` and updated in place; the table is
only rebuilt when the selection (device or group) changes, never per tick.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from aso_runtime.bacnet import ObjectInfo
from aso_runtime.bacnet.ids import short_id

from ..site import is_commandable_type

# (key, label, width): fixed, so live updates never reflow the table.
COLUMNS = (("name", "Name", 30), ("object", "Object", 7), ("value", "Value", 7), ("units", "Units", 5),
           ("flags", "Flags", 5), ("oos", "OOS", 3), ("override", "Cmd", 3))

UNIT_SHORT = {
    "degrees-fahrenheit": "°F", "degrees-celsius": "°C", "percent": "%", "cubic-feet-per-minute": "cfm",
    "inches-of-water": "inH2O", "kilowatts": "kW", "kilowatt-hours": "kWh", "no-units": "",
    "percent-relative-humidity": "%RH", "parts-per-million": "ppm", "pascals": "Pa", "liters-per-second": "L/s",
    "gallons-per-minute": "gpm", "pounds-force-per-square-inch": "psi", "hertz": "Hz", "volts": "V", "amperes": "A",
    "degrees-fahrenheit-per-hour": "°F/h", "tons-refrigeration": "tons",
}


def row_key(instance: int, object_id: str) -> str:
    return f"{instance}/{object_id}"


def format_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.4g}"
    return str(value)


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
    ]

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
            self.show(*self._last)
            self.move_cursor(row=row)

    def show(self, points: list[tuple[int, ObjectInfo]], live: dict) -> None:
        """Replace the rows (selection changed)."""
        self._last = (points, live)
        self.clear()
        self.rows_shown = []
        for instance, point in points:
            state = live.get((instance, point.object_id), {})
            value = state.get("present-value", point.present_value)
            flags = state.get("status-flags", point.status_flags)
            # Text cells: plain strings would be parsed as markup, row by row.
            self.add_row(
                Text(point.name or ""),
                Text(short_id(point.object_id)),
                Text(format_value(value)),
                Text(UNIT_SHORT.get(point.units or "", point.units or "")),
                format_flags(flags),
                Text("OOS" if point.out_of_service else ""),
                override_cell(state.get("ccp"), is_commandable_type(point.object_id)),
                key=row_key(instance, point.object_id),
            )
            self.rows_shown.append((instance, point.object_id))

    def update_point(self, instance: int, object_id: str, state: dict) -> None:
        """Update one row in place from a live state dict."""
        key = row_key(instance, object_id)
        if key not in self.rows:
            return
        if "present-value" in state:
            self.update_cell(key, "value", Text(format_value(state["present-value"])))
        if "status-flags" in state:
            self.update_cell(key, "flags", format_flags(state["status-flags"]))
        if "out-of-service" in state:
            self.update_cell(key, "oos", Text("OOS" if state["out-of-service"] else ""))
        if "ccp" in state:
            self.update_cell(key, "override", override_cell(state["ccp"], is_commandable_type(object_id)))

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

    def action_write(self) -> None:
        current = self.current()
        if current is not None:
            self.post_message(self.WriteRequested(*current))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.OpenRequested())
