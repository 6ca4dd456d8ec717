"""The site outline: which lines the tree shows, computed from plain data (no UI)."""

from __future__ import annotations

from aso_console.site import Site
from aso_console.site_outline import FILTER_OPENS, NodeData, SiteOutline
from aso_runtime.bacnet import DeviceInfo, ObjectInfo


def device(site: Site, instance: int, name: str, points: list[tuple[str, str]] | None, network: int | None = None):
    info = DeviceInfo(instance=instance, address=f"0x{instance % 250:02x}", vendor_id=999, max_apdu=1476,
                      segmentation="segmented-both", network=network)
    added = site.add(info)
    added.name = name
    if points is not None:
        added.points = {object_id: ObjectInfo(device_instance=instance, object_id=object_id, name=point_name)
                        for object_id, point_name in points}
    return added


def small_site() -> tuple[Site, SiteOutline]:
    site = Site()
    outline = SiteOutline(site)
    device(site, 2001, "VAV-1-01", [("analog-value,3", "VAV-1-01 Zone Setpoint"), ("analog-input,1", "VAV-1-01 Zone Temp"),
                                   ("analog-input,10", "VAV-1-01 Airflow"), ("analog-input,2", "VAV-1-01 Damper")])
    device(site, 1001, "AHU-1", [("binary-output,1", "AHU-1 Fan"), ("analog-output,1", "AHU-1 Supply Fan Speed")])
    device(site, 3001, "PLANT-1", None, network=5)
    for instance in (2001, 1001, 3001):
        outline.add_device(instance)
        outline.points_changed(instance)
    return site, outline


def shown(outline: SiteOutline) -> list[tuple]:
    return [(line.depth, line.data.kind, line.data.instance, line.data.object_id or line.data.object_type
             or line.data.network) for line in outline.lines]


def test_networks_then_devices_by_instance_closed_until_opened():
    _, outline = small_site()
    assert shown(outline) == [
        (0, "network", None, "Local network"), (1, "device", 1001, None), (1, "device", 2001, None),
        (0, "network", None, "Network 5"), (1, "device", 3001, None)]


def test_groups_in_object_type_order_points_by_instance():
    _, outline = small_site()
    outline.set_open(NodeData("device", 2001), True)
    outline.set_open(NodeData("group", 2001, "analog-input"), True)
    assert [s[3] for s in shown(outline) if s[2] == 2001][1:] == [
        "analog-input", "analog-input,1", "analog-input,2", "analog-input,10", "analog-value"]
    # A device whose points are not read yet shows one note line (the tree says "loading").
    outline.set_open(NodeData("device", 3001), True)
    assert shown(outline)[-1] == (2, "note", 3001, None)


def test_guides_know_the_last_child_at_every_level():
    _, outline = small_site()
    outline.set_open(NodeData("device", 1001), True)
    lines = {line.data: line for line in outline.lines}
    assert lines[NodeData("device", 1001)].last == (False,)
    assert lines[NodeData("group", 1001, "binary-output")].last == (False, True)
    assert lines[NodeData("device", 2001)].last == (True,)


def test_filter_by_name_or_id_keeps_matches_and_their_context():
    _, outline = small_site()
    assert outline.set_filter("zone") == 2
    assert [s for s in shown(outline) if s[1] == "point"] == [
        (3, "point", 2001, "analog-input,1"), (3, "point", 2001, "analog-value,3")]
    assert all(s[2] != 1001 for s in shown(outline))  # nothing of the AHU matches
    for typed in ("AI10", "ai:10", "analog-input,10"):
        outline.set_filter(typed)
        assert [s[3] for s in shown(outline) if s[1] == "point"] == ["analog-input,10"], typed


def test_a_device_matching_by_name_or_instance_shows_all_its_points():
    _, outline = small_site()
    outline.set_filter("ahu")
    assert [s[3] for s in shown(outline) if s[1] == "group"] == ["analog-output", "binary-output"]
    assert outline.set_filter("3001") == 0  # the device matches; it has no points to count
    assert (1, "device", 3001, None) in shown(outline)


def test_no_match_is_one_note_line():
    _, outline = small_site()
    outline.set_filter("no such point")
    assert shown(outline) == [(0, "note", None, None)]


def test_a_filter_opens_groups_within_a_budget_of_point_lines():
    site = Site()
    outline = SiteOutline(site)
    many = [(f"analog-value,{n}", f"Setpoint {n}") for n in range(FILTER_OPENS + 1)]
    device(site, 1, "BIG", many + [("analog-input,1", "Setpoint sensor")])
    outline.add_device(1)
    outline.points_changed(1)
    outline.set_filter("setpoint")
    groups = {line.data.object_type: line.expanded for line in outline.lines if line.data.kind == "group"}
    assert groups == {"analog-input": True, "analog-value": False}  # 301 would pass the budget: counts only


def test_clearing_the_filter_brings_back_what_the_technician_had_open():
    _, outline = small_site()
    outline.set_open(NodeData("device", 1001), True)
    outline.set_filter("zone")
    outline.set_open(NodeData("group", 2001, "analog-input"), False)  # closed while filtering
    outline.set_filter("")
    assert outline.is_open(NodeData("device", 1001)) and not outline.is_open(NodeData("device", 2001))


def test_a_device_arriving_while_filtering_is_matched_and_open():
    site, outline = small_site()
    outline.set_filter("zone")
    device(site, 2002, "VAV-1-02", [("analog-input,1", "VAV-1-02 Zone Temp")])
    outline.add_device(2002)
    outline.points_changed(2002)
    assert outline.matches == 3
    assert outline.is_open(NodeData("device", 2002))
    assert outline.index_of(NodeData("group", 2002, "analog-input")) is not None


def test_ancestors_and_parent():
    _, outline = small_site()
    point = NodeData("point", 2001, "analog-input", "analog-input,1")
    assert outline.ancestors(point) == [NodeData("network", network="Local network"), NodeData("device", 2001),
                                        NodeData("group", 2001, "analog-input")]
    outline.reveal(point)
    assert outline.index_of(point) is not None
