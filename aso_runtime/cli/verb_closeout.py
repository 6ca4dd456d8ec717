"""``aso closeout``: may the site be handed back? Exit 0 only when nothing blocks it.

Runs the site-wide override sweep (``closeout/sweep.py``), attributes each
held slot from the ASO ledgers and the audit journal, sorts the findings
through the allow-list (``closeout/gate.py``) and writes the hand-back
reports (``closeout/report.py``). Blocked: everything in the way is printed
and the exit code is 1. Bad input (a damaged allow-list, a report name
that is neither .md nor .html, a malformed --since) is refused with exit 2
before anything is bound.
"""

from __future__ import annotations

import datetime as dt
import getpass
import socket
import time
from typing import Any

from aso_runtime import __version__
from aso_runtime.bacnet import InvalidInput
from aso_runtime.closeout.gate import AllowList, Verdict, closeout_check, load_allow_list
from aso_runtime.closeout.records import HeldSlot, OutOfServicePoint
from aso_runtime.closeout.report import SiteDevice, build_hand_back, report_format, write_report
from aso_runtime.verbs.words import device_arg

from .context import Context

EXIT_PASSED, EXIT_BLOCKED = 0, 1
DEFAULT_WINDOW = 24 * 3600  # s of audit journal the report's "released" covers by default


def since_arg(text: str | None, now: float) -> float:
    """``--since``: an ISO date or date-time (local time unless it says otherwise), as epoch seconds."""
    if text is None:
        return now - DEFAULT_WINDOW
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"--since {text!r}: give a date or date-time such as 2026-11-29 or 2026-11-29T08:00") from None
    return when.timestamp()


def _ran_by() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


async def cmd_closeout(ctx: Context) -> int:
    from aso_runtime.closeout.attribution import load_holders
    from aso_runtime.closeout.audit import read_records
    from aso_runtime.closeout.sweep import sweep_overrides

    args, out = ctx.args, ctx.out
    now = time.time()
    # Everything typed is checked before a socket is bound.
    devices = [device_arg(text, ctx.local) for text in args.devices] or None
    allow = load_allow_list(args.allow) if args.allow else AllowList()
    for path in args.report:
        report_format(path)
    since = since_arg(args.since, now)

    try:
        records = read_records()
    except OSError as exc:  # an unreadable journal must not hide the overrides: holders show as unknown
        out.warn(f"audit journal not read ({exc}): the report cannot say what was released, or by whom")
        records = []
    held: list[HeldSlot] = []
    out_of_service: list[OutOfServicePoint] = []
    swept: list[Any] = []
    client = await ctx.client()
    status = out.err_console.status("sweeping the site...") if not out.json_mode and out.stderr.isatty() else None
    if status is not None:
        status.start()
    try:
        async for found in sweep_overrides(client, devices, on_device=swept.append, holders=load_holders(records)):
            (held if isinstance(found, HeldSlot) else out_of_service).append(found)
    finally:
        if status is not None:
            status.stop()

    unchecked = [f"device {s.reference}: {s.error}" for s in swept if s.error]
    if not swept:  # an empty sweep proves nothing: never a pass
        unchecked.append("no device answered the Who-Is: nothing was checked")
    unchecked += [f"device {s.reference} {problem}" for s in swept for problem in s.problems]
    verdict = closeout_check(held, out_of_service, allow, unchecked=unchecked)
    site = [SiteDevice(s.device.instance, s.name, s.device.address) for s in swept if s.device is not None]
    points = sum(s.objects for s in swept)
    report = build_hand_back(verdict, site, points=points, released=records, since=since, ran_by=_ran_by(),
                             tool=f"aso {__version__}", allow_source=args.allow, now=now)
    written = [str(write_report(report, path)) for path in args.report]

    if out.json_mode:
        out.json({**verdict.to_dict(), "devices": len(site), "points": points, "reports": written})
    else:
        _print(ctx, verdict, len(site), points, written)
    return EXIT_PASSED if verdict.passed else EXIT_BLOCKED


def _print(ctx: Context, verdict: Verdict, devices: int, points: int, written: list[str]) -> None:
    out = ctx.out
    if verdict.blocking_slots:
        out.table([("Device", "right"), "Device name", "Object", "Name", ("Priority", "right"), "Value", "Held by"],
                  [[s.device, s.device_name or "", s.object_id, s.object_name or "", s.priority, s.value_text,
                    f"{s.holder}: {s.holder_detail}" if s.holder_detail else s.holder] for s in verdict.blocking_slots],
                  title="Held at priority 1-15 (blocks the hand-back)")
    if verdict.out_of_service:
        out.table([("Device", "right"), "Device name", "Object", "Name", "Value", "Put there by"],
                  [[p.device, p.device_name or "", p.object_id, p.object_name or "", p.value_text,
                    f"{p.holder}: {p.holder_detail}" if p.holder_detail else p.holder] for p in verdict.out_of_service],
                  title="Out of service (blocks the hand-back)")
    for text in verdict.unchecked:
        out.warn(f"not checked: {text}")
    if verdict.allowed:
        out.table([("Device", "right"), "Object", "Name", ("Priority", "right"), "Value", "Reason"],
                  [[a.slot.device, a.slot.object_id, a.slot.object_name or "", a.slot.priority, a.slot.value_text,
                    a.reason] for a in verdict.allowed], title="Allowed to remain")
    for path in written:
        out.note(f"report: {path}")
    if verdict.passed:
        out.line(f"closeout: PASS - {devices} devices, {points} points; nothing blocks the hand-back", style="bold green")
        return
    parts = [f"{len(verdict.blocking_slots)} held slot(s)" if verdict.blocking_slots else "",
             f"{len(verdict.out_of_service)} point(s) out of service" if verdict.out_of_service else "",
             f"{len(verdict.unchecked)} not checked" if verdict.unchecked else ""]
    out.line(f"closeout: BLOCKED - {', '.join(p for p in parts if p)}", style="bold red")
