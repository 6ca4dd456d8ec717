"""BACnet command priorities as a checked type that carries the life-safety rule.

A priority is parsed once, where it was typed (a CLI argument, an F2 word,
an ASO's ``bacnet_write``), and travels as a :class:`Priority`: an ``int``
1..16 (so the client, the ledger and JSON take it unchanged) that knows its
standard name and whether it is one of the two life-safety slots.

Writing or releasing at priority 1 or 2 overrides what life-safety systems
(smoke control, fire shutdown) command. Every path that writes asks for an
explicit confirmation first: the write modal and F2 the point's name, the
CLI ``--life-safety``, an ASO ``allow_life_safety = True``.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import InvalidInput
from .ids import ascii_int

# Standard names of the 16 command priorities (ASHRAE 135 clause 19.2.1.1);
# the slots without a standard use are "Available".
NAMES: dict[int, str] = {
    1: "Manual Life Safety",
    2: "Automatic Life Safety",
    5: "Critical Equipment Control",
    6: "Minimum On/Off",
    8: "Manual Operator",
}
LIFE_SAFETY = (1, 2)
MANUAL_OPERATOR = 8

_DIGITS = re.compile(r"[0-9]+")  # ASCII only: int() also takes '１５', ' 8 ' and '1_6'


def _out_of_range(shown: object) -> InvalidInput:
    shown = str(shown) if len(str(shown)) <= 12 else f"{str(shown)[:12]}..."  # a pasted page stays one short line
    return InvalidInput(f"priority {shown} is out of range: BACnet priorities are 1..16 (8 = manual operator)")


class Priority(int):
    """A command priority 1..16. ``Priority("8")``, ``Priority(8)``; anything else raises InvalidInput.

    Text must be ASCII digits; bools, floats and None are refused (a
    ``True`` would otherwise be priority 1, life safety).
    """

    def __new__(cls, value: Any) -> "Priority":
        if isinstance(value, Priority):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise InvalidInput(f"priority must be a whole number 1..16 in ASCII digits, got {value!r}")
        if isinstance(value, str):
            if not _DIGITS.fullmatch(value):
                raise InvalidInput(f"priority must be a whole number 1..16 in ASCII digits, got {value!r}")
            if not 1 <= ascii_int(value) <= 16:
                raise _out_of_range(value)
            value = ascii_int(value)
        elif not 1 <= value <= 16:
            raise _out_of_range(value)
        return super().__new__(cls, int(value))

    @property
    def name(self) -> str:
        """The standard name: ``Manual Operator`` for 8, ``Available`` for the unnamed slots."""
        return NAMES.get(int(self), "Available")

    @property
    def life_safety(self) -> bool:
        """True for 1 and 2: writing or releasing there needs an explicit confirmation."""
        return int(self) in LIFE_SAFETY

    def __repr__(self) -> str:
        return f"Priority({int(self)})"

    def __str__(self) -> str:
        return str(int(self))

    def describe(self) -> str:
        """``priority 8 (Manual Operator)``, for messages."""
        return f"priority {int(self)} ({self.name})"


def parse_priority(value: Any, *, allow_none: bool = True) -> Priority | None:
    """``value`` as a :class:`Priority`; None stays None when ``allow_none``. Raises InvalidInput."""
    if value is None and allow_none:
        return None
    return Priority(value)


def priority_name(priority: int) -> str:
    """The standard name of a priority number (``Available`` for the unnamed ones)."""
    return NAMES.get(int(priority), "Available")


def life_safety_confirmed(typed: str | None, point_name: str) -> bool:
    """Does what was typed confirm a life-safety write to the point named ``point_name``?

    The same rule for the write modal and F2: the point's object-name, exactly
    (spaces around it do not count). An unnamed point cannot be confirmed.
    """
    return typed is not None and bool(point_name) and typed.strip() == point_name.strip()
