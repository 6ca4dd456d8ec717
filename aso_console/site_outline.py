"""Which lines the site tree shows: networks, devices, object-type groups, points.

Plain data, no widgets: the outline is computed from the site model, the
nodes the technician opened and the filter, and the tree widget renders only
the lines on screen. A device's points are arranged once when its list
arrives (:class:`PointIndex`); a filter keystroke recomputes what matches and
which lines exist, never anything per point on screen.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import NamedTuple

from .filtering import PointIndex, Query
from .site import Site

FILTER_OPENS = 300  # point lines a filter opens at most (beyond: groups with their counts, opened on Enter)


@dataclass(frozen=True)
class NodeData:
    kind: str  # 'site', 'network', 'device', 'group', 'point', 'note'
    instance: int | None = None
    object_type: str | None = None
    object_id: str | None = None
    network: str | None = None  # a network node's label


ROOT = NodeData("site")
EXPANDABLE = frozenset({"site", "network", "device", "group"})


class Line(NamedTuple):
    data: NodeData
    depth: int
    last: tuple[bool, ...]  # per level below the networks: is this (or its ancestor) the last child
    expanded: bool

    @property
    def expandable(self) -> bool:
        return self.data.kind in EXPANDABLE


class SiteOutline:
    def __init__(self, site: Site) -> None:
        self.site = site
        self._networks: dict[str, list[int]] = {}  # label -> device instances, sorted
        self._network_of: dict[int, str] = {}
        self._index: dict[int, PointIndex] = {}
        self.opened: set[NodeData] = set()  # what the technician opened
        self._filter_opened: set[NodeData] = set()  # what is open while a filter is on
        self.query = Query.of("")
        self._hits: dict[int, frozenset[str] | None] = {}  # under a filter: per shown device (None: all points)
        self._counts: dict[int, int] = {}  # under a filter: points matched, per device
        self._groups: dict[int, dict[str, tuple]] = {}  # per device: type -> points shown (this filter)
        self._lines: list[Line] | None = None
        self._line_of: dict[NodeData, int] = {}

    # ----- what the site holds ----------------------------------------------------------------------------

    def add_device(self, instance: int) -> None:
        label = self.site.devices[instance].network_label
        old = self._network_of.get(instance)
        if old == label:
            return
        if old is not None:
            self._networks[old].remove(instance)
        if label not in self._networks:
            self._networks[label] = []
            self.opened.add(NodeData("network", network=label))
        bisect.insort(self._networks[label], instance)
        self._network_of[instance] = label
        if self.query:
            self._match_late(instance, label)
        self.changed()

    def points_changed(self, instance: int) -> None:
        """The device's point list arrived or was read again: arrange it once."""
        points = self.site.devices[instance].points
        if points:
            self._index[instance] = PointIndex.of(points)
        else:
            self._index.pop(instance, None)
        if self.query and instance in self._network_of:
            self._match_late(instance, self._network_of[instance])
        self.changed()

    def has_device(self, instance: int) -> bool:
        return instance in self._network_of and self._device_shown(instance)

    def changed(self) -> None:
        self._groups.clear()
        self._lines = None

    # ----- the filter ---------------------------------------------------------------------------------------

    def set_filter(self, text: str) -> int:
        """Keep the devices and points matching ``text``; returns how many points match."""
        self.query = Query.of(text)
        self._hits = {}
        self._counts = {}
        if self.query:
            for instance in self._network_of:
                self._match_device(instance)
            self._filter_opened = {NodeData("network", network=label) for label in self._networks}
            self._open_matches()
        self.changed()
        return self.matches

    def _match_device(self, instance: int) -> None:
        device = self.site.devices[instance]
        index = self._index.get(instance)
        hits = index.matching(self.query) if index is not None else frozenset()
        self._counts[instance] = len(hits)
        self._hits.pop(instance, None)
        if self.query.needle in f"{instance} {device.name or ''}".lower():
            self._hits[instance] = None  # the device itself matches: all its points
        elif hits:
            self._hits[instance] = hits

    def _match_late(self, instance: int, network: str) -> None:
        """A device (or its points) arriving while a filter is on: shown open if it matches."""
        self._match_device(instance)
        if self._device_shown(instance):
            self._filter_opened |= {NodeData("network", network=network), NodeData("device", instance)}

    @property
    def matches(self) -> int:
        """Points the filter matches (by name or id)."""
        return sum(self._counts.values())

    def _open_matches(self) -> None:
        """Open every shown device, and the groups that fit a budget of point lines."""
        budget = FILTER_OPENS
        for label in self._networks:
            for instance in self._networks[label]:
                if not self._device_shown(instance):
                    continue
                device = NodeData("device", instance)
                self._filter_opened.add(device)
                for object_type, points in self.groups(instance).items():
                    if len(points) <= budget:
                        budget -= len(points)
                        self._filter_opened.add(NodeData("group", instance, object_type))

    def _device_shown(self, instance: int) -> bool:
        return not self.query or instance in self._hits

    def groups(self, instance: int) -> dict[str, tuple]:
        """The device's type groups as shown: every point, or the filter's matches."""
        cached = self._groups.get(instance)
        if cached is not None:
            return cached
        index = self._index.get(instance)
        hits = self._hits.get(instance) if self.query else None
        if index is None:
            groups = {}
        elif hits is None:
            groups = index.by_type
        else:
            groups = {}
            for object_type, points in index.by_type.items():
                kept = tuple(point for point in points if point.object_id in hits)
                if kept:
                    groups[object_type] = kept
        self._groups[instance] = groups
        return groups

    # ----- open and closed ------------------------------------------------------------------------------------

    @property
    def _open(self) -> set[NodeData]:
        return self._filter_opened if self.query else self.opened

    def is_open(self, data: NodeData) -> bool:
        return data.kind == "site" or data in self._open

    def set_open(self, data: NodeData, is_open: bool) -> None:
        if data.kind not in EXPANDABLE or is_open == self.is_open(data):
            return
        if is_open:
            self._open.add(data)
        else:
            self._open.discard(data)
        self._lines = None

    def reveal(self, data: NodeData) -> None:
        """Open what leads to ``data`` (for the technician's own tree, after a filter)."""
        for ancestor in self.ancestors(data):
            self.set_open(ancestor, True)

    def ancestors(self, data: NodeData) -> list[NodeData]:
        """From the network down to the node's parent."""
        chain = []
        parent = self.parent(data)
        while parent is not None and parent.kind != "site":
            chain.append(parent)
            parent = self.parent(parent)
        return chain[::-1]

    def parent(self, data: NodeData) -> NodeData | None:
        if data.kind in ("site",):
            return None
        if data.kind == "network" or data.instance is None:
            return ROOT
        if data.kind in ("device",):
            label = self._network_of.get(data.instance)
            return NodeData("network", network=label) if label is not None else ROOT
        if data.kind == "point":
            return NodeData("group", data.instance, data.object_type)
        return NodeData("device", data.instance)  # a group, or a device's note

    # ----- the lines ------------------------------------------------------------------------------------------

    def children(self, data: NodeData) -> list[NodeData]:
        kind = data.kind
        if kind == "site":
            networks = [NodeData("network", network=label) for label, instances in self._networks.items()
                        if any(self._device_shown(i) for i in instances)]
            if self.query and not networks:
                return [NodeData("note")]
            return networks
        if kind == "network":
            return [NodeData("device", i) for i in self._networks.get(data.network, ()) if self._device_shown(i)]
        if kind == "device":
            groups = self.groups(data.instance)
            if not groups:
                return [NodeData("note", data.instance)]  # loading, no points, or why not
            return [NodeData("group", data.instance, object_type) for object_type in groups]
        if kind == "group":
            points = self.groups(data.instance).get(data.object_type, ())
            return [NodeData("point", data.instance, data.object_type, point.object_id) for point in points]
        return []

    @property
    def lines(self) -> list[Line]:
        if self._lines is None:
            self._build()
        return self._lines

    def index_of(self, data: NodeData | None) -> int | None:
        if data is None:
            return None
        self.lines  # noqa: B018 (built on demand)
        return self._line_of.get(data)

    def _build(self) -> None:
        lines: list[Line] = []

        def walk(parent: NodeData, depth: int, last: tuple[bool, ...]) -> None:
            children = self.children(parent)
            for position, child in enumerate(children):
                # Networks are the top level: their lines have no guides.
                own = last + (position == len(children) - 1,) if depth else ()
                expanded = child.kind in EXPANDABLE and self.is_open(child)
                lines.append(Line(child, depth, own, expanded))
                if expanded:
                    walk(child, depth + 1, own)

        walk(ROOT, 0, ())
        self._lines = lines
        self._line_of = {line.data: number for number, line in enumerate(lines)}
