"""The Explore pane (F1): the site tree, the point table, the priority array.

It owns everything about exploring the site: discovery (devices stream into
the tree as their I-Ams arrive, then every device's points load in the
background so ``/`` filters the whole site), the selection, live values (COV
for the rows on screen, RPM polling for the rest); writing points is its
base, ``explore_writing.py``. Its timers are its own. Work runs in workers
that simply raise: failures reach the app's one handler (see ``messages.Pane``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive

from aso_runtime.bacnet import (
    BacnetError,
    is_commandable,
    parse_object_id,
    who_is_router_to_network,
)

from ..cov import CovWatcher
from ..live import LivePoller
from ..liveness import QUIET_BEFORE_CHECK
from ..messages import DevicesChanged, PointsChanged
from ..runtime import ConsoleRuntime
from ..site import Site
from ..site_loader import SiteLoader
from ..widgets.device_tree import DeviceTree, NodeData
from .explore_writing import ExploreWriting
from ..widgets.info_line import InfoLine
from ..widgets.point_table import PointTable
from ..widgets.priority_panel import PriorityPanel, SlotTable
from ..widgets.site_navigator import SiteNavigator
from ..screens.bbmd_tables import default_bbmd
from ..screens.device_actions import DeviceActionsScreen
from ..screens.inspector import Inspected, InspectorScreen

log = logging.getLogger("aso.console")

NARROW = 100  # columns below which the tree and the points take turns at full width
SHORT = 34  # rows below which the priority array shares the height with the points (and scrolls)
FIRST_HINT = "Enter opens a device, Tab goes to its points, w writes, ? shows every key"


class ExplorePane(ExploreWriting):
    """Browse, watch and command the site's points."""

    DEFAULT_CSS = """
    ExplorePane { height: 1fr; }
    """

    BINDINGS = [Binding("i", "inspect", "Inspect", id="explore.inspect"),
                Binding("p", "plot", "Plot", show=False, id="explore.plot"),  # in ? help: the bar keeps q
                Binding("U", "session_writes", "Session writes", show=False, id="explore.session_writes")]

    selection: reactive[NodeData | None] = reactive(None, init=False, always_update=True)

    def __init__(self, runtime: ConsoleRuntime, site: Site, *, discover_on_start: bool = True,
                 poll_interval: float = 2.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.runtime = runtime
        self.client = runtime.client
        self.site = site
        self.read_only = runtime.read_only
        self.discover_on_start = discover_on_start
        self.poll_interval = poll_interval
        self.poller = LivePoller(self.client, site)
        self.loader = SiteLoader(self.client, site)
        self.liveness_quiet = QUIET_BEFORE_CHECK  # s without news from a device before it is asked
        self.cov = CovWatcher(self.client, site, self._cov_changed)
        self.tree_complete = asyncio.Event()  # set when a discovery has read every device's points
        self.discovery_started: float | None = None
        self.discovery_seconds: float | None = None
        self._tree_pending: dict[int, set[str]] = {}
        self._dirty: set[tuple[int, str]] = set()
        self._poll_worker = None
        self._check_worker = None
        self._table_view: tuple | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield SiteNavigator(self.site, id="left")
            with Vertical(id="right"):
                yield InfoLine(id="details")
                yield PointTable(id="points")
                yield PriorityPanel(id="pa")

    def on_mount(self) -> None:
        self.device_tree = self.query_one(DeviceTree)
        self.points = self.query_one(PointTable)
        self.points.history = self.site.history
        self.panel = self.query_one(PriorityPanel)
        self.details = self.query_one("#details", InfoLine)
        self.navigator = self.query_one(SiteNavigator)
        self.watch(self.device_tree, "cursor_data", self._chosen, init=False)
        self.set_interval(0.25, self._flush_tree)
        self.set_interval(self.poll_interval, self.poll_visible)
        self.set_interval(0.1, self._flush_cov)
        self.set_interval(10.0, self.check_quiet_devices)
        if self.discover_on_start:
            self.discover()

    async def on_unmount(self) -> None:
        await self.cov.close()

    def focus_main(self) -> None:
        self.device_tree.focus()

    # ----- narrow terminals --------------------------------------------------------------------

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")
        self.set_class(self.size.height < SHORT, "-short")

    def on_descendant_focus(self) -> None:
        # In the narrow layout the side that has focus is the one shown.
        focused = self.app.focused
        self.set_class(focused is not None and self.query_one("#right") in focused.ancestors_with_self, "-points")

    @on(DeviceTree.PointOpened)
    def _point_opened(self) -> None:
        # Shown first: a widget that is not displayed cannot take the focus.
        self.add_class("-points")
        self.call_after_refresh(self.points.focus)

    @on(PointTable.Back)
    @on(SlotTable.Back)
    def _back_to_tree(self) -> None:
        self.device_tree.focus()

    # ----- discovery ---------------------------------------------------------------------------

    @work(exclusive=True, group="routers", exit_on_error=False, name="Routers")
    async def find_routers(self, network: int | None, address: str | None) -> None:
        self.status("Who-Is-Router-To-Network...", busy=True)
        routers = await who_is_router_to_network(self.client, network, address=address)
        lines = [f"{r.address}: network(s) {', '.join(map(str, r.networks))}" for r in routers]
        for line in lines:
            log.info("router %s", line)
        self.status(f"{len(routers)} router(s)", busy=False)
        self.notify("\n".join(lines) or "No router answered", title="Routers", timeout=10)

    @work(exclusive=True, group="discover", exit_on_error=False, name="Who-Is")
    async def discover(self, low: int | None = None, high: int | None = None, *, address: str | None = None,
                       network: int | None = None) -> None:
        """Who-Is, streaming devices into the tree, then every device's details and points."""
        started = time.monotonic()
        self.discovery_started = self.discovery_started or started
        self.tree_complete.clear()
        self.status("Who-Is: waiting for I-Am...", busy=True)
        found = await self.loader.discover(low, high, address=address, network=network,
                                           changed=self._queue_tree, status=self.status)
        # Devices found before that did not answer this Who-Is: ask them directly, so the
        # tree and the status line say which are really gone.
        silent = [i for i in self.site.devices if i not in found and i != self._own_instance]
        if silent:
            self.status(f"{len(found)} device(s) answered; checking {len(silent)} known from before...", busy=True)
            if changed := await self.loader.liveness.check(silent):
                self.post_message(DevicesChanged(changed))
        self._flush_tree()
        self.discovery_seconds = time.monotonic() - started
        gc.freeze()  # the site model is long-lived: keep it out of full collections
        self.status(self.summary(), busy=False)
        self.tree_complete.set()
        if not found:
            known = f"; {len(self.site.devices)} device(s) known from before" if self.site.devices else ""
            self.notify(f"No device answered the Who-Is{known}. Check --address/--foreign, or F2 and "
                        "`whois ADDRESS`.", severity="warning", title="Who-Is")

    @property
    def _own_instance(self) -> int | None:
        own = self.client.own_device
        return own.instance if own is not None else None

    def summary(self) -> str:
        summary = f"{len(self.site.devices)} device(s), {self.site.point_count()} point(s)"
        if self.discovery_seconds is not None:
            summary += f" in {self.discovery_seconds:.2f} s"
        offline = sum(1 for d in self.site.devices.values() if d.offline)
        return summary + (f", {offline} offline" if offline else "")


    def _queue_tree(self, instance: int, change: str) -> None:
        """Tree changes wait for the next flush: during discovery every I-Am,
        name and point list would otherwise redraw the whole tree (~30 ms a frame)."""
        self._tree_pending.setdefault(instance, set()).add(change)

    def _flush_tree(self) -> None:
        if not self._tree_pending:
            return
        pending, self._tree_pending = self._tree_pending, {}
        with self.app.batch_update():
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

    @work(group="points", exit_on_error=False, name="Point list")
    async def load_points(self, instance: int) -> None:
        await self.loader.points(instance)
        self._queue_tree(instance, "points")

    # ----- selection --------------------------------------------------------------------------------

    def _chosen(self, data: NodeData | None) -> None:
        self.selection = data

    def watch_selection(self, data: NodeData | None) -> None:
        if data is not None:
            self.show_selection(data)

    def show_selection(self, data: NodeData) -> None:
        details, table = self.details, self.points
        if data.instance is None or data.instance not in self.site.devices:
            details.update("")
            table.show([], {})
            return
        device = self.site.devices[data.instance]
        self._show_details(device)
        view = (data.instance, data.object_type if data.kind in ("group", "point") else None,
                len(device.points or {}))
        points = list((device.points or {}).values())
        if data.kind in ("group", "point"):
            points = [p for p in points if p.object_type == data.object_type]
        points.sort(key=lambda p: p.oid)
        if view != self._table_view:  # moving between points of one group keeps the rows
            table.show([(data.instance, p) for p in points], self.site.live, offline=device.offline,
                       labels=self.site.labels)
            self._table_view = view
        if data.kind != "point":
            self.panel.clear(FIRST_HINT)
        if data.kind == "point":
            for row, point in enumerate(points):
                if point.object_id == data.object_id:
                    table.move_cursor(row=row)
                    break
            self.show_priority_array(data.instance, data.object_id)

    def _show_details(self, device) -> None:  # noqa: ANN001 (SiteDevice)
        info = device.info
        self.details.update(Text.assemble(
            (f"{device.label} ", "bold"),
            (f"{info.address}  {device.network_label}  vendor {device.vendor or info.vendor_id}"
             f"{'  ' + device.model if device.model else ''}  max APDU {info.max_apdu}  {info.segmentation}", "dim"),
            ("  OFFLINE: values shown are the last read" if device.offline else "", "bold red"),
        ))

    @on(PointTable.PointHighlighted)
    def _point_highlighted(self, message: PointTable.PointHighlighted) -> None:
        # A device or group just chosen in the tree fills the table and its first row
        # is highlighted by itself: keep the hint until a point is really chosen.
        if self.points.has_focus or (self.selection is not None and self.selection.kind == "point"):
            self.show_priority_array(message.instance, message.object_id)

    @on(PointTable.OpenRequested)
    def _open_pa(self) -> None:
        self.panel.query_one(SlotTable).focus()

    @work(exclusive=True, group="pa", exit_on_error=False, name="Priority array")
    async def show_priority_array(self, instance: int, object_id: str) -> None:
        point = self.site.point(instance, object_id)
        name = (point.name if point else None) or object_id
        if not is_commandable(parse_object_id(object_id)):
            self.panel.clear(f"{name} ({object_id}) is not commandable: it has no priority array")
            return
        await asyncio.sleep(0.15)  # debounce: the cursor may be moving fast
        try:
            array = await self.client.priority_array(self.site.devices[instance].info, object_id)
        except BacnetError as exc:  # shown in the panel itself, where the technician looks
            self.panel.clear(str(exc))
            return
        self._show_array(instance, object_id, array)

    def _show_array(self, instance: int, object_id: str, array) -> None:  # noqa: ANN001 (PriorityArray)
        point = self.site.point(instance, object_id)
        self.panel.show(instance, object_id, (point.name if point else None) or object_id, array,
                        self.site.labels(instance, object_id))
        state = self.site.live.setdefault((instance, object_id), {})
        state.update({"present-value": array.present_value, "ccp": array.current_command_priority})
        self.post_message(PointsChanged([(instance, object_id)]))

    # ----- live values ---------------------------------------------------------------------------------

    def _cov_changed(self, instance: int, object_id: str) -> None:
        self._dirty.add((instance, object_id))

    def _flush_cov(self) -> None:
        """Coalesce COV notifications: at most ten table updates a second."""
        if not self._dirty:
            return
        dirty, self._dirty = self._dirty, set()
        self.post_message(PointsChanged(list(dirty)))

    def poll_visible(self) -> None:
        if not self.is_on_screen:
            return  # another tab is shown: nothing of ours is visible
        self.cov.watch(self.points.visible_points())
        # Skip a tick while the last poll still waits (a dead device takes the
        # full timeout); cancelling it would mean it never reports offline.
        if self._poll_worker is not None and self._poll_worker.is_running:
            return
        if self.points.rows_shown:
            # A device we told to stop communicating (DCC) would only time out: it is not asked.
            points = [p for p in self.points.visible_points() if self._communicating(p[0])]
            if points:
                self._poll_worker = self.poll(points)

    def _communicating(self, instance: int) -> bool:
        device = self.site.devices.get(instance)
        return device is None or device.communication != "disable"

    @work(group="poll", exit_on_error=False, name="Live values")
    async def poll(self, points: list[tuple[int, str]]) -> None:
        changed, offline_changes = await self.poller.poll(points)
        for instance in {i for i, _ in points}:
            device = self.site.devices.get(instance)
            if device is not None and not device.offline:
                self.loader.liveness.heard(instance)
        if changed:
            self.post_message(PointsChanged(list(changed)))
        if offline_changes:
            self.post_message(DevicesChanged(offline_changes))

    def check_quiet_devices(self) -> None:
        """Ask every device not heard from lately whether it is still there (skipped while a check runs)."""
        if self.tree_complete.is_set() and (self._check_worker is None or not self._check_worker.is_running):
            self._check_worker = self._check_devices([i for i in self.loader.liveness.quiet(self.liveness_quiet)
                                                      if self._communicating(i)])

    @work(group="liveness", exit_on_error=False, name="Device check")
    async def _check_devices(self, instances: list[int]) -> None:
        if changed := await self.loader.liveness.check(instances):
            self.post_message(DevicesChanged(changed))

    @on(PointsChanged)
    def _points_changed(self, message: PointsChanged) -> None:
        now = time.time()
        for key in message.points:
            self.site.history.record(key, now, self.site.live.get(key, {}).get("present-value"))
        with self.app.batch_update():
            for instance, object_id in message.points:
                self.points.update_point(instance, object_id)

    @on(DevicesChanged)
    def _devices_changed(self, message: DevicesChanged) -> None:
        """Devices that went offline or came back: tree labels, their rows, the details line."""
        instances = message.instances
        with self.app.batch_update():
            for instance in instances:
                self.device_tree.relabel(instance)
                self.points.mark_offline(instance, self.site.devices[instance].offline)
            if self.selection is not None and self.selection.instance in instances:
                self._show_details(self.site.devices[self.selection.instance])
        if self.tree_complete.is_set():
            self.status(self.summary())

    # ----- the object inspector ----------------------------------------------------------------------

    def _under_cursor(self, *, devices: bool) -> tuple[int, str] | None:
        """The point under the cursor (in the table, else the tree); a device's own object if ``devices``."""
        target = self.points.current() if self.points.has_focus else None
        data = self.device_tree.cursor_data
        if target is None and data is not None and data.instance is not None:
            if data.kind == "point" and data.object_id:
                target = (data.instance, data.object_id)
            elif data.kind == "device" and devices:
                target = (data.instance, f"device,{data.instance}")
        return target

    def action_inspect(self) -> None:
        """Every property of the point under the cursor (in the table, else the tree), or of a device."""
        target = self._under_cursor(devices=True)
        if target is None:
            self.notify("Put the cursor on a point or a device to inspect it", severity="warning")
            return
        instance, object_id = target
        self.app.push_screen(InspectorScreen(self.client, Inspected(
            self.site.devices[instance].info, object_id, self.site.object_name(instance, object_id), self.read_only),
            audit=self.runtime.audit))

    def action_plot(self) -> None:
        """Plot the point under the cursor in the Trends tab (F8), or take it off."""
        target = self._under_cursor(devices=False)
        if target is None:
            self.notify("Put the cursor on a point to plot it", severity="warning")
            return
        if target[1].startswith(("trend-log,", "trend-log-multiple,")) and target not in self.app.trends.plotted:
            self.app.trends.load_log(*target)  # the log's buffer (ReadRange), not its present value
            self.notify(f"{self.site.object_name(*target)}: reading its buffer into the plot (F8)", timeout=3)
            return
        plotted = self.app.trends.toggle(target)
        name = self.site.object_name(*target)
        self.notify(f"{name}: {'plotted' if plotted else 'taken off the plot'} (F8 shows it)", timeout=3)

    # ----- device management (m) ---------------------------------------------------------------------

    @on(DeviceTree.ManageDevice)
    def _manage(self, message: DeviceTree.ManageDevice) -> None:
        self.manage_device(message.instance)

    def manage_device(self, instance: int | None = None) -> None:
        """Time sync, DCC, reinitialize, BBMD tables for the device under the cursor (or ``instance``)."""
        data = self.device_tree.cursor_data
        instance = instance if instance is not None else (data.instance if data is not None else None)
        if instance is None or instance not in self.site.devices:
            self.notify("Put the cursor on a device to manage it", severity="warning")
            return
        self.app.push_screen(DeviceActionsScreen(
            self.client, self.site.devices[instance], self.runtime.audit, read_only=self.read_only,
            changed=lambda i: self.post_message(DevicesChanged([i])), bbmd=default_bbmd(self.runtime)))

    # ----- filter (the navigator owns it) ------------------------------------------------------------

    def open_filter(self) -> None:
        self.navigator.open_filter()

    def close_filter(self) -> bool:
        return self.navigator.close_filter()
