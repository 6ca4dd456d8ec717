"""Verbs on points: read, write, release, rpm, wpm, priority-array.

Each verb checks every argument first (exit 2 before any socket is bound),
then asks the context for the client. JSON documents are described in each
verb's ``--help``.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from aso_runtime.bacnet import BacnetError, InvalidInput, parse_object_id, parse_property, read_many
from aso_runtime.bacnet.types import priority_name
from aso_runtime.bacnet.values import is_null

from .context import Context
from .output import value_text
from .syntax import device_arg, priority_arg, property_arg, rpm_specs, wpm_specs


async def cmd_read(ctx: Context) -> int:
    args = ctx.args
    device = device_arg(args.device)
    oid = parse_object_id(args.object)
    prop, index = parse_property(args.property)
    client = await ctx.client()
    value = await client.read(device, oid, prop, index)
    if ctx.out.json_mode:
        ctx.out.json({"device": device, "object_id": str(oid), "property": prop, "index": index, "value": value})
    else:
        ctx.out.line(value_text(value))
    return 0


async def _present_value_after(ctx: Context, device: str, oid: Any) -> Any:
    """Read the present value back: a write at a weak priority may change nothing."""
    try:
        return await (await ctx.client()).read(device, oid, "present-value")
    except BacnetError:
        return None


def _where(priority: int | None) -> str:
    return f" at priority {priority} ({priority_name(priority)})" if priority else " (no priority: the device applies 16 to commandable points)"


async def cmd_write(ctx: Context) -> int:
    args = ctx.args
    device = device_arg(args.device)
    oid = parse_object_id(args.object)
    prop = property_arg(args.property)
    if is_null(args.value) and args.priority is None:
        raise InvalidInput("writing null releases one slot of the priority array: give --priority 1..16")
    priority = priority_arg(args.priority)
    client = await ctx.client()
    await client.write(device, oid, args.value, priority, prop)
    released = is_null(args.value)
    return await _report_write(ctx, device, oid, prop, None if released else args.value, priority, released)


async def cmd_release(ctx: Context) -> int:
    args = ctx.args
    device = device_arg(args.device)
    oid = parse_object_id(args.object)
    prop = property_arg(args.property)
    priority = priority_arg(args.priority, required=True)
    client = await ctx.client()
    await client.release(device, oid, priority, prop)
    return await _report_write(ctx, device, oid, prop, None, priority, True)


async def _report_write(ctx: Context, device: str, oid: Any, prop: str, value: Any, priority: int | None, released: bool) -> int:
    after = await _present_value_after(ctx, device, oid) if prop == "present-value" else None
    if ctx.out.json_mode:
        ctx.out.json({
            "device": device, "object_id": str(oid), "property": prop, "value": value,
            "priority": priority, "released": released, "present_value": after,
        })
        return 0
    verb = "released" if released else f"wrote {value} to"
    ctx.out.line(f"{verb} {oid} {prop}{_where(priority)} on {device}")
    if prop == "present-value" and after is not None:
        ctx.out.note(f"present-value is now {value_text(after)}")
    return 0


async def cmd_rpm(ctx: Context) -> int:
    args = ctx.args
    device = device_arg(args.device)
    specs = rpm_specs(args.items)
    client = await ctx.client()
    values = await read_many(client, device, [(spec.object_id, spec.properties) for spec in specs])
    failed = [v for v in values if not v.ok]
    if ctx.out.json_mode:
        ctx.out.json({"device": device, "values": [v.to_dict() for v in values]})
    else:
        rows, styles = [], []
        for v in values:
            prop = v.property + (f"[{v.index}]" if v.index is not None else "")
            rows.append([v.object_id, prop, value_text(v.value) if v.ok else f"error: {v.error}"])
            styles.append(None if v.ok else "red")
        ctx.out.table(["Object", "Property", "Value"], rows, styles=styles)
    if failed:
        first = failed[0]
        raise BacnetError(f"{len(failed)} of {len(values)} properties failed (first: {first.object_id} {first.property}: {first.error})")
    return 0


async def cmd_wpm(ctx: Context) -> int:
    args = ctx.args
    device = device_arg(args.device)
    default_priority = priority_arg(args.priority)
    specs = wpm_specs(args.items, default_priority)
    client = await ctx.client()
    await client.write_multiple(device, [(s.object_id, s.property, s.value, s.priority) for s in specs])
    writes = [
        {"object_id": str(s.object_id), "property": s.property,
         "value": None if is_null(s.value) else s.value, "priority": s.priority}
        for s in specs
    ]
    if ctx.out.json_mode:
        ctx.out.json({"device": device, "writes": writes})
        return 0
    rows = [[w["object_id"], w["property"], "release" if w["value"] is None else w["value"], w["priority"] or "-"] for w in writes]
    ctx.out.table(["Object", "Property", "Value", ("Priority", "right")], rows, title=f"wrote {len(writes)} value(s) on {device}")
    return 0


async def cmd_priority_array(ctx: Context) -> int:
    args = ctx.args
    device = device_arg(args.device)
    oid = parse_object_id(args.object)
    client = await ctx.client()
    array = await client.priority_array(device, oid)
    winning = array.winning
    if ctx.out.json_mode:
        document = array.to_dict()
        document["device"] = device
        document["winning_priority"] = winning.priority if winning else None
        ctx.out.json(document)
        return 0
    rows, styles = [], []
    for slot in array.slots:
        in_control = winning is not None and slot.priority == winning.priority
        value = Text(value_text(slot.value) if slot.active else "-")
        rows.append([slot.priority, slot.name, value, "in control" if in_control else ""])
        styles.append("bold" if in_control else (None if slot.active else "dim"))
    ctx.out.table([("Pri", "right"), "Name", "Value", ""], rows, styles=styles, title=f"{oid} on {device}")
    source = f"priority {winning.priority}" if winning else "relinquish default"
    ctx.out.line(
        f"present-value {value_text(array.present_value)} (from {source}); "
        f"relinquish-default {value_text(array.relinquish_default)}"
    )
    return 0
