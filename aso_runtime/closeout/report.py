"""The hand-back report: what a customer receives at closeout, as Markdown or self-contained HTML.

Sections, in order: the verdict; the site (devices, points, date, who ran
it); what blocks the hand-back, if anything; the overrides found at
priorities 1..15 with who holds each; points out of service; what was
released (and returned to service) and by whom, from the audit journal;
what remains by agreement, with the allow-list's reason.

Both renderings come from the same :class:`Section` list, so they always
say the same thing. The HTML has its stylesheet inline and no scripts,
images or links to fetch: it opens from a USB stick on a customer's laptop.
Every text that came from a device or a person is escaped (HTML) or
backslash-escaped (Markdown): an object name such as ``<b>|Fan`` prints as
itself.
"""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aso_runtime.bacnet.errors import InvalidInput
from aso_runtime.bacnet.priority import priority_name
from aso_runtime.verbs.text import value_text

from .gate import Verdict
from .records import AuditRecord, HeldSlot

FORMATS = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}


@dataclass(frozen=True)
class SiteDevice:
    instance: int
    name: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class HandBack:
    """Everything the report says (plain data; build it with :func:`build_hand_back`)."""

    verdict: Verdict
    devices: list[SiteDevice]
    points: int | None  # points swept, when the sweep counted them
    generated_at: str  # local time, "2026-11-29 17:02 +0100"
    ran_by: str  # user@host
    tool: str
    released: list[AuditRecord] = field(default_factory=list)
    since: str | None = None  # the journal window the releases were taken from
    allow_source: str | None = None
    title: str = "Commissioning hand-back report"

    @property
    def overrides(self) -> list[HeldSlot]:
        """Every slot found held at 1..15: blocking or permitted."""
        found = [*self.verdict.blocking_slots, *(a.slot for a in self.verdict.allowed)]
        return sorted(found, key=lambda s: (s.device, s.object_id, s.priority))


def released_records(records: Iterable[AuditRecord], since: float | None = None) -> list[AuditRecord]:
    """Releases (Null at a priority) and returns to service that succeeded, from ``since`` (epoch s) on."""
    kept = []
    for record in records:
        if record.outcome != "ok" or (since is not None and record.time < since):
            continue
        release = record.after is None and record.priority is not None
        back_in_service = record.property == "out-of-service" and _false(record.after)
        if release or back_in_service:
            kept.append(record)
    return sorted(kept, key=lambda r: r.time)


def _false(value: Any) -> bool:
    """False as a write recorded it: the value, or the text typed (``aso write ... out-of-service false``)."""
    return value is False or (isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "off"))


def build_hand_back(verdict: Verdict, devices: Iterable[SiteDevice], *, points: int | None = None,
                    released: Iterable[AuditRecord] = (), since: float | None = None, ran_by: str = "",
                    tool: str = "", allow_source: str | None = None, now: float | None = None) -> HandBack:
    """The report's content: ``released`` is filtered to successful releases since ``since``."""
    now = time.time() if now is None else now
    return HandBack(
        verdict=verdict,
        devices=sorted(devices, key=lambda d: d.instance),
        points=points,
        generated_at=_local(now),
        ran_by=ran_by,
        tool=tool,
        released=released_records(released, since),
        since=_local(since) if since is not None else None,
        allow_source=allow_source,
    )


def _local(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M %z", time.localtime(epoch))


# ----- the one content, two renderings ----------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A heading, a paragraph, and a table (``id`` names it in the HTML)."""

    id: str
    title: str
    text: str
    columns: Sequence[str] = ()
    rows: Sequence[Sequence[Any]] = ()
    empty: str = ""  # said instead of the table when there are no rows


def _point(device: int, name: str | None, object_id: str, device_name: str | None) -> list[str]:
    return [f"{device_name} ({device})" if device_name else str(device), name or "", object_id]


def sections(report: HandBack) -> list[Section]:
    verdict = report.verdict
    blocking = len(verdict.blocking) + len(verdict.unchecked)
    if verdict.passed:
        summary = ("PASS: no command priority 1-15 holds a value except those agreed below, "
                   "and no point is out of service. The site can be handed back.")
    else:
        summary = (f"BLOCKED: {blocking} item{'s' if blocking != 1 else ''} must be released, put back in "
                   "service or checked before the site is handed back (listed below).")
    site_rows = [[d.instance, d.name or "", d.address or ""] for d in report.devices]
    point_text = f"{report.points} points" if report.points is not None else "points not counted"
    site_text = (f"{len(report.devices)} devices, {point_text}. Checked {report.generated_at} by "
                 f"{report.ran_by or 'unknown'} with {report.tool or 'aso'}."
                 + (f" {len(verdict.program)} slots at priority 16 belong to the controllers' own programs "
                    "and are not overrides." if verdict.program else ""))
    slot_columns = ["Device", "Point", "Object", "Priority", "Value", "Would be without it", "Held by"]

    def slot_row(slot: HeldSlot) -> list[Any]:
        return [*_point(slot.device, slot.object_name, slot.object_id, slot.device_name),
                f"{slot.priority} {slot.level}", slot.value_text, slot.without_text,
                _holder(slot.holder, slot.holder_detail)]

    oos_rows = [[*_point(p.device, p.object_name, p.object_id, p.device_name), p.value_text,
                 _holder(p.holder, p.holder_detail)] for p in verdict.out_of_service]
    released_rows = [[_local(r.time), f"{r.user}@{r.host}", r.tool, _device(r),
                      r.object_id, _released_what(r), _before(r)] for r in report.released]
    allowed_rows = [[*slot_row(a.slot)[:5], _holder(a.slot.holder, a.slot.holder_detail), a.reason]
                    for a in verdict.allowed]
    window = f" since {report.since}" if report.since else ""
    return [
        Section("verdict", "Verdict", summary),
        Section("site", "Site", site_text, ["Instance", "Device", "Address"], site_rows, "No device answered."),
        Section("blocking", "What blocks the hand-back",
                "Held at priorities 1-15 without an agreed reason, or out of service.",
                [*slot_columns[:3], "Priority / state", "Value", "Held by"],
                [[*slot_row(s)[:4], s.value_text, _holder(s.holder, s.holder_detail)] for s in verdict.blocking_slots]
                + [[*_point(p.device, p.object_name, p.object_id, p.device_name), "out of service", p.value_text,
                    _holder(p.holder, p.holder_detail)] for p in verdict.out_of_service],
                "Nothing: every override is released or agreed, and every point is in service."),
        Section("unchecked", "Not checked", "Devices or points the sweep could not read: nothing is known of them.",
                ["What could not be read"], [[text] for text in verdict.unchecked], "Everything answered."),
        Section("overrides", "Overrides found", "Every command priority 1-15 found holding a value, and who holds it.",
                slot_columns, [slot_row(s) for s in report.overrides], "None."),
        Section("out-of-service", "Points out of service", "", ["Device", "Point", "Object", "Value", "Put there by"],
                oos_rows, "None."),
        Section("released", "Released", f"Overrides released and points returned to service, from the audit "
                f"journal{window}.", ["When", "By", "Tool", "Device", "Object", "What", "Value before"],
                released_rows, "No release is recorded in the audit journal for this period."),
        Section("remaining", "Remaining by agreement",
                f"Left in place on purpose{f' (allow-list {report.allow_source})' if report.allow_source else ''}.",
                [*slot_columns[:5], "Held by", "Reason"], allowed_rows, "None."),
    ]


def _holder(holder: str, detail: str) -> str:
    return f"{holder}: {detail}" if detail else holder


def _device(record: AuditRecord) -> str:
    if record.device_instance is not None and str(record.device_instance) != record.device:
        return f"{record.device_instance} ({record.device})"
    return record.device


def _released_what(record: AuditRecord) -> str:
    if record.property == "out-of-service" and _false(record.after):
        return "returned to service"
    return f"released priority {record.priority} ({priority_name(record.priority)})" if record.priority else "released"


def _before(record: AuditRecord) -> str:
    if not record.before_known:
        return "not read"
    return "empty" if record.before is None else value_text(record.before)


# ----- Markdown -------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _md(value: Any) -> str:
    text = " ".join(str("" if value is None else value).split())  # a cell is one line
    return _MD_SPECIAL.sub(r"\\\1", text)


def render_markdown(report: HandBack) -> str:
    lines = [f"# {_md(report.title)}", ""]
    for section in sections(report):
        lines += [f"## {_md(section.title)}", ""]
        if section.text:
            lines += [_md(section.text), ""]
        if section.columns and section.rows:
            lines.append("| " + " | ".join(_md(c) for c in section.columns) + " |")
            lines.append("|" + "|".join("---" for _ in section.columns) + "|")
            lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in section.rows]
            lines.append("")
        elif section.columns:
            lines += [_md(section.empty), ""]
    return "\n".join(lines).rstrip() + "\n"


# ----- HTML ---------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 72rem;
       padding: 0 1rem; color: #1b1f23; background: #fff; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
tbody tr:nth-child(even) { background: #fafbfc; }
.verdict { font-size: 1.1rem; font-weight: 600; padding: .6rem .8rem; border-radius: 4px; }
.pass { background: #dafbe1; color: #116329; border: 1px solid #4ac26b; }
.blocked { background: #ffebe9; color: #82071e; border: 1px solid #ff8182; }
.empty { color: #57606a; font-style: italic; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; } }
"""


def _h(value: Any) -> str:
    return html.escape(str("" if value is None else value), quote=True)


def render_html(report: HandBack) -> str:
    state = "pass" if report.verdict.passed else "blocked"
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_h(report.title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
           f"<h1>{_h(report.title)}</h1>"]
    for section in sections(report):
        out.append(f'<section id="{_h(section.id)}">')
        out.append(f"<h2>{_h(section.title)}</h2>")
        if section.id == "verdict":
            out.append(f'<p class="verdict {state}">{_h(section.text)}</p>')
        elif section.text:
            out.append(f"<p>{_h(section.text)}</p>")
        if section.columns and section.rows:
            out.append(f'<table id="{_h(section.id)}-table">')
            out.append("<thead><tr>" + "".join(f"<th>{_h(c)}</th>" for c in section.columns) + "</tr></thead>")
            out.append("<tbody>")
            out += ["<tr>" + "".join(f"<td>{_h(cell)}</td>" for cell in row) + "</tr>" for row in section.rows]
            out.append("</tbody>")
            out.append("</table>")
        elif section.columns:
            out.append(f'<p class="empty">{_h(section.empty)}</p>')
        out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def report_format(path: str | os.PathLike[str]) -> str:
    """``markdown`` or ``html`` from the file's ending; :class:`InvalidInput` for any other."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInput(f"report {path}: end the file name in .md or .html")
    return FORMATS[suffix]


def write_report(report: HandBack, path: str | os.PathLike[str]) -> Path:
    """Write the report in the format its ending names (.md, .html); returns the path. OSError on a full disk."""
    rendered = render_html(report) if report_format(path) == "html" else render_markdown(report)
    target = Path(path)
    if target.parent != Path(""):
        target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(rendered, encoding="utf-8")
    return target
