"""The runner pane: ASO instances, their live logs, and the overrides they hold.

Fed by the runner's event stream: events are queued by a callback and
flushed on a timer in one batch (a chatty script cannot flood the screen).
Logs are kept per ASO (last lines survive a stop) and combined.
"""

from __future__ import annotations

import collections
import logging
import re
import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, RichLog, Static

from aso_runtime.aso import AsoEvent, AsoRunner
from aso_runtime.bacnet.ids import short_id

from .point_table import format_value

STATE_STYLES = {"running": "bold green", "disabled": "bold yellow", "faulted": "bold red", "stopping": "yellow",
                "starting": "cyan", "stopped": "dim", "loaded": ""}
LOG_LINES_KEPT = 2000

# (key, label, width): fixed widths, since cells change after the row is added.
INSTANCE_COLUMNS = (("name", "Name", 16), ("class", "Class", 16), ("state", "State", 8), ("steps", "Steps", 6),
                    ("last", "Last step", 9), ("dur", "ms", 5), ("enable", "Enable", 8), ("held", "Held", 4),
                    ("error", "Last error", 30), ("source", "Source", 24))
OVERRIDE_COLUMNS = (("point", "Point", 12), ("priority", "P", 2), ("value", "Value", 7), ("since", "Since", 8),
                    ("status", "Status", 20))


def _pending_summary(reason: str) -> str:
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


def _held_cell(held: int, pending: int) -> Text:
    """Held count; red with a '!' while some of its releases are pending (the device did not confirm)."""
    return Text(f"{held}!", style="bold red") if pending else Text(str(held))


def _clock(timestamp: float | None) -> str:
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


class RunnerPane(Vertical):
    DEFAULT_CSS = """
    RunnerPane #instances { height: 7; }
    RunnerPane #lower { height: 1fr; }
    RunnerPane #log-title, RunnerPane #overrides-title { height: 1; background: $boost; padding: 0 1; }
    RunnerPane #aso-log { height: 1fr; }
    RunnerPane #overrides-box { width: 45%; max-width: 70; }
    RunnerPane #overrides { height: 1fr; }
    """

    def __init__(self, runner: AsoRunner, **kwargs) -> None:
        super().__init__(**kwargs)
        self.runner = runner
        self.logs: dict[str, collections.deque] = collections.defaultdict(
            lambda: collections.deque(maxlen=LOG_LINES_KEPT))
        self.combined: collections.deque = collections.deque(maxlen=LOG_LINES_KEPT)
        self.showing: str | None = None  # None: combined view
        self._pending: list[AsoEvent] = []
        self.override_status: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield InstanceTable(id="instances")
        with Horizontal(id="lower"):
            with Vertical():
                yield Static("Log: all ASOs", id="log-title")
                yield RichLog(id="aso-log", max_lines=LOG_LINES_KEPT, wrap=True, min_width=20, markup=False, highlight=False)
            with Vertical(id="overrides-box"):
                yield Static("Held overrides", id="overrides-title")
                yield OverrideTable(id="overrides")

    def on_mount(self) -> None:
        self.runner.events.on_event(self._pending.append)
        self.set_interval(0.2, self.flush)
        self.refresh_instances()

    # ----- events --------------------------------------------------------------------

    def flush(self) -> None:
        """Apply queued events in one batch: log lines, then table cells."""
        if not self._pending:
            return
        events, self._pending[:] = list(self._pending), []
        shown = []
        for event in events:
            # 'release' and 'warning' events are also logged by the ASO's logger: show them once.
            if event.kind in ("log", "override") or (event.kind == "state" and not event.aso):
                combined = self._format(event, with_name=True)
                self.combined.append(combined)
                if event.aso:
                    own = self._format(event, with_name=False)  # its own view needs no name
                    self.logs[event.aso].append(own)
                    if self.showing == event.aso:
                        shown.append(own)
                if self.showing is None:
                    shown.append(combined)
        log_view = self.query_one("#aso-log", RichLog)
        follow = log_view.is_vertical_scroll_end  # scrolled up to read? then stay there
        for line in shown:
            log_view.write(line, scroll_end=follow)
        self.refresh_instances()

    @staticmethod
    def _format(event: AsoEvent, with_name: bool) -> Text:
        style = "bold red" if event.level >= logging.ERROR else "yellow" if event.level >= logging.WARNING else ""
        head = Text(_clock(event.time) + " ", style="dim")
        if with_name:
            head.append(f"{event.aso or 'host'}: ", style="cyan")
        first, *rest = (event.message or "").splitlines() or [""]
        text = head + Text(first, style=style)
        for extra in rest:  # tracebacks keep their shape
            text.append("\n    " + extra, style=style or "dim")
        return text

    # ----- tables -------------------------------------------------------------------

    def refresh_instances(self) -> None:
        table = self.query_one(InstanceTable)
        rows = {name: self._instance_cells(name, instance.snapshot()) for name, instance in self.runner.instances.items()}
        # Overrides left by ASOs not loaded here (a previous run's orphans whose release
        # is pending) get a row too: what is still in the building is never hidden.
        for name in sorted({o.aso for o in self.runner.ledger.held()} - set(rows)):
            rows[name] = self._orphan_cells(name)
        for name, cells in rows.items():
            if name not in table.rows:
                table.add_row(*cells.values(), key=name)
            else:
                for column, value in cells.items():
                    table.update_cell(name, column, value)
        for key in [k.value for k in table.rows if k.value not in rows]:
            table.remove_row(key)
        self.refresh_overrides()

    @staticmethod
    def _instance_cells(name: str, snap: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": name, "class": snap["class"],
            "state": Text(snap["state"], style=STATE_STYLES.get(snap["state"], "")),
            "steps": str(snap["steps"]), "last": _clock(snap["last_step_at"]),
            "dur": "-" if snap["last_step_duration"] is None else f"{snap['last_step_duration'] * 1000:.0f}",
            "enable": Text("active" if snap["enabled"] else "inactive", style="" if snap["enabled"] else "bold yellow"),
            "held": _held_cell(snap["overrides"], snap["pending"]),
            "error": Text(snap["last_error"] or "", style="red"),
            "source": snap["source"],
        }

    def _orphan_cells(self, name: str) -> dict[str, Any]:
        held = self.runner.ledger.held(name)
        pending = [o for o in held if o.pending]
        return {
            "name": name, "class": "-", "state": Text("orphan", style="bold red"), "steps": "-", "last": "-",
            "dur": "-", "enable": "-", "held": _held_cell(len(held), len(pending)),
            "error": Text(pending[0].pending if pending else "", style="red"), "source": "a previous run",
        }

    def refresh_overrides(self) -> None:
        table = self.query_one(OverrideTable)
        name = self.selected()
        held = self.runner.ledger.held(name) if name else []
        keys = set()
        for override in held:
            key = f"{override.aso}|{override.device}|{override.object_id}|{override.priority}"
            keys.add(key)
            if override.pending:
                status = Text(_pending_summary(override.pending), style="bold red")
            else:
                checked = self.override_status.get(key, "")
                status = Text(checked, style="bold red" if "conflict" in checked else "green")
            cells = [f"{override.device} {short_id(override.object_id)}", str(override.priority),
                     format_value(override.value), _clock(override.since), status]
            if key not in table.rows:
                table.add_row(*cells, key=key)
            else:
                for (column, _, _), value in zip(OVERRIDE_COLUMNS, cells):
                    table.update_cell(key, column, value)
        for key in [k.value for k in table.rows if k.value not in keys]:
            table.remove_row(key)
        pending = sum(1 for o in held if o.pending)
        count = f"{len(held)} ({pending} release pending)" if pending else f"{len(held)}"
        title = f"Held by {name}: {count}" if name else "Held overrides"
        self.query_one("#overrides-title", Static).update(title)

    def selected(self) -> str | None:
        return self.query_one(InstanceTable).selected()

    def show_log(self, name: str | None) -> None:
        """Switch the log view to one ASO (None: all), replaying what was kept."""
        self.showing = name
        view = self.query_one("#aso-log", RichLog)
        view.clear()
        for line in self.combined if name is None else self.logs.get(name, []):
            view.write(line)
        self.query_one("#log-title", Static).update(f"Log: {name}" if name else "Log: all ASOs")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "instances":
            self.show_log(self.selected())
            self.refresh_overrides()

    def held_keys(self) -> list[Any]:
        return list(self.runner.ledger.held(self.selected())) if self.selected() else []
