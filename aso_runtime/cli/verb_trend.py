"""``aso trend DEV OBJ``: a trend log's records, read with ReadRange (page by page, with fallbacks).

``--since 2h`` (or 30m, 90s, 1d, or an ISO date-time) keeps the records
logged after it; ``--count N`` at most N (the newest N without --since);
``--by`` chooses how the device is asked (time, sequence, position).
Output: a table, ``--csv`` (time,epoch,value,status), or ``--json``.
"""

from __future__ import annotations

import datetime as dt
import re
import time

from aso_runtime.bacnet import InvalidInput, parse_object_id, read_range
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
