"""The argparse tree of ``aso``: the shared verbs (aso_runtime.verbs.grammar) plus sim, run, release-orphans.

Global options work before or after the verb: the top parser holds the real
defaults and every verb repeats the options with SUPPRESS defaults, so a
value given after the verb overrides one given before it and an absent one
leaves the top-level default alone.
"""

from __future__ import annotations

import argparse

from aso_runtime import __version__
from aso_runtime.verbs.argtypes import (  # noqa: F401  (re-exported: the argument types of every command)
    Parser,
    UsageError,
    grace_arg,
    instance_arg,
    port_arg,
    positive_arg,
    priority_arg,
    retries_arg,
    seconds_arg,
    whole_arg,
)
from aso_runtime.verbs.grammar import VERBS

from .connection import add_connection_options

SIM_ADDRESS = "127.0.0.1/8:47808"  # loopback: a simulator never lands on a site network by default


DESCRIPTION = """\
One-shot BACnet/IP commands for commissioning: find devices, read and write
points, inspect priority arrays, list a device's points.

Exit codes: 0 ok, 1 BACnet or network error (timeout, error from the device,
reject, abort, local port busy), 2 bad input (malformed id, priority outside
1..16, wrong value type, unknown property, bad address, usage), 130 Ctrl-C.
Errors are one line on stderr: `aso: error: ...`. Writing or releasing at
priority 1 or 2 (life safety) is refused unless --life-safety is given.

--json prints ONE JSON document on stdout; its keys are listed in each
verb's --help.
"""

EPILOG = """\
examples:
  aso whois                                  every device on the local network
  aso --address 10.0.0.5/24 whois 1000 1999  a range, from a chosen interface
  aso read 10.0.0.20 ai,1                    present value of analog-input 1
  aso read 1001 av,3 priority-array[8]       by device instance (found by Who-Is)
  aso write 10.0.0.20 av,3 21.5 --priority 8
  aso release 10.0.0.20 av,3 --priority 8
  aso pa 10.0.0.20 av,3                      who is commanding this point?
  aso discover --all --csv > points.csv

object ids: analog-input,1  ai,1  AI1  AV-3  bo 2  msv:4  0,1
devices: 10.0.0.20  10.0.0.20:47809  2:7 (network 2, MAC 7)  1001 (instance)
"""


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    group = add_connection_options(parser, suppress=suppress, address_default="$ASO_ADDRESS, else the host's "
                                   "primary interface", title="connection options (before or after the verb)")
    default = argparse.SUPPRESS if suppress else False
    group.add_argument("--json", action="store_true", default=default,
                       help="print one JSON document on stdout instead of tables")
    group.add_argument("--debug", action="store_true", default=default,
                       help="log BACnet traffic and show tracebacks of internal errors on stderr")


def build_parser() -> Parser:
    top = Parser(prog="aso", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _global_options(top, suppress=False)
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    verbs = top.add_subparsers(dest="verb", metavar="VERB", title="verbs")

    def verb(name: str, handler: str, summary: str, epilog: str, aliases: tuple[str, ...] = (),
             usage: str | None = None) -> Parser:
        sub = verbs.add_parser(name, aliases=list(aliases), help=summary, description=summary, epilog=epilog,
                               usage=usage, formatter_class=argparse.RawDescriptionHelpFormatter)
        _global_options(sub, suppress=True)
        sub.set_defaults(handler=handler)  # "module:function", imported only when run
        return sub

    # The shared verbs: the same arguments as the console's F2 line (one grammar).
    for shared in VERBS.values():
        sub = verb(shared.name, "verbs:cmd_verb", shared.summary, shared.epilog, shared.aliases,
                   usage=f"%(prog)s {shared.arguments} [connection options]")
        shared.add_arguments(sub)
        sub.set_defaults(verb_name=shared.name)

    p = verb("sim", "verb_sim:cmd_sim", "serve a simulated building on loopback until Ctrl-C", f"""\
examples:
  aso sim                                  on {SIM_ADDRESS}
  aso sim --devices 40 --step 0.5
  aso --address 127.0.0.1/8:47900 sim

Only --address moves it ($ASO_ADDRESS is ignored): a simulator never
appears on a real network by accident.
json: {{"address", "devices": [{{"instance", "name", "address", "kind"}}], "discover_command"}}
""")
    p.add_argument("--devices", type=whole_arg, metavar="N", help="devices in the building, 8..250: AHU, plant, meter and N-3 VAV boxes (default 8)")
    p.add_argument("--step", type=seconds_arg, metavar="S", help="seconds between model steps (default 1)")
    p.add_argument("--password", metavar="PASSWORD",
                   help='the devices\' DeviceCommunicationControl / ReinitializeDevice password '
                        '(default "aso-sim", or $ASO_SIM_PASSWORD when set; "" asks none)')

    p = verb("run", "verb_run:cmd_run", "host ASO scripts headless until SIGINT/SIGTERM/SIGHUP, then release", """\
examples:
  aso run my_aso.py                          the one ASO class in the file
  aso run my_aso.py:CustomHvacAso --step 60
  aso run examples:load_shed --param kw_limit=40 --name shed
  aso run a.py b.py:Other                    several ASOs on one BACnet port
  aso --address eth0 run my_aso.py           bind a real interface (default: primary)

Every value written is journaled before it is sent; on exit every override
still held is released and verified by reading the priority array back
(failed releases are retried for --release-grace seconds). After a kill -9
or power loss the next `aso run` (or `aso release-orphans`) releases what
the dead host left. A faulted ASO is restarted with backoff; the host keeps
running. The host serves optimization-enabled (binary-value,1): write it
inactive at priority 8 from the BAS to stop every ASO (kept across restarts).
Under systemd (Type=notify) it reports READY and feeds the watchdog.
Exit 0 when everything was released; 1 if overrides are still held after
the grace period or an orphaned journal could not be read.
""")
    p.add_argument("scripts", nargs="+", metavar="FILE[:Class]", help="script file, file:Class, module, or examples:NAME")
    p.add_argument("--step", type=seconds_arg, metavar="S", help="step interval in seconds (overrides the class's)")
    p.add_argument("--name", metavar="NAME", help="instance name (one script only; default the class name)")
    p.add_argument("--priority", "-p", type=priority_arg, metavar="P", help="default write priority (overrides the class's 13)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="set a class parameter, e.g. --param kw_limit=40 (repeatable)")
    p.add_argument("--retries", type=retries_arg, default=None, metavar="N",
                   help="restart a faulted ASO at most N times (default: always, backoff 2 s doubling to 5 min)")
    p.add_argument("--exit-when-faulted", action="store_true",
                   help="exit 1 once every ASO has faulted for good (default: keep serving and releasing)")
    p.add_argument("--release-grace", type=grace_arg, default=30.0, metavar="S",
                   help="on exit, keep retrying failed releases this long before giving up (default 30)")
    p.add_argument("--block-limit", type=seconds_arg, default=2.0, metavar="S",
                   help="stop a script that blocks the event loop this long (in one go, or within 10 s; default 2)")

    p = verb("release-orphans", "verb_run:cmd_release_orphans",
             "release overrides left by an ASO host that died (kill -9, power loss)", """\
examples:
  aso release-orphans

Reads the journals of hosts that are no longer running, releases each
override whose slot still holds the value that host wrote (someone else's
later write at the same priority is left alone), and verifies it.
json: {"results": [{"aso", "device", "object_id", "priority", "value", "outcome", "detail"}]}
""")

    p = verb("undo", "verb_undo:cmd_undo",
             "undo a write or release made from the console or aso (the audit journal)", """\
examples:
  aso undo --list                            the recent writes and releases, with their ids
  aso undo --last                            undo the newest write not undone yet (asks first)
  aso undo 3f2a91c0 --yes                    undo that one, no question (scripts)

Every write and release made with aso or the console is recorded in the
audit journal (user, host, time, slot, value before and after, outcome).
Undo writes the old value back at the same priority, or releases the slot
if it was empty, only while the slot still holds what was written;
otherwise it says what the slot holds now and who changed it, and writes
nothing (exit 1). Without a terminal, --yes is required. Slots 1 and 2
also need --life-safety.
json (--list): {"records": [{"id", "time", "user", "host", "tool", "device", "device_instance", "object_id",
  "property", "priority", "index", "before", "before_known", "after", "outcome", "undoes", "session",
  "undone_by"}], "count", "total"}
json (undo): {"record", "undone", "id", "action", "reason", "now", "now_known", "undo", "verified",
  "read_back_error"}
""")
    p.add_argument("id", nargs="?", metavar="ID", help="the audit record to undo (or the start of its id)")
    p.add_argument("--last", action="store_true", help="the newest write or release not undone yet")
    p.add_argument("--list", action="store_true", help="show the recent records with their ids")
    p.add_argument("--limit", type=positive_arg, default=20, metavar="N", help="--list: how many (default 20)")
    p.add_argument("--yes", "-y", action="store_true", help="undo without asking (required without a terminal)")
    p.add_argument("--life-safety", action="store_true", help="allow undoing a write at priority 1 or 2")

    from .closeout_args import add_closeout_verbs  # snapshot, export, closeout (issue 11)

    add_closeout_verbs(verb, _global_options)

    from .overrides_args import add_overrides_verb  # the site-wide override view (issue 11)

    add_overrides_verb(verb)

    from .schedule_args import add_schedule_verbs  # schedule and calendar objects (issue 13)

    add_schedule_verbs(verb)

    from .trend_args import add_trend_verb  # trend logs read with ReadRange (issue 13)

    add_trend_verb(verb)

    from .alarms_args import add_alarms_verbs  # aso alarms, aso ack (issue 13)

    add_alarms_verbs(verb)

    from .device_args import add_device_verbs  # time-sync, dcc, reinit, bbmd (issue 13)

    add_device_verbs(verb)
    return top
