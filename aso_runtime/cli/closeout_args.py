"""The argparse of the closeout verbs: ``aso snapshot save|diff|list``, ``aso export points``, ``aso closeout``.

Kept out of parser.py so that file only calls :func:`add_closeout_verbs`;
handlers live in verb_snapshot.py and verb_closeout.py and are imported
only when run.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable

from aso_runtime.verbs.argtypes import Parser

_TOLERANCE = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")


class IntermixedParser(Parser):
    """Positionals may follow options: ``aso export points --ede site.csv 2001 2002``.

    argparse alone takes the DEVICE list in one go before it meets the
    options, then refuses the devices typed after them; the intermixed
    parse reads every positional wherever it stands.
    """

    _parsing = False

    def parse_known_args(self, args=None, namespace=None):
        if self._parsing:  # the intermixed parse calls back in, once for options and once for positionals
            return super().parse_known_args(args, namespace)
        self._parsing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._parsing = False


def _intermixed(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.__class__ = IntermixedParser  # made by parser.py's verb helper (or add_parser) as a plain Parser
    return parser


def tolerance_arg(text: str) -> float:
    """A number >= 0 in ASCII digits (the point's own units)."""
    if not _TOLERANCE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number >= 0")
    return float(text)


def add_closeout_verbs(verb: Callable[..., argparse.ArgumentParser],
                       global_options: Callable[..., None]) -> None:
    """Add the three verbs through parser.py's ``verb`` helper; nested actions repeat the global options."""
    p = verb("snapshot", "verb_snapshot:cmd_snapshot", "as-found / as-left snapshots: save, diff, list", """\
examples:
  aso snapshot save as-found                 every device of the site (Who-Is)
  aso snapshot save vav1.json 2001 2002      these devices, into a file
  aso snapshot diff as-found as-left --tolerance 1
  aso snapshot list

A bare NAME is kept in the user's data folder (see `aso snapshot list`);
a word with a '/' or ending in .json is a file. The format is documented in
docs/snapshot-format.md.
""")
    actions = p.add_subparsers(dest="snapshot_action", metavar="ACTION", title="actions", required=True)

    def action(name: str, handler: str, summary: str, epilog: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=summary, description=summary, epilog=epilog,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        global_options(sub, suppress=True)
        sub.set_defaults(handler=handler)
        return sub

    a = action("save", "verb_snapshot:cmd_snapshot_save", "read every point and save a snapshot", """\
Records every point's present value (with units / state text), priority
array, out-of-service and status flags, and the device list (instance,
name, address, vendor, model). An existing snapshot is not replaced
without --force.
json: {"path", "name", "taken_at", "devices", "points", "errors": [{"device", "error"}]}
""")
    _intermixed(a)
    a.add_argument("target", metavar="NAME|FILE", help="a snapshot name (kept in the data folder) or a .json file")
    a.add_argument("devices", nargs="*", default=[], metavar="DEVICE", help="instances or addresses (default: every device a Who-Is finds)")
    a.add_argument("--force", action="store_true", help="replace an existing snapshot of that name")

    a = action("diff", "verb_snapshot:cmd_snapshot_diff", "what changed between two snapshots", """\
Shows new and gone devices and points, changed priority slots, points newly
out of service (or back), and present values that moved by more than the
tolerance (absolute, in the point's units, for analog values; any change
for binary and multi-state values).
json: {"before", "after", "tolerance", "empty", "devices_added", "devices_removed", "points_added",
       "points_removed", "slots", "out_of_service", "values", "unreadable"}
""")
    a.add_argument("before", metavar="A", help="the earlier snapshot (name or file)")
    a.add_argument("after", metavar="B", help="the later snapshot (name or file)")
    a.add_argument("--tolerance", type=tolerance_arg, default=None, metavar="X",
                   help="analog values that moved by X or less are not listed (default 0.5)")

    action("list", "verb_snapshot:cmd_snapshot_list", "the snapshots kept in the data folder", """\
json: {"folder", "snapshots": [{"name", "path", "taken_at", "taken_by", "devices", "points", "error"}]}
""")

    p = verb("export", "verb_snapshot:cmd_export", "export the point list as CSV or EDE", """\
examples:
  aso export points --csv points.csv               every device of the site
  aso export points --csv - 2001                   one device, on stdout
  aso export points --ede site_EDE.csv --project "Main St"

CSV columns: device, device_name, object_id, name, type, present_value,
state_text, units, commandable, current_priority.
EDE: the B.I.G.-EU engineering data exchange layout 2.2 (semicolons), with
its StateTexts file beside it (site_EDE.csv -> site_StateTexts.csv).
json: {"files": [...], "devices", "points", "errors"}
""")
    _intermixed(p)
    p.add_argument("what", choices=["points"], metavar="points", help="what to export (the point list)")
    p.add_argument("devices", nargs="*", default=[], metavar="DEVICE", help="instances or addresses (default: every device a Who-Is finds)")
    form = p.add_mutually_exclusive_group(required=True)
    form.add_argument("--csv", metavar="FILE", help="write CSV to FILE ('-' for stdout)")
    form.add_argument("--ede", metavar="FILE", help="write an EDE file (and its StateTexts file beside it)")
    p.add_argument("--project", metavar="NAME", help="EDE project name (default: the site's first device name)")

    p = verb("closeout", "verb_closeout:cmd_closeout", "may the site be handed back? overrides, out-of-service, report", """\
examples:
  aso closeout                                     exit 0 only if nothing blocks the hand-back
  aso closeout --allow agreed.toml --report handback.html --report handback.md

Sweeps every device (or the DEVICEs given): any value held at priorities
1-15 that the allow-list does not permit, any point out of service, and any
device that cannot be read block the hand-back (exit 1, listed). Priority 16
is the controllers' own logic and never blocks. The report adds what was
released and by whom, from the audit journal.

allow-list (TOML), one [[allow]] table per agreed override:
  [[allow]]
  device = "1001"                  # instance or device-name glob
  point = "AV1"                    # object id, or object-name glob
  priority = 8                     # 8, "8-10", [8, 10] or "*"
  reason = "Owner keeps static at 1.2 inWC until balancing"

json: {"passed", "blocking", "out_of_service", "allowed", "unchecked", "program", "devices", "points", "reports"}
""")
    _intermixed(p)
    p.add_argument("devices", nargs="*", default=[], metavar="DEVICE", help="instances or addresses (default: every device a Who-Is finds)")
    p.add_argument("--allow", metavar="FILE", help="TOML allow-list of overrides that may stay, each with a reason")
    p.add_argument("--report", action="append", default=[], metavar="FILE",
                   help="write the hand-back report: FILE.md (Markdown) or FILE.html (repeatable)")
    p.add_argument("--since", metavar="WHEN",
                   help="releases from the audit journal since WHEN (2026-11-29 or 2026-11-29T08:00; default: the last 24 h)")
