"""The site tree: network, then device, then object-type groups, then objects.

Object lists load lazily: expanding a device asks the app (via a message)
to read its points in a worker. ``/`` filters by name or id across the
points already loaded, keeping their devices and groups as context.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from aso_runtime.bacnet import object_type as type_row
from aso_runtime.bacnet import parse_object_id, short_id

from ..filtering import point_matcher
from ..site import Site, SiteDevice

FILTER_OPENS = 300  # point leaves a filter keystroke opens at most (the rest: groups with their counts)


@dataclass(frozen=True)
class NodeData:
    kind: str  # 'network', 'device', 'group', 'point', 'loading'
    instance: int | None = None
    object_type: str | None = None
    object_id: str | None = None


class DeviceTree(Tree[NodeData]):
    """Devices stream in as their I-Ams arrive; points load on expand."""

    BINDINGS = [
        Binding("r", "refresh_device", "Reload", id="tree.reload"),
        # Tab goes to the points (in the narrow layout they are not on screen to be tabbed to).
        Binding("tab", "open_points", "Points", show=False, id="tree.points"),
    ]

    class LoadPoints(Message):
        def __init__(self, instance: int) -> None:
            super().__init__()
            self.instance = instance

    class Chosen(Message):
        """The highlighted node changed: show its points."""

        def __init__(self, data: NodeData) -> None:
            super().__init__()
            self.data = data

    class PointOpened(Message):
        """Enter on a point, or Tab: go to the points (the row and its priority array)."""

    def __init__(self, site: Site, **kwargs) -> None:
        super().__init__("BACnet site", data=NodeData("site"), **kwargs)
        self.site = site
        self.filter_text = ""
        self._match = point_matcher("")
        self._whole_devices: set[int] = set()  # devices the filter matched by name: all their points
        self._open_budget = 0  # point leaves the filter may still open this keystroke
        self._hits: dict[int, frozenset[str]] = {}  # what the filter matched, per device (computed once a keystroke)
        self._no_match: TreeNode[NodeData] | None = None
        self.show_root = False
        self.guide_depth = 2
        self._networks: dict[str, TreeNode[NodeData]] = {}
        self._devices: dict[int, TreeNode[NodeData]] = {}
        self._cursor_placed = False
        self._shown: dict[int, frozenset[str] | None] = {}  # what the filter last left visible

    def _place_cursor(self) -> None:
        cursor = self.cursor_node
        if self._devices and (cursor is None or cursor.data is None or cursor.data.kind in ("network", "site")):
            self.move_cursor(self._devices[min(self._devices)])

    # ----- building ----------------------------------------------------------------

    def _network_node(self, device: SiteDevice) -> TreeNode[NodeData]:
        key = device.network_label
        if key not in self._networks:
            self._networks[key] = self.root.add(key, data=NodeData("network"), expand=True)
        return self._networks[key]

    def device_label(self, device: SiteDevice) -> Text:
        label = Text(str(device.instance), style="bold")
        if device.name:
            label.append(f" {device.name}")
        if device.offline:
            label.append(" offline", style="bold red")
        elif device.points is not None:
            label.append(f" ({len(device.points)})", style="dim")
        return label

    def add_device(self, device: SiteDevice) -> None:
        """Add or relabel a device (devices are kept sorted by instance)."""
        node = self._devices.get(device.instance)
        if node is not None:
            node.set_label(self.device_label(device))
            return
        parent = self._network_node(device)
        siblings = [c for c in parent.children if c.data and c.data.kind == "device"]
        before = next((c for c in siblings if c.data.instance > device.instance), None)
        node = parent.add(self.device_label(device), data=NodeData("device", device.instance),
                          before=before, allow_expand=True)
        node.add_leaf(Text("loading points...", style="dim italic"), data=NodeData("loading", device.instance))
        self._devices[device.instance] = node
        # Start the technician on the first device, not on the network heading.
        if not self._cursor_placed:
            self._cursor_placed = True
            self.call_after_refresh(self._place_cursor)

    def relabel(self, instance: int) -> None:
        device = self.site.devices.get(instance)
        node = self._devices.get(instance)
        if device is not None and node is not None:
            node.set_label(self.device_label(device))

    def _matches(self, point, instance: int) -> bool:  # noqa: ANN001 (ObjectInfo)
        if not self.filter_text or instance in self._whole_devices:
            return True
        return point.object_id in self._hits.get(instance, ())

    def show_points(self, instance: int) -> None:
        """Fill a device node with its type groups; a group's points are added when it opens.

        Building every leaf up front costs tens of thousands of nodes on a big
        site (and again on every filter keystroke); groups are cheap.
        """
        device = self.site.devices[instance]
        node = self._devices.get(instance)
        if node is None:
            return
        self._shown.pop(instance, None)
        node.remove_children()
        node.set_label(self.device_label(device))
        if not device.points:
            node.add_leaf(Text(device.error or "no points", style="dim italic"), data=NodeData("loading", instance))
            return
        groups: dict[str, int] = {}
        for point in device.points.values():
            if self._matches(point, instance):
                groups[point.object_type] = groups.get(point.object_type, 0) + 1
        for object_type in sorted(groups, key=lambda name: type_row(name).number):
            group = node.add(Text.assemble(type_row(object_type).plural, (f" ({groups[object_type]})", "dim")),
                             data=NodeData("group", instance, object_type))
            group.add_leaf(Text("...", style="dim"), data=NodeData("loading", instance))
            # A filter opens the groups that match, up to a budget of leaves per keystroke:
            # thousands of matches would cost seconds of tree building; beyond the budget
            # the groups show their counts and open on Enter.
            if self.filter_text and groups[object_type] <= self._open_budget:
                self._open_budget -= groups[object_type]
                self.fill_group(group)
                group.expand()

    def fill_group(self, group: TreeNode[NodeData]) -> None:
        """Add a group's point leaves (once, or again after the filter changed)."""
        data = group.data
        device = self.site.devices.get(data.instance)
        if device is None or not device.points:
            return
        if getattr(group, "_filled_for", None) == self.filter_text:
            return
        group.remove_children()
        points = [p for p in device.points.values()
                  if p.object_type == data.object_type and self._matches(p, data.instance)]
        for point in sorted(points, key=lambda p: p.oid):
            group.add_leaf(Text.assemble((short_id(point.object_id), "dim"), " ", point.name or ""),
                           data=NodeData("point", data.instance, data.object_type, point.object_id))
        group._filled_for = self.filter_text

    # ----- filtering ------------------------------------------------------------------

    def apply_filter(self, text: str) -> int:
        """Show only devices and points matching ``text``; returns how many points match.

        A device matches by its instance or name (then all its points show)
        or through its points; devices that match nothing leave the tree
        until the filter is cleared, and no match at all says so.
        """
        self.filter_text = text.strip()
        self._match = point_matcher(self.filter_text)
        self._open_budget = FILTER_OPENS
        self._hits = {}
        needle = self.filter_text.lower()
        shown: dict[int, frozenset[str] | None] = {}
        self._whole_devices = set()
        count = 0
        for instance, device in self.site.devices.items():
            if not needle:
                shown[instance] = None
                continue
            hits = frozenset(p.object_id for p in (device.points or {}).values() if self._match(p))
            self._hits[instance] = hits
            if needle in f"{instance} {device.name or ''}".lower():
                self._whole_devices.add(instance)
                shown[instance] = frozenset((device.points or {}).keys())
            elif hits:
                shown[instance] = hits
            count += len(hits)
        with self.app.batch_update():
            self._show_devices(shown)
        return count

    def _show_devices(self, shown: dict[int, frozenset[str] | None]) -> None:
        if self._no_match is not None:
            self._no_match.remove()
            self._no_match = None
        for instance in [i for i in self._devices if i not in shown]:
            self._devices.pop(instance).remove()
            self._shown.pop(instance, None)
        for instance in sorted(shown):
            device = self.site.devices[instance]
            if instance not in self._devices:
                self.add_device(device)
            # Rebuild a device only when what it shows changed (a keystroke on a
            # big site would otherwise rebuild every device).
            if device.points is not None and self._shown.get(instance, "unset") != shown[instance]:
                self.show_points(instance)
                self._shown[instance] = shown[instance]
            node = self._devices[instance]
            if self.filter_text:
                node.expand()
        for network in list(self._networks.values()):
            if self.filter_text and not any(c.data and c.data.kind == "device" for c in network.children):
                network.collapse()
            else:
                network.expand()
        if self.filter_text and not shown:
            self._no_match = self.root.add_leaf(
                Text(f"no point or device matches {self.filter_text!r} (Esc clears)", style="italic yellow"),
                data=NodeData("loading"))

    # ----- events ------------------------------------------------------------------------

    def _on_tree_node_expanded(self, event: Tree.NodeExpanded[NodeData]) -> None:
        data = event.node.data
        if data and data.kind == "group":
            self.fill_group(event.node)
        if data and data.kind == "device":
            device = self.site.devices.get(data.instance)
            if device is not None and device.points is None:
                self.post_message(self.LoadPoints(data.instance))

    def _on_tree_node_highlighted(self, event: Tree.NodeHighlighted[NodeData]) -> None:
        if event.node.data is not None:
            self.post_message(self.Chosen(event.node.data))

    def _on_tree_node_selected(self, event: Tree.NodeSelected[NodeData]) -> None:
        if event.node.data is not None and event.node.data.kind == "point":
            self.post_message(self.PointOpened())

    def action_open_points(self) -> None:
        self.post_message(self.PointOpened())

    def action_refresh_device(self) -> None:
        node = self.cursor_node
        while node is not None and (node.data is None or node.data.kind not in ("device",)):
            node = node.parent
        if node is not None and node.data is not None:
            self.post_message(self.LoadPoints(node.data.instance))

    def select_point(self, instance: int, object_id: str) -> bool:
        """Move the cursor to a point (expanding its device and group)."""
        node = self._devices.get(instance)
        if node is None:
            return False
        node.expand()
        for group in node.children:
            if group.data is None or group.data.object_type != parse_object_id(object_id).type:
                continue
            self.fill_group(group)
            for leaf in group.children:
                if leaf.data and leaf.data.object_id == object_id:
                    group.expand()
                    # Expanded lines exist only after the next refresh.
                    self.call_after_refresh(self.move_cursor, leaf)
                    return True
        return False

    def device_node(self, instance: int) -> TreeNode[NodeData] | None:
        return self._devices.get(instance)
