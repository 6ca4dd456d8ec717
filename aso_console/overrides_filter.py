"""The Overrides tab's filter line: words a technician types, checked against each row.

``1001`` (a device), ``p8`` or ``p1-8`` (priorities), ``aso`` / ``console`` / ``cli`` /
``device`` / ``unknown`` (who holds it), ``oos`` (out-of-service points only), ``>10m``
(held longer than: s, m, h, d), and any other word is looked for in the point's name and id.
Every word must match. Nothing here touches the network or the screen.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from aso_runtime.closeout.records import HOLDERS, HeldSlot, OutOfServicePoint

Row = HeldSlot | OutOfServicePoint

_PRIORITIES = re.compile(r"^p([0-9]{1,2})(?:-([0-9]{1,2}))?$", re.ASCII)
_AGE = re.compile(r"^>([0-9]+)([smhd]?)$", re.ASCII)
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class RowFilter:
    devices: frozenset[int] = frozenset()
    priorities: frozenset[int] = frozenset()
    holders: frozenset[str] = frozenset()
    out_of_service_only: bool = False
    older_than: float | None = None  # seconds
    words: tuple[str, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return self == RowFilter()

    def matches(self, row: Row, now: float | None = None) -> bool:
        if self.devices and row.device not in self.devices:
            return False
        if self.out_of_service_only and not isinstance(row, OutOfServicePoint):
            return False
        if self.priorities and not (isinstance(row, HeldSlot) and row.priority in self.priorities):
            return False
        if self.holders and row.holder not in self.holders:
            return False
        if self.older_than is not None:
            if row.since is None or (now if now is not None else time.time()) - row.since < self.older_than:
                return False
        text = f"{row.object_name or ''} {row.object_id} {row.device_name or ''}".lower()
        return all(word in text for word in self.words)


def parse_filter(line: str) -> RowFilter:
    """The words of the filter line as a :class:`RowFilter` (unknown words search names)."""
    devices, priorities, holders, words = set(), set(), set(), []
    oos, older = False, None
    for word in line.lower().split():
        if word.isascii() and word.isdigit():
            devices.add(int(word))
        elif (match := _PRIORITIES.match(word)) and 1 <= int(match.group(1)) <= 16:
            low = int(match.group(1))
            high = int(match.group(2) or low)
            priorities.update(range(low, min(high, 16) + 1))
        elif word in HOLDERS:
            holders.add(word)
        elif word == "oos":
            oos = True
        elif match := _AGE.match(word):
            older = int(match.group(1)) * _UNIT[match.group(2)]
        else:
            words.append(word)
    return RowFilter(frozenset(devices), frozenset(priorities), frozenset(holders), oos, older, tuple(words))
