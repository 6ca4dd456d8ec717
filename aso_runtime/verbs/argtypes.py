"""argparse pieces shared by ``aso``, the console's F2 line and ``aso-console``.

Numbers are ASCII digits only: ``float()`` and ``int()`` would also take
'３', '1_0' and ' 8 ', which on a site are typing accidents, not numbers.
Each type raises ``argparse.ArgumentTypeError`` with one line; the parser
turns any refusal into :class:`UsageError` (exit 2) instead of exiting.
"""

from __future__ import annotations

import argparse
import re
from typing import NoReturn

from aso_runtime.bacnet import MAX_INSTANCE


class UsageError(Exception):
    """argparse refused the command line (exit 2 in the CLI, one red line in F2)."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises :class:`UsageError` instead of printing and exiting.

    ``hint`` ends each message: where the user finds the usage.
    """

    def __init__(self, *args, hint: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.hint = hint

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} ({self.hint or f'see `{self.prog} --help`'})")


_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")


def seconds_arg(text: str) -> float:
    """Seconds, 0 < s <= 3600."""
    if not _SECONDS.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    value = float(text)
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text} s is out of range (0 < seconds <= 3600)")
    return value


def grace_arg(text: str) -> float:
    """Seconds, where 0 is allowed (no retries on exit)."""
    return 0.0 if text.strip() in ("0", "0.0") else seconds_arg(text)


def whole_arg(text: str) -> int:
    """A whole number, maybe negative, in ASCII digits."""
    digits = text[1:] if text.startswith("-") else text
    try:
        if digits.isascii() and digits.isdigit():
            return int(text)
    except ValueError:  # over 4300 digits
        pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")


def positive_arg(text: str) -> int:
    value = whole_arg(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive whole number")
    return value


def instance_arg(text: str) -> int:
    """A device instance 0..4194302 (4194303 is the wildcard)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 8 or int(text) >= MAX_INSTANCE:
        raise argparse.ArgumentTypeError(f"{text!r} is not a device instance 0..{MAX_INSTANCE - 1}")
    return int(text)


def port_arg(text: str) -> int:
    value = whole_arg(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a UDP port 1..65535")
    return value


def priority_arg(text: str):
    """A :class:`~aso_runtime.bacnet.priority.Priority` 1..16 (``aso run --priority``)."""
    from aso_runtime.bacnet import InvalidInput
    from aso_runtime.bacnet.priority import Priority

    value = whole_arg(text)
    try:
        return Priority(value)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def retries_arg(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of retries (0..999999)")
    return int(text)
