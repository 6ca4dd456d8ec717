"""The closeout gate: may this site be handed back? Held slots and out-of-service points against an allow-list.

A site passes when no command priority 1..15 holds a value, except slots an
allow-list permits, no point is out of service, and every device could be
read (a device that did not answer blocks: it was not checked). Priority 16 is the
controller's own program (the relinquish level below every override) and
never blocks.

The allow-list is a TOML file of ``[[allow]]`` entries, each with a
required ``reason`` that goes into the hand-back report::

    [[allow]]
    device = "1001"                 # instance, or a device-name glob ("AHU-*"); default "*"
    point = "analog-value,1"        # object id in any accepted form (AV1, av,1), or an object-name
                                    # or object-id glob ("*Static*Setpoint", "analog-value,*"); default "*"
    priority = 8                    # 8, "8-10", [8, 10] or "*"; default "*"
    reason = "Owner keeps duct static at 1.2 inWC until balancing on 12/02"

Globs are shell-style (``*``, ``?``, ``[...]``) and case-insensitive.
Out-of-service points are never allowed: a point out of service reports a
value nobody measures, which is not a state to hand a building back in.

Failure modes: :func:`load_allow_list` raises :class:`InvalidInput` (exit
2) naming the file and the entry for a file that is missing, not TOML, has
an unknown key (a typo such as ``reson`` must not silently allow
everything), lacks a reason, or has a priority outside 1..16.
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aso_runtime.bacnet.errors import InvalidInput
from aso_runtime.bacnet.ids import parse_object_id

from .records import HeldSlot, OutOfServicePoint

PROGRAM_PRIORITY = 16  # the controller's own logic: never an override left behind
_KEYS = {"device", "point", "priority", "reason"}
_GLOB = set("*?[")


@dataclass(frozen=True)
class AllowEntry:
    """One permitted override: which device, point and priorities, and why."""

    reason: str
    device: str = "*"
    point: str = "*"
    priorities: frozenset[int] = frozenset(range(1, 17))
    where: str = ""  # "allow.toml entry 2", for messages

    def matches(self, slot: HeldSlot) -> bool:
        return (slot.priority in self.priorities and self._device_matches(slot)
                and self._point_matches(slot))

    def _device_matches(self, slot: HeldSlot) -> bool:
        pattern = self.device.strip()
        if pattern.isascii() and pattern.isdigit():
            return int(pattern) == slot.device
        if pattern.lower().startswith("device,") or pattern.lower().startswith("device:"):
            return parse_object_id(pattern).instance == slot.device
        return _glob(pattern, str(slot.device)) or (slot.device_name is not None and _glob(pattern, slot.device_name))

    def _point_matches(self, slot: HeldSlot) -> bool:
        pattern = self.point.strip()
        if not _GLOB & set(pattern):
            try:
                return str(parse_object_id(pattern)) == str(parse_object_id(slot.object_id))
            except InvalidInput:
                pass  # not an object id: an object name
        return _glob(pattern, slot.object_id) or (slot.object_name is not None and _glob(pattern, slot.object_name))

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "point": self.point, "priorities": sorted(self.priorities),
                "reason": self.reason, "where": self.where}


def _glob(pattern: str, text: str) -> bool:
    return fnmatch.fnmatchcase(text.casefold(), pattern.casefold())


@dataclass(frozen=True)
class AllowList:
    entries: tuple[AllowEntry, ...] = ()
    source: str | None = None

    def permits(self, slot: HeldSlot) -> AllowEntry | None:
        """The first entry that permits this slot, or None."""
        return next((entry for entry in self.entries if entry.matches(slot)), None)


def _priorities(value: Any, where: str) -> frozenset[int]:
    def one(item: Any) -> frozenset[int]:
        if isinstance(item, bool):
            raise InvalidInput(f"{where}: priority {item!r} is not a number 1..16")
        if isinstance(item, int):
            numbers = {item}
        elif isinstance(item, str) and item.strip() == "*":
            return frozenset(range(1, 17))
        elif isinstance(item, str):
            low, dash, high = item.strip().partition("-")
            if not (low.isascii() and low.isdigit()) or (dash and not (high.isascii() and high.isdigit())):
                raise InvalidInput(f"{where}: priority {item!r}: give 8, \"8-10\", [8, 10] or \"*\"")
            numbers = set(range(int(low), int(high if dash else low) + 1))
            if not numbers:
                raise InvalidInput(f"{where}: priority range {item!r} is empty")
        else:
            raise InvalidInput(f"{where}: priority {item!r}: give 8, \"8-10\", [8, 10] or \"*\"")
        if not all(1 <= n <= 16 for n in numbers):
            raise InvalidInput(f"{where}: priority {item!r} is outside 1..16")
        return frozenset(numbers)

    if isinstance(value, list):
        if not value:
            raise InvalidInput(f"{where}: an empty priority list permits nothing")
        return frozenset().union(*(one(item) for item in value))
    return one(value)


def parse_allow_list(text: str, source: str = "allow-list") -> AllowList:
    """An allow-list from TOML text; see the module docstring. Raises :class:`InvalidInput`."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{source}: not valid TOML ({exc})") from None
    extra = set(document) - {"allow"}
    if extra:
        raise InvalidInput(f"{source}: unknown table or key {', '.join(sorted(extra))} (entries are [[allow]])")
    raw = document.get("allow", [])
    if not isinstance(raw, list):
        raise InvalidInput(f"{source}: `allow` must be an array of tables ([[allow]])")
    entries = []
    for number, item in enumerate(raw, start=1):
        where = f"{source} entry {number}"
        if not isinstance(item, dict):
            raise InvalidInput(f"{where}: expected a table")
        unknown = set(item) - _KEYS
        if unknown:
            raise InvalidInput(f"{where}: unknown key {', '.join(sorted(unknown))} (keys: device, point, priority, reason)")
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidInput(f"{where}: a `reason` is required: it goes into the hand-back report")
        device, point = item.get("device", "*"), item.get("point", "*")
        if isinstance(device, int) and not isinstance(device, bool):
            device = str(device)
        if not isinstance(device, str) or not device.strip() or not isinstance(point, str) or not point.strip():
            raise InvalidInput(f"{where}: `device` and `point` are text (an instance may be a number)")
        if device.lower().startswith(("device,", "device:")):
            try:
                parse_object_id(device)  # a malformed device id is refused here, not at match time
            except InvalidInput as exc:
                raise InvalidInput(f"{where}: device {device!r}: {exc}") from None
        entries.append(AllowEntry(reason.strip(), device.strip(), point.strip(),
                                  _priorities(item.get("priority", "*"), where), where))
    return AllowList(tuple(entries), source)


def load_allow_list(path: str | os.PathLike[str]) -> AllowList:
    """Read an allow-list file; :class:`InvalidInput` naming the file for any problem."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{source}: no such allow-list file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{source}: cannot read it ({exc})") from None
    return parse_allow_list(text, source)


@dataclass(frozen=True)
class AllowedSlot:
    """A held slot the allow-list permits, and why."""

    slot: HeldSlot
    reason: str
    entry: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.slot.to_dict(), "reason": self.reason, "allowed_by": self.entry}


@dataclass(frozen=True)
class Verdict:
    """The gate's answer: ``passed`` when nothing blocks the hand-back."""

    blocking_slots: list[HeldSlot] = field(default_factory=list)
    out_of_service: list[OutOfServicePoint] = field(default_factory=list)
    allowed: list[AllowedSlot] = field(default_factory=list)
    program: list[HeldSlot] = field(default_factory=list)  # priority 16: the devices' own logic, never blocking
    unchecked: list[str] = field(default_factory=list)  # devices or points the sweep could not read, and why

    @property
    def passed(self) -> bool:
        """Nothing held without agreement, nothing out of service, and everything could be checked."""
        return not self.blocking_slots and not self.out_of_service and not self.unchecked

    @property
    def blocking(self) -> list[HeldSlot | OutOfServicePoint]:
        """Everything that stops the hand-back: held slots first, then out-of-service points."""
        return [*self.blocking_slots, *self.out_of_service]

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "blocking": [slot.to_dict() for slot in self.blocking_slots],
            "out_of_service": [point.to_dict() for point in self.out_of_service],
            "allowed": [allowed.to_dict() for allowed in self.allowed],
            "unchecked": list(self.unchecked),
            "program": len(self.program),
        }


def closeout_check(held: Iterable[HeldSlot], out_of_service: Iterable[OutOfServicePoint],
                   allow: AllowList | None = None, *, unchecked: Iterable[str] = ()) -> Verdict:
    """Sort the sweep's findings into what blocks the hand-back and what the allow-list permits.

    Pure: no network. ``held`` may include priority-16 slots (kept apart,
    never blocking); results are sorted by device, point and priority for a
    stable report. ``unchecked`` names what the sweep could not read (a
    device that did not answer, a priority array refused): a site is not
    handed back on the strength of a device nobody could see, so these
    block too.
    """
    allow = allow or AllowList()
    verdict = Verdict(unchecked=list(unchecked))
    for slot in sorted(held, key=lambda s: (s.device, s.object_id, s.priority)):
        if slot.priority >= PROGRAM_PRIORITY:
            verdict.program.append(slot)
            continue
        entry = allow.permits(slot)
        if entry is None:
            verdict.blocking_slots.append(slot)
        else:
            verdict.allowed.append(AllowedSlot(slot, entry.reason, entry.where))
    verdict.out_of_service.extend(sorted(out_of_service, key=lambda p: (p.device, p.object_id)))
    return verdict
