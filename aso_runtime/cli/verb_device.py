"""``aso time-sync``, ``aso dcc``, ``aso reinit``, ``aso bbmd``: device management (argparse in ``device_args.py``).

Each that changes a device asks first, naming it; without a terminal
``--yes`` is required (nothing is sent on a question nobody can answer).
"""

from __future__ import annotations

import sys

from aso_runtime.bacnet import (
    InvalidInput,
    device_communication_control,
    read_bdt,
    read_fdt,
    reinitialize_device,
    time_synchronize,
)

from .context import Context


def _confirm(ctx: Context, question: str) -> bool:
    """True to go ahead: --yes, or 'y' typed at the terminal."""
    args, out = ctx.args, ctx.out
    if args.yes:
        return True
    if out.json_mode or not sys.stdin.isatty():
        raise InvalidInput("not a terminal to ask on: add --yes to send without a question")
    out.stderr.write(f"{question} [y/N] ")
    out.stderr.flush()
    if sys.stdin.readline().strip().lower() in ("y", "yes"):
        return True
    out.note("not sent: the device was not touched")
    return False


async def _named(ctx: Context, device: str) -> str:
    """``device 2001 (2:5)``: resolves the device (a Who-Is for an instance) so the question names it."""
    client = await ctx.client()
    _address, name = await client.resolve(device)
    return name


async def cmd_time_sync(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    if (args.device is None) == (args.network is None):
        raise InvalidInput("give a device, or --network N to broadcast on one network (never a global broadcast)")
    kind = "UTC time" if args.utc else "local time"
    if args.network is not None:
        if not args.yes:
            raise InvalidInput("a broadcast time sync needs --yes: it sets the clock of every device on the network")
        target = f"network {args.network} (broadcast)"
        client = await ctx.client()
        sent = await time_synchronize(client, utc=args.utc, broadcast_network=args.network)
    else:
        target = await _named(ctx, args.device)
        if not _confirm(ctx, f"set the clock of {target} to this host's {kind}?"):
            return 1
        client = await ctx.client()
        sent = await time_synchronize(client, args.device, utc=args.utc)
    if out.json_mode:
        out.json({"target": target, "utc": args.utc, "time": sent.isoformat(timespec="seconds")})
    else:
        out.line(f"{target}: clock set to {sent:%Y-%m-%d %H:%M:%S}{' UTC' if args.utc else ''} (unconfirmed service)")
    return 0


async def cmd_dcc(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    name = await _named(ctx, args.device)
    lasting = f" for {args.minutes} min" if args.minutes and args.state != "enable" else ""
    if not _confirm(ctx, f"{args.state} communication of {name}{lasting}?"):
        return 1
    await device_communication_control(await ctx.client(), args.device, args.state, args.minutes, args.password)
    if out.json_mode:
        out.json({"device": name, "state": args.state, "minutes": args.minutes})
    else:
        out.line(f"{name}: communication {args.state}{lasting}")
    return 0


async def cmd_reinit(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    name = await _named(ctx, args.device)
    if not _confirm(ctx, f"{args.state} {name}? The controller restarts"):
        return 1
    await reinitialize_device(await ctx.client(), args.device, args.state, args.password)
    if out.json_mode:
        out.json({"device": name, "state": args.state})
    else:
        out.line(f"{name}: {args.state} acknowledged")
    return 0


async def cmd_bbmd(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    client = await ctx.client()
    bdt = await read_bdt(client, args.bbmd)
    fdt = await read_fdt(client, args.bbmd)
    if out.json_mode:
        out.json({"bbmd": args.bbmd,
                  "bdt": [{"address": e.address, "mask": e.mask} for e in bdt],
                  "fdt": [{"address": e.address, "ttl": e.ttl, "remaining": e.remaining} for e in fdt]})
        return 0
    out.table(["Peer BBMD", "Broadcast mask"], [(e.address, e.mask) for e in bdt],
              title=f"{args.bbmd} broadcast-distribution table ({len(bdt)})")
    out.table(["Foreign device", ("TTL s", "right"), ("Remaining s", "right")],
              [(e.address, e.ttl, e.remaining) for e in fdt],
              title=f"{args.bbmd} foreign-device table ({len(fdt)})")
    return 0
