"""The closeout gate, its allow-list and the hand-back report, against the simulated building.

The gate is fed by the site-wide sweep (``closeout/sweep.py``); releases are
checked by an independent reader of the priority arrays (another client),
never by the gate's own bookkeeping. The `aso closeout` tests run the real
CLI as a process bound to 127.0.0.1 on ports 48300-48399, registered with
the simulator served on loopback by this test.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from aso_runtime.bacnet import InvalidInput, open_client
from aso_runtime.closeout.gate import AllowList, closeout_check, load_allow_list, parse_allow_list
from aso_runtime.closeout.records import AuditRecord, HeldSlot, OutOfServicePoint
from aso_runtime.closeout.report import SiteDevice, build_hand_back, render_html, render_markdown, write_report
from aso_runtime.closeout.sweep import sweep_overrides
from aso_runtime.sim import SimulatedBuilding

from .closeout_site import aso_command, loopback_ports, run_aso, site  # noqa: F401 (site is a fixture)
from .hosts import aso_env

SETPOINT = "analog-value,1"  # VAV-1-01 Cooling Setpoint
ZONE_TEMP = "analog-input,1"


def held(device=2001, object_id=SETPOINT, priority=8, *, name="VAV-1-01 Cooling Setpoint",
         device_name="VAV-1-01", value=68.0, holder="unknown", detail="") -> HeldSlot:
    return HeldSlot(device, device_name, object_id, name, priority, "Manual Operator" if priority == 8 else "Available",
                    value, f"{value:g} °F", 74.0, "74 °F", True, holder, detail)


def out_of_service(device=2002, object_id=ZONE_TEMP, name="VAV-1-02 Zone Temperature") -> OutOfServicePoint:
    return OutOfServicePoint(device, "VAV-1-02", object_id, name, 73.5, "73.5 °F", "unknown", "")


# ----- the allow-list -------------------------------------------------------------------------


ALLOW = """
[[allow]]
device = 2001
point = "AV1"
priority = 8
reason = "Tenant asked for 68 °F until Friday"

[[allow]]
device = "ahu-*"
point = "*damper*"
priority = "9-10"
reason = "Economizer locked out for the coil repair"

[[allow]]
point = "binary-output,*"
priority = [11, 13]
reason = "Staging test"
"""


def test_allow_entries_match_by_instance_name_glob_object_id_and_priority():
    allow = parse_allow_list(ALLOW, "agreed.toml")
    first = allow.permits(held())
    assert first is not None and first.reason == "Tenant asked for 68 °F until Friday"
    assert first.where == "agreed.toml entry 1"
    assert allow.permits(held(priority=9)) is None
    assert allow.permits(held(device=2002)) is None
    assert allow.permits(held(object_id="analog-value,2")) is None
    damper = held(1001, "analog-output,4", 10, name="AHU-1 Outside Air Damper Command", device_name="AHU-1")
    assert allow.permits(damper).reason == "Economizer locked out for the coil repair"
    assert allow.permits(held(1001, "analog-output,4", 8, name="AHU-1 Outside Air Damper Command",
                              device_name="AHU-1")) is None
    assert allow.permits(held(3001, "binary-output,2", 13, name="PLANT-1 HP-2 Enable Command")).reason == "Staging test"
    assert allow.permits(held(3001, "binary-output,2", 12, name="PLANT-1 HP-2 Enable Command")) is None


@pytest.mark.parametrize("text, fragment", [
    ('[[allow]]\npoint = "AV1"', "reason"),
    ('[[allow]]\npoint = "AV1"\nreason = "  "', "reason"),
    ('[[allow]]\npoint = "AV1"\nreson = "typo"\nreason = "x"', "unknown key reson"),
    ('[[allow]]\npriority = 17\nreason = "x"', "outside 1..16"),
    ('[[allow]]\npriority = "10-8"\nreason = "x"', "empty"),
    ('[[allow]]\npriority = "eight"\nreason = "x"', "priority"),
    ('[[allow]]\npriority = true\nreason = "x"', "priority"),
    ('[[allow]]\npriority = []\nreason = "x"', "permits nothing"),
    ('[[allow]]\ndevice = "device,x"\nreason = "x"', "entry 1: device"),
    ("[allow]\nreason = 'x'", "array of tables"),
    ("[[allowed]]\nreason = 'x'", "unknown table"),
    ("[[allow]\nreason = 'x'", "not valid TOML"),
])
def test_a_bad_allow_list_is_refused_naming_the_entry(text, fragment):
    with pytest.raises(InvalidInput, match=fragment) as refused:
        parse_allow_list(text, "agreed.toml")
    assert str(refused.value).startswith("agreed.toml")


def test_allow_list_file_missing_or_read(tmp_path):
    with pytest.raises(InvalidInput, match="no such allow-list"):
        load_allow_list(tmp_path / "none.toml")
    path = tmp_path / "agreed.toml"
    path.write_text(ALLOW, encoding="utf-8")
    assert len(load_allow_list(path).entries) == 3


# ----- the verdict ------------------------------------------------------------------------------


def test_verdict_blocks_on_held_1_to_15_out_of_service_and_unchecked_devices():
    program = held(priority=16, holder="device")
    assert closeout_check([program], []).passed  # priority 16 is the controller's own logic
    blocked = closeout_check([program, held()], [])
    assert not blocked.passed and blocked.blocking_slots == [held()] and blocked.program == [program]
    allowed = closeout_check([held()], [], parse_allow_list(ALLOW))
    assert allowed.passed and [a.reason for a in allowed.allowed] == ["Tenant asked for 68 °F until Friday"]
    assert not closeout_check([], [out_of_service()], parse_allow_list(ALLOW)).passed  # never allowed
    unchecked = closeout_check([], [], unchecked=["device 2999: no I-Am"])
    assert not unchecked.passed and unchecked.to_dict()["unchecked"] == ["device 2999: no I-Am"]
    assert closeout_check([], [], AllowList()).passed


async def _gate(site, allow: AllowList | None = None):
    swept = []
    found = [item async for item in sweep_overrides(site.client, on_device=swept.append)]
    assert {s.device.instance for s in swept if s.device} >= {1001, 2001, 2002, 2003, 2004, 2005, 3001, 4001}
    slots = [f for f in found if isinstance(f, HeldSlot)]
    points = [f for f in found if isinstance(f, OutOfServicePoint)]
    return closeout_check(slots, points, allow)


async def test_gate_fails_with_an_override_held_then_passes_after_release(site):
    assert (await _gate(site)).passed  # the simulated programs hold priority 16 only
    await site.operator.write(2001, SETPOINT, 68.0, 8)
    verdict = await _gate(site)
    assert not verdict.passed
    assert [(s.device, s.object_id, s.priority, s.value) for s in verdict.blocking_slots] == [(2001, SETPOINT, 8, 68.0)]
    assert verdict.blocking_slots[0].object_name == "VAV-1-01 Cooling Setpoint"

    allowed = await _gate(site, parse_allow_list(ALLOW))
    assert allowed.passed and [a.slot.object_id for a in allowed.allowed] == [SETPOINT]

    await site.operator.release(2001, SETPOINT, 8)
    array = await site.operator.priority_array(2001, SETPOINT)  # an independent reader
    assert not any(slot.active for slot in array.slots[:15])
    assert (await _gate(site)).passed


async def test_gate_fails_while_a_point_is_out_of_service(site):
    await site.operator.write(2002, ZONE_TEMP, True, None, "out-of-service")
    verdict = await _gate(site, parse_allow_list(ALLOW))
    assert not verdict.passed
    assert [(p.device, p.object_id) for p in verdict.out_of_service] == [(2002, ZONE_TEMP)]
    await site.operator.write(2002, ZONE_TEMP, False, None, "out-of-service")
    assert (await _gate(site)).passed


# ----- the report -------------------------------------------------------------------------------

_VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr"}


class _Structure(HTMLParser):
    """Checks that every element is closed in order, and collects each table's rows of cell texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.tags: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.sections: list[str] = []
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attributes = dict(attrs)
        if tag in _VOID:
            return
        self.open.append(tag)
        if tag == "section":
            self.sections.append(attributes.get("id", ""))
        if tag == "table":
            self._table = self.tables.setdefault(attributes.get("id", ""), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
            return
        self.open.pop()
        if tag in ("td", "th") and self._cell is not None and self._table:
            self._table[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _parse(html_text: str) -> _Structure:
    parser = _Structure()
    parser.feed(html_text)
    parser.close()
    assert parser.problems == [] and parser.open == [], (parser.problems, parser.open)
    return parser


HOSTILE = '<script>alert("x")</script> | *Fan* & [link](http://x)'


def _report(verdict, released=()):
    return build_hand_back(verdict, [SiteDevice(2001, "VAV-1-01", "0x03"), SiteDevice(2002, "VAV-1-02", "0x04")],
                           points=42, released=released, since=0, ran_by="tech@laptop", tool="aso test",
                           allow_source="agreed.toml", now=1_795_900_000)


def _release(**changes) -> AuditRecord:
    record = dict(id="ab12cd34", time=1_795_899_000.0, user="alice", host="edge1", tool="cli", device="2001",
                  device_instance=2001, object_id="analog-value,3", property="present-value", priority=8, index=None,
                  before=55.0, before_known=True, after=None, outcome="ok")
    record.update(changes)
    return AuditRecord(**record)


def test_html_report_is_well_formed_self_contained_with_its_tables_and_escaped_text():
    verdict = closeout_check([held(name=HOSTILE), held(object_id="analog-value,2", priority=9, value=70.0)],
                             [out_of_service()], parse_allow_list(ALLOW))
    page = render_html(_report(verdict, [_release(), _release(id="x", outcome="timeout"),
                                         _release(id="y", property="out-of-service", priority=None, after="false",
                                                  before=True, object_id="analog-input,1", device="2002",
                                                  device_instance=2002)]))
    parsed = _parse(page)
    assert page.startswith("<!DOCTYPE html>")
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert not re.search(r"""(?:src|href)\s*=|url\(|@import""", page)  # nothing fetched from anywhere
    assert parsed.sections == ["verdict", "site", "blocking", "unchecked", "overrides", "out-of-service",
                               "released", "remaining"]
    assert parsed.tables["site-table"][1:] == [["2001", "VAV-1-01", "0x03"], ["2002", "VAV-1-02", "0x04"]]
    overrides = parsed.tables["overrides-table"]
    assert overrides[0][:4] == ["Device", "Point", "Object", "Priority"]
    assert HOSTILE in [row[1] for row in overrides]  # shown as text, not markup
    blocking = parsed.tables["blocking-table"]
    assert [row[2] for row in blocking[1:]] == ["analog-value,2", ZONE_TEMP]  # the held slot, then the point
    remaining = parsed.tables["remaining-table"]
    assert remaining[1][-1] == "Tenant asked for 68 °F until Friday"
    released = parsed.tables["released-table"]
    assert [row[5] for row in released[1:]] == ["released priority 8 (Manual Operator)", "returned to service"]
    assert released[1][1] == "alice@edge1" and released[1][6] == "55"  # the failed release is not listed
    assert "BLOCKED" in page and "verdict blocked" in page


def test_markdown_report_has_the_same_sections_and_tables_with_escaped_cells(tmp_path):
    verdict = closeout_check([held(name=HOSTILE)], [], AllowList())
    text = render_markdown(_report(verdict, [_release()]))
    headings = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["Verdict", "Site", "What blocks the hand-back",
                        "Not checked", "Overrides found", "Points out of service", "Released", "Remaining by agreement"]
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    for row in rows:  # every row splits into its header's cells: no stray pipe from a device's text
        cells = re.split(r"(?<!\\)\|", row.strip())[1:-1]
        assert len(cells) in (3, 6, 7)
    assert "\\<script\\>" in text and "\\*Fan\\*" in text and "\\|" in text
    path = write_report(_report(verdict), tmp_path / "out" / "handback.md")
    assert path.read_text(encoding="utf-8").startswith("# Commissioning hand-back report")
    with pytest.raises(InvalidInput, match=".md or .html"):
        write_report(_report(verdict), tmp_path / "handback.pdf")


# ----- `aso closeout` as a technician runs it ---------------------------------------------------


async def test_aso_closeout_fails_then_passes_after_release_and_with_an_allow_list(tmp_path):
    port = loopback_ports(3)
    building = await SimulatedBuilding.start(address=f"127.0.0.1/8:{port}", devices=8, step=0.5)
    try:
        checker = await open_client(address=f"127.0.0.1/8:{port + 2}", foreign=f"127.0.0.1:{port}", ttl=60, timeout=1.0)
        try:
            env = aso_env(tmp_path)

            def aso(*args: str) -> list[str]:
                return aso_command(port + 1, port, *args)

            clean = await run_aso(aso("closeout"), env)
            assert clean.code == 0, clean.stdout + clean.stderr
            assert "PASS" in clean.stdout

            # A technician overrides from the CLI (recorded in the audit journal), a point goes out of service.
            placed = await run_aso(aso("write", "2001", "av,1", "68", "--priority", "8"), env)
            assert placed.code == 0, placed.stderr
            await checker.write(2002, ZONE_TEMP, True, None, "out-of-service")
            html_path, md_path = tmp_path / "blocked.html", tmp_path / "blocked.md"
            blocked = await run_aso(aso("closeout", "--report", str(html_path), "--report", str(md_path)), env)
            assert blocked.code == 1, blocked.stdout + blocked.stderr
            assert "VAV-1-01 Cooling Setpoint" in blocked.stdout and "VAV-1-02 Zone Temperature" in blocked.stdout
            assert "BLOCKED" in blocked.stdout
            parsed = _parse(html_path.read_text(encoding="utf-8"))
            holders = [row[-1] for row in parsed.tables["overrides-table"][1:]]
            assert len(holders) == 1 and holders[0].startswith("cli")  # attributed to the aso write
            assert "VAV-1-01 Cooling Setpoint" in md_path.read_text(encoding="utf-8")

            await checker.write(2002, ZONE_TEMP, False, None, "out-of-service")
            allow = tmp_path / "agreed.toml"
            allow.write_text(ALLOW, encoding="utf-8")
            agreed = await run_aso(aso("closeout", "--allow", str(allow), "--json"), env)
            assert agreed.code == 0, agreed.stdout + agreed.stderr
            document = json.loads(agreed.stdout)
            assert document["passed"] and [a["object_id"] for a in document["allowed"]] == [SETPOINT]
            assert document["allowed"][0]["reason"] == "Tenant asked for 68 °F until Friday"

            released = await run_aso(aso("release", "2001", "av,1", "--priority", "8"), env)
            assert released.code == 0, released.stderr
            array = await checker.priority_array(2001, SETPOINT)  # an independent reader
            assert not array.at(8).active
            final = tmp_path / "handback.html"
            passed = await run_aso(aso("closeout", "--report", str(final)), env)
            assert passed.code == 0, passed.stdout + passed.stderr
            tables = _parse(final.read_text(encoding="utf-8")).tables
            assert "overrides-table" not in tables and "blocking-table" not in tables
            releases = tables["released-table"][1:]
            assert [(row[4], row[5]) for row in releases] == [(SETPOINT, "released priority 8 (Manual Operator)")]
            assert "@" in releases[0][1]  # user@host from the audit journal

            refused = await run_aso(aso("closeout", "--allow", str(tmp_path / "missing.toml")), env)
            assert refused.code == 2 and "no such allow-list" in refused.stderr
        finally:
            await checker.close()
    finally:
        await building.stop()
