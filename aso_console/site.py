"""What the console knows about the site: devices, their points, who is offline.

Plain data kept by the app and rendered by the widgets; every network call
that fills it lives in the app's workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aso_runtime.bacnet import DeviceInfo, ObjectInfo

COMMANDABLE_TYPES = ("analog-output", "analog-value", "binary-output", "binary-value", "multi-state-output",
                     "multi-state-value", "integer-value", "positive-integer-value", "large-analog-value",
                     "characterstring-value", "lighting-output")


def is_commandable_type(object_id: str) -> bool:
    return object_id.split(",")[0] in COMMANDABLE_TYPES


@dataclass
class SiteDevice:
    info: DeviceInfo
    name: str | None = None
    model: str | None = None
    vendor: str | None = None
    points: dict[str, ObjectInfo] | None = None  # None until the object list is loaded
    offline: bool = False
    error: str | None = None

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

    def add(self, info: DeviceInfo) -> SiteDevice:
        device = self.devices.get(info.instance)
        if device is None:
            device = self.devices[info.instance] = SiteDevice(info)
        else:
            device.info = info
            device.offline = False
        return device

    def point(self, instance: int, object_id: str) -> ObjectInfo | None:
        device = self.devices.get(instance)
        if device is None or device.points is None:
            return None
        return device.points.get(object_id)

    def point_count(self) -> int:
        return sum(len(d.points) for d in self.devices.values() if d.points)

    def search(self, text: str) -> list[tuple[int, str]]:
        """(instance, object_id) of points whose name or id contains ``text``."""
        needle = text.strip().lower()
        found = []
        for device in self.devices.values():
            for point in (device.points or {}).values():
                if needle in point.object_id.lower() or needle in (point.name or "").lower():
                    found.append((device.instance, point.object_id))
        return found
