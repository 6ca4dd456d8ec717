"""What the console knows about the site: devices, their points, who is offline.

Plain data kept by the app and rendered by the widgets; every network call
that fills it lives in the app's workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aso_runtime.bacnet import DeviceInfo, ObjectId, ObjectInfo
from aso_runtime.verbs.text import PointLabels

from .history import PointHistory


@dataclass
class SiteDevice:
    info: DeviceInfo
    name: str | None = None
    model: str | None = None
    vendor: str | None = None
    points: dict[str, ObjectInfo] | None = None  # None until the object list is loaded
    offline: bool = False
    error: str | None = None
    # DeviceCommunicationControl this console sent ("enable", "disable", "disable-initiation") and, for a
    # timed disable, the time.monotonic() it ends: the tree says so, and a silent device is not "offline".
    communication: str = "enable"
    communication_until: float | None = None

    @property
    def instance(self) -> int:
        return self.info.instance

    @property
    def network_label(self) -> str:
        return f"Network {self.info.network}" if self.info.network else "Local network"

    @property
    def label(self) -> str:
        return f"{self.instance} {self.name or ''}".strip()


@dataclass
class Site:
    devices: dict[int, SiteDevice] = field(default_factory=dict)
    # Live state per point: (instance, object_id) -> {"present-value": ..., "ccp": ...}
    live: dict[tuple[int, str], dict] = field(default_factory=dict)
    # The words of binary and multi-state points (active/inactive text, state text), read with the points.
    texts: dict[tuple[int, str], PointLabels] = field(default_factory=dict)
    # Every watched point's values over time (sparklines, the Trends tab), and ASO writes to mark.
    history: PointHistory = field(default_factory=PointHistory)

    def add(self, info: DeviceInfo) -> SiteDevice:
        device = self.devices.get(info.instance)
        if device is None:
            device = self.devices[info.instance] = SiteDevice(info)
        else:
            device.info = info
            device.offline = False
        return device

    def point(self, instance: int, object_id: "str | ObjectId") -> ObjectInfo | None:
        device = self.devices.get(instance)
        if device is None or device.points is None:
            return None
        return device.points.get(str(object_id))

    def object_name(self, instance: int, object_id: str) -> str:
        """The object's name as discovered (a device's own name for its device object), else its id."""
        point = self.point(instance, object_id)
        device = self.devices.get(instance)
        if point is not None and point.name:
            return point.name
        if device is not None and device.name and object_id == f"device,{instance}":
            return device.name
        return object_id

    def point_count(self) -> int:
        return sum(len(d.points) for d in self.devices.values() if d.points)

    def labels(self, instance: int, object_id: "str | ObjectId") -> PointLabels:
        """What makes the point's values readable: its units and, where it has them, its state words."""
        texts = self.texts.get((instance, str(object_id)))
        point = self.point(instance, object_id)
        units = point.units if point is not None else None
        if texts is None:
            return PointLabels(units=units)
        return PointLabels(units, texts.state_texts, texts.active_text, texts.inactive_text)
