"""As-found / as-left snapshots, their diff, and the point-list exports, against the simulated building.

Overrides are placed by another client on the site (the operator), as a
BAS front end or a colleague's laptop would; the snapshot must see them.
The `aso` tests run the real CLI as a process bound to 127.0.0.1 on ports
48300-48399, registered with the simulator served on loopback by this test.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from aso_runtime.bacnet import InvalidInput, open_client
from aso_runtime.closeout.exports import EDE_COLUMNS, ede_files, points_csv, state_texts_path, write_ede
from aso_runtime.closeout.snapshot import (
    FORMAT_VERSION,
    Snapshot,
    SnapshotDevice,
    SnapshotPoint,
    diff,
    load_snapshot,
    save_snapshot,
    take_snapshot,
)
from aso_runtime.closeout.snapshot_store import list_snapshots, snapshot_dir, snapshot_path
from aso_runtime.sim import SimulatedBuilding

from .closeout_site import aso_command, loopback_ports, run_aso, site  # noqa: F401 (site is a fixture)
from .hosts import aso_env

SETPOINT = "analog-value,1"  # VAV-1-01 Cooling Setpoint
ZONE_TEMP = "analog-input,1"


def _point(snapshot: Snapshot, device: int, object_id: str) -> SnapshotPoint:
    return next(p for p in snapshot.points if p.key == (device, object_id))


# ----- reading the site ---------------------------------------------------------------------


async def test_a_snapshot_holds_every_device_and_point_with_words_and_priority_arrays(site):
    snapshot = await take_snapshot(site.client, name="as-found")
    # The operator's tool (777) is a device on the site too, one without points.
    assert [d.instance for d in snapshot.devices] == [777, 1001, 2001, 2002, 2003, 2004, 2005, 3001, 4001]
    assert snapshot.points_of(777) == []
    ahu = snapshot.device(1001)
    assert (ahu.name, ahu.vendor_name, ahu.model_name, ahu.vendor_id) == ("AHU-1", "ASO Console", "SIM-AHU", 999)
    assert all(d.error is None for d in snapshot.devices) and snapshot.errors == []

    fan = _point(snapshot, 1001, "binary-output,1")
    assert fan.commandable and len(fan.priority_array) == 16
    assert (fan.inactive_text, fan.active_text) == ("Stop", "Start")
    assert fan.value_text in ("active (Start)", "inactive (Stop)")
    mode = _point(snapshot, 1001, "multi-state-value,1")
    assert mode.state_texts == ["occupied", "unoccupied", "standby"]
    assert mode.value_text == "1 (occupied)"
    sensor = _point(snapshot, 2001, ZONE_TEMP)
    assert not sensor.commandable and sensor.priority_array is None
    assert sensor.units == "degrees-fahrenheit" and sensor.value_text.endswith("°F")
    assert sensor.out_of_service is False and sensor.status_flags == []
    # The meter refuses ReadPropertyMultiple: its points are read one property at a time.
    limit = _point(snapshot, 4001, "analog-value,1")
    assert limit.name == "METER-1 Demand Limit" and limit.commandable and limit.relinquish_default > 0
    # Devices, network ports and the like are not points.
    assert not any(p.object_id.startswith(("device,", "network-port,")) for p in snapshot.points)


async def test_snapshot_of_named_devices_and_one_that_is_not_there(site):
    snapshot = await take_snapshot(site.client, [2001, "4001", 2999])
    assert [d.instance for d in snapshot.devices] == [2001, 4001]
    assert {p.device for p in snapshot.points} == {2001, 4001}
    assert [e["device"] for e in snapshot.errors] == ["2999"]
    with pytest.raises(InvalidInput):
        await take_snapshot(site.client, ["10.0.0.255/24"])


async def test_diff_finds_a_placed_slot_and_a_point_newly_out_of_service(site):
    as_found = await take_snapshot(site.client, name="as-found")
    await site.operator.write(2001, SETPOINT, 68.0, 8)
    await site.operator.write(2002, ZONE_TEMP, True, None, "out-of-service")
    as_left = await take_snapshot(site.client, name="as-left")

    changes = diff(as_found, as_left)
    slot = [s for s in changes.slots if s.priority < 16]
    assert [(s.device, s.object_id, s.priority, s.change, s.before, s.after) for s in slot] == \
        [(2001, SETPOINT, 8, "placed", None, 68.0)]
    assert slot[0].after_text == "68 °F" and slot[0].level == "Manual Operator"
    assert [(c.device, c.object_id, c.before, c.after) for c in changes.newly_out_of_service] == \
        [(2002, ZONE_TEMP, False, True)]
    moved = {(v.device, v.object_id): v for v in changes.values}
    assert moved[(2001, SETPOINT)].delta == pytest.approx(-6.0)  # 74 °F relinquish default -> 68 °F
    assert not (changes.devices_added or changes.devices_removed or changes.points_added or changes.points_removed)

    # Released and back in service: the same two show up the other way round.
    await site.operator.release(2001, SETPOINT, 8)
    await site.operator.write(2002, ZONE_TEMP, False, None, "out-of-service")
    later = diff(as_left, await take_snapshot(site.client, name="later"))
    assert [(s.device, s.object_id, s.priority, s.change) for s in later.slots if s.priority < 16] == \
        [(2001, SETPOINT, 8, "released")]
    assert [(c.object_id, c.after) for c in later.out_of_service] == [(ZONE_TEMP, False)]
    assert later.newly_out_of_service == []


# ----- diff rules on plain records ------------------------------------------------------------


def _snap(name: str, *points: SnapshotPoint, devices: tuple[SnapshotDevice, ...] | None = None) -> Snapshot:
    devices = devices if devices is not None else tuple(SnapshotDevice(n, f"0x{n:02x}") for n in {p.device for p in points})
    return Snapshot(name, "2026-11-29T10:00:00Z", "tech@laptop", "aso test", list(devices), list(points))


def _slots(**held) -> list:
    array = [None] * 16
    for key, value in held.items():
        array[int(key[1:]) - 1] = value
    return array


def test_analog_values_move_beyond_the_tolerance_binary_and_states_on_any_change():
    before = _snap("a", SnapshotPoint(1, "analog-input,1", present_value=70.0),
                   SnapshotPoint(1, "analog-input,2", present_value=70.0),
                   SnapshotPoint(1, "binary-input,1", present_value="inactive"),
                   SnapshotPoint(1, "multi-state-value,1", present_value=1))
    after = _snap("b", SnapshotPoint(1, "analog-input,1", present_value=70.5),
                  SnapshotPoint(1, "analog-input,2", present_value=70.6),
                  SnapshotPoint(1, "binary-input,1", present_value="active"),
                  SnapshotPoint(1, "multi-state-value,1", present_value=2))
    moved = [v.object_id for v in diff(before, after, tolerance=0.5).values]
    assert moved == ["analog-input,2", "binary-input,1", "multi-state-value,1"]
    assert [v.object_id for v in diff(before, after, tolerance=0).values][0] == "analog-input,1"
    with pytest.raises(ValueError):
        diff(before, after, tolerance=-1)


def test_slot_changes_at_1_to_15_count_priority_16_only_when_placed_or_released():
    point = "analog-output,1"
    before = _snap("a", SnapshotPoint(1, point, commandable=True, priority_array=_slots(p8=50.0, p10=20.0, p16=40.0)))
    after = _snap("b", SnapshotPoint(1, point, commandable=True, priority_array=_slots(p8=55.0, p10=20.3, p16=44.0)))
    assert [(s.priority, s.change) for s in diff(before, after).slots] == [(8, "changed")]
    gone = _snap("c", SnapshotPoint(1, point, commandable=True, priority_array=_slots(p8=55.0)))
    assert [(s.priority, s.change) for s in diff(after, gone).slots] == [(10, "released"), (16, "released")]


def test_new_and_gone_devices_and_points_and_unreadable_devices():
    a = _snap("a", SnapshotPoint(1, "analog-input,1"), SnapshotPoint(1, "analog-input,2"), SnapshotPoint(2, "analog-input,1"),
              SnapshotPoint(3, "analog-input,1"))
    b = _snap("b", SnapshotPoint(1, "analog-input,1"), SnapshotPoint(1, "analog-input,3"), SnapshotPoint(4, "analog-input,1"),
              devices=(SnapshotDevice(1, "0x01"), SnapshotDevice(3, "0x03", error="no answer"), SnapshotDevice(4, "0x04")))
    changes = diff(a, b)
    assert [d.instance for d in changes.devices_added] == [4]
    assert [d.instance for d in changes.devices_removed] == [2]
    assert [(p.device, p.object_id) for p in changes.points_added] == [(1, "analog-input,3")]
    assert [(p.device, p.object_id) for p in changes.points_removed] == [(1, "analog-input,2")]
    assert changes.unreadable == [3]  # its points are not reported gone: they could not be read
    assert diff(a, a).empty and not changes.empty


# ----- the file -------------------------------------------------------------------------------


async def test_saved_snapshot_reads_back_the_same(site, tmp_path):
    await site.operator.write(2003, "analog-output,1", 35.0, 9)
    snapshot = await take_snapshot(site.client, [2003, 4001], name="vavs")
    path = save_snapshot(snapshot, tmp_path / "deep" / "vavs.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert (document["format"], document["version"]) == ("aso-snapshot", FORMAT_VERSION)
    assert load_snapshot(path) == snapshot
    assert _point(load_snapshot(path), 2003, "analog-output,1").priority_array[8] == 35.0
    assert list(tmp_path.joinpath("deep").iterdir()) == [path]  # no temporary file left behind


@pytest.mark.parametrize("content, fragment", [
    ("{not json", "not JSON"),
    ('{"format": "something-else", "version": 1}', "not an aso snapshot"),
    ('{"format": "aso-snapshot", "version": 99, "taken_at": "x", "devices": [], "points": []}', "newer"),
    ('{"format": "aso-snapshot", "version": 1, "taken_at": "x", "devices": [], "points": [{"device": 1}]}', "damaged"),
    ('{"format": "aso-snapshot", "version": 1, "taken_at": "x", "devices": [], '
     '"points": [{"device": 1, "object_id": "analog-output,1", "priority_array": [null]}]}', "16 slots"),
])
def test_damaged_or_foreign_files_are_refused_naming_the_file(tmp_path, content, fragment):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=fragment) as refused:
        load_snapshot(path)
    assert str(path) in str(refused.value)


def test_names_live_in_the_data_folder_and_paths_are_taken_as_given(tmp_path):
    assert snapshot_path("as-found") == snapshot_dir() / "as-found.json"
    assert str(snapshot_dir()).startswith(str(tmp_path))  # XDG_DATA_HOME points at the test's tmp
    assert snapshot_path("out/x.json").name == "x.json" and snapshot_path("x.json").parent.name != "snapshots"
    for bad in ("", "a b", "-rf", "..", "name\x00"):
        with pytest.raises(InvalidInput):
            snapshot_path(bad)
    save_snapshot(_snap("one", SnapshotPoint(1, "analog-input,1")), snapshot_path("one"))
    snapshot_dir().joinpath("broken.json").write_text("{", encoding="utf-8")
    listed = {s.name: s for s in list_snapshots()}
    assert listed["one"].points == 1 and listed["one"].error is None
    assert "not JSON" in listed["broken"].error


# ----- exports --------------------------------------------------------------------------------


async def test_point_list_csv_parses_back(site):
    await site.operator.write(2001, SETPOINT, 71.0, 8)
    snapshot = await take_snapshot(site.client, [1001, 2001])
    rows = list(csv.DictReader(io.StringIO(points_csv(snapshot))))
    assert len(rows) == len(snapshot.points)
    by_key = {(r["device"], r["object_id"]): r for r in rows}
    setpoint = by_key[("2001", SETPOINT)]
    assert (setpoint["name"], setpoint["type"], setpoint["present_value"], setpoint["units"]) == \
        ("VAV-1-01 Cooling Setpoint", "analog-value", "71", "degrees-fahrenheit")
    assert (setpoint["commandable"], setpoint["current_priority"], setpoint["device_name"]) == ("true", "8", "VAV-1-01")
    mode = by_key[("1001", "multi-state-value,1")]
    assert (mode["present_value"], mode["state_text"]) == ("1", "occupied")
    assert by_key[("2001", ZONE_TEMP)]["commandable"] == "false"


async def test_ede_export_follows_layout_2_2_and_parses_back(site, tmp_path):
    snapshot = await take_snapshot(site.client, [1001, 3001])
    main_path, states_path = write_ede(snapshot, tmp_path / "site_EDE.csv", project="Main Street")
    assert states_path == tmp_path / "site_StateTexts.csv" == state_texts_path(main_path)
    lines = main_path.read_text(encoding="utf-8").splitlines()
    header = [row[:2] for row in csv.reader(lines[:6], delimiter=";")]
    assert header[0][0] == "# Proposal_Engineering-Data-Exchange - B.I.G.-EU"
    assert dict(header[1:]) == {"PROJECT_NAME": "Main Street", "VERSION_OF_REFERENCEFILE": "1",
                                "TIMESTAMP_OF_LAST_CHANGE": snapshot.taken_at, "AUTHOR_OF_LAST_CHANGE": snapshot.taken_by,
                                "VERSION_OF_LAYOUT": "2.2"}
    assert lines[6].split(";")[:6] == ["#mandatory"] + ["mandatory"] * 4 + ["optional"]
    columns = next(csv.reader([lines[7]], delimiter=";"))
    assert [columns[0].lstrip("# ")] + columns[1:] == EDE_COLUMNS
    rows = [dict(zip(EDE_COLUMNS, row)) for row in csv.reader(lines[8:], delimiter=";")]
    assert all(len(row) == len(EDE_COLUMNS) for row in csv.reader(lines[8:], delimiter=";"))
    assert len(rows) == len(snapshot.devices) + len(snapshot.points)
    assert len({r["keyname"] for r in rows}) == len(rows)  # keynames are unique

    by_key = {r["keyname"]: r for r in rows}
    device = by_key["1001_DEV"]
    assert (device["object-type"], device["object-instance"], device["object-name"]) == ("8", "1001", "AHU-1")
    sat_sp = by_key["1001_AV2"]  # Supply Air Temperature Setpoint, degF, 45..75, commandable
    assert (sat_sp["object-type"], sat_sp["unit-code"], sat_sp["settable"], sat_sp["supports COV"]) == ("2", "64", "Y", "Y")
    assert (sat_sp["present-value-default"], sat_sp["min-present-value"], sat_sp["max-present-value"]) == ("55", "45", "75")
    assert by_key["1001_AI1"]["settable"] == "N" and by_key["1001_AI1"]["unit-code"] == "58"  # inches-of-water

    states = list(csv.reader(states_path.read_text(encoding="utf-8").splitlines()[2:], delimiter=";"))
    texts = {row[0]: [t for t in row[1:] if t] for row in states}
    fan = by_key["1001_BO1"]
    assert texts[fan["state-text-reference"]] == ["Stop", "Start"]  # inactive text first
    assert fan["present-value-default"] in ("0", "1")
    mode = by_key["1001_MSV1"]
    assert texts[mode["state-text-reference"]] == ["occupied", "unoccupied", "standby"]
    assert (mode["min-present-value"], mode["max-present-value"]) == ("1", "3")
    hp_status = by_key["3001_BI1"]
    assert texts[hp_status["state-text-reference"]] == ["Off", "Running"]
    assert ede_files(snapshot, project="Main Street")[0] == main_path.read_text(encoding="utf-8")


# ----- `aso snapshot` and `aso export` as a technician runs them -------------------------------------


async def test_aso_snapshot_save_diff_list_and_export_on_loopback(tmp_path):
    port = loopback_ports(3)
    building = await SimulatedBuilding.start(address=f"127.0.0.1/8:{port}", devices=8, step=0.5)
    try:
        operator = await open_client(address=f"127.0.0.1/8:{port + 2}", foreign=f"127.0.0.1:{port}", ttl=60, timeout=1.0)
        try:
            env = aso_env(tmp_path)

            def aso(*args: str) -> list[str]:
                return aso_command(port + 1, port, *args)

            found = await run_aso(aso("snapshot", "save", "as-found"), env)
            assert found.code == 0, found.stderr
            assert "saved" in found.stdout and "as-found.json" in found.stdout
            again = await run_aso(aso("snapshot", "save", "as-found"), env)
            assert again.code == 2 and "--force" in again.stderr

            await operator.write(2001, SETPOINT, 66.0, 8)
            await operator.write(2002, ZONE_TEMP, True, None, "out-of-service")
            left = await run_aso(aso("snapshot", "save", "as-left", "--json"), env)
            assert left.code == 0, left.stderr
            saved = json.loads(left.stdout)
            # The 8 devices, the simulator's router and the operator's tool: every device that answers.
            assert saved["devices"] == 10 and saved["points"] > 70

            shown = await run_aso(aso("snapshot", "diff", "as-found", "as-left", "--tolerance", "1000"), env)
            assert shown.code == 0, shown.stderr
            assert "placed" in shown.stdout and "VAV-1-01 Cooling Setpoint" in shown.stdout
            assert "out of service" in shown.stdout and "VAV-1-02 Zone Temperature" in shown.stdout
            as_json = json.loads((await run_aso(aso("snapshot", "diff", "as-found", "as-left", "--json"), env)).stdout)
            assert [(s["device"], s["object_id"], s["priority"], s["change"]) for s in as_json["slots"]
                    if s["priority"] < 16] == [(2001, SETPOINT, 8, "placed")]
            assert [(c["device"], c["after"]) for c in as_json["out_of_service"]] == [(2002, True)]

            listed = json.loads((await run_aso(aso("snapshot", "list", "--json"), env)).stdout)
            assert [s["name"] for s in listed["snapshots"]] == ["as-found", "as-left"]

            exported = await run_aso(aso("export", "points", "--ede", str(tmp_path / "x_EDE.csv"), "2001", "4001"), env)
            assert exported.code == 0, exported.stderr
            assert (tmp_path / "x_StateTexts.csv").exists()
            keys = [row[0] for row in csv.reader((tmp_path / "x_EDE.csv").read_text().splitlines()[8:], delimiter=";")]
            assert keys[0] == "2001_DEV" and "4001_AV1" in keys
            listing = await run_aso(aso("export", "points", "--csv", "-", "2002"), env)
            rows = list(csv.DictReader(io.StringIO(listing.stdout)))
            assert {r["device"] for r in rows} == {"2002"}
            assert next(r for r in rows if r["object_id"] == ZONE_TEMP)["units"] == "degrees-fahrenheit"
        finally:
            await operator.close()
    finally:
        await building.stop()
