"""``aso snapshot save|diff|list`` and ``aso export points``: snapshots of the site and the point list.

Everything the user typed is checked before a socket is bound (exit 2):
device words, snapshot names, an existing snapshot without --force. A
device that does not answer does not fail the command: it is listed in the
snapshot with its error and reported on stderr (exit 1 once the file is
written, so a script notices).
"""

from __future__ import annotations

from typing import Any

from aso_runtime.bacnet import InvalidInput
from aso_runtime.closeout.snapshot import DEFAULT_TOLERANCE, Snapshot, diff, load_snapshot, save_snapshot, take_snapshot
from aso_runtime.closeout.snapshot_store import list_snapshots, snapshot_dir, snapshot_name, snapshot_path
from aso_runtime.verbs.words import device_arg

from .context import Context

EXIT_OK, EXIT_PARTIAL = 0, 1


def _devices(ctx: Context) -> list[str] | None:
    words = [device_arg(text, ctx.local) for text in ctx.args.devices]
    return words or None


def _problems(snapshot: Snapshot) -> list[str]:
    return ([f"{e['device']}: {e['error']}" for e in snapshot.errors]
            + [f"device {d.instance}: {d.error}" for d in snapshot.devices if d.error])


async def _take(ctx: Context, devices: list[str] | None, name: str) -> Snapshot:
    out = ctx.out
    status = None
    if not out.json_mode and out.stderr.isatty():
        status = out.err_console.status("reading the site..." if devices is None else "reading...")
        status.start()
    try:
        return await take_snapshot(await ctx.client(), devices, name=name)
    finally:
        if status is not None:
            status.stop()


# ----- aso snapshot ---------------------------------------------------------------------------


async def cmd_snapshot(ctx: Context) -> int:  # `aso snapshot` alone: argparse requires an action
    raise InvalidInput("give an action: save, diff or list (see `aso snapshot --help`)")


async def cmd_snapshot_save(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    path = snapshot_path(args.target)
    devices = _devices(ctx)
    if path.exists() and not args.force:
        raise InvalidInput(f"snapshot {path} exists: give another name, or --force to replace it")
    snapshot = await _take(ctx, devices, snapshot_name(args.target))
    save_snapshot(snapshot, path)
    problems = _problems(snapshot)
    if out.json_mode:
        out.json({"path": str(path), "name": snapshot.name, "taken_at": snapshot.taken_at,
                  "devices": len(snapshot.devices), "points": len(snapshot.points), "errors": snapshot.errors
                  + [{"device": str(d.instance), "error": d.error} for d in snapshot.devices if d.error]})
    else:
        for problem in problems:
            out.warn(problem)
        held = sum(1 for p in snapshot.points if any(n < 16 for n, _ in p.held()))
        oos = sum(1 for p in snapshot.points if p.out_of_service)
        out.line(f"saved {path}")
        out.note(f"{len(snapshot.devices)} devices, {len(snapshot.points)} points; "
                 f"{held} points held at priority 1-15, {oos} out of service")
    return EXIT_PARTIAL if problems else EXIT_OK


async def cmd_snapshot_diff(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    before = load_snapshot(snapshot_path(args.before))
    after = load_snapshot(snapshot_path(args.after))
    tolerance = DEFAULT_TOLERANCE if args.tolerance is None else args.tolerance
    changes = diff(before, after, tolerance)
    if out.json_mode:
        out.json(changes.to_json())
        return EXIT_OK
    out.line(f"{changes.before} ({before.taken_at}) -> {changes.after} ({after.taken_at})", style="bold")
    if changes.empty:
        out.note(f"no changes (analog values within {tolerance:g})")
    device_rows = ([["added", d.instance, d.name or "", d.address] for d in changes.devices_added]
                   + [["gone", d.instance, d.name or "", d.address] for d in changes.devices_removed])
    if device_rows:
        out.table(["", ("Device", "right"), "Name", "Address"], device_rows, title="Devices")
    point_rows = ([["added", p.device, p.object_id, p.name or "", p.value_text] for p in changes.points_added]
                  + [["gone", p.device, p.object_id, p.name or "", p.value_text] for p in changes.points_removed])
    if point_rows:
        out.table(["", ("Device", "right"), "Object", "Name", "Value"], point_rows, title="Points")
    if changes.slots:
        out.table([("Device", "right"), "Object", "Name", ("Priority", "right"), "Change", "Before", "After"],
                  [[s.device, s.object_id, s.name or "", s.priority, s.change, s.before_text, s.after_text]
                   for s in changes.slots], title="Priority slots")
    if changes.out_of_service:
        out.table([("Device", "right"), "Object", "Name", "Now", "Value"],
                  [[c.device, c.object_id, c.name or "", "out of service" if c.after else "back in service",
                    c.value_text] for c in changes.out_of_service], title="Out of service")
    if changes.values:
        out.table([("Device", "right"), "Object", "Name", "Before", "After", ("Change", "right")],
                  [[v.device, v.object_id, v.name or "", v.before_text, v.after_text,
                    "" if v.delta is None else f"{v.delta:+.4g}"] for v in changes.values],
                  title=f"Values (analog beyond {tolerance:g})")
    for instance in changes.unreadable:
        out.warn(f"device {instance}: not compared (its points could not be read in one of the snapshots)")
    return EXIT_OK


async def cmd_snapshot_list(ctx: Context) -> int:
    out = ctx.out
    stored = list_snapshots()
    if out.json_mode:
        out.json({"folder": str(snapshot_dir()), "snapshots": [vars(s) for s in stored]})
        return EXIT_OK
    if not stored:
        out.note(f"no snapshots in {snapshot_dir()} (save one with `aso snapshot save NAME`)")
        return EXIT_OK
    out.table(["Name", "Taken (UTC)", "By", ("Devices", "right"), ("Points", "right")],
              [[s.name, s.taken_at or "", s.taken_by or "", s.devices if s.devices is not None else "",
                s.points if s.points is not None else ""] if s.error is None else [s.name, "damaged", s.error, "", ""]
               for s in stored], title=str(snapshot_dir()))
    return EXIT_OK


# ----- aso export points ------------------------------------------------------------------------


async def cmd_export(ctx: Context) -> int:
    from aso_runtime.closeout.exports import points_csv, write_ede

    args, out = ctx.args, ctx.out
    devices = _devices(ctx)
    if args.csv == "-" and out.json_mode:
        raise InvalidInput("--csv - writes the CSV on stdout: it cannot go with --json")
    if args.ede == "-":
        raise InvalidInput("--ede needs a file: it writes a StateTexts file beside it")
    snapshot = await _take(ctx, devices, "export")
    files: list[str] = []
    if args.csv is not None:
        text = points_csv(snapshot)
        if args.csv == "-":
            out.stdout.write(text)
            out.stdout.flush()
        else:
            with open(args.csv, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
            files.append(args.csv)
    else:
        project = args.project or next((d.name for d in snapshot.devices if d.name), None)
        files.extend(str(path) for path in write_ede(snapshot, args.ede, project=project))
    problems = _problems(snapshot)
    summary: dict[str, Any] = {"files": files, "devices": len(snapshot.devices), "points": len(snapshot.points),
                               "errors": problems}
    if out.json_mode:
        out.json(summary)
    else:
        for problem in problems:
            out.warn(problem)
        if files:
            out.line("wrote " + ", ".join(files))
            out.note(f"{len(snapshot.devices)} devices, {len(snapshot.points)} points")
    return EXIT_PARTIAL if problems else EXIT_OK
