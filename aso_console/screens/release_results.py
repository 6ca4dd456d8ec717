"""What a release from the Overrides tab did, slot by slot: released, already empty, someone else's
value now, refused by the device, or no answer (and points put back in service)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from aso_runtime.closeout.release import ServiceReturn, SlotRelease

from .dialog import Dialog


@dataclass(frozen=True)
class ReleaseLine:
    device: int
    point: str
    priority: str  # "8", or "OOS"
    outcome: str
    detail: str
    ok: bool

    @classmethod
    def of(cls, result: SlotRelease | ServiceReturn) -> "ReleaseLine":
        target = result.slot if isinstance(result, SlotRelease) else result.point
        priority = str(result.slot.priority) if isinstance(result, SlotRelease) else "OOS"
        return cls(target.device, f"{target.object_name or ''} ({target.object_id})".strip(), priority,
                   result.text, result.detail, result.ok)


class ReleaseResultsScreen(Dialog[None]):
    DEFAULT_CSS = """
    ReleaseResultsScreen { align: center middle; }
    ReleaseResultsScreen > Vertical { width: 110; max-width: 100%; height: auto; max-height: 90%;
                                      border: thick $primary; background: $surface; padding: 0 1; }
    ReleaseResultsScreen DataTable { height: auto; max-height: 20; }
    """
    BINDINGS = [Binding("escape,enter", "close", "Close", id="results.close")]

    def __init__(self, lines: list[ReleaseLine]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        counts = Counter(line.outcome for line in self.lines)
        summary = ", ".join(f"{n} {what}" for what, n in counts.most_common())
        with Vertical():
            yield Label(Text(f"Release: {summary}", style="bold"), id="results-summary")
            yield DataTable(id="results", cursor_type="row")
            yield Label("Each read back from its device. Enter or Esc closes; the tab sweeps again.")

    def on_mount(self) -> None:
        table = self.query_one("#results", DataTable)
        table.add_columns("Device", "Point", "P", "Outcome", "Detail")
        for line in self.lines:
            style = "green" if line.ok else "bold red"
            table.add_row(str(line.device), line.point, line.priority, Text(line.outcome, style=style), line.detail)
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
