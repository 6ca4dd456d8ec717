"""Verbs that find things: whois, whohas, routers, discover.

Who-Is streams: in human mode each device is printed the moment its I-Am
arrives and the search ends after a quiet period (see discovery.py), then a
summary line. With --json the document is printed at the end.
"""

from __future__ import annotations

import time
from typing import Any

from aso_runtime.bacnet import (
    BacnetClient,
    BacnetError,
    DeviceInfo,
    InvalidInput,
    discover_objects,
    discover_site,
    parse_object_id,
    who_has,
    who_is_router_to_network,
    who_is_stream,
)

from .context import Context
from .output import flags_text, value_text
from .syntax import device_arg

# Devices discovered at the same time by `discover --all`: enough to hide
# round trips, few enough not to swamp slow MS/TP trunks behind routers.
DISCOVER_CONCURRENCY = 16  # devices read at once; the client also caps requests in flight

_WHOIS_COLUMNS = ["INSTANCE", "ADDRESS", "VENDOR", "MAX-APDU", "SEGMENTATION", "NETWORK"]
_WHOIS_WIDTHS = [9, 21, 6, 8, 16, 7]


def _search_options(ctx: Context) -> dict[str, Any]:
    args = ctx.args
    target = device_arg(args.target) if args.target else None
    if target is not None and args.network is not None:
        raise InvalidInput("give either --target or --network, not both")
    if args.network is not None and not 1 <= args.network <= 65534:
        raise InvalidInput(f"network number {args.network} is out of range 1..65534")
    return {"address": target, "network": args.network, "quiet": args.quiet, "max_wait": args.max_wait}


def _device_row(device: DeviceInfo) -> list[Any]:
    network = device.network if device.network is not None else "-"
    return [device.instance, device.address, device.vendor_id, device.max_apdu, device.segmentation, network]


async def cmd_whois(ctx: Context) -> int:
    args = ctx.args
    low, high = args.low, args.high
    if low is not None and high is None:
        high = low  # `aso whois 1001`: one device, ends on its I-Am
    if low is not None and low > high:
        raise InvalidInput(f"device-instance range {low}..{high} is backwards: give LOW then HIGH")
    options = _search_options(ctx)
    client = await ctx.client()
    started = time.monotonic()
    devices: list[DeviceInfo] = []
    async for device in who_is_stream(client, low, high, **options):
        if not ctx.out.json_mode:
            if not devices:
                ctx.out.stream_row(_WHOIS_WIDTHS, _WHOIS_COLUMNS, style="bold")
            ctx.out.stream_row(_WHOIS_WIDTHS, _device_row(device))
        devices.append(device)
    elapsed_ms = round((time.monotonic() - started) * 1000)
    devices.sort(key=lambda d: d.instance)
    if ctx.out.json_mode:
        ctx.out.json({"devices": [d.to_dict() for d in devices], "count": len(devices), "elapsed_ms": elapsed_ms})
    elif devices:
        ctx.out.note(f"{len(devices)} device{'s' if len(devices) != 1 else ''} in {elapsed_ms} ms")
    else:
        ctx.out.note(f"no device answered within {args.max_wait:g} s")
    return 0


async def cmd_whohas(ctx: Context) -> int:
    args = ctx.args
    if (args.object is None) == (args.name is None):
        raise InvalidInput("whohas needs an object id or --name NAME (one of them)")
    oid = parse_object_id(args.object) if args.object is not None else None
    options = _search_options(ctx)
    client = await ctx.client()
    holders = await who_has(client, oid, args.name, **options)
    if ctx.out.json_mode:
        ctx.out.json({"holders": [h.to_dict() for h in holders], "count": len(holders)})
    elif holders:
        rows = [[h.device_instance, h.address, h.object_id, h.object_name] for h in holders]
        ctx.out.table([("Device", "right"), "Address", "Object", "Name"], rows)
    else:
        ctx.out.note(f"no device answered within {args.max_wait:g} s")
    return 0


async def cmd_routers(ctx: Context) -> int:
    args = ctx.args
    if args.network is not None and not 1 <= args.network <= 65534:
        raise InvalidInput(f"network number {args.network} is out of range 1..65534")
    target = device_arg(args.target) if args.target else None
    client = await ctx.client()
    routers = await who_is_router_to_network(client, args.network, address=target, wait=args.max_wait)
    if ctx.out.json_mode:
        ctx.out.json({"routers": [r.to_dict() for r in routers], "count": len(routers)})
    elif routers:
        rows = [[r.address, ", ".join(str(n) for n in r.networks)] for r in routers]
        ctx.out.table(["Router", "Networks"], rows)
    else:
        ctx.out.note(f"no router answered within {args.max_wait:g} s")
    return 0


# ----- discover ---------------------------------------------------------------


_POINT_COLUMNS = ["device_instance", "object_id", "name", "present_value", "units", "status_flags", "out_of_service"]


async def cmd_discover(ctx: Context) -> int:
    args = ctx.args
    if args.csv and ctx.out.json_mode:
        raise InvalidInput("choose one of --csv and --json")
    if (args.device is None) == (not args.all):
        raise InvalidInput("discover needs a DEVICE or --all (one of them)")
    device_text = device_arg(args.device) if args.device is not None else None
    options = _search_options(ctx) if args.all else {}
    client = await ctx.client()
    status = None
    if not ctx.out.json_mode and not args.csv and ctx.out.stderr.isatty():
        status = ctx.out.err_console.status("discovering...")
        status.start()
    try:
        if args.all:
            devices, points, errors = await _discover_all(client, options)
        else:
            # Errors of a single device end the command (exit 1) as they are.
            points, errors = await discover_objects(client, device_text), []
    finally:
        if status is not None:
            status.stop()
    _print_points(ctx, points, errors, csv_mode=args.csv, searched=args.all)
    if errors:
        raise BacnetError(f"{len(errors)} of {len(devices)} devices could not be discovered")
    return 0


async def _discover_all(client: BacnetClient, search: dict[str, Any]) -> tuple[list, list, list[dict]]:
    """Who-Is and every device's points, each device read as soon as its I-Am arrives."""
    devices, points, errors = [], [], []
    async for result in discover_site(client, concurrency=DISCOVER_CONCURRENCY, **search):
        devices.append(result.device)
        points.extend(result.points)
        if result.error:
            errors.append({"device_instance": result.device.instance, "address": result.device.address,
                           "error": result.error})
    points.sort(key=lambda p: p.device_instance)  # stable: each device keeps its object-list order
    devices.sort(key=lambda d: d.instance)
    return devices, points, sorted(errors, key=lambda e: e["device_instance"])


def _print_points(ctx: Context, points: list, errors: list[dict], *, csv_mode: bool, searched: bool) -> None:
    out = ctx.out
    if out.json_mode:
        out.json({"points": [p.to_dict() for p in points], "count": len(points), "errors": errors})
        return
    for error in errors:
        if searched:
            out.warn(f"device {error['device_instance']} ({error['address']}): {error['error']}")
    if csv_mode:
        rows = []
        for p in points:
            flags = ";".join(p.status_flags) if p.status_flags is not None else None
            oos = None if p.out_of_service is None else str(p.out_of_service).lower()
            rows.append([p.device_instance, p.object_id, p.name, _csv_value(p.present_value), p.units, flags, oos])
        out.csv(_POINT_COLUMNS, rows)
        return
    if not points:
        out.note("no points found" if not searched else f"no device answered within {ctx.args.max_wait:g} s")
        return
    rows, styles = [], []
    for p in points:
        oos = "" if p.out_of_service is None else ("yes" if p.out_of_service else "no")
        value = "" if p.present_value is None and "present-value" not in p.errors else value_text(p.present_value)
        rows.append([p.device_instance, p.object_id, p.name or "", value, p.units or "", flags_text(p.status_flags), oos])
        alarm = p.out_of_service or bool(p.status_flags)
        styles.append("yellow" if alarm else None)
    columns = [("Device", "right"), "Object", "Name", ("Present value", "right"), "Units", "Status", "OOS"]
    out.table(columns, rows, styles=styles)
    devices = len({p.device_instance for p in points})
    out.note(f"{len(points)} objects on {devices} device{'s' if devices != 1 else ''}")


def _csv_value(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return value
    return value_text(value)
