"""``aso run`` (the headless ASO host) and ``aso release-orphans``."""

from __future__ import annotations

import logging
import sys

from aso_runtime.aso.host import AsoSpec, HostOptions, run_host
from aso_runtime.aso.params import parse_params
from aso_runtime.bacnet import InvalidInput

from .context import Context


def _log_to_stderr() -> None:
    """Headless: timestamped lines on stderr (journald / docker logs keep them)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("aso").setLevel(logging.INFO)


async def cmd_run(ctx: Context) -> int:
    args = ctx.args
    if args.name and len(args.scripts) > 1:
        raise InvalidInput("--name applies to one script; give each script its own `aso run` or drop --name")
    params = parse_params(args.param)
    if args.step is not None:
        params["step_interval"] = args.step
    if args.priority is not None:
        params["priority"] = args.priority
    specs = [AsoSpec(source, name=args.name, params=dict(params), retries=args.retries) for source in args.scripts]
    for spec in specs:  # the load step, once: a broken script or a bad parameter is refused before binding a port
        spec.load()
    _log_to_stderr()
    options = HostOptions(address=ctx.address, instance=ctx.instance or HostOptions.instance,
                          foreign=ctx.foreign, ttl=ctx.ttl, timeout=ctx.timeout, release_grace=args.release_grace,
                          exit_when_faulted=args.exit_when_faulted, block_limit=args.block_limit)
    from .main import EARLY_STOP

    return await run_host(specs, options, early_signals=EARLY_STOP)


async def cmd_release_orphans(ctx: Context) -> int:
    from aso_runtime.aso import release_orphans

    client = await ctx.client()
    sweep = await release_orphans(client)
    rows = [{"aso": r.override.aso, "device": r.override.device, "object_id": r.override.object_id,
             "priority": r.override.priority, "value": r.override.value, "outcome": r.outcome, "detail": r.detail}
            for r in sweep.results]
    problems = [str(problem) for problem in sweep.problems]
    if ctx.out.json_mode:
        ctx.out.json({"results": rows, "unreadable": problems, "notes": sweep.notes})
        return 0 if sweep.ok else 1
    if rows:
        ctx.out.table(["ASO", "Device", "Object", ("Priority", "right"), "Value", "Outcome", "Detail"],
                      [[r["aso"], r["device"], r["object_id"], r["priority"], r["value"], r["outcome"], r["detail"]]
                       for r in rows], title="orphaned overrides")
    for line in [*problems, *sweep.notes]:
        ctx.out.warn(line)
    if problems:
        # Never "nothing held" for a journal we could not read in full.
        ctx.out.warn(f"{len(problems)} journal record(s) could not be read: what they held is unknown; "
                     "check those points with `aso priority-array`")
    elif not rows:
        ctx.out.note("no orphaned overrides: nothing to release")
    if sweep.failed:
        ctx.out.warn(f"{len(sweep.failed)} override(s) could not be released now; their journal is kept: "
                     "run `aso release-orphans` again once the devices answer")
    return 0 if sweep.ok else 1
