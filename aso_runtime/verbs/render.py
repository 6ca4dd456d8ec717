"""ONE presentation of verb results: rich renderables for the CLI's human output and the F2 pane.

The only module of :mod:`aso_runtime.verbs` that imports rich; the CLI and
the console load it when they print, so the runtime itself stays free of
UI libraries. Tables have no box (they read well over SSH and in a pipe);
text is never parsed as markup (names and values come from devices and
may contain ``[brackets]``). Errors are one line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import singledispatch
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from aso_runtime.bacnet import DeviceInfo, PriorityArray

from . import results as rs
from .property_text import labels_of, property_text
from .text import PointLabels, array_summary, device_label, flags_text, format_value, slot_rows, value_text

WHOIS_COLUMNS = ["INSTANCE", "ADDRESS", "VENDOR", "MAX-APDU", "SEGMENTATION", "NETWORK"]
WHOIS_WIDTHS = [9, 21, 6, 8, 16, 7]  # fixed, so rows printed as I-Ams arrive line up


def error_line(message: object) -> Text:
    """An error, as one line."""
    return Text(" ".join(str(message).split()) or "unknown error", style="bold red")


def note(text: str) -> Text:
    """A dim side remark: summaries, hints."""
    return Text(text, style="dim")


def table(columns: Sequence[str | tuple[str, str]], rows: Iterable[Sequence[Any]], *,
          styles: Sequence[str | None] | None = None) -> Table:
    """A plain table; a column given as ``(name, "right")`` is right-aligned; cells are never markup."""
    grid = Table(header_style="bold", box=None, pad_edge=False, show_edge=False)
    for column in columns:
        name, justify = column if isinstance(column, tuple) else (column, "left")
        grid.add_column(name, justify=justify, no_wrap=False, overflow="fold")
    for number, row in enumerate(rows):
        style = styles[number] if styles else None
        cells = [cell if isinstance(cell, Text) else Text("" if cell is None else str(cell)) for cell in row]
        grid.add_row(*cells, style=style or None)
    return grid


def priority_array_table(array: PriorityArray, labels: PointLabels | None = None) -> Table:
    """The 16 slots: number, standard name, value with its words, the one in control marked."""
    rows, styles = [], []
    for row in slot_rows(array, labels):
        rows.append([row.priority, row.name, row.value, "in control" if row.in_control else ""])
        styles.append("bold" if row.in_control else (None if row.active else "dim"))
    return table([("Pri", "right"), "Name", "Value", ""], rows, styles=styles)


def device_row(device: DeviceInfo) -> list[Any]:
    """One I-Am as a row under :data:`WHOIS_COLUMNS`."""
    network = device.network if device.network is not None else "-"
    return [device.instance, device.address, device.vendor_id, device.max_apdu, device.segmentation, network]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@singledispatch
def render(result: rs.Result, *, streamed: bool = False) -> list[RenderableType]:
    """What a technician reads for ``result`` (``streamed``: the rows were already printed as they came)."""
    raise TypeError(f"no renderer for {type(result).__name__}")


@render.register
def _(result: rs.ValueRead, *, streamed: bool = False) -> list[RenderableType]:
    # The value alone: scripts do VALUE=$(aso read ...), and F2 shows it right under its command.
    return [Text(value_text(result.value))]


@render.register
def _(result: rs.Written, *, streamed: bool = False) -> list[RenderableType]:
    r = result.request
    at = f" at {r.priority.describe()}" if r.priority is not None else \
        " (no priority: the device applies 16 to commandable points)" if r.property == "present-value" else ""
    done = "released" if r.released else f"wrote {r.value} to"
    lines: list[RenderableType] = [Text(f"{done} {r.object_id} {r.property}{at} on {device_label(r.device)} "
                                        "(acknowledged by the device)", style="green")]
    after = result.after
    if after is None:
        return lines
    if after.error:
        lines.append(Text(f"read-back failed: {after.error}", style="yellow"))
        return lines
    now = f"present-value is now {format_value(after.present_value, after.labels)}"
    winning = after.array.winning if after.array is not None else None
    if after.array is None:
        lines.append(note(now))
    elif winning is None:
        lines.append(note(f"{now}, from relinquish-default (no priority holds it)"))
    else:
        lines.append(note(f"{now}, from priority {winning.priority} ({winning.name})"))
        if r.priority is not None and not r.released and winning.priority < r.priority:
            lines.append(Text(f"priority {winning.priority} ({winning.name}) is above {r.priority} and holds "
                              f"{format_value(winning.value, after.labels)}: this write does not take effect "
                              "until it is released", style="yellow"))
    return lines


@render.register
def _(result: rs.ValuesRead, *, streamed: bool = False) -> list[RenderableType]:
    rows, styles = [], []
    for v in result.values:
        prop = v.property + (f"[{v.index}]" if v.index is not None else "")
        rows.append([v.object_id, prop, value_text(v.value) if v.ok else f"error: {v.error}"])
        styles.append(None if v.ok else "red")
    return [table(["Object", "Property", "Value"], rows, styles=styles)]


@render.register
def _(result: rs.PropertiesRead, *, streamed: bool = False) -> list[RenderableType]:
    labels = labels_of(result.values)
    rows, styles = [], []
    for v in result.values:
        prop = v.property + (f"[{v.index}]" if v.index is not None else "")
        rows.append([prop, property_text(v.property, v.value, labels) if v.ok else f"error: {v.error}"])
        styles.append(None if v.ok else "red")
    title = Text(f"{result.request.object_id} on {device_label(result.request.device)}: "
                 f"{len(result.values)} properties", style="bold")
    return [title, table(["Property", "Value"], rows, styles=styles)]


@render.register
def _(result: rs.WrittenMultiple, *, streamed: bool = False) -> list[RenderableType]:
    writes = result.to_json()["writes"]
    rows = [[w["object_id"], w["property"], "release" if w["value"] is None else w["value"], w["priority"] or "-"]
            for w in writes]
    return [Text(f"wrote {len(writes)} value(s) on {device_label(result.request.device)} in one WritePropertyMultiple "
                 "(acknowledged by the device)", style="green"),
            table(["Object", "Property", "Value", ("Priority", "right")], rows)]


@render.register
def _(result: rs.PriorityArrayShown, *, streamed: bool = False) -> list[RenderableType]:
    title = Text(f"{result.array.object_id} on {device_label(result.request.device)}", style="bold")
    return [title, priority_array_table(result.array, result.labels), Text(array_summary(result.array, result.labels))]


@render.register
def _(result: rs.DevicesFound, *, streamed: bool = False) -> list[RenderableType]:
    lines: list[RenderableType] = []
    if result.devices and not streamed:
        lines.append(table(WHOIS_COLUMNS, [device_row(d) for d in result.devices]))
    if result.devices:
        lines.append(note(f"{_plural(len(result.devices), 'device')} in {result.elapsed_ms} ms"))
    else:
        lines.append(note(f"no device answered within {result.request.search.max_wait:g} s"))
    return lines


@render.register
def _(result: rs.HoldersFound, *, streamed: bool = False) -> list[RenderableType]:
    if not result.holders:
        return [note(f"no device answered within {result.request.search.max_wait:g} s")]
    rows = [[h.device_instance, h.address, h.object_id, h.object_name] for h in result.holders]
    return [table([("Device", "right"), "Address", "Object", "Name"], rows),
            note(f"{_plural(len(result.holders), 'answer')}")]


@render.register
def _(result: rs.RoutersFound, *, streamed: bool = False) -> list[RenderableType]:
    if not result.routers:
        return [note(f"no router answered within {result.request.max_wait:g} s")]
    rows = [[r.address, ", ".join(str(n) for n in r.networks)] for r in result.routers]
    return [table(["Router", "Networks"], rows), note(_plural(len(result.routers), "router"))]


@render.register
def _(result: rs.PointsFound, *, streamed: bool = False) -> list[RenderableType]:
    points = result.points
    if not points:
        searched = result.request.whole_site
        return [note(f"no device answered within {result.request.search.max_wait:g} s" if searched
                     else "no points found")]
    rows, styles = [], []
    for p in points:
        oos = "" if p.out_of_service is None else ("yes" if p.out_of_service else "no")
        value = "" if p.present_value is None and "present-value" not in p.errors else value_text(p.present_value)
        rows.append([p.device_instance, p.object_id, p.name or "", value, p.units or "", flags_text(p.status_flags), oos])
        styles.append("yellow" if p.out_of_service or bool(p.status_flags) else None)
    columns = [("Device", "right"), "Object", "Name", ("Present value", "right"), "Units", "Status", "OOS"]
    devices = len({p.device_instance for p in points})
    return [table(columns, rows, styles=styles),
            note(f"{_plural(len(points), 'object')} on {_plural(devices, 'device')}")]
