"""``aso-console``: the composition root. One process, one loop, BACnet and Textual together.

Opens the runtime (client, ASO runner, demo building), builds the app with
the runtime passed in, installs SIGHUP/SIGTERM handlers (a dropped SSH
session must still release every ASO override), runs the app, and in
``finally`` stops ASOs and closes the BACnet application.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from aso_runtime.bacnet import BacnetError, InvalidInput
from aso_runtime.cli.connection import Connection, add_connection_options, add_demo_options, check_connection
from aso_runtime.verbs.argtypes import Parser, UsageError

from .logs import setup_logging
from .runtime import ConsoleOptions, open_runtime

log = logging.getLogger("aso.console")


CONSOLE_INSTANCE = 4194302  # not aso's 4194301 nor aso run's 4194300: all three can share a site


def build_parser() -> Parser:
    """``aso-console``'s options: the connection options of ``aso`` (same types, help and checks) and its own."""
    parser = Parser(
        prog="aso-console",
        description="Terminal commissioning console for BACnet building systems and ASO scripts.",
        epilog="examples:\n  aso-console --demo\n  aso-console --address 10.0.0.5/24\n"
               "  aso-console --address eth0 --foreign 10.0.1.1 --ttl 300\n  aso-console --read-only",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_demo_options(parser)
    add_connection_options(parser, instance_default=CONSOLE_INSTANCE)
    parser.add_argument("--read-only", action="store_true", help="disable every write and release")
    parser.add_argument("--profile", metavar="FILE", help="TOML file of ASO scripts to load (and start) at launch")
    return parser


async def run(options: ConsoleOptions) -> int:
    """Open the runtime, run the app, always close the runtime (releasing ASO overrides)."""
    from .app import AsoConsoleApp

    records, path = setup_logging()
    log.info("aso-console starting (%s); log file %s", "demo" if options.demo else options.address or "default", path)
    runtime = await open_runtime(options)
    app = AsoConsoleApp(runtime, log_records=records)
    loop = asyncio.get_running_loop()

    def hang_up(signame: str) -> None:
        log.warning("%s received: releasing ASO overrides and exiting", signame)
        app.exit(return_code=0)

    for sig in (signal.SIGHUP, signal.SIGTERM):
        loop.add_signal_handler(sig, hang_up, sig.name)
    still_held: list = []
    try:
        await app.run_async()
    finally:
        for sig in (signal.SIGHUP, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        still_held = await runtime.close()
        _report_exit(still_held)
    return 1 if still_held else app.return_code or 0


def _report_exit(still_held: list) -> None:
    """Say truthfully what the building holds now that the console is gone (the screen is restored)."""
    if not still_held:
        log.info("aso-console stopped; every ASO override released")
        return
    for override in still_held:
        log.error("still held: %s %s @%s = %r (%s)", override.device, override.object_id, override.priority,
                  override.value, override.pending or "release not verified")
    message = (f"aso-console: {len(still_held)} ASO override(s) are still held in the building (release pending: "
               f"{still_held[0].pending or 'not verified'}); the journal keeps them and the next start or "
               "`aso release-orphans` releases them")
    log.error(message)
    print(message, file=sys.stderr)


def check_args(args: argparse.Namespace) -> Connection:
    """Refuse a bad --address/--foreign before the demo building or a socket is opened (InvalidInput).

    The same check as ``aso``'s; ``$ASO_ADDRESS`` is not read here: the
    console binds only where it is told to, or the primary interface.
    """
    return check_connection(args)


def _error(message: object) -> None:
    print(f"aso-console: error: {' '.join(str(message).split())}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        connection = check_args(args)
    except (UsageError, InvalidInput) as exc:
        _error(exc)
        return 2
    options = ConsoleOptions(address=connection.address, instance=connection.instance, foreign=connection.foreign,
                             ttl=connection.ttl, timeout=connection.timeout, read_only=args.read_only, demo=args.demo,
                             demo_devices=max(8, args.demo_devices), profile=args.profile,
                             demo_port=args.demo_port)
    try:
        return asyncio.run(run(options))
    except InvalidInput as exc:
        _error(exc)
        return 2
    except BacnetError as exc:  # busy port, address not on this host, BBMD not answering
        _error(exc)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
