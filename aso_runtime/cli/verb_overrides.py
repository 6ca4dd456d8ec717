"""``aso overrides``: every held priority slot and out-of-service point on the site, who holds each;
``--release`` releases exactly what the filters select, after a confirmation, and proves each release.

The sweep is :func:`aso_runtime.closeout.sweep.sweep_overrides` (the console's Overrides tab uses
the same), attributed with this host's ASO ledgers and the audit journal. Releases go through
:mod:`aso_runtime.closeout.release` (read first, release, read back) and are recorded in the audit
journal as the CLI's, so ``aso undo`` can put them back. The options are in ``overrides_args.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import TYPE_CHECKING, Any

from .overrides_args import CSV_COLUMNS

if TYPE_CHECKING:
    from aso_runtime.closeout.records import HeldSlot, OutOfServicePoint
    from aso_runtime.closeout.release import Selection

    from .context import Context

# ----- the verb ------------------------------------------------------------------------------


def _audit_records(ctx: Context) -> list:
    """The audit journal's records, when the journal module is installed (it may be absent)."""
    try:
        from aso_runtime.closeout.audit import read_records
    except ImportError:
        return []
    try:
        return list(read_records())
    except OSError as exc:
        ctx.out.warn(f"audit journal not read ({exc}): writes from the console or aso show as unknown")
        return []


def _age(since: float | None, now: float) -> float | None:
    return None if since is None else max(0.0, now - since)


def _matches(item: Any, args: argparse.Namespace, now: float) -> bool:
    from aso_runtime.closeout.records import HeldSlot

    if args.priority is not None and (not isinstance(item, HeldSlot) or item.priority not in args.priority):
        return False
    if args.holder is not None and item.holder not in args.holder:
        return False
    if args.min_age is not None:
        age = _age(item.since, now)
        if age is None or age < args.min_age:
            return False
    return True


async def cmd_overrides(ctx: Context) -> int:
    from aso_runtime.bacnet import InvalidInput
    from aso_runtime.closeout.attribution import load_holders
    from aso_runtime.closeout.records import HeldSlot
    from aso_runtime.closeout.sweep import sweep_overrides
    from aso_runtime.verbs.words import device_arg

    args, out = ctx.args, ctx.out
    # Everything typed is checked before a socket is bound (exit 2).
    if args.csv and out.json_mode:
        raise InvalidInput("choose one of --csv and --json")
    if not args.release and (args.yes or args.life_safety or args.include_aso):
        raise InvalidInput("--yes, --life-safety and --include-aso go with --release")
    if args.release and args.csv:
        raise InvalidInput("--release prints its results as a table or --json, not --csv")
    devices = [device_arg(text, ctx.local) for text in args.devices] or None
    if args.release and args.priority is None and args.holder is None:
        # Slot 16 held by nobody else is the controller's own program: a bare --release
        # must not switch every device's logic off. Name priority 16 (or a holder) to include it.
        args.priority = frozenset(range(1, 16))

    holders = load_holders(_audit_records(ctx))
    client = await ctx.client()
    swept: list = []
    found: list = []
    status = out.err_console.status("sweeping the site...") if not out.json_mode and not args.csv \
        and out.stderr.isatty() else None
    if status is not None:
        status.start()
    started = time.monotonic()
    try:
        async for item in sweep_overrides(client, devices, on_device=swept.append, holders=holders):
            found.append(item)
    finally:
        if status is not None:
            status.stop()
    elapsed = time.monotonic() - started
    now = time.time()
    order = {device: n for n, device in enumerate(sorted({item.device for item in found}))}
    found.sort(key=lambda item: order[item.device])  # stable: each device's own order is kept
    held = [item for item in found if isinstance(item, HeldSlot) and _matches(item, args, now)]
    points = [item for item in found if not isinstance(item, HeldSlot) and _matches(item, args, now)]
    failed = [s for s in swept if s.error]

    document = _document(held, points, swept, elapsed, holders.problems, now)
    if not out.json_mode:
        for problem in holders.problems:
            out.warn(f"journal not read in full: {problem}")
        for summary in swept:
            if summary.error:
                out.warn(f"device {summary.reference}: {summary.error}")
            for problem in summary.problems:
                out.warn(f"device {summary.reference}: not seen: {problem}")
    if not args.release:
        if out.json_mode:
            out.json(document)
        elif args.csv:
            out.csv(CSV_COLUMNS, _csv_rows(held, points, now))
        else:
            _print_found(ctx, held, points, swept, elapsed, now)
        return 1 if failed else 0
    released = await _release(ctx, held, points, document, now)
    return 1 if failed or not released else 0


def _document(held: list, points: list, swept: list, elapsed: float, problems: tuple, now: float) -> dict:
    return {
        "held": [{**slot.to_dict(), "age_s": _age(slot.since, now)} for slot in held],
        "out_of_service": [{**point.to_dict(), "age_s": _age(point.since, now)} for point in points],
        "devices": [{"reference": s.reference, "instance": s.device.instance if s.device else None, "name": s.name,
                     "address": s.device.address if s.device else None, "objects": s.objects, "held": s.held,
                     "out_of_service": s.out_of_service, "elapsed_ms": round(s.elapsed * 1000), "error": s.error,
                     "problems": list(s.problems)}
                    for s in sorted(swept, key=lambda s: (s.device is None, s.device.instance if s.device else 0,
                                                          s.reference))],
        "count": {"held": len(held), "out_of_service": len(points), "devices": len(swept)},
        "elapsed_ms": round(elapsed * 1000),
        "unreadable": list(problems),
    }


# ----- printing ------------------------------------------------------------------------------


def age_text(age: float | None) -> str:
    """``42 s``, ``5 min``, ``3 h``, ``2 d``; ``-`` when unknown."""
    if age is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if age >= size:
            return f"{age // size:.0f} {unit}"
    return f"{age:.0f} s"


def _point(item: Any) -> str:
    from aso_runtime.bacnet import short_id

    short = short_id(item.object_id)
    return f"{item.object_name} ({short})" if item.object_name else short


def _device(item: Any) -> str:
    return f"{item.device} {item.device_name}" if item.device_name else str(item.device)


def _holder(item: Any) -> str:
    return f"{item.holder}: {item.holder_detail}" if item.holder_detail else item.holder


def _held_rows(held: list, now: float) -> list[list[Any]]:
    return [[_device(s), _point(s), f"{s.priority} {s.level}", s.value_text + (" *" if s.winning else ""),
             s.without_text, _holder(s), age_text(_age(s.since, now))] for s in held]


def _print_tables(ctx: Context, held: list, points: list, now: float, held_title: str, points_title: str) -> None:
    if held:
        ctx.out.table(["Device", "Point", "Priority", "Value (* in control)", "Without it", "Held by",
                       ("Age", "right")], _held_rows(held, now), title=held_title)
    if points:
        ctx.out.table(["Device", "Point", "Present value", "Put there by", ("Age", "right")],
                      [[_device(p), _point(p), p.value_text, _holder(p), age_text(_age(p.since, now))]
                       for p in points], title=points_title)


def _print_found(ctx: Context, held: list, points: list, swept: list, elapsed: float, now: float) -> None:
    out = ctx.out
    _print_tables(ctx, held, points, now, "held slots", "out of service")
    devices = len({item.device for item in held + points})
    below = sum(1 for s in held if s.priority < 16)
    answered = sum(1 for s in swept if not s.error)
    out.note(f"{len(held)} held slot(s) ({below} below priority 16) and {len(points)} point(s) out of service "
             f"on {devices} device(s); {answered} of {len(swept)} device(s) swept in {elapsed:.2f} s")


def _csv_rows(held: list, points: list, now: float) -> list[list[Any]]:
    from aso_runtime.verbs.text import value_text

    def plain(value: Any) -> Any:
        return value if value is None or isinstance(value, (int, float, str)) and not isinstance(value, bool) \
            else value_text(value)

    rows = [["held", s.device, s.device_name, s.object_id, s.object_name, s.priority, s.level, plain(s.value),
             s.value_text, plain(s.without), s.without_text, str(s.winning).lower(), s.holder, s.holder_detail,
             _age(s.since, now), plain(s.value_source), plain(s.last_command_time)] for s in held]
    rows += [["out-of-service", p.device, p.device_name, p.object_id, p.object_name, None, None,
              plain(p.present_value), p.value_text, None, None, None, p.holder, p.holder_detail,
              _age(p.since, now), None, None] for p in points]
    return rows


# ----- releasing -----------------------------------------------------------------------------


def _ask(ctx: Context, question: str) -> str:
    ctx.out.stderr.write(question)
    ctx.out.stderr.flush()
    line = sys.stdin.readline()
    return line.strip().lower()


async def _confirm(ctx: Context, selection: Selection) -> Selection | None:
    """The confirmations; returns what may be released (None: nothing). Raises InvalidInput without consent."""
    from aso_runtime.bacnet import BacnetError, InvalidInput

    args = ctx.args
    interactive = sys.stdin.isatty()
    if not args.yes and not interactive:
        raise BacnetError(f"nothing released: {selection.describe()} selected, and no terminal to confirm on "
                          "(add --yes to release without a question)")
    life, aso = selection.life_safety, selection.running_aso
    if not interactive or args.yes:
        if life and not args.life_safety:
            raise InvalidInput(f"{len(life)} selected slot(s) are at priority 1-2 (life safety): add --life-safety "
                               "to release them too, or leave them out with --priority 3-16; nothing released")
        if aso and not args.include_aso:
            raise InvalidInput(f"{len(aso)} selected slot(s) are held by a running ASO: add --include-aso to "
                               "release them too, or leave them out with --holder; nothing released")
        return selection
    answer = await asyncio.to_thread(_ask, ctx, f"Release {selection.describe()}? Each is read back "
                                     "afterwards. [y/N] ")
    if answer not in ("y", "yes"):
        return None
    if life and not args.life_safety:
        typed = await asyncio.to_thread(_ask, ctx, f"{len(life)} of them are at priority 1-2 (life safety: smoke "
                                        "control, fire shutdown). Type 'life safety' to release those too: ")
        if typed != "life safety":
            ctx.out.note(f"the {len(life)} life-safety slot(s) stay held")
            selection = selection.without(life)
    aso = selection.running_aso
    if aso and not args.include_aso:
        typed = await asyncio.to_thread(_ask, ctx, f"{len(aso)} are held by a running ASO, which may write them "
                                        "again at its next step. Type 'aso' to release those too: ")
        if typed != "aso":
            ctx.out.note(f"the {len(aso)} slot(s) of running ASOs stay held")
            selection = selection.without(aso)
    return selection if selection.slots or selection.points else None


async def _release(ctx: Context, held: list[HeldSlot], points: list[OutOfServicePoint], document: dict,
                   now: float) -> bool:
    """Confirm, release, print; True when everything selected was released."""
    from aso_runtime.closeout.audit import AuditJournal
    from aso_runtime.closeout.release import Selection, release_recorded

    out = ctx.out
    selection = Selection(tuple(held), tuple(points))
    if not selection.slots and not selection.points:
        if out.json_mode:
            out.json({**document, "released": []})
        else:
            out.note("nothing matches: nothing to release")
        return True
    if not out.json_mode:
        _print_tables(ctx, held, points, now, "to release", "to put back in service")
    try:
        chosen = await _confirm(ctx, selection)
    except BaseException:
        if out.json_mode:
            out.json({**document, "released": []})
        raise
    if chosen is None:
        if out.json_mode:
            out.json({**document, "released": []})
        else:
            out.note("nothing released")
        return False

    client = await ctx.client()
    results, warnings = await release_recorded(client, chosen, AuditJournal(tool="cli"))
    for warning in warnings:
        out.warn(warning)
    if out.json_mode:
        out.json({**document, "released": [r.to_dict() for r in results]})
    else:
        rows = []
        for r in results:
            target = getattr(r, "slot", None) or r.point
            where = target.priority if hasattr(r, "slot") else "out of service"
            rows.append([_device(target), _point(target), where, r.text, r.detail])
        out.table(["Device", "Point", "Priority", "Outcome", "Detail"], rows,
                  title="release, read back from each device")
        done = sum(r.ok for r in results)
        out.note(f"{done} of {len(results)} done" + ("" if done == len(results) else
                                                      f"; {len(results) - done} not: see above"))
    skipped = len(selection.slots) + len(selection.points) - len(chosen.slots) - len(chosen.points)
    return all(r.ok for r in results) and skipped == 0
