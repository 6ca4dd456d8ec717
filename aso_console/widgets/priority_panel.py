"""The priority-array panel: 16 slots with their standard names, the winner highlighted.

Write at the highlighted slot (``w`` / enter) through a modal; release it
(``x`` / delete). After each, the app reads the array back and shows it.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable

from aso_runtime.bacnet import PriorityArray
from aso_runtime.verbs.text import PointLabels, format_value, slot_rows

from .info_line import InfoLine


class SlotTable(DataTable):
    BINDINGS = [
        Binding("w", "write_slot", "Write slot", id="pa.write"),
        Binding("x,delete", "release_slot", "Release slot", id="pa.release"),
        Binding("escape", "back", "Tree", show=False, id="pa.back"),
    ]

    class Back(Message):
        """Esc: back to the tree."""

    class WriteSlot(Message):
        def __init__(self, priority: int) -> None:
            super().__init__()
            self.priority = priority

    class ReleaseSlot(Message):
        def __init__(self, priority: int) -> None:
            super().__init__()
            self.priority = priority

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", **kwargs)

    def on_mount(self) -> None:
        self.add_column("P", key="p", width=2)
        self.add_column("Level", key="name", width=26)
        self.add_column("Value", key="value", width=22)
        for priority in range(1, 17):
            self.add_row(str(priority), "", "", key=str(priority))

    @property
    def slot(self) -> int:
        return self.cursor_row + 1

    def action_back(self) -> None:
        self.post_message(self.Back())

    def action_write_slot(self) -> None:
        self.post_message(self.WriteSlot(self.slot))

    def action_release_slot(self) -> None:
        self.post_message(self.ReleaseSlot(self.slot))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.WriteSlot(self.slot))


class PriorityPanel(Vertical):
    """Header (point, present value, relinquish default, current command priority) and the slots."""

    DEFAULT_CSS = """
    PriorityPanel { height: auto; }
    PriorityPanel #pa-header { height: 2; padding: 0 1; background: $boost; }
    PriorityPanel SlotTable { height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.instance: int | None = None
        self.object_id: str | None = None
        self.point_name: str = ""
        self.array: PriorityArray | None = None

    def compose(self) -> ComposeResult:
        # Two fixed lines: the header changes with every point chosen, and a Static
        # would ask for a layout of the whole screen each time.
        yield InfoLine(id="pa-header")
        yield SlotTable(id="pa-slots")

    def on_mount(self) -> None:
        self.query_one("#pa-header", InfoLine).update("Select a commandable point to see its priority array")

    def clear(self, message: str) -> None:
        self.query_one("#pa-header", InfoLine).update(Text(message, style="dim"))
        if self.object_id is None and self.array is None:
            return  # the slots are empty already: moving between devices repaints nothing more
        self.instance = self.object_id = None
        self.array = None
        table = self.query_one(SlotTable)
        for priority in range(1, 17):
            table.update_cell(str(priority), "name", "")
            table.update_cell(str(priority), "value", "")

    def show(self, instance: int, object_id: str, name: str, array: PriorityArray,
             labels: PointLabels | None = None) -> None:
        """The array, its values in the point's words (``active (Running)``, ``2 (unoccupied)``, ``55 %``)."""
        self.instance, self.object_id, self.point_name, self.array = instance, object_id, name, array
        winning = array.winning
        header = Text.assemble(
            (f"{name} ", "bold"), (f"{object_id} @ {instance}\n", "dim"),
            "PV ", (format_value(array.present_value, labels), "bold"),
            "  Relinquish default ", (format_value(array.relinquish_default, labels), "bold"),
            "  Command priority ", (str(array.current_command_priority or "-"), "bold red" if winning else "dim"),
        )
        self.query_one("#pa-header", InfoLine).update(header)
        table = self.query_one(SlotTable)
        for row in slot_rows(array, labels):
            style = "bold reverse" if row.in_control else ("" if row.active else "dim")
            table.update_cell(str(row.priority), "name", Text(row.name, style=style))
            table.update_cell(str(row.priority), "value", Text(row.value if row.active else "null", style=style))
        if not table.has_focus:  # start on the slot in control (or the operator's)
            table.move_cursor(row=(winning.priority if winning else 8) - 1)
