"""The ASO Console app: a view over the runtime (client, runner, demo building).

Network work happens in workers that catch the runtime's errors and show
them (notification or inline); the screen never freezes and never shows a
traceback. Discovery streams devices into the tree as their I-Ams arrive,
then loads every device's points in the background so ``/`` can filter the
whole site.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import queue
import time
from collections.abc import Iterable
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, TabbedContent, TabPane

from aso_runtime.bacnet import (
    BacnetError,
    BacnetTimeout,
    discover_objects,
    read_many,
    who_is_router_to_network,
    who_is_stream,
)

from .commands import CommandRunner
from .runner_actions import RunnerActions
from .write_actions import WriteActions
from .cov import CovWatcher
from .live import LivePoller
from .runtime import ConsoleOptions, ConsoleRuntime, demo_help, open_runtime
from .screens.help import HelpScreen
from .site import Site, is_commandable_type
from .widgets.command_pane import CommandPane
from .widgets.device_tree import DeviceTree, NodeData
from .widgets.info_line import InfoLine
from .widgets.log_pane import LogPane
from .widgets.point_table import PointTable
from .widgets.priority_panel import PriorityPanel, SlotTable
from .widgets.runner_pane import InstanceTable, RunnerPane
from .screens.discover_modal import DiscoverRequest, DiscoverScreen

log = logging.getLogger("aso.console")

POINT_LOADS_IN_PARALLEL = 8
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class AsoConsoleApp(WriteActions, RunnerActions, App[None]):
    """Commission a BACnet site from the keyboard."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "ASO Console"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("f1", "show_tab('explore')", "Explore", id="app.explore"),
        Binding("f2", "show_tab('command')", "Command", id="app.command"),
        Binding("f3", "show_tab('runner')", "Runner", id="app.runner"),
        Binding("f4", "show_tab('log')", "Log", id="app.log"),
        Binding("f5", "discover", "Who-Is", id="app.discover"),
        Binding("f6", "discover_options", "Discover...", id="app.discover_options"),
        Binding("slash", "filter", "Filter", id="app.filter"),
        Binding("question_mark,f10", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
        # Ctrl+C means "get me out" to every technician: same path as q (asks if ASOs run).
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.ctrl_c"),
        Binding("escape", "close_filter", "Close filter", show=False, id="app.close_filter"),
    ]

    def __init__(self, runtime: ConsoleRuntime | None = None, *, options: ConsoleOptions | None = None,
                 log_records: queue.SimpleQueue | None = None, discover_on_start: bool = True,
                 poll_interval: float = 2.0) -> None:
        """Give a running ``runtime`` (the composition root does), or ``options`` and
        the app opens the runtime on load and closes it on exit (tests, snapshots)."""
        super().__init__()
        if runtime is None and options is None:
            raise ValueError("AsoConsoleApp needs a runtime or options")
        self.runtime = runtime
        self.options = options
        self.owns_runtime = runtime is None
        self.site = Site()
        self.log_records = log_records
        self.discover_on_start = discover_on_start
        self.poll_interval = poll_interval
        self.discovery_started: float | None = None
        self.discovery_seconds: float | None = None
        self.tree_complete = asyncio.Event()
        self.selection: NodeData | None = None
        self._poll_worker = None
        self._table_view: tuple | None = None
        self._busy = False
        self._tree_pending: dict[int, set[str]] = {}
        self._spin_frame = 0
        self._status_text = Text("ready", style="dim")
        self._filter_timer = None
        self._point_loads = asyncio.Semaphore(POINT_LOADS_IN_PARALLEL)

    async def on_load(self) -> None:
        if self.runtime is None:
            self.runtime = await open_runtime(self.options)
        self.commands = CommandRunner(self.runtime, self.site)
        self.poller = LivePoller(self.runtime.client, self.site)
        self.cov = CovWatcher(self.runtime.client, self.site, self._cov_changed)
        self._dirty: set[tuple[int, str]] = set()

    async def on_unmount(self) -> None:
        await self.cov.close()
        if self.owns_runtime and self.runtime is not None:
            await self.runtime.close()

    # ----- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="explore", id="tabs"):
            with TabPane("Explore F1", id="explore"):
                with Horizontal():
                    with Vertical(id="left"):
                        yield Input(placeholder="filter: name or id (esc to clear)", id="filter", classes="hidden")
                        yield DeviceTree(self.site, id="tree")
                    with Vertical(id="right"):
                        yield InfoLine(id="details")
                        yield PointTable(id="points")
                        yield PriorityPanel(id="pa")
            with TabPane("Command F2", id="command"):
                yield CommandPane(self.commands, id="command-pane")
            with TabPane("Runner F3", id="runner"):
                yield RunnerPane(self.runtime.runner, id="runner-pane")
            with TabPane("Log F4", id="log"):
                yield LogPane(self.log_records, id="log-pane")
        with Horizontal(id="statusbar"):
            yield InfoLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        # Everything built so far lives as long as the app: keep it out of the
        # full collections that otherwise stall the screen for 100-200 ms.
        gc.freeze()
        # Keep references: app.query_one searches the *active* screen, which is
        # a modal while one is open, and timers keep firing under it.
        self.device_tree = self.query_one(DeviceTree)
        self.points = self.query_one(PointTable)
        self.panel = self.query_one(PriorityPanel)
        self.details = self.query_one("#details", InfoLine)
        self.status = self.query_one("#status", InfoLine)
        self._show_status()
        self.filter_box = self.query_one("#filter", Input)
        self.tabs = self.query_one(TabbedContent)
        self.command_pane = self.query_one(CommandPane)
        self.runner_pane = self.query_one(RunnerPane)
        self.set_interval(0.125, self._spin)
        self.set_interval(0.25, self._flush_tree)
        self.device_tree.focus()
        self.set_interval(self.poll_interval, self.poll_visible)
        self.set_interval(2.0, self.check_overrides)
        self.set_interval(0.1, self._flush_cov)
        if self.discover_on_start:
            self.discover()
        options = self.runtime.options
        if options.demo and options.vlan is None:
            self.notify(demo_help(options), title="Demo", timeout=15)
        if self.options is not None and self.options.profile:
            self.apply_profile(self.options.profile)
        elif self.runtime.options.profile:
            self.apply_profile(self.runtime.options.profile)

    # ----- status ---------------------------------------------------------------------------

    def set_status(self, message: str, *, busy: bool | None = None, style: str = "") -> None:
        if busy is not None:
            self._busy = busy
        self._status_text = Text(message, style=style)
        self._show_status()

    def _show_status(self) -> None:
        # A spinner in the status text, not an animated progress bar: the bar
        # redrew 60 times a second and cost a third of discovery's UI time.
        text = Text.assemble((SPINNER[self._spin_frame % len(SPINNER)] + " ", "bold") if self._busy else "",
                             self._status_text)
        if self.runtime.read_only:
            text = Text.assemble(("READ-ONLY ", "bold reverse"), text)
        self.status.update(text)

    def _spin(self) -> None:
        if self._busy:
            self._spin_frame += 1
            self._show_status()

    # ----- discovery ---------------------------------------------------------------------------

    def action_discover(self) -> None:
        self.discover()

    def action_discover_options(self) -> None:
        self.push_screen(DiscoverScreen(), self._discover_chosen)

    def _discover_chosen(self, request: DiscoverRequest | None) -> None:
        if request is None:
            return
        if request.kind == "routers":
            self.find_routers(request.network, request.address)
        else:
            self.discover(request.low, request.high, address=request.address, network=request.network)

    @work(exclusive=True, group="routers", exit_on_error=False)
    async def find_routers(self, network: int | None, address: str | None) -> None:
        self.set_status("Who-Is-Router-To-Network...", busy=True)
        try:
            routers = await who_is_router_to_network(self.runtime.client, network, address=address)
        except BacnetError as exc:
            self.set_status(str(exc), busy=False, style="bold red")
            self.notify(str(exc), severity="error", title="Routers")
            return
        lines = [f"{r.address}: network(s) {', '.join(map(str, r.networks))}" for r in routers]
        for line in lines:
            log.info("router %s", line)
        self.set_status(f"{len(routers)} router(s)", busy=False)
        self.notify("\n".join(lines) or "No router answered", title="Routers", timeout=10)

    @work(exclusive=True, group="discover", exit_on_error=False)
    async def discover(self, low: int | None = None, high: int | None = None, *, address: str | None = None,
                       network: int | None = None) -> None:
        """Who-Is, streaming devices into the tree, then every device's details and points."""
        started = time.monotonic()
        self.discovery_started = self.discovery_started or started
        self.tree_complete.clear()
        self.set_status("Who-Is: waiting for I-Am...", busy=True)
        found = []
        loads = []
        try:
            async for info in who_is_stream(self.runtime.client, low, high, address=address, network=network):
                device = self.site.add(info)
                self._queue_tree(device.instance, "add")
                found.append(device)
                # Read its name and points now, while other I-Ams still arrive.
                loads.append(asyncio.create_task(self._load_device(device.instance)))
                self.set_status(f"Who-Is: {len(found)} device(s)...", busy=True)
        except BacnetError as exc:
            for load in loads:
                load.cancel()
            self.set_status(f"Who-Is failed: {exc}", busy=False, style="bold red")
            self.notify(str(exc), severity="error", title="Who-Is")
            return
        log.info("who-is: %d device(s) in %.0f ms", len(found), (time.monotonic() - started) * 1000)
        self.set_status(f"{len(found)} device(s); reading names and point lists...", busy=True)
        try:
            await asyncio.gather(*loads)
        finally:
            for load in loads:  # a new Who-Is cancelled this one
                load.cancel()
        self._flush_tree()
        self.discovery_seconds = time.monotonic() - started
        gc.freeze()  # the site model is long-lived too
        points = self.site.point_count()
        offline = sum(1 for d in self.site.devices.values() if d.offline)
        summary = f"{len(self.site.devices)} device(s), {points} point(s) in {self.discovery_seconds:.2f} s"
        if offline:
            summary += f", {offline} offline"
        self.set_status(summary, busy=False)
        self.tree_complete.set()
        if not found:
            self.notify("No device answered the Who-Is. Check --address/--foreign, or F2 and `whois ADDRESS`.",
                        severity="warning", title="Who-Is")

    async def _load_device(self, instance: int) -> None:
        async with self._point_loads:
            await self._read_details(instance)
            await self.load_points_now(instance)

    async def _read_details(self, instance: int) -> None:
        device = self.site.devices[instance]
        device_id = f"device,{instance}"
        try:
            values = await read_many(self.runtime.client, device.info,
                                     [(device_id, ["object-name", "model-name", "vendor-name"])])
        except BacnetError as exc:
            device.offline, device.error = isinstance(exc, BacnetTimeout), str(exc)
            self._queue_tree(instance, "label")
            return
        got = {v.property: v.value for v in values if v.ok}
        device.name, device.model, device.vendor = got.get("object-name"), got.get("model-name"), got.get("vendor-name")
        self._queue_tree(instance, "label")

    async def load_points_now(self, instance: int) -> None:
        device = self.site.devices[instance]
        try:
            points = await discover_objects(self.runtime.client, device.info)
        except BacnetError as exc:
            device.offline = isinstance(exc, BacnetTimeout)
            device.error = str(exc)
            device.points = device.points if device.points is not None else {}
            log.warning("device %s: point discovery failed: %s", instance, exc)
        else:
            device.offline = False
            device.points = {p.object_id: p for p in points}
        self._queue_tree(instance, "points")

    def _queue_tree(self, instance: int, change: str) -> None:
        """Tree changes wait for the next flush: during discovery every I-Am,
        name and point list would otherwise redraw the whole tree (~30 ms a frame)."""
        self._tree_pending.setdefault(instance, set()).add(change)

    def _flush_tree(self) -> None:
        if not self._tree_pending:
            return
        pending, self._tree_pending = self._tree_pending, {}
        with self.batch_update():
            for instance in sorted(pending):
                changes = pending[instance]
                device = self.site.devices[instance]
                if "add" in changes:
                    self.device_tree.add_device(device)
                if "points" in changes:
                    self.device_tree.show_points(instance)
                    self._table_view = None  # its rows may have changed
                    if self.selection is not None and self.selection.instance == instance:
                        self.show_selection(self.selection)
                elif "label" in changes:
                    self.device_tree.relabel(instance)

    @on(DeviceTree.LoadPoints)
    def _load_points(self, message: DeviceTree.LoadPoints) -> None:
        self.load_points(message.instance)

    @work(group="points", exit_on_error=False)
    async def load_points(self, instance: int) -> None:
        await self.load_points_now(instance)

    # ----- selection --------------------------------------------------------------------------------

    @on(DeviceTree.Chosen)
    def _chosen(self, message: DeviceTree.Chosen) -> None:
        self.show_selection(message.data)

    def show_selection(self, data: NodeData) -> None:
        self.selection = data
        details = self.details
        table = self.points
        if data.instance is None or data.instance not in self.site.devices:
            details.update("")
            table.show([], {})
            return
        device = self.site.devices[data.instance]
        info = device.info
        details.update(Text.assemble(
            (f"{device.label} ", "bold"),
            (f"{info.address}  {device.network_label}  vendor {device.vendor or info.vendor_id}"
             f"{'  ' + device.model if device.model else ''}  max APDU {info.max_apdu}  {info.segmentation}", "dim"),
            ("  OFFLINE" if device.offline else "", "bold red"),
        ))
        view = (data.instance, data.object_type if data.kind in ("group", "point") else None,
                len(device.points or {}))
        points = list((device.points or {}).values())
        if data.kind in ("group", "point"):
            points = [p for p in points if p.object_type == data.object_type]
        points.sort(key=lambda p: (p.object_type, int(p.object_id.split(",")[1])))
        if view != self._table_view:  # moving between points of one group keeps the rows
            table.show([(data.instance, p) for p in points], self.site.live)
            self._table_view = view
        if data.kind == "point":
            for row, point in enumerate(points):
                if point.object_id == data.object_id:
                    table.move_cursor(row=row)
                    break
            self.show_priority_array(data.instance, data.object_id)

    @on(PointTable.PointHighlighted)
    def _point_highlighted(self, message: PointTable.PointHighlighted) -> None:
        self.show_priority_array(message.instance, message.object_id)

    @on(PointTable.OpenRequested)
    def _open_pa(self) -> None:
        self.panel.query_one(SlotTable).focus()

    @work(exclusive=True, group="pa", exit_on_error=False)
    async def show_priority_array(self, instance: int, object_id: str) -> None:
        panel = self.panel
        point = self.site.point(instance, object_id)
        name = (point.name if point else None) or object_id
        if not is_commandable_type(object_id):
            panel.clear(f"{name} ({object_id}) is not commandable: it has no priority array")
            return
        await asyncio.sleep(0.15)  # debounce: the cursor may be moving fast
        try:
            array = await self.runtime.client.priority_array(self.site.devices[instance].info, object_id)
        except BacnetError as exc:
            panel.clear(str(exc))
            return
        panel.show(instance, object_id, name, array)
        state = self.site.live.setdefault((instance, object_id), {})
        state.update({"present-value": array.present_value, "ccp": array.current_command_priority})
        self.points.update_point(instance, object_id, state)

    # ----- live values ---------------------------------------------------------------------------------

    def _cov_changed(self, instance: int, object_id: str) -> None:
        self._dirty.add((instance, object_id))

    def _flush_cov(self) -> None:
        """Coalesce COV notifications: at most ten table updates a second."""
        if not self._dirty:
            return
        dirty, self._dirty = self._dirty, set()
        with self.batch_update():
            for instance, object_id in dirty:
                self.points.update_point(instance, object_id, self.site.live[(instance, object_id)])

    def poll_visible(self) -> None:
        if self.tabs.active == "explore":
            self.cov.watch(self.points.visible_points())
        # Skip a tick while the last poll still waits (a dead device takes the
        # full timeout); cancelling it would mean it never reports offline.
        if self._poll_worker is not None and self._poll_worker.is_running:
            return
        table = self.points
        if table.rows_shown and self.tabs.active == "explore":
            self._poll_worker = self.poll(table.visible_points())

    @work(group="poll", exit_on_error=False)
    async def poll(self, points: list[tuple[int, str]]) -> None:
        changed, offline_changes = await self.poller.poll(points)
        table = self.points
        with self.batch_update():
            for instance, object_id in changed:
                table.update_point(instance, object_id, self.site.live[(instance, object_id)])
        for instance in offline_changes:
            self.device_tree.relabel(instance)

    # ----- filter ---------------------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.action_show_tab("explore")
        box = self.filter_box
        box.remove_class("hidden")
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        # Debounced: typing "zone temp" filters once, not nine times.
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(0.15, lambda: self._apply_filter(event.value))

    def _apply_filter(self, text: str) -> None:
        matches = self.device_tree.apply_filter(text)
        if text.strip():
            self.set_status(f"filter {text.strip()!r}: {matches} point(s)")

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.device_tree.focus()

    def action_close_filter(self) -> None:
        box = self.filter_box
        if box.has_class("hidden"):
            return
        if self._filter_timer is not None:
            self._filter_timer.stop()
        box.value = ""
        box.add_class("hidden")
        self.device_tree.apply_filter("")
        self.device_tree.focus()

    # ----- misc -------------------------------------------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        """Switch tab and focus its main widget (focus left in a hidden tab pulls it back)."""
        self.tabs.active = tab
        if tab == "command":
            self.command_pane.focus_input()
        elif tab == "runner":
            self.runner_pane.query_one(InstanceTable).focus()
        elif tab == "log":
            self.query_one(LogPane).focus()
        else:
            self.device_tree.focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Who-Is: discover the site", "Global Who-Is, then every device's points",
                            self.action_discover)
        yield SystemCommand("Discover with options", "Instance range, one address, a remote network, routers",
                            self.action_discover_options)
        yield SystemCommand("Filter points", "Filter the tree by point name or id", self.action_filter)
        yield SystemCommand("Command line", "read, write, release, rpm, wpm, pa, whois, whohas, routers",
                            lambda: self.action_show_tab("command"))
        yield SystemCommand("Show log", "Runtime and BACnet events", lambda: self.action_show_tab("log"))
        yield SystemCommand("Runner: load an ASO", "Load a script or a packaged example",
                            lambda: self.post_message(InstanceTable.Action("load", None)))
        yield SystemCommand("Keys and help", "What every key does", self.action_help)
