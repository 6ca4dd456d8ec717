"""The argparse of ``aso time-sync``, ``aso dcc``, ``aso reinit`` and ``aso bbmd`` (handlers in ``verb_device.py``)."""

from __future__ import annotations

from collections.abc import Callable

TIME_SYNC_EPILOG = """\
examples:
  aso time-sync 2001                         set device 2001's clock to this host's local time (asks first)
  aso time-sync 2001 --utc --yes             UTCTimeSynchronization, no question (scripts)
  aso time-sync --network 2 --yes            every device of network 2 (a broadcast on that network only)

TimeSynchronization is unconfirmed: nothing comes back; read the device's
local-time to check. A broadcast needs an explicit --network and --yes;
there is no global broadcast. Without a terminal, --yes is required.
json: {"target", "utc", "time"}
"""

DCC_EPILOG = """\
examples:
  aso dcc 2001 disable --minutes 10 --password secret
  aso dcc 2001 enable --password secret --yes

DeviceCommunicationControl. While disabled the device answers nothing but
DCC and ReinitializeDevice (so this tool cannot read it either) until
enabled, reinitialized or the minutes run out. disable-initiation stops it
sending (except I-Am) but it still answers. Without a terminal, --yes is
required. The simulated building's password is "aso-sim" ($ASO_SIM_PASSWORD).
json: {"device", "state", "minutes"}
"""

REINIT_EPILOG = """\
examples:
  aso reinit 2001 warmstart --password secret
  aso reinit 2001 coldstart --password secret --yes

ReinitializeDevice: the controller restarts (a cold start usually drops
its commands). A wrong password is refused by the device (exit 1). Without
a terminal, --yes is required.
json: {"device", "state"}
"""

BBMD_EPILOG = """\
examples:
  aso bbmd 127.0.0.1:47808                   the simulator's BBMD (register with --foreign to be listed)
  aso bbmd 10.0.0.1 --json

Read-Broadcast-Distribution-Table and Read-Foreign-Device-Table (BVLL,
BACnet/IP only; port 47808 if none is given). A station that is not a BBMD
does not answer (exit 1).
json: {"bbmd", "bdt": [{"address", "mask"}], "fdt": [{"address", "ttl", "remaining"}]}
"""


def add_device_verbs(verb: Callable) -> None:
    p = verb("time-sync", "verb_device:cmd_time_sync", "set a device's clock (TimeSynchronization)", TIME_SYNC_EPILOG)
    p.add_argument("device", nargs="?", metavar="DEV", help="device instance or address")
    p.add_argument("--network", metavar="N", help="broadcast to every device of network N instead (needs --yes)")
    p.add_argument("--utc", action="store_true", help="UTCTimeSynchronization (UTC) instead of local time")
    p.add_argument("--yes", "-y", action="store_true", help="send without asking (required without a terminal)")
    p = verb("dcc", "verb_device:cmd_dcc", "enable or disable a device's communication (DeviceCommunicationControl)",
             DCC_EPILOG)
    p.add_argument("device", metavar="DEV", help="device instance or address")
    p.add_argument("state", choices=("enable", "disable", "disable-initiation"))
    p.add_argument("--minutes", type=int, metavar="M", help="how long a disable lasts (1..65535)")
    p.add_argument("--password", metavar="P", help="the device's password")
    p.add_argument("--yes", "-y", action="store_true", help="send without asking (required without a terminal)")
    p = verb("reinit", "verb_device:cmd_reinit", "restart a device (ReinitializeDevice)", REINIT_EPILOG)
    p.add_argument("device", metavar="DEV", help="device instance or address")
    p.add_argument("state", choices=("coldstart", "warmstart"))
    p.add_argument("--password", metavar="P", help="the device's password")
    p.add_argument("--yes", "-y", action="store_true", help="send without asking (required without a terminal)")
    p = verb("bbmd", "verb_device:cmd_bbmd", "read a BBMD's broadcast-distribution and foreign-device tables",
             BBMD_EPILOG)
    p.add_argument("bbmd", metavar="ADDRESS", help="the BBMD's IP[:PORT]")
