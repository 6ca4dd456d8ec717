"""The argparse entry of ``aso trend`` (the command itself: ``verb_trend.py``, imported only when run)."""

from __future__ import annotations

from typing import Any, Callable

from aso_runtime.verbs.argtypes import positive_arg

EPILOG = """\
examples:
  aso trend 2001 trend-log,1                     every record in the buffer
  aso trend 2001 tl,1 --since 2h                 the last two hours
  aso trend 4001 trend-log,1 --count 100 --csv   the newest 100, as CSV
  aso trend 2001 trend-log,1 --by position       ask by position (old devices)
  aso trend 2001 trend-log-multiple,1 --csv      one column per logged property

Records are read with ReadRange page by page (as many as fit in the
device's max APDU each time); a device that refuses reading by time is
asked by position instead.
json: {"device", "object_id", "count", "records": [{"epoch", "time", "value", "status", "kind", "sequence"}]}
trend-log-multiple json: {"device", "object_id", "count", "columns": [name per logged property],
  "records": [{"epoch", "time", "values": [one per column], "kind", "sequence"}]}
"""


def add_trend_verb(verb: Callable[..., Any]) -> None:
    p = verb("trend", "verb_trend:cmd_trend", "read a trend log's records (ReadRange)", EPILOG)
    p.add_argument("device", metavar="DEV", help="device address or instance")
    p.add_argument("object", metavar="OBJ", help="the trend log, e.g. trend-log,1 or trend-log-multiple,1")
    p.add_argument("--since", metavar="WHEN", help="only records after: 2h, 30m, 1d, or an ISO date-time")
    p.add_argument("--count", type=positive_arg, metavar="N", help="at most N records (the newest N without --since)")
    p.add_argument("--by", choices=("time", "sequence", "position"), default="time",
                   help="how the device is asked (default time; falls back to position)")
    p.add_argument("--csv", action="store_true", help="CSV on stdout: time,epoch,value,status,sequence (trend-log-multiple: a column per property)")
