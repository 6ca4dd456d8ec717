"""``aso``: parse the command line, run one verb, map the outcome to an exit code.

Exit codes: 0 ok; 1 BACnet or network error; 2 bad input or usage; 130
interrupted. Whatever happens the user sees at most one line on stderr,
``aso: error: <message>``, never a traceback (``--debug`` shows them for
internal errors).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import signal
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence

from .parser import UsageError, build_parser

EXIT_OK = 0
EXIT_BACNET = 1
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130


def _fail(message: object, code: int) -> int:
    text = " ".join(str(message).split()) or "unknown error"
    sys.stderr.write(f"aso: error: {text}\n")
    sys.stderr.flush()
    return code


def _setup_logging(debug: bool) -> None:
    # Without a handler Python's last-resort handler would print the stack's
    # warnings on stderr and break the one-line error promise.
    root = logging.getLogger()
    if debug:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
        logging.getLogger("aso").setLevel(logging.DEBUG)
    else:
        root.addHandler(logging.NullHandler())


def _handler(spec: str) -> Callable[..., Awaitable[int]]:
    module_name, _, function = spec.partition(":")
    module = importlib.import_module(f"{__package__}.{module_name}")
    return getattr(module, function)


async def _run(handler: Callable[..., Awaitable[int]], args: object) -> int:
    from .context import Context
    from .output import Output

    out = Output(json_mode=args.json)  # type: ignore[attr-defined]
    ctx = Context(args, out)  # type: ignore[arg-type]
    try:
        return await handler(ctx)
    finally:
        await ctx.close()


# SIGTERM/SIGHUP that reach `aso run` before its event loop handles signals
# (imports take a moment): remembered, so the host releases what a dead
# predecessor left and exits cleanly instead of dying half-started.
EARLY_STOP: list[int] = []


def _remember_stop(signum: int, frame: object) -> None:
    EARLY_STOP.append(signum)


def run(argv: Sequence[str] | None = None) -> int:
    """Run ``aso`` with ``argv`` and return the exit code (exceptions escape)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        return _fail(exc, EXIT_INPUT)
    if args.verb is None:
        parser.print_help()
        return EXIT_INPUT
    if args.verb == "run":
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _remember_stop)
    _setup_logging(args.debug)

    from aso_runtime.bacnet import BacnetError, InvalidInput

    try:
        return asyncio.run(_run(_handler(args.handler), args))
    except InvalidInput as exc:
        return _fail(exc, EXIT_INPUT)
    except BacnetError as exc:
        return _fail(exc, EXIT_BACNET)
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        return _fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)", EXIT_BACNET)


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point."""
    try:
        return run(argv)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `aso discover --all | head`: the reader left; say nothing more.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BACNET


if __name__ == "__main__":
    sys.exit(main())
