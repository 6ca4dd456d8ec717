"""``aso schedule`` and ``aso calendar``: show them; edit a day, an exception or a date with a question and a read-back.

Every edit sent (done or refused) goes into the audit journal with the
day, exceptions or dates before and after, as text; ``aso undo`` puts them back.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aso_runtime.bacnet import (
    DAYS,
    Calendar,
    InvalidInput,
    Schedule,
    ScheduleException,
    parse_day,
    parse_entries,
    read_calendar,
    read_schedule,
    write_day,
)
from aso_runtime.bacnet.schedule_edit import (
    add_calendar_entry,
    add_exception,
    drop_calendar_entry,
    drop_exception,
    entries_text,
    exception_text,
    value_text,
)
from aso_runtime.bacnet.schedule_text import (
    calendar_entry_text,
    parse_calendar_entry,
    parse_period,
)
from aso_runtime.closeout.audit import AuditJournal
from aso_runtime.closeout.schedule_audit import (
    DATE_LIST,
    EXCEPTION_SCHEDULE,
    WEEKLY_SCHEDULE,
    audited_edit,
    dates_text,
    exceptions_text,
)
from aso_runtime.verbs.words import device_arg

from .context import Context


def _device(text: str) -> int | str:
    checked = device_arg(text)
    return int(checked) if checked.isdigit() else checked


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
        # In the device's order: # is the exception-schedule array index that --drop-exception takes.
        out.table(["#", "Priority", "When", "Entries"],
                  [[str(n), str(e.priority), e.period, entries_text(e.entries)]
                   for n, e in enumerate(schedule.exceptions, start=1)], title="exceptions (1 wins over 16)")
    else:
        out.note("no exceptions")


def _check_can_ask(ctx: Context) -> bool:
    """Whether to ask before writing; refuses (nothing written) when there is no terminal and no --yes."""
    ask = not ctx.args.yes
    if ask and (ctx.out.json_mode or not sys.stdin.isatty()):
        raise InvalidInput("not a terminal to ask on: add --yes to write without a question")
    return ask


def _report(ctx: Context, after: Schedule | Calendar, text: str) -> int:
    """After an edit: the object as read back (--json), else one line of what was done."""
    if ctx.out.json_mode:
        ctx.out.json(after.as_dict())
    else:
        ctx.out.line(text, style="green")
    return 0


def _listed(items: list, number: int, what: str, object_id: str) -> Any:
    """Item #number (1-based, as listed); InvalidInput naming what there is."""
    if not 1 <= number <= len(items):
        raise InvalidInput(f"{object_id} has no {what} #{number} ({f'1..{len(items)}' if items else 'it has none'})")
    return items[number - 1]


async def _recorded(ctx: Context, client: Any, device: int | str, object_id: str, prop: str, index: int | None,
                    before: str, intended: str, edit: Callable[[], Awaitable[Any]]) -> Any:
    """The edit, in the audit journal (a journal that cannot be written is a warning: the edit is made)."""
    after, audited = await audited_edit(client, AuditJournal(tool="cli"), device, object_id, prop, index, before,
                                        intended, edit)
    if audited.warning:
        ctx.out.warn(audited.warning)
    return after


def _confirmed(ctx: Context, question: str, prompt: str = "write it?") -> bool:
    ctx.out.stderr.write(f"{question}\n{prompt} [y/N] ")
    ctx.out.stderr.flush()
    if sys.stdin.readline().strip().lower() in ("y", "yes"):
        return True
    ctx.out.note("not written")
    return False


async def cmd_schedule(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    device = _device(args.device)
    if args.priority is not None and args.add_exception is None:
        raise InvalidInput("--priority goes with --add-exception")
    if args.set is not None:
        return await _set_day(ctx, device)
    if args.add_exception is not None:
        return await _add_exception(ctx, device)
    if args.drop_exception is not None:
        return await _drop_exception(ctx, device)
    client = await ctx.client()
    schedule = await read_schedule(client, device, args.object)
    if out.json_mode:
        out.json(schedule.as_dict())
    else:
        show(ctx, schedule)
    return 0


def _where(before: Schedule, device: str) -> str:
    return f"{before.name} ({before.object_id}) on device {device}"


async def _set_day(ctx: Context, device: int | str) -> int:
    args = ctx.args
    day_text, entries_arg = args.set
    day = parse_day(day_text)
    entries = parse_entries(entries_arg)
    ask = _check_can_ask(ctx)
    client = await ctx.client()
    before = await read_schedule(client, device, args.object)
    if ask and not _confirmed(ctx, f"{_where(before, args.device)}, {DAYS[day]}:\n"
                                   f"  now: {entries_text(before.days[day])}\n"
                                   f"  new: {entries_text(entries)}"):
        return 1
    after = await _recorded(ctx, client, device, before.object_id, WEEKLY_SCHEDULE, day + 1,
                            entries_text(before.days[day]), entries_text(entries),
                            lambda: write_day(client, device, args.object, day, entries, kind=before.kind))
    return _report(ctx, after, f"wrote {DAYS[day]} of {after.object_id}; reads back {entries_text(after.days[day])}")


async def _add_exception(ctx: Context, device: int | str) -> int:
    args = ctx.args
    period, entries_arg = args.add_exception
    priority = 16 if args.priority is None else args.priority
    parse_period(period)  # refused here, before a socket is bound
    entries = parse_entries(entries_arg)
    if not 1 <= priority <= 16:
        raise InvalidInput(f"--priority {priority}: an event priority is 1 (wins) .. 16")
    ask = _check_can_ask(ctx)
    client = await ctx.client()
    before = await read_schedule(client, device, args.object)
    new = f"{period.strip()} at priority {priority}: {entries_text(entries)}"
    if ask and not _confirmed(ctx, f"{_where(before, args.device)}: add exception #{len(before.exceptions) + 1}\n"
                                   f"  {new}"):
        return 1
    added = ScheduleException(period.strip(), None, entries, priority)
    after = await _recorded(ctx, client, device, before.object_id, EXCEPTION_SCHEDULE, None,
                            exceptions_text(before.exceptions), exceptions_text([*before.exceptions, added]),
                            lambda: add_exception(client, device, args.object, period, entries, priority,
                                                  kind=before.kind))
    return _report(ctx, after, f"added exception #{len(after.exceptions)} to {after.object_id}; reads back "
                               f"{exception_text(after.exceptions[-1])}")


async def _drop_exception(ctx: Context, device: int | str) -> int:
    args = ctx.args
    number = args.drop_exception
    ask = _check_can_ask(ctx)
    client = await ctx.client()
    before = await read_schedule(client, device, args.object)
    shown = _listed(before.exceptions, number, "exception", before.object_id)
    if ask and not _confirmed(ctx, f"{_where(before, args.device)}: drop exception #{number}\n"
                                   f"  {exception_text(shown)}", "drop it?"):
        return 1
    left = before.exceptions[:number - 1] + before.exceptions[number:]
    after = await _recorded(ctx, client, device, before.object_id, EXCEPTION_SCHEDULE, None,
                            exceptions_text(before.exceptions), exceptions_text(left),
                            lambda: drop_exception(client, device, args.object, number, expected=shown,
                                                   kind=before.kind))
    return _report(ctx, after, f"dropped exception #{number} ({exception_text(shown)}) from {after.object_id}; "
                               f"{len(after.exceptions)} left")


async def cmd_calendar(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    device = _device(args.device)
    if args.add is not None or args.drop is not None:
        return await _edit_calendar(ctx, device)
    client = await ctx.client()
    cal = await read_calendar(client, device, args.object)
    if out.json_mode:
        out.json(cal.as_dict())
        return 0
    out.line(f"{cal.name} ({cal.object_id}): {'today is in it' if cal.present_value else 'today is not in it'}",
             style="bold")
    out.table(["#", "Date"], [[str(n), d] for n, d in enumerate(cal.dates, start=1)] or [["", "(empty)"]])
    return 0


async def _edit_calendar(ctx: Context, device: int | str) -> int:
    args = ctx.args
    if args.add is not None:
        parse_calendar_entry(args.add)  # refused here, before a socket is bound
    ask = _check_can_ask(ctx)
    client = await ctx.client()
    before = await read_calendar(client, device, args.object)
    where = f"{before.name} ({before.object_id}) on device {args.device}"
    if args.add is not None:
        change = f"add date #{len(before.dates) + 1}: {args.add.strip()}"
    else:
        change = f"drop date #{args.drop}: {_listed(before.dates, args.drop, 'date', before.object_id)}"
    if ask and not _confirmed(ctx, f"{where}: {change}", f"{change.split()[0]} it?"):
        return 1
    if args.add is not None:
        intended = [*before.dates, calendar_entry_text(parse_calendar_entry(args.add))]
        edit = lambda: add_calendar_entry(client, device, args.object, args.add)
    else:
        intended = before.dates[:args.drop - 1] + before.dates[args.drop:]
        edit = lambda: drop_calendar_entry(client, device, args.object, args.drop,
                                           expected=before.dates[args.drop - 1])
    after = await _recorded(ctx, client, device, before.object_id, DATE_LIST, None, dates_text(before.dates),
                            dates_text(intended), edit)
    if args.add is not None:
        done = f"added date #{len(after.dates)} ({after.dates[-1]})"
    else:
        done = f"dropped date #{args.drop} ({before.dates[args.drop - 1]})"
    return _report(ctx, after, f"{done} of {after.object_id}; {len(after.dates)} dates read back")
