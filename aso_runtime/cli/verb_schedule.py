"""``aso schedule`` (week grid, exceptions; ``--set`` a day with a question and a read-back) and ``aso calendar``."""

from __future__ import annotations

import sys

from aso_runtime.bacnet import (
    DAYS,
    InvalidInput,
    Schedule,
    parse_day,
    parse_entries,
    read_calendar,
    read_schedule,
    write_day,
)
from aso_runtime.verbs.words import device_arg

from .context import Context


def _device(text: str) -> int | str:
    checked = device_arg(text)
    return int(checked) if checked.isdigit() else checked


def value_text(value: object) -> str:
    return "default" if value is None else str(value)


def week_grid(schedule: Schedule) -> tuple[list[str], list[list[str]]]:
    """Columns (Time, Mon..Sun) and one row per time any day changes: the value set then, '' elsewhere."""
    times = sorted({when for day in schedule.days for when, _ in day})
    columns = ["Time", *(d[:3].title() for d in DAYS)]
    rows = []
    for when in times:
        row = [when]
        for day in schedule.days:
            row.append(next((value_text(v) for t, v in day if t == when), ""))
        rows.append(row)
    return columns, rows


def show(ctx: Context, schedule: Schedule) -> None:
    out = ctx.out
    out.line(f"{schedule.name} ({schedule.object_id}): now {value_text(schedule.present_value)}, "
             f"default {value_text(schedule.default)}", style="bold")
    out.line(f"effective {schedule.effective_period[0]} .. {schedule.effective_period[1]}; "
             f"controls {', '.join(schedule.controls) or 'nothing'}"
             + (f" at priority {schedule.priority_for_writing}" if schedule.priority_for_writing else ""))
    columns, rows = week_grid(schedule)
    out.table(columns, rows or [["(no entries: the default all week)"] + [""] * 7], title="weekly schedule")
    if schedule.exceptions:
        out.table(["Priority", "When", "Entries"],
                  [[str(e.priority), e.period, ", ".join(f"{t}={value_text(v)}" for t, v in e.entries) or "(none)"]
                   for e in sorted(schedule.exceptions, key=lambda e: e.priority)], title="exceptions")
    else:
        out.note("no exceptions")


async def cmd_schedule(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    device = _device(args.device)
    if args.set is None:
        client = await ctx.client()
        schedule = await read_schedule(client, device, args.object)
        if out.json_mode:
            out.json(schedule.as_dict())
        else:
            show(ctx, schedule)
        return 0
    day_text, entries_text = args.set
    day = parse_day(day_text)
    entries = parse_entries(entries_text)
    ask = not args.yes
    if ask and (out.json_mode or not sys.stdin.isatty()):
        raise InvalidInput("not a terminal to ask on: add --yes to write the schedule without a question")
    client = await ctx.client()
    before = await read_schedule(client, device, args.object)
    if ask:
        old = ", ".join(f"{t}={value_text(v)}" for t, v in before.days[day]) or "(empty)"
        new = ", ".join(f"{t}={v}" for t, v in entries) or "(empty)"
        out.stderr.write(f"{before.name} ({before.object_id}) on device {args.device}, {DAYS[day]}:\n"
                         f"  now: {old}\n  new: {new}\nwrite it? [y/N] ")
        out.stderr.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            out.note("not written")
            return 1
    after = await write_day(client, device, args.object, day, entries, kind=before.kind)  # BacnetError if it differs
    if out.json_mode:
        out.json(after.as_dict())
    else:
        shown = ", ".join(f"{t}={value_text(v)}" for t, v in after.days[day]) or "(empty)"
        out.line(f"wrote {DAYS[day]} of {after.object_id}; reads back {shown}", style="green")
    return 0


async def cmd_calendar(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    client = await ctx.client()
    cal = await read_calendar(client, _device(args.device), args.object)
    if out.json_mode:
        out.json(cal.as_dict())
        return 0
    out.line(f"{cal.name} ({cal.object_id}): {'today is in it' if cal.present_value else 'today is not in it'}",
             style="bold")
    out.table(["Date"], [[d] for d in cal.dates] or [["(empty)"]])
    return 0
