"""The runner pane's tables: ASO instances and the overrides one of them holds.

Keys post messages (load, start, stop, release); the pane acts on them.
Column widths are fixed because cells change after a row is added.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from aso_runtime.aso import Override
from aso_runtime.bacnet import short_id

from aso_runtime.verbs.text import PointLabels

from .point_table import cell_value

STATE_STYLES = {"running": "bold green", "disabled": "bold yellow", "faulted": "bold red", "stopping": "yellow",
                "starting": "cyan", "stopped": "dim", "loaded": "", "orphan": "bold red"}

# (key, label, width): fixed widths, since cells change after the row is added.
# What a technician needs first comes first: at 80 columns Held and Last error stay on screen.
INSTANCE_COLUMNS = (("name", "Name", 16), ("state", "State", 8), ("held", "Held", 4), ("error", "Last error", 30),
                    ("steps", "Steps", 6), ("last", "Last step", 9), ("dur", "ms", 5), ("enable", "Enable", 8),
                    ("class", "Class", 16), ("source", "Source", 24))
OVERRIDE_COLUMNS = (("point", "Point", 12), ("priority", "P", 2), ("value", "Value", 7), ("since", "Since", 8),
                    ("status", "Status", 20))


def pending_summary(reason: str) -> str:
    """'pending #3 no answer': the attempt and the cause, short enough for the Status column.

    The full reason is in the ASO's log and in the quit prompt.
    """
    attempt = re.search(r"attempt ([0-9]+)", reason)
    number = f" #{attempt.group(1)}" if attempt else ""
    if "no answer" in reason:
        cause = "no answer"
    else:
        code = re.search(r": ([a-z-]+-[a-z-]+)", reason)  # an error code such as write-access-denied
        cause = code.group(1) if code else "failed"
    return f"pending{number} {cause}"


def held_cell(held: int, pending: int) -> Text:
    """Held count; red with a '!' while some of its releases are pending (the device did not confirm)."""
    return Text(f"{held}!", style="bold red") if pending else Text(str(held))


def clock(timestamp: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(timestamp)) if timestamp else "-"


class InstanceTable(DataTable):
    BINDINGS = [
        Binding("l", "load", "Load", id="runner.load"),
        Binding("s", "start", "Start", id="runner.start"),
        Binding("t", "stop", "Stop", id="runner.stop"),
        Binding("R", "restart", "Restart", id="runner.restart"),
        Binding("a", "combined", "All logs", id="runner.combined"),
    ]

    class Action(Message):
        def __init__(self, action: str, name: str | None) -> None:
            super().__init__()
            self.action = action
            self.name = name

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", **kwargs)

    def on_mount(self) -> None:
        for key, label, width in INSTANCE_COLUMNS:
            self.add_column(label, key=key, width=width)

    def selected(self) -> str | None:
        if self.row_count == 0 or self.cursor_row < 0:
            return None
        return str(self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value)

    def _post(self, action: str) -> None:
        self.post_message(self.Action(action, self.selected()))

    def action_load(self) -> None:
        self._post("load")

    def action_start(self) -> None:
        self._post("start")

    def action_stop(self) -> None:
        self._post("stop")

    def action_restart(self) -> None:
        self._post("restart")

    def action_combined(self) -> None:
        self._post("combined")

    def show_instances(self, snapshots: dict[str, dict[str, Any]], orphans: dict[str, list[Override]]) -> None:
        """One row per loaded ASO (its snapshot), then one per ASO of a previous run still holding overrides."""
        rows = {name: _instance_cells(name, snap) for name, snap in snapshots.items()}
        rows.update({name: _orphan_cells(name, held) for name, held in orphans.items() if name not in rows})
        for name, cells in rows.items():
            if name not in self.rows:
                self.add_row(*(cells[key] for key, _, _ in INSTANCE_COLUMNS), key=name)
            else:
                for column, value in cells.items():
                    self.update_cell(name, column, value)
        for key in [k.value for k in self.rows if k.value not in rows]:
            self.remove_row(key)


def _instance_cells(name: str, snap: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name, "class": snap["class"],
        "state": Text(snap["state"], style=STATE_STYLES.get(snap["state"], "")),
        "steps": str(snap["steps"]), "last": clock(snap["last_step_at"]),
        "dur": "-" if snap["last_step_duration"] is None else f"{snap['last_step_duration'] * 1000:.0f}",
        "enable": Text("active" if snap["enabled"] else "inactive", style="" if snap["enabled"] else "bold yellow"),
        "held": held_cell(snap["overrides"], snap["pending"]),
        "error": Text(snap["last_error"] or "", style="red"),
        "source": snap["source"],
    }


def _orphan_cells(name: str, held: list[Override]) -> dict[str, Any]:
    """A previous run's ASO whose overrides are still being released (they are never hidden)."""
    pending = [o for o in held if o.pending]
    return {
        "name": name, "class": "-", "state": Text("orphan", style=STATE_STYLES["orphan"]), "steps": "-",
        "last": "-", "dur": "-", "enable": "-", "held": held_cell(len(held), len(pending)),
        "error": Text(pending[0].pending if pending else "", style="red"), "source": "a previous run",
    }


class OverrideTable(DataTable):
    BINDINGS = [
        Binding("u", "release_one", "Release now", id="runner.release_one"),
        Binding("U", "release_all", "Release all", id="runner.release_all"),
    ]

    class Release(Message):
        def __init__(self, key: str | None) -> None:
            super().__init__()
            self.key = key  # None: all

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", **kwargs)

    def on_mount(self) -> None:
        for key, label, width in OVERRIDE_COLUMNS:
            self.add_column(label, key=key, width=width)

    def action_release_one(self) -> None:
        if self.row_count and self.cursor_row >= 0:
            self.post_message(self.Release(str(self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value)))

    def action_release_all(self) -> None:
        self.post_message(self.Release(None))

    def show_overrides(self, held: list[Override], checked: dict[str, str],
                       labels: Callable[[Override], PointLabels] | None = None) -> None:
        """The overrides one ASO holds; ``checked`` is the last winning/conflict check per key;
        ``labels`` gives a point's words (``Off`` rather than ``inactive``) where they are known."""
        keys = set()
        for override in held:
            key = override_key(override)
            keys.add(key)
            if override.pending:
                status = Text(pending_summary(override.pending), style="bold red")
            else:
                found = checked.get(key, "")
                status = Text(found, style="bold red" if "conflict" in found else "green")
            cells = [f"{override.device} {short_id(override.object_id)}", str(override.priority),
                     cell_value(override.value, labels(override) if labels else None), clock(override.since), status]
            if key not in self.rows:
                self.add_row(*cells, key=key)
            else:
                for (column, _, _), value in zip(OVERRIDE_COLUMNS, cells):
                    self.update_cell(key, column, value)
        for key in [k.value for k in self.rows if k.value not in keys]:
            self.remove_row(key)


def override_key(override: Override) -> str:
    return f"{override.aso}|{override.device}|{override.object_id}|{override.priority}"
