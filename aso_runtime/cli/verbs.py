"""The shared verbs in the CLI: build the request, run it, print the result.

Grammar, executor and renderers are :mod:`aso_runtime.verbs`'s, the same the
console's F2 line uses; what is the CLI's own is here: checking everything
before a socket is bound (exit 2), streaming I-Ams as they arrive, the
discovery spinner, ``--json`` / ``--csv`` and the exit code of a result
with a problem (1).
"""

from __future__ import annotations

from typing import Any

from aso_runtime.bacnet import BacnetError, DeviceInfo, InvalidInput
from aso_runtime.verbs import build_request, execute, refuse_without_consent
from aso_runtime.verbs import requests as rq
from aso_runtime.verbs import results as rs
from aso_runtime.verbs.grammar import VERBS
from aso_runtime.verbs.text import value_text

from .context import Context

POINT_COLUMNS = ["device_instance", "object_id", "name", "present_value", "units", "status_flags", "out_of_service"]


async def cmd_verb(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    request = build_request(VERBS[args.verb_name], args, ctx.local)
    refuse_without_consent(request)  # life safety: exit 2 before anything is bound
    csv_mode = isinstance(request, rq.Discover) and request.csv
    if csv_mode and out.json_mode:
        raise InvalidInput("choose one of --csv and --json")
    client = await ctx.client()
    streamed = isinstance(request, rq.WhoIs) and not out.json_mode
    status = None
    if isinstance(request, rq.Discover) and request.whole_site and not out.json_mode and not csv_mode \
            and out.stderr.isatty():
        status = out.err_console.status("discovering...")
        status.start()
    try:
        result = await execute(request, client, on_device=_streamer(ctx) if streamed else None)
    finally:
        if status is not None:
            status.stop()
    if not out.json_mode:  # the JSON document carries them itself
        for warning in result.warnings:
            out.warn(warning)
    if out.json_mode:
        out.json(result.to_json())
    elif csv_mode:
        out.csv(POINT_COLUMNS, _csv_rows(result))
    else:
        from aso_runtime.verbs.render import render

        out.render(render(result, streamed=streamed))
    if result.problem:
        raise BacnetError(result.problem)
    return 0


def _streamer(ctx: Context):
    """Print each I-Am the moment it arrives, under a header printed with the first."""
    from aso_runtime.verbs.render import WHOIS_COLUMNS, WHOIS_WIDTHS, device_row

    printed: list[int] = []

    def on_device(device: DeviceInfo) -> None:
        if not printed:
            ctx.out.stream_row(WHOIS_WIDTHS, WHOIS_COLUMNS, style="bold")
        printed.append(device.instance)
        ctx.out.stream_row(WHOIS_WIDTHS, device_row(device))

    return on_device


def _csv_rows(result: rs.Result) -> list[list[Any]]:
    assert isinstance(result, rs.PointsFound)
    rows = []
    for p in result.points:
        flags = ";".join(p.status_flags) if p.status_flags is not None else None
        oos = None if p.out_of_service is None else str(p.out_of_service).lower()
        rows.append([p.device_instance, p.object_id, p.name, _csv_value(p.present_value), p.units, flags, oos])
    return rows


def _csv_value(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return value
    return value_text(value)
