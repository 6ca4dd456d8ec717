"""The Runner pane (F3): load, start, stop and watch ASOs; their logs; the overrides they hold.

It owns its state and actions. The runner's events are queued by a callback
and applied on the pane's own timer in one batch (a chatty script cannot
flood the screen); logs are kept per ASO (last lines survive a stop) and
combined; every 2 s the held overrides of the selected ASO are checked
against the devices (winning, or beaten by someone above). Work runs in
workers that simply raise: failures reach the app's one handler.
"""

from __future__ import annotations

import collections
import logging

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, RichLog, Static

from aso_runtime.aso import AsoEvent, RestartPolicy
from aso_runtime.bacnet import BacnetError, InvalidInput
from aso_runtime.verbs.text import PointLabels

from ..messages import Pane
from ..profile import load_profile
from ..runtime import ConsoleRuntime
from ..site import Site
from ..screens.load_modal import LoadRequest, LoadScreen
from ..widgets.runner_tables import InstanceTable, OverrideTable, clock, override_key

LOG_LINES_KEPT = 2000
NARROW = 100  # columns below which the held overrides go under the log (as Explore's panes take turns)


class RunnerPane(Pane):
    DEFAULT_CSS = """
    RunnerPane { height: 1fr; }
    RunnerPane #instances { height: 7; }
    RunnerPane #lower { height: 1fr; }
    RunnerPane #log-title, RunnerPane #overrides-title { height: 1; background: $boost; padding: 0 1; }
    RunnerPane #aso-log { height: 1fr; }
    RunnerPane #overrides-box { width: 45%; min-width: 61; max-width: 70; }  /* 61: every column whole */
    RunnerPane #overrides { height: 1fr; }
    /* Below 100 columns the held overrides go under the log at full width: their Status stays whole. */
    RunnerPane.-narrow #lower { layout: vertical; }
    RunnerPane.-narrow #overrides-box { width: 100%; max-width: 100%; height: 45%; }
    """

    def __init__(self, runtime: ConsoleRuntime, site: Site | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.runtime = runtime
        self.site = site or Site()
        self.runner = runtime.runner
        self.read_only = runtime.read_only
        self.logs: dict[str, collections.deque] = collections.defaultdict(
            lambda: collections.deque(maxlen=LOG_LINES_KEPT))
        self.combined: collections.deque = collections.deque(maxlen=LOG_LINES_KEPT)
        self.showing: str | None = None  # None: combined view
        self.checked: dict[str, str] = {}  # override key -> last winning/conflict check
        self._pending: list[AsoEvent] = []
        self._log_stale = False

    def compose(self) -> ComposeResult:
        yield InstanceTable(id="instances")
        with Horizontal(id="lower"):
            with Vertical():
                yield Static("Log: all ASOs", id="log-title")
                yield RichLog(id="aso-log", max_lines=LOG_LINES_KEPT, wrap=True, min_width=20, markup=False,
                              highlight=False)
            with Vertical(id="overrides-box"):
                yield Static("Held overrides", id="overrides-title")
                yield OverrideTable(id="overrides")

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")

    def on_mount(self) -> None:
        self.instances = self.query_one(InstanceTable)
        self.overrides = self.query_one(OverrideTable)
        self.log_view = self.query_one("#aso-log", RichLog)
        self.runner.events.on_event(self._pending.append)
        self.set_interval(0.2, self.flush)
        self.set_interval(2.0, self.check_overrides)
        self.refresh_tables()

    def focus_main(self) -> None:
        self.instances.focus()

    def selected(self) -> str | None:
        return self.instances.selected()

    def refuse_if_read_only(self) -> bool:
        if self.read_only:
            self.notify("Read-only mode (--read-only): ASOs cannot be started.", severity="warning", title="Refused")
        return self.read_only

    # ----- events from the runner ------------------------------------------------------------

    def flush(self) -> None:
        """Apply queued events in one batch: log lines, then table cells."""
        if not self._pending:
            return
        events_, self._pending[:] = list(self._pending), []
        shown = []
        for event in events_:
            # 'release' and 'warning' events are also logged by the ASO's logger: show them once.
            if event.kind in ("log", "override") or (event.kind == "state" and not event.aso):
                combined = _format(event, with_name=True)
                self.combined.append(combined)
                if event.aso:
                    own = _format(event, with_name=False)  # its own view needs no name
                    self.logs[event.aso].append(own)
                    if self.showing == event.aso:
                        shown.append(own)
                if self.showing is None:
                    shown.append(combined)
        if shown:
            self._write_log(shown)
        self.refresh_tables()

    def _write_log(self, lines: list[Text]) -> None:
        # Hidden (another tab shown), the log has no width and would wrap every line
        # at its 20-column minimum: keep them, and draw them when the tab is shown.
        if not self.log_view.size.width:
            self._log_stale = True
            return
        follow = self.log_view.is_vertical_scroll_end  # scrolled up to read? then stay there
        for line in lines:
            self.log_view.write(line, scroll_end=follow)

    def on_show(self, event: events.Show) -> None:
        if self._log_stale:
            self.call_after_refresh(self.show_log, self.showing)

    def show_log(self, name: str | None) -> None:
        """Switch the log view to one ASO (None: all), drawing what was kept."""
        self.showing = name
        if not self.log_view.size.width:
            self._log_stale = True
            return
        self._log_stale = False
        self.log_view.clear()
        for line in self.combined if name is None else self.logs.get(name, []):
            self.log_view.write(line)
        self.query_one("#log-title", Static).update(f"Log: {name}" if name else "Log: all ASOs")

    # ----- tables ----------------------------------------------------------------------------

    def refresh_tables(self) -> None:
        snapshots = {name: instance.snapshot() for name, instance in self.runner.instances.items()}
        orphans: dict[str, list] = {}
        for override in self.runner.ledger.held():
            if override.aso not in snapshots:
                orphans.setdefault(override.aso, []).append(override)
        self.instances.show_instances(snapshots, orphans)
        self.refresh_overrides()

    def refresh_overrides(self) -> None:
        name = self.selected()
        held = self.runner.ledger.held(name) if name else []
        self.overrides.show_overrides(held, self.checked, self._labels)
        pending = sum(1 for o in held if o.pending)
        count = f"{len(held)} ({pending} release pending)" if pending else f"{len(held)}"
        self.query_one("#overrides-title", Static).update(f"Held by {name}: {count}" if name else "Held overrides")

    def _labels(self, override) -> PointLabels:  # noqa: ANN001 (Override)
        device = override.device
        if device.isascii() and device.isdigit():
            return self.site.labels(int(device), override.object_id)
        known = next((d for d in self.site.devices.values() if d.info.address == device), None)
        return self.site.labels(known.instance, override.object_id) if known else PointLabels()

    @on(DataTable.RowHighlighted, "#instances")
    def _instance_highlighted(self) -> None:
        self.show_log(self.selected())
        self.refresh_overrides()

    @work(exclusive=True, group="override-check", exit_on_error=False, name="Override check")
    async def check_overrides(self) -> None:
        """Is each held override of the selected ASO winning, or beaten by someone above it?"""
        name = self.selected()
        if name is None or not self.is_on_screen:
            return
        for override in self.runner.ledger.held(name):
            key = override_key(override)
            try:
                array = await self.runtime.client.priority_array(override.device, override.object_id)
            except BacnetError as exc:  # per row, where it is read: one silent device is not an alarm
                self.checked[key] = f"unreadable: {exc}"[:60]
                continue
            winning = array.winning
            if winning is not None and winning.priority < override.priority:
                self.checked[key] = f"conflict: @{winning.priority} holds {winning.value}"
            elif winning is not None and winning.priority == override.priority:
                self.checked[key] = "winning"
            else:
                self.checked[key] = "not in array"
        self.refresh_overrides()

    # ----- actions ------------------------------------------------------------------------------

    def apply_profile(self, path: str) -> None:
        """Load (and optionally start) the ASOs a profile file lists; a bad entry is told, the rest load."""
        try:
            entries = load_profile(path)
        except InvalidInput as exc:  # a bad profile is told, the console still opens
            self.notify(str(exc), severity="error", title="Profile")
            return
        for entry in entries:
            try:
                loaded = entry.load()
            except InvalidInput as exc:
                self.notify(f"{entry.source}: {exc}", severity="error", title="Load refused")
                continue
            self.load_aso(LoadRequest(loaded, entry.start))

    def load_aso(self, request: LoadRequest) -> None:
        """Host a script the load step has imported and checked (once)."""
        loaded = request.loaded
        try:
            # A technician is watching: a fault stays on screen instead of restarting by itself.
            instance = self.runner.load(loaded.aso, restart=RestartPolicy(retries=0))
        except InvalidInput as exc:  # the name is taken
            self.notify(f"{loaded.source}: {exc}", severity="error", title="Load refused")
            return
        instance.source = loaded.source
        if request.start and not self.refuse_if_read_only():
            instance.start()
        self.refresh_tables()
        self.notify(f"Loaded {instance.name} ({instance.class_name})" + (" and started" if request.start else ""))

    @on(InstanceTable.Action)
    def _instance_action(self, message: InstanceTable.Action) -> None:
        if message.action == "load":
            self.app.push_screen(LoadScreen(), lambda request: self.load_aso(request) if request else None)
        elif message.action == "combined":
            self.show_log(None)
        elif message.name is None or message.name not in self.runner.instances:
            self.notify("Load an ASO first (l)", severity="warning")
        elif message.action == "start":
            if not self.refuse_if_read_only():
                self.runner.start(message.name)
        elif message.action in ("stop", "restart"):
            self.stop_aso(message.name, restart=message.action == "restart")

    @work(group="runner", exit_on_error=False, name="Stop")
    async def stop_aso(self, name: str, restart: bool = False) -> None:
        results = await self.runner.stop(name)
        failed = [r for r in results if not r.ok]
        summary = f"{name} stopped; {len(results) - len(failed)} override(s) released and verified"
        if failed:
            self.notify(summary + f"; {len(failed)} release pending (retried): " + "; ".join(map(str, failed)),
                        severity="error", title="Release pending", timeout=15)
        else:
            self.notify(summary, title="Stopped")
        if restart and not self.refuse_if_read_only():
            self.runner.start(name)
        self.refresh_tables()

    @on(OverrideTable.Release)
    def _release(self, message: OverrideTable.Release) -> None:
        name = self.selected()
        if name is not None:
            self.release_overrides(name, message.key)

    @work(group="runner", exit_on_error=False, name="Release")
    async def release_overrides(self, name: str, key: str | None) -> None:
        if key is None:
            results = await self.runner.release_held(name, "by hand")
        else:
            _, device, object_id, priority = key.split("|")
            result = await self.runner.release_one(name, device, object_id, int(priority))
            results = [result] if result else []
        for result in results:
            self.notify(str(result), severity="information" if result.ok else "error", title="Release")
        self.refresh_tables()


def _format(event: AsoEvent, with_name: bool) -> Text:
    style = "bold red" if event.level >= logging.ERROR else "yellow" if event.level >= logging.WARNING else ""
    head = Text(clock(event.time) + " ", style="dim")
    if with_name:
        head.append(f"{event.aso or 'host'}: ", style="cyan")
    first, *rest = (event.message or "").splitlines() or [""]
    text = head + Text(first, style=style)
    for extra in rest:  # tracebacks keep their shape
        text.append("\n    " + extra, style=style or "dim")
    return text
