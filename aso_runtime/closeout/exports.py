"""The point list a technician is asked for, from a :class:`Snapshot`: plain CSV, and EDE.

CSV (comma separated, one header line)::

    device,device_name,object_id,name,type,present_value,state_text,units,commandable,current_priority

EDE is the engineering data exchange format of the BACnet Interest Group
Europe (B.I.G.-EU), layout 2.2, read by most engineering tools: a
semicolon-separated main file with six header lines, then one row per
object (devices included) in the columns of :data:`EDE_COLUMNS`, and a
state-text file the main file refers to by number::

    # Proposal_Engineering-Data-Exchange - B.I.G.-EU
    PROJECT_NAME;<project>
    VERSION_OF_REFERENCEFILE;1
    TIMESTAMP_OF_LAST_CHANGE;<when the snapshot was taken>
    AUTHOR_OF_LAST_CHANGE;<user@host>
    VERSION_OF_LAYOUT;2.2
    #mandatory;mandatory;mandatory;mandatory;mandatory;optional;...
    # keyname;device obj.-instance;object-name;object-type;...

How our values fill the columns: ``keyname`` is ``<device>_<short id>``
(``2001_AV1``), unique on a site; ``object-type`` and ``unit-code`` are the
standard's numbers; ``present-value-default`` is the relinquish default of
a commandable point (binary as 0/1), empty otherwise; ``min/max-present-value``
are min/max-pres-value (1..number of states for multi-state points);
``settable`` is Y for a commandable point; ``supports COV`` is Y when the
object type reports changes of value and the device supports SubscribeCOV;
``state-text-reference`` numbers a row of the StateTexts file (binary:
inactive text, then active text); ``vendor-specific-address`` is left
empty. The StateTexts file is written beside the main one
(``site_EDE.csv`` -> ``site_StateTexts.csv``). Files are UTF-8.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aso_runtime.bacnet import ValueKind, cov_capable, object_type, parse_object_id
from aso_runtime.bacnet.units import unit_code
from aso_runtime.verbs.text import PointLabels, value_text

from .snapshot_format import Snapshot, SnapshotPoint

CSV_COLUMNS = ["device", "device_name", "object_id", "name", "type", "present_value", "state_text", "units",
               "commandable", "current_priority"]

EDE_LAYOUT = "2.2"
EDE_COLUMNS = ["keyname", "device obj.-instance", "object-name", "object-type", "object-instance", "description",
               "present-value-default", "min-present-value", "max-present-value", "settable", "supports COV",
               "hi-limit", "low-limit", "state-text-reference", "unit-code", "vendor-specific-address"]
_MANDATORY = 5  # the first five columns
STATE_TEXT_HEADER = ["#Reference Number", "Text 1 or Inactive-Text", "Text 2 or Active-Text"]


def _labels(point: SnapshotPoint) -> PointLabels:
    return PointLabels(point.units, tuple(point.state_texts or ()), point.active_text, point.inactive_text)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return value_text(value) if isinstance(value, float) else value
    return value_text(value)


def points_csv(snapshot: Snapshot) -> str:
    """The point list as CSV text (see the module docstring for the columns)."""
    names = {d.instance: d.name for d in snapshot.devices}
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for point in snapshot.points:
        writer.writerow([
            point.device, names.get(point.device) or "", point.object_id, point.name or "",
            parse_object_id(point.object_id).type, _cell(point.present_value),
            _labels(point).state_text(point.present_value) or "", point.units or "",
            "true" if point.commandable else "false", _cell(point.current_command_priority),
        ])
    return stream.getvalue()


def _ede_number(value: Any) -> Any:
    """A value as an EDE cell: binary as 0/1, numbers as numbers, else empty."""
    if value == "active":
        return 1
    if value == "inactive":
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return _cell(value)
    return ""


class _StateTexts:
    """The StateTexts table: each distinct list of texts gets one reference number (from 1)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, ...], int] = {}

    def reference(self, texts: Sequence[str]) -> int | str:
        key = tuple(texts)
        if not key or not any(key):
            return ""
        return self.rows.setdefault(key, len(self.rows) + 1)


def _ede_row(point: SnapshotPoint, cov: bool | None, texts: _StateTexts) -> list[Any]:
    oid = parse_object_id(point.object_id)
    row = object_type(oid)
    if row.kind is ValueKind.BINARY:
        reference = texts.reference([point.inactive_text or "", point.active_text or ""])
    elif row.kind is ValueKind.MULTI_STATE:
        reference = texts.reference(point.state_texts or [])
    else:
        reference = ""
    low, high = point.min_value, point.max_value
    if row.kind is ValueKind.MULTI_STATE and point.state_texts:
        low, high = 1, len(point.state_texts)
    supports_cov = cov_capable(oid) and cov is not False
    return [
        f"{point.device}_{oid.short}", point.device, point.name or "", oid.type_number, oid.instance,
        point.description or "", _ede_number(point.relinquish_default) if point.commandable else "",
        _ede_number(low), _ede_number(high), "Y" if point.commandable else "N", "Y" if supports_cov else "N",
        _ede_number(point.high_limit), _ede_number(point.low_limit), reference, unit_code(point.units) or "", "",
    ]


def ede_files(snapshot: Snapshot, *, project: str | None = None) -> tuple[str, str]:
    """``(main EDE text, StateTexts text)`` for the snapshot; see the module docstring."""
    texts = _StateTexts()
    rows = []
    for device in snapshot.devices:
        rows.append([f"{device.instance}_DEV", device.instance, device.name or "", 8, device.instance,
                     " ".join(filter(None, [device.vendor_name, device.model_name])), "", "", "", "N", "N",
                     "", "", "", "", ""])
        rows += [_ede_row(point, device.cov, texts) for point in snapshot.points_of(device.instance)]
    main = io.StringIO()
    writer = csv.writer(main, delimiter=";", lineterminator="\n")
    pad = [""] * (len(EDE_COLUMNS) - 2)
    writer.writerow(["# Proposal_Engineering-Data-Exchange - B.I.G.-EU", "", *pad])
    for key, value in (("PROJECT_NAME", project or snapshot.name or "aso"), ("VERSION_OF_REFERENCEFILE", 1),
                       ("TIMESTAMP_OF_LAST_CHANGE", snapshot.taken_at), ("AUTHOR_OF_LAST_CHANGE", snapshot.taken_by),
                       ("VERSION_OF_LAYOUT", EDE_LAYOUT)):
        writer.writerow([key, value, *pad])
    writer.writerow(["#" + "mandatory"] + ["mandatory"] * (_MANDATORY - 1) + ["optional"] * (len(EDE_COLUMNS) - _MANDATORY))
    writer.writerow(["# " + EDE_COLUMNS[0], *EDE_COLUMNS[1:]])
    writer.writerows(rows)

    states = io.StringIO()
    widest = max((len(key) for key in texts.rows), default=2)
    state_writer = csv.writer(states, delimiter=";", lineterminator="\n")
    state_writer.writerow(["#State Text Reference"] + [""] * widest)
    state_writer.writerow(STATE_TEXT_HEADER + [f"Text {n}" for n in range(3, widest + 1)])
    for key, number in texts.rows.items():
        state_writer.writerow([number, *key, *[""] * (widest - len(key))])
    return main.getvalue(), states.getvalue()


def state_texts_path(ede_path: str | os.PathLike[str]) -> Path:
    """Where the StateTexts file of an EDE file goes: ``x_EDE.csv`` -> ``x_StateTexts.csv``, ``x.csv`` -> ``x_StateTexts.csv``."""
    path = Path(ede_path)
    stem = path.stem
    stem = stem[: -len("_EDE")] if stem.upper().endswith("_EDE") else stem
    return path.with_name(f"{stem}_StateTexts{path.suffix or '.csv'}")


def write_ede(snapshot: Snapshot, path: str | os.PathLike[str], *, project: str | None = None) -> tuple[Path, Path]:
    """Write the EDE file and its StateTexts file beside it; returns both paths. OSError on a full disk."""
    main, states = ede_files(snapshot, project=project)
    target = Path(path)
    target.write_text(main, encoding="utf-8")
    beside = state_texts_path(target)
    beside.write_text(states, encoding="utf-8")
    return target, beside
