"""What each line of the site tree says: the network, the device and its state, a group and its count, a point."""

from __future__ import annotations

import math
import time

from rich.text import Text

from aso_runtime.bacnet import object_type as type_row
from aso_runtime.bacnet import short_id

from ..site import Site, SiteDevice
from ..site_outline import NodeData, SiteOutline


def node_label(site: Site, outline: SiteOutline, data: NodeData) -> Text:
    kind = data.kind
    if kind == "network":
        return Text(data.network or "")
    if kind == "device":
        return device_label(site.devices[data.instance])
    if kind == "group":
        count = len(outline.groups(data.instance).get(data.object_type, ()))
        return Text.assemble(type_row(data.object_type).plural, (f" ({count})", "dim"))
    if kind == "point":
        point = site.point(data.instance, data.object_id)
        return Text.assemble((short_id(data.object_id), "dim"), " ", (point.name if point else "") or "")
    if data.instance is None:  # the filter's answer when nothing matches
        return Text(f"no point or device matches {outline.query.text!r} (Esc clears)", style="italic yellow")
    device = site.devices.get(data.instance)
    if device is None or device.points is None:
        return Text("loading points...", style="dim italic")
    return Text(device.error or "no points", style="dim italic")


def communication_text(device: SiteDevice, now: float | None = None) -> str | None:
    """``comm disabled 14 min`` / ``comm disabled`` / ``initiation disabled 3 min`` while a DCC of ours lasts.

    ``now`` is time.monotonic() (given by tests). None when communication is
    enabled, or when the timed disable has run out (the device re-enabled itself).
    """
    if device.communication == "enable":
        return None
    what = "comm disabled" if device.communication == "disable" else "initiation disabled"
    if device.communication_until is None:
        return what
    left = device.communication_until - (time.monotonic() if now is None else now)
    if left <= 0:
        return None
    return f"{what} {math.ceil(left / 60)} min"  # rounded up: "0 min" would read as over


def device_label(device: SiteDevice) -> Text:
    """``1001 AHU-1 (19)``; ``offline`` in red when it stopped answering; a DCC disable of ours while it lasts."""
    label = Text(str(device.instance), style="bold")
    if device.name:
        label.append(f" {device.name}")
    communication = communication_text(device)
    if communication is not None:
        # Before "offline": a device we told to be silent is expected not to answer.
        label.append(f" {communication}", style="bold yellow")
        if device.points is not None:
            label.append(f" ({len(device.points)})", style="dim")
    elif device.offline:
        label.append(" offline", style="bold red")
    elif device.points is not None:
        label.append(f" ({len(device.points)})", style="dim")
    return label
