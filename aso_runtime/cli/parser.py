"""The argparse tree of ``aso``: verbs, their arguments, help and examples.

Global options work before or after the verb: the top parser holds the real
defaults and every verb repeats the options with SUPPRESS defaults, so a
value given after the verb overrides one given before it and an absent one
leaves the top-level default alone.
"""

from __future__ import annotations

import argparse
import re
from typing import NoReturn

from aso_runtime import __version__
from aso_runtime.bacnet.ids import MAX_INSTANCE

SIM_ADDRESS = "127.0.0.1/8:47808"  # loopback: a simulator never lands on a site network by default


class UsageError(Exception):
    """argparse refused the command line (exit 2, one line)."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


# Argument types shared by `aso` and `aso-console`: ASCII digits only
# (float() and int() would also take '３', '1_0' and ' 8 ').
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")


def seconds_arg(text: str) -> float:
    if not _SECONDS.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    value = float(text)
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text} s is out of range (0 < seconds <= 3600)")
    return value


def instance_arg(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 8 or int(text) >= MAX_INSTANCE:
        raise argparse.ArgumentTypeError(f"{text!r} is not a device instance 0..{MAX_INSTANCE - 1}")
    return int(text)


def positive_arg(text: str) -> int:
    value = whole_arg(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive whole number")
    return value


def grace_arg(text: str) -> float:
    """Seconds, where 0 is allowed (no retries on exit)."""
    return 0.0 if text.strip() in ("0", "0.0") else seconds_arg(text)


def port_arg(text: str) -> int:
    value = whole_arg(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a UDP port 1..65535")
    return value


def whole_arg(text: str) -> int:
    # ASCII digits only: int() would also take '１５', ' 8 ' and '1_6'.
    digits = text[1:] if text.startswith("-") else text
    try:
        if digits.isascii() and digits.isdigit():
            return int(text)
    except ValueError:  # over 4300 digits
        pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")


def priority_arg(text: str) -> int:
    value = whole_arg(text)
    if not 1 <= value <= 16:
        raise argparse.ArgumentTypeError(
            f"priority {value} is out of range: BACnet priorities are 1..16 (8 = manual operator)"
        )
    return value


def retries_arg(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of retries (0..999999)")
    return int(text)


DESCRIPTION = """\
One-shot BACnet/IP commands for commissioning: find devices, read and write
points, inspect priority arrays, list a device's points.

Exit codes: 0 ok, 1 BACnet or network error (timeout, error from the device,
reject, abort, local port busy), 2 bad input (malformed id, priority outside
1..16, wrong value type, unknown property, bad address, usage), 130 Ctrl-C.
Errors are one line on stderr: `aso: error: ...`.

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
    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("connection options (before or after the verb)")
    group.add_argument(
        "--address", metavar="ADDR", default=default(None),
        help="local BACnet/IP bind: IP/MASK[:PORT] (e.g. 10.0.0.5/24, 127.0.0.1/8:47809) or an "
        "interface name (eth0, eth0:47809); default $ASO_ADDRESS, else the host's primary interface, port 47808",
    )
    group.add_argument("--instance", type=instance_arg, metavar="N", default=default(None),
                       help="our own device instance (default 4194301)")
    group.add_argument("--foreign", metavar="BBMD", default=default(None),
                       help="register as a foreign device with this BBMD (IP[:PORT]) to reach another subnet")
    group.add_argument("--ttl", type=positive_arg, metavar="S", default=default(300),
                       help="foreign-device registration lifetime in seconds (default 300)")
    group.add_argument("--timeout", type=seconds_arg, metavar="S", default=default(3.0),
                       help="seconds to wait for each answer (default 3)")
    group.add_argument("--json", action="store_true", default=default(False),
                       help="print one JSON document on stdout instead of tables")
    group.add_argument("--debug", action="store_true", default=default(False),
                       help="log BACnet traffic and show tracebacks of internal errors on stderr")


def _search_options(parser: argparse.ArgumentParser, *, max_wait: float = 3.0, quiet: bool = True) -> None:
    parser.add_argument("--target", metavar="ADDR",
                        help="send to one address instead of broadcasting (e.g. a device across a router or NAT)")
    parser.add_argument("--network", type=whole_arg, metavar="N", help="broadcast on remote network N through its router")
    if quiet:
        parser.add_argument("--quiet", type=seconds_arg, default=0.3, metavar="S",
                            help="stop after S seconds with no new answer (default 0.3)")
    parser.add_argument("--max-wait", type=seconds_arg, default=max_wait, metavar="S",
                        help=f"never wait longer than S seconds (default {max_wait:g})")


def build_parser() -> Parser:
    top = Parser(prog="aso", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _global_options(top, suppress=False)
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    verbs = top.add_subparsers(dest="verb", metavar="VERB", title="verbs")

    def verb(name: str, handler: str, summary: str, epilog: str, aliases: tuple[str, ...] = ()) -> Parser:
        sub = verbs.add_parser(name, aliases=list(aliases), help=summary, description=summary, epilog=epilog,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        _global_options(sub, suppress=True)
        sub.set_defaults(handler=handler)  # "module:function", imported only when run
        return sub

    p = verb("whois", "verbs_find:cmd_whois", "find devices (Who-Is); prints each device as its I-Am arrives", """\
examples:
  aso whois                       all devices; ends 0.3 s after the last answer
  aso whois 1000 1999             devices with instances 1000..1999
  aso whois 1001                  one device; ends on its I-Am
  aso whois --target 10.0.0.20    ask one address directly
  aso whois --network 5           every device on network 5, through its router
  aso whois --foreign 10.1.0.1    from another subnet, through that BBMD

json: {"devices": [{"instance", "address", "vendor_id", "max_apdu",
       "segmentation", "network"}], "count", "elapsed_ms"}
""")
    p.add_argument("low", nargs="?", type=instance_arg, metavar="LOW", help="lowest device instance (alone: exactly this one)")
    p.add_argument("high", nargs="?", type=instance_arg, metavar="HIGH", help="highest device instance")
    _search_options(p)

    p = verb("whohas", "verbs_find:cmd_whohas", "find which devices hold an object id or an object name (Who-Has)", """\
examples:
  aso whohas av,3
  aso whohas --name "AHU-1 SAT"
  aso whohas ai,1 --target 10.0.0.20

json: {"holders": [{"device_instance", "address", "object_id", "object_name"}], "count"}
""")
    p.add_argument("object", nargs="?", metavar="OBJECT", help="object id, e.g. av,3")
    p.add_argument("--name", help="object name to look for (exact)")
    _search_options(p)

    p = verb("read", "verbs_points:cmd_read", "read one property (default present-value)", """\
examples:
  aso read 10.0.0.20 ai,1
  aso read 10.0.0.20 av,3 units
  aso read 1001 msv,1 state-text[2]
  aso read 2:7 device,7 object-list

prints the value alone (scripts: VALUE=$(aso read ...)).
json: {"device", "object_id", "property", "index", "value"}
""")
    p.add_argument("device", metavar="DEVICE", help="address, NETWORK:MAC or device instance")
    p.add_argument("object", metavar="OBJECT", help="object id, e.g. ai,1 or analog-input,1")
    p.add_argument("property", nargs="?", default="present-value", metavar="PROPERTY[index]",
                   help="property name, optionally with an array index (default present-value)")

    p = verb("write", "verbs_points:cmd_write", "write one property at a priority (value null releases)", """\
examples:
  aso write 10.0.0.20 av,3 21.5 --priority 8
  aso write 10.0.0.20 bv,1 active --priority 8
  aso write 10.0.0.20 msv,1 2 --priority 8
  aso write 10.0.0.20 av,3 null --priority 8      release (same as `aso release`)
  aso write 10.0.0.20 av,3 "Supply air" --property description

Without --priority a commandable point is written at priority 16 by the device.
The present value is read back and shown: a write below the winning priority changes nothing.
json: {"device", "object_id", "property", "value" (as typed; null for a release), "priority",
       "released", "present_value" (read back after the write)}
""")
    p.add_argument("device", metavar="DEVICE", help="address, NETWORK:MAC or device instance")
    p.add_argument("object", metavar="OBJECT", help="object id, e.g. av,3")
    p.add_argument("value", metavar="VALUE", help="number, active/inactive, state number, text, or null to release")
    p.add_argument("--priority", "-p", type=whole_arg, metavar="P", help="priority 1..16 (8 = manual operator)")
    p.add_argument("--property", default="present-value", metavar="PROP", help="property to write (default present-value)")

    p = verb("release", "verbs_points:cmd_release", "relinquish a point's slot in its priority array (write null)", """\
examples:
  aso release 10.0.0.20 av,3 --priority 8

json: {"device", "object_id", "property", "value": null, "priority", "released": true, "present_value"}
""")
    p.add_argument("device", metavar="DEVICE", help="address, NETWORK:MAC or device instance")
    p.add_argument("object", metavar="OBJECT", help="object id, e.g. av,3")
    p.add_argument("--priority", "-p", type=whole_arg, required=True, metavar="P", help="the priority slot to release, 1..16")
    p.add_argument("--property", default="present-value", metavar="PROP", help="property (default present-value)")

    p = verb("rpm", "verbs_points:cmd_rpm", "read several properties of several objects at once (ReadPropertyMultiple)", """\
syntax: aso rpm DEVICE OBJECT PROP[,PROP...] [OBJECT PROP[,PROP...] ...]

examples:
  aso rpm 10.0.0.20 ai,1 present-value,units,status-flags
  aso rpm 10.0.0.20 av,3 present-value,priority-array bv,1 present-value

Falls back to single reads for devices without RPM. A property the device
refuses is shown as an error and the exit code is 1.
json: {"device", "values": [{"object_id", "property", "index", "value", "error"}]}
""")
    p.add_argument("device", metavar="DEVICE", help="address, NETWORK:MAC or device instance")
    p.add_argument("items", nargs="+", metavar="OBJECT PROPS", help="object id then comma-separated properties, repeated")

    p = verb("wpm", "verbs_points:cmd_wpm", "write several values in one request (WritePropertyMultiple)", """\
syntax: aso wpm DEVICE OBJECT PROP=VALUE[@PRIORITY] [PROP=VALUE ...] [OBJECT PROP=VALUE ...]

examples:
  aso wpm 10.0.0.20 av,3 present-value=21.5@8 bv,1 present-value=active@8
  aso wpm 10.0.0.20 av,3 present-value=21.5 av,4 present-value=18 --priority 8
  aso wpm 10.0.0.20 av,3 present-value=null@8 bv,1 present-value=null@8     release both

Every value is checked before anything is sent; the device stops at the
first failing write.
json: {"device", "writes": [{"object_id", "property", "value" (as typed; null = release), "priority"}]}
""")
    p.add_argument("device", metavar="DEVICE", help="address, NETWORK:MAC or device instance")
    p.add_argument("items", nargs="+", metavar="OBJECT PROP=VALUE[@P]", help="object id then its writes, repeated")
    p.add_argument("--priority", "-p", type=whole_arg, metavar="P", help="priority for writes without @P")

    p = verb("priority-array", "verbs_points:cmd_priority_array", "show the 16 command priorities of a point and which one wins", """\
examples:
  aso priority-array 10.0.0.20 av,3
  aso pa 1001 bo,2

json: {"device", "object_id", "slots": [{"priority", "name", "value", "kind"}],
       "relinquish_default", "current_command_priority", "present_value", "winning_priority"}
""", aliases=("pa",))
    p.add_argument("device", metavar="DEVICE", help="address, NETWORK:MAC or device instance")
    p.add_argument("object", metavar="OBJECT", help="a commandable object, e.g. av,3 or bo,1")

    p = verb("routers", "verbs_find:cmd_routers", "find BACnet routers and the networks they reach", """\
examples:
  aso routers
  aso routers 5                    who routes to network 5?
  aso routers --target 10.0.0.1

json: {"routers": [{"address", "networks"}], "count"}
""")
    p.add_argument("network", nargs="?", type=whole_arg, metavar="NETWORK", help="only routers to this network")
    p.add_argument("--target", metavar="ADDR", help="ask one address instead of broadcasting")
    p.add_argument("--max-wait", type=seconds_arg, default=2.0, metavar="S", help="seconds to wait for answers (default 2)")

    p = verb("discover", "verbs_find:cmd_discover", "list a device's points: name, present value, units, status", """\
examples:
  aso discover 10.0.0.20
  aso discover 1001 --json
  aso discover --all --csv > points.csv
  aso discover --all --network 5

csv columns: device_instance, object_id, name, present_value, units, status_flags (;-separated), out_of_service
json: {"points": [{"device_instance", "object_id", "name", "present_value", "units",
       "status_flags", "out_of_service", "errors"}], "count", "errors": [{"device_instance", "address", "error"}]}
""")
    p.add_argument("device", nargs="?", metavar="DEVICE", help="address, NETWORK:MAC or device instance")
    p.add_argument("--all", action="store_true", help="every device that answers a Who-Is")
    p.add_argument("--csv", action="store_true", help="CSV on stdout")
    _search_options(p)

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
    return top
