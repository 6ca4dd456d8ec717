"""ONE set of connection options, with one validation, for ``aso``, ``aso run`` and ``aso-console``.

``--address``, ``--foreign``, ``--ttl``, ``--timeout`` and ``--instance`` are
defined here once (types and help) and checked by :func:`check_connection`
before anything is bound; the console's demo options live here too. Blank
counts as given: ``--address ''`` must not mean "the primary interface" (the
site network) and ``--foreign ''`` not "no BBMD".
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass

from aso_runtime.bacnet import UdpAddress
from aso_runtime.verbs.argtypes import instance_arg, port_arg, positive_arg, seconds_arg
from aso_runtime.verbs.words import bbmd_arg, local_address_arg

ADDRESS_ENV = "ASO_ADDRESS"
ADDRESS_HELP = ("local BACnet/IP bind: IP/MASK[:PORT] (e.g. 10.0.0.5/24, 127.0.0.1/8:47809) or an interface name "
                "(eth0, eth0:47809); default {default}, port 47808")


@dataclass(frozen=True)
class Connection:
    """Checked connection options: where to bind, whom to register with, how long to wait."""

    address: str | None  # as given (--address, else the environment); None: the host's primary interface
    local: UdpAddress | None  # the parsed bind address, when given
    instance: int | None
    foreign: str | None
    ttl: int
    timeout: float


def add_connection_options(parser: argparse.ArgumentParser, *, suppress: bool = False,
                           instance_default: int | None = None, address_default: str = "the host's primary interface",
                           title: str = "connection options") -> argparse._ArgumentGroup:
    """Add the five options. ``suppress``: defaults of SUPPRESS (a verb repeating the top-level options)."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group(title)
    group.add_argument("--address", metavar="ADDR", default=default(None),
                       help=ADDRESS_HELP.format(default=address_default))
    shown = "4194301" if instance_default is None else str(instance_default)
    group.add_argument("--instance", type=instance_arg, metavar="N", default=default(instance_default),
                       help=f"our own device instance (default {shown})")
    group.add_argument("--foreign", metavar="BBMD", default=default(None),
                       help="register as a foreign device with this BBMD (IP[:PORT]) to reach another subnet")
    group.add_argument("--ttl", type=positive_arg, metavar="S", default=default(300),
                       help="foreign-device registration lifetime in seconds (default 300)")
    group.add_argument("--timeout", type=seconds_arg, metavar="S", default=default(3.0),
                       help="seconds to wait for each answer (default 3)")
    return group


def check_connection(args: argparse.Namespace, environment: Mapping[str, str] | None = None) -> Connection:
    """Validate the connection options; raises InvalidInput (exit 2) with one line.

    ``environment``: where ``$ASO_ADDRESS`` is read when ``--address`` is
    absent (``aso``); None ignores it (``aso-console``). An empty variable
    counts as unset.
    """
    foreign = bbmd_arg(args.foreign) if args.foreign is not None else None
    from_environment = (environment or {}).get(ADDRESS_ENV) or None
    address = args.address if args.address is not None else from_environment
    local = None
    if address is not None:
        local = local_address_arg(address, "--address" if args.address is not None else f"${ADDRESS_ENV}")
    return Connection(address, local, args.instance, foreign, args.ttl, args.timeout)


def add_demo_options(parser: argparse.ArgumentParser) -> None:
    """The console's embedded simulated building."""
    parser.add_argument("--demo", action="store_true",
                        help="serve the embedded simulated building in this process and discover it")
    parser.add_argument("--demo-devices", type=positive_arg, default=8, metavar="N",
                        help="devices in the demo building (AHU, plant, meter and N-3 VAVs; at least 8, default 8)")
    parser.add_argument("--demo-port", type=port_arg, default=47808, metavar="P",
                        help="demo: the building's BBMD listens on 127.0.0.1:P, the console on P+1 (default 47808)")
