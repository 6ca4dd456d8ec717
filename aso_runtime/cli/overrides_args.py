"""The argparse of ``aso overrides``: its epilog (with the JSON keys), options and argument types.

Kept out of parser.py so that file only calls :func:`add_overrides_verb`; the handler is
``verb_overrides.cmd_overrides``, imported only when run. argparse only: the parser is built for
every ``aso`` command.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable

HOLDER_WORDS = ("aso", "console", "cli", "device", "unknown")  # closeout.records.HOLDERS, without importing it

SUMMARY = "every held priority slot and out-of-service point on the site, who holds it; --release with proof"

EPILOG = """\
examples:
  aso overrides                              the whole site (Who-Is), slots then points out of service
  aso overrides 1001 2001 --csv > held.csv   two devices, as CSV
  aso overrides --priority 1-15 --holder unknown,cli
  aso overrides --min-age 2h                 held for at least two hours (where the age is known)
  aso overrides --release --holder cli       release what was written from aso (asks first)
  aso overrides --release --priority 8 --yes            in a script: no question
  aso overrides --release --yes --life-safety --include-aso  everything, slots 1-2 and running ASOs too

One row per held slot: device, point, priority and its name, value (with
state text and units), the value the point would take without it, who
holds it and for how long. Holders: aso (an ASO's ledger on this host;
"running" when its host is alive), console / cli (the audit journal: the
latest write to that slot wrote this value), device (priority 16 and
nobody else's: the controller's own program, usually), unknown. Points
out of service follow; --priority leaves them out (they have no priority).

--release without --priority or --holder means priorities 1-15: slot 16
is usually the controller's own program (give --priority 16 to include it).
--release asks "release N slots on M devices?" on the terminal; --yes
answers it in scripts. Without a terminal and without --yes nothing is
released (exit 1). Slots at priority 1-2 (life safety) and slots held by a
running ASO need their own confirmation: typed on the terminal, or
--life-safety / --include-aso with --yes. Matching points out of service
are put back in service. Each slot is read just before (a slot that
changed since the sweep is left alone) and read back after: released,
already empty, refused by device, someone else's value now, no answer.

Exit 0 when every device answered (and, with --release, everything
selected was released); 1 when a device did not answer or something was
not released; 2 for bad input.
json: {"held": [{"device", "device_name", "object_id", "object_name", "priority", "level", "value",
  "value_text", "without", "without_text", "winning", "holder", "holder_detail", "since",
  "value_source", "last_command_time", "holder_running", "age_s"}],
  "out_of_service": [{"device", "device_name", "object_id", "object_name", "present_value", "value_text",
  "holder", "holder_detail", "since", "age_s"}],
  "devices": [{"reference", "instance", "name", "address", "objects", "held", "out_of_service",
  "elapsed_ms", "error", "problems"}],
  "count": {"held", "out_of_service", "devices"}, "elapsed_ms", "unreadable",
  "released" (with --release): [{"device", "object_id", "object_name", "priority", "value", "holder",
  "outcome", "detail", "now"}]}
csv: kind, device, device_name, object_id, object_name, priority, level, value, value_text, without,
  without_text, winning, holder, holder_detail, age_s, value_source, last_command_time
"""

CSV_COLUMNS = ["kind", "device", "device_name", "object_id", "object_name", "priority", "level", "value",
               "value_text", "without", "without_text", "winning", "holder", "holder_detail", "age_s",
               "value_source", "last_command_time"]


# ----- argument types ------------------------------------------------------------------------


def priorities_arg(text: str) -> frozenset[int]:
    """``8``, ``8,13``, ``1-15``, ``1-2,8``: priorities 1..16."""
    chosen: set[int] = set()
    for part in text.split(","):
        match = re.fullmatch(r"([0-9]{1,2})(?:-([0-9]{1,2}))?", part.strip())
        if match is None:
            raise argparse.ArgumentTypeError(f"{text!r}: give priorities 1..16 as N, N,N or N-M (e.g. 8 or 1-15)")
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if not 1 <= low <= high <= 16:
            raise argparse.ArgumentTypeError(f"{part.strip()!r}: BACnet priorities are 1..16 (8 = manual operator)")
        chosen.update(range(low, high + 1))
    return frozenset(chosen)


def holders_arg(text: str) -> frozenset[str]:
    """``unknown``, ``cli,console``: some of aso, console, cli, device, unknown."""
    words = {word.strip().lower() for word in text.split(",")}
    wrong = sorted(words - set(HOLDER_WORDS))
    if wrong or not words:
        raise argparse.ArgumentTypeError(f"{text!r}: holders are {', '.join(HOLDER_WORDS)} (comma-separated)")
    return frozenset(words)


_AGE = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(s|m|min|h|d)?")
_UNIT = {None: 1, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def age_arg(text: str) -> float:
    """Seconds, or with a unit: ``90``, ``15m``, ``2h``, ``1d``."""
    match = _AGE.fullmatch(text.strip().lower())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not an age: give seconds, or 15m, 2h, 1d")
    return float(match.group(1)) * _UNIT[match.group(2)]


def add_overrides_verb(verb: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``overrides`` through parser.py's ``verb`` helper."""
    p = verb("overrides", "verb_overrides:cmd_overrides", SUMMARY, EPILOG)
    p.add_argument("devices", nargs="*", metavar="DEVICE", help="only these devices (instance or address; "
                   "default: every device a Who-Is finds)")
    p.add_argument("--csv", action="store_true", help="print CSV (one row per slot or point) instead of tables")
    p.add_argument("--priority", "-p", type=priorities_arg, metavar="N[,N]", help="only slots at these "
                   "priorities: 8, 8,13, 1-15")
    p.add_argument("--holder", type=holders_arg, metavar="WHO", help="only these holders: "
                   f"{'|'.join(HOLDER_WORDS)} (comma-separated)")
    p.add_argument("--min-age", type=age_arg, metavar="S", help="only what has been held at least this long "
                   "(seconds, or 15m, 2h, 1d); an unknown age does not match")
    p.add_argument("--release", action="store_true", help="release every slot that matches (and put matching "
                   "points back in service), after a confirmation")
    p.add_argument("--yes", "-y", action="store_true", help="--release without the question (scripts)")
    p.add_argument("--life-safety", action="store_true", help="--release: slots at priority 1-2 too")
    p.add_argument("--include-aso", action="store_true", help="--release: slots held by a running ASO too")


