"""``aso undo``: the audit journal's recent writes (``--list``), and undoing one (``ID`` or ``--last``).

The undo restores the slot to its state before the write (the old value
written back at the same priority, or the slot released when it was
empty) only while the slot still holds what was written; otherwise it
says what the slot holds now and who changed it, and changes nothing
(exit 1). Without a terminal, ``--yes`` is required: nothing is written
on a question nobody can answer.
"""

from __future__ import annotations

import sys
import time

from aso_runtime.bacnet import BacnetError, InvalidInput
from aso_runtime.closeout.audit import AuditJournal
from aso_runtime.closeout.records import ACKNOWLEDGE_ALARM, AuditRecord
from aso_runtime.closeout.schedule_audit import short_value
from aso_runtime.closeout.undo import (
    LIFE_SAFETY,
    check_undo,
    describe,
    find_record,
    last_undoable,
    slot_text,
    undo,
    undone_by,
    value_words,
)

from .context import Context

LIST_COLUMNS = ["Id", "Time", "Who", "Tool", "Slot", "Before", "After", "Outcome"]


async def cmd_undo(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    chosen = [name for name, given in (("ID", args.id is not None), ("--last", args.last), ("--list", args.list))
              if given]
    if len(chosen) != 1:
        raise InvalidInput("give one of ID, --last or --list (`aso undo --list` shows the recent writes and ids)")
    journal = AuditJournal(tool="cli")
    read = journal.read()
    for problem in read.problems:
        out.warn(f"audit journal {problem}")
    records = read.records
    if args.list:
        return _list(ctx, records, args.limit)
    record = find_record(records, args.id) if args.id is not None else last_undoable(records)
    if record is None:
        raise InvalidInput("nothing to undo: the audit journal has no write that is not undone yet")
    if record.priority in LIFE_SAFETY and not args.life_safety:
        raise InvalidInput(f"audit {record.id} is at life-safety priority {record.priority}: add --life-safety "
                           "to undo it")
    ask = not args.yes
    if ask and (out.json_mode or not sys.stdin.isatty()):
        raise InvalidInput("not a terminal to ask on: add --yes to undo without a question")
    client = await ctx.client()
    plan = await check_undo(client, record, records)
    if plan.refused:
        if out.json_mode:
            out.json({"record": record.to_dict(), "undone": False, **plan.to_dict()})
        raise BacnetError(plan.reason)
    if ask:
        out.stderr.write(f"{describe(record)}\nundo {record.id}: {plan.reason}? [y/N] ")
        out.stderr.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            out.note("not undone: nothing was written")
            return 1
    result = await undo(client, journal, record, records)
    if out.json_mode:
        out.json({"record": record.to_dict(), "undone": result.done, **result.plan.to_dict(),
                  "undo": result.record.to_dict() if result.record else None, "verified": result.verified,
                  "read_back_error": result.read_back_error})
    if not result.done:  # the slot changed between the question and the write
        raise BacnetError(result.plan.reason)
    if result.audited is not None and result.audited.warning:
        out.warn(result.audited.warning)
    if not out.json_mode:
        done = "released" if result.plan.action == "release" else f"wrote {value_words(record.before)} back to"
        out.line(f"undone {record.id}: {done} {slot_text(record)} (audit {result.record.id})", style="green")
    if result.read_back_error:
        out.warn(f"read-back failed: {result.read_back_error}")
    elif result.verified is False:
        out.warn(f"{slot_text(record)} does not read back as {value_words(record.before)}: someone wrote it since")
        return 1
    return 0


def _list(ctx: Context, records: list[AuditRecord], limit: int) -> int:
    undone = undone_by(records)
    shown = records[-limit:]
    if ctx.out.json_mode:
        ctx.out.json({"records": [{**r.to_dict(), "undone_by": undone[r.id].id if r.id in undone else None}
                                  for r in shown], "count": len(shown), "total": len(records)})
        return 0
    if not shown:
        ctx.out.note("the audit journal is empty: nothing written from the console or aso yet")
        return 0
    rows, styles = [], []
    for r in shown:
        outcome = r.outcome if r.outcome == "ok" else f"failed: {r.outcome}"
        if r.id in undone:
            outcome += f" (undone by {undone[r.id].id})"
        elif r.undoes:
            outcome += f" (undo of {r.undoes})"
        # A day, the exceptions, the dates or an acknowledgement in a word or two: in full with --json.
        before = (short_value(r, r.before) or value_words(r.before) if r.before_known
                  else "" if r.property == ACKNOWLEDGE_ALARM else "?")  # an acknowledgement has no before
        after = short_value(r, r.after) or ("released" if r.after is None else value_words(r.after))
        rows.append([r.id, time.strftime("%m-%d %H:%M:%S", time.localtime(r.time)), f"{r.user}@{r.host}", r.tool,
                     slot_text(r), before, after, outcome])
        styles.append("dim" if r.id in undone or r.outcome != "ok" else None)
    ctx.out.table(LIST_COLUMNS, rows, styles=styles)
    if len(records) > len(shown):
        ctx.out.note(f"the last {len(shown)} of {len(records)} records (--limit N shows more); oldest first")
    return 0
