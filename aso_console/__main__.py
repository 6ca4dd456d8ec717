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
from aso_runtime.cli.parser import instance_arg, port_arg, positive_arg, seconds_arg
from aso_runtime.cli.syntax import bbmd_arg, local_address_arg

from .logs import setup_logging
from .runtime import ConsoleOptions, open_runtime

log = logging.getLogger("aso.console")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aso-console",
        description="Terminal commissioning console for BACnet building systems and ASO scripts.",
        epilog="examples:\n  aso-console --demo\n  aso-console --address 10.0.0.5/24\n"
               "  aso-console --address eth0 --foreign 10.0.1.1 --ttl 300\n  aso-console --read-only",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--demo", action="store_true",
                        help="serve the embedded simulated building in this process and discover it")
    parser.add_argument("--demo-devices", type=positive_arg, default=8, metavar="N",
                        help="devices in the demo building (AHU, plant, meter and N-3 VAVs; default 8)")
    parser.add_argument("--demo-port", type=port_arg, default=47808, metavar="P",
                        help="demo: the building's BBMD listens on 127.0.0.1:P, the console on P+1 (default 47808)")
    parser.add_argument("--address", help="local BACnet/IP address: IP/MASK[:PORT] or an interface name "
                                          "(default: the host's primary interface)")
    parser.add_argument("--instance", type=instance_arg, default=4194302, help="our device instance (default 4194302)")
    parser.add_argument("--foreign", metavar="BBMD", help="register as a foreign device with this BBMD (IP[:PORT])")
    parser.add_argument("--ttl", type=positive_arg, default=300, help="foreign-device registration time-to-live, s")
    parser.add_argument("--timeout", type=seconds_arg, default=3.0, help="seconds to wait for each device answer")
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


def check_args(args: argparse.Namespace) -> None:
    """Refuse a bad --address/--foreign before the demo building or a socket is opened.

    Blank counts as given: '' must not mean "the primary interface" (the site
    network) or "no BBMD". Raises :class:`InvalidInput`.
    """
    if args.address is not None:
        local_address_arg(args.address)
    if args.foreign is not None:
        bbmd_arg(args.foreign)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        check_args(args)
    except InvalidInput as exc:
        print(f"aso-console: error: {exc}", file=sys.stderr)
        return 2
    options = ConsoleOptions(address=args.address, instance=args.instance, foreign=args.foreign, ttl=args.ttl,
                             timeout=args.timeout, read_only=args.read_only, demo=args.demo,
                             demo_devices=max(8, args.demo_devices), profile=args.profile,
                             demo_port=args.demo_port)
    try:
        return asyncio.run(run(options))
    except InvalidInput as exc:
        print(f"aso-console: error: {exc}", file=sys.stderr)
        return 2
    except BacnetError as exc:  # busy port, address not on this host, BBMD not answering
        print(f"aso-console: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
