"""``aso trend DEV OBJ``: a trend log's records, read with ReadRange (page by page, with fallbacks).

``--since 2h`` (or 30m, 90s, 1d, or an ISO date-time) keeps the records
logged after it; ``--count N`` at most N (the newest N without --since);
``--by`` chooses how the device is asked (time, sequence, position).
Output: a table, ``--csv`` (time,epoch,value,status,sequence), or ``--json``.
A trend-log-multiple gives one column per logged property (named from
log-device-object-property): ``--csv`` time,epoch,<one per property>,kind,sequence.
"""

from __future__ import annotations

import datetime as dt
import re
import time

from aso_runtime.bacnet import InvalidInput, logged_columns, parse_object_id, read_range
from aso_runtime.verbs.words import device_arg

from .context import Context

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_AGO = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")


def since_arg(text: str | None, now: float) -> float | None:
    """``--since``: a duration back from now (``2h``, ``30m``, ``1d``) or an ISO date-time, as epoch seconds."""
    if text is None:
        return None
    value = text.strip().lower()
    match = _AGO.fullmatch(value)
    if match:
        return now - float(match.group(1)) * _UNITS[match.group(2)]
    try:
        return dt.datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise InvalidInput(f"--since {text!r}: give a duration (2h, 30m, 1d) or a date-time such as "
                           "2026-11-29T08:00") from None


def _status(record) -> str:  # noqa: ANN001
    return ",".join(record.status)


async def cmd_trend(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    device = device_arg(args.device, ctx.local)
    oid = parse_object_id(args.object)
    since = since_arg(args.since, time.time())
    client = await ctx.client()
    if oid.type == "trend-log-multiple":
        return await _multiple(ctx, client, device, oid, since)
    records = await read_range(client, device, oid, since=since, count=args.count, by=args.by)
    if out.json_mode:
        out.json({"device": device, "object_id": str(oid), "count": len(records),
                  "records": [r.to_dict() for r in records]})
    elif args.csv:
        out.csv(["time", "epoch", "value", "status", "sequence"],
                [(r.time, f"{r.epoch:.2f}", r.value, _status(r), r.sequence) for r in records])
    else:
        out.table(["Time", ("Value", "right"), "Status", ("Seq", "right")],
                  [(r.time, r.value, _status(r), "" if r.sequence is None else r.sequence) for r in records],
                  title=f"{device} {oid}: {len(records)} records")
    return 0


def _cells(record, width: int) -> list:  # noqa: ANN001
    """A record's values, one per column; a log-status or time-change record says so in the first."""
    if record.kind != "value":
        return [f"{record.kind} {record.values[0] if record.values else ''}".strip()] + [None] * (width - 1)
    return list(record.values) + [None] * (width - len(record.values))


async def _multiple(ctx: Context, client, device, oid, since: float | None) -> int:  # noqa: ANN001
    args, out = ctx.args, ctx.out
    columns = await logged_columns(client, device, oid)
    records = await read_range(client, device, oid, since=since, count=args.count, by=args.by)
    width = max([len(columns)] + [len(r.values) for r in records])
    columns += [f"value {k + 1}" for k in range(len(columns), width)]  # a record longer than the list: unnamed
    if out.json_mode:
        out.json({"device": device, "object_id": str(oid), "count": len(records), "columns": columns,
                  "records": [r.to_dict() for r in records]})
    elif args.csv:
        out.csv(["time", "epoch", *columns, "kind", "sequence"],
                [(r.time, f"{r.epoch:.2f}", *_cells(r, width), r.kind, r.sequence) for r in records])
    else:
        out.table(["Time", *((c, "right") for c in columns), ("Seq", "right")],
                  [(r.time, *_cells(r, width), "" if r.sequence is None else r.sequence) for r in records],
                  title=f"{device} {oid}: {len(records)} records")
    return 0
