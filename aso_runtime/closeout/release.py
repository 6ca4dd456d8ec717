"""Release held slots the sweep found, each checked before and proved after by reading the priority array.

For each slot: read the priority array; a slot no longer holding the value
the sweep showed is someone else's now and is left alone (the technician
approved releasing what they saw, not what came since). Otherwise write
Null at that priority, then read the array back. Each slot ends as one of:

- ``released``: the slot reads empty after the release;
- ``already-released``: it was empty before we wrote anything;
- ``refused``: the device answered the release with an error, or
  acknowledged it and the slot still holds the same value;
- ``taken-over``: the slot holds someone else's value now (before or after
  our release);
- ``no-answer``: the device did not answer (the release may or may not
  have landed: the detail says what is known).

A point out of service is put back in service the same way
(:func:`return_to_service`): out-of-service read first, written false, read
back.

:class:`Selection` says what a confirmation must state: how many slots on
how many devices, and which need an extra one (life safety 1-2, a running
ASO that may write again).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..aso.ledger import same_value
from ..bacnet import BacnetClient, BacnetError, BacnetTimeout
from ..bacnet.priority import LIFE_SAFETY
from ..verbs.text import value_text
from .audit import AuditJournal
from .audited import audited_write
from .records import HeldSlot, OutOfServicePoint

OUTCOMES = {
    "released": "released",
    "already-released": "already empty",
    "refused": "refused by device",
    "taken-over": "someone else's value now",
    "no-answer": "no answer",
    "back-in-service": "back in service",
    "already-in-service": "already in service",
}
DONE = ("released", "already-released", "back-in-service", "already-in-service")
OUT_OF_SERVICE = "out-of-service"

# How a slot is released: (device instance, object id, priority). The CLI and the console pass one
# that also records the release in the audit journal; the default is the client's plain release.
Release = Callable[[int, str, int], Awaitable[Any]]
# How a point is put back in service: (device instance, object id, property, value).
Write = Callable[[int, str, str, Any], Awaitable[Any]]


@dataclass(frozen=True)
class SlotRelease:
    """The result of releasing one slot."""

    slot: HeldSlot
    outcome: str  # a key of OUTCOMES
    detail: str = ""
    now: Any = None  # what the slot holds after (None: empty, or unknown after no-answer)

    @property
    def ok(self) -> bool:
        return self.outcome in DONE

    @property
    def text(self) -> str:
        return OUTCOMES[self.outcome]

    def to_dict(self) -> dict[str, Any]:
        s = self.slot
        return {"device": s.device, "object_id": s.object_id, "object_name": s.object_name, "priority": s.priority,
                "value": s.value, "holder": s.holder, "outcome": self.outcome, "detail": self.detail, "now": self.now}


@dataclass(frozen=True)
class Selection:
    """Slots chosen for release, and what their confirmation must say."""

    slots: tuple[HeldSlot, ...]
    points: tuple[OutOfServicePoint, ...] = ()  # to be put back in service

    @property
    def devices(self) -> list[int]:
        return sorted({slot.device for slot in self.slots} | {point.device for point in self.points})

    @property
    def life_safety(self) -> list[HeldSlot]:
        """Slots at priority 1 or 2: releasing them overrides what smoke control or fire shutdown commands."""
        return [slot for slot in self.slots if slot.priority in LIFE_SAFETY]

    @property
    def running_aso(self) -> list[HeldSlot]:
        """Slots held by an ASO that is running: it may write them again."""
        return [slot for slot in self.slots if slot.holder_running]

    def describe(self) -> str:
        """``12 slots on 5 devices``; ``12 slots and 2 points out of service on 5 devices``."""
        n, d = len(self.slots), len(self.devices)
        what = f"{n} slot{'' if n == 1 else 's'}"
        if self.points:
            k = len(self.points)
            what = f"{what} and {k} point{'' if k == 1 else 's'} out of service" if n else \
                f"{k} point{'' if k == 1 else 's'} out of service"
        return f"{what} on {d} device{'' if d == 1 else 's'}"

    def without(self, slots: Sequence[HeldSlot]) -> Selection:
        dropped = {id(slot) for slot in slots}
        return Selection(tuple(slot for slot in self.slots if id(slot) not in dropped), self.points)


def _shown(value: Any) -> str:
    return value_text(value)


async def release_slot(client: BacnetClient, slot: HeldSlot, *, release: Release | None = None) -> SlotRelease:
    """Release one slot if it still holds what the sweep saw, and prove it. Never raises BacnetError."""
    send = release or (lambda device, object_id, priority: client.release(device, object_id, priority))
    try:
        before = (await client.priority_array(slot.device, slot.object_id)).at(slot.priority)
    except BacnetTimeout as exc:
        return SlotRelease(slot, "no-answer", f"nothing sent: the slot could not be read first ({exc})")
    except BacnetError as exc:
        return SlotRelease(slot, "refused", f"nothing sent: the slot could not be read first ({exc})")
    if not before.active:
        return SlotRelease(slot, "already-released", "the slot was empty before anything was sent")
    if not same_value(before.value, slot.value):
        return SlotRelease(slot, "taken-over", f"left alone: the slot holds {_shown(before.value)} now, not the "
                           f"{_shown(slot.value)} the sweep showed", before.value)
    unanswered = None
    try:
        await send(slot.device, slot.object_id, slot.priority)
    except BacnetTimeout as exc:
        unanswered = str(exc)  # it may have landed: the read-back decides
    except BacnetError as exc:
        return SlotRelease(slot, "refused", str(exc), before.value)
    try:
        after = (await client.priority_array(slot.device, slot.object_id)).at(slot.priority)
    except BacnetError as exc:
        what = "the release got no answer" if unanswered else "the device acknowledged the release"
        return SlotRelease(slot, "no-answer", f"{what}, and the read-back failed ({exc}): check it with `aso pa`")
    if not after.active:
        detail = "the device did not acknowledge, but the slot reads empty" if unanswered else ""
        return SlotRelease(slot, "released", detail)
    if not same_value(after.value, slot.value):
        return SlotRelease(slot, "taken-over", f"released; the slot holds {_shown(after.value)} now, written by "
                           "someone else", after.value)
    if unanswered:
        return SlotRelease(slot, "no-answer", f"{unanswered}; the slot still holds {_shown(after.value)}", after.value)
    return SlotRelease(slot, "refused", f"the device acknowledged the release, yet the slot still holds "
                       f"{_shown(after.value)} (refused, or written again at once by its holder)", after.value)


async def release_slots(client: BacnetClient, slots: Sequence[HeldSlot], *, release: Release | None = None,
                        on_result: Callable[[SlotRelease], None] | None = None) -> list[SlotRelease]:
    """Release every slot (devices in parallel; the client's per-device limit applies), results in input order.

    ``on_result`` hears each result as it comes.
    """
    async def one(slot: HeldSlot) -> SlotRelease:
        result = await release_slot(client, slot, release=release)
        if on_result is not None:
            on_result(result)
        return result

    # Slots of one object one after another: each read-back then sees only its own release.
    by_object: dict[tuple[int, str], list[HeldSlot]] = {}
    for slot in slots:
        by_object.setdefault((slot.device, slot.object_id), []).append(slot)

    async def object_slots(group: list[HeldSlot]) -> list[SlotRelease]:
        return [await one(slot) for slot in group]

    done: dict[int, SlotRelease] = {}
    for group, results in zip(by_object.values(),
                              await asyncio.gather(*(object_slots(group) for group in by_object.values()))):
        for slot, result in zip(group, results):
            done[id(slot)] = result
    return [done[id(slot)] for slot in slots]


@dataclass(frozen=True)
class ServiceReturn:
    """The result of putting one point back in service."""

    point: OutOfServicePoint
    outcome: str  # back-in-service, already-in-service, refused, no-answer
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome in DONE

    @property
    def text(self) -> str:
        return OUTCOMES[self.outcome]

    def to_dict(self) -> dict[str, Any]:
        p = self.point
        return {"device": p.device, "object_id": p.object_id, "object_name": p.object_name, "priority": None,
                "value": p.present_value, "holder": p.holder, "outcome": self.outcome, "detail": self.detail,
                "now": None}


async def return_to_service(client: BacnetClient, point: OutOfServicePoint, *,
                            write: Write | None = None) -> ServiceReturn:
    """Write out-of-service false and read it back. Never raises BacnetError.

    The present value the technician left is not restored by hand: back in
    service, the device's own input (or logic) drives it again.
    """
    send = write or (lambda device, object_id, prop, value: client.write(device, object_id, value, None, prop))
    try:
        if await client.read(point.device, point.object_id, OUT_OF_SERVICE) is False:
            return ServiceReturn(point, "already-in-service", "out-of-service was already false")
    except BacnetTimeout as exc:
        return ServiceReturn(point, "no-answer", f"nothing sent: out-of-service could not be read first ({exc})")
    except BacnetError as exc:
        return ServiceReturn(point, "refused", f"nothing sent: out-of-service could not be read first ({exc})")
    unanswered = None
    try:
        await send(point.device, point.object_id, OUT_OF_SERVICE, False)
    except BacnetTimeout as exc:
        unanswered = str(exc)
    except BacnetError as exc:
        return ServiceReturn(point, "refused", str(exc))
    try:
        now = await client.read(point.device, point.object_id, OUT_OF_SERVICE)
    except BacnetError as exc:
        return ServiceReturn(point, "no-answer", f"the read-back failed ({exc}): check it with `aso read`")
    if now is False:
        return ServiceReturn(point, "back-in-service",
                             "the device did not acknowledge, but out-of-service reads false" if unanswered else "")
    if unanswered:
        return ServiceReturn(point, "no-answer", f"{unanswered}; out-of-service still reads {now!r}")
    return ServiceReturn(point, "refused", f"the device acknowledged, yet out-of-service still reads {now!r}")


async def release_recorded(client: BacnetClient, selection: Selection,
                           journal: AuditJournal) -> tuple[list[SlotRelease | ServiceReturn], list[str]]:
    """Release the selection's slots and put its points back in service, each recorded in ``journal``.

    The one release of ``aso overrides --release`` and the console's Overrides tab. Returns the
    results (slots first, in order) and the warnings of writes made but not recorded (no undo).
    """
    warnings: list[str] = []

    async def release(device: int, object_id: str, priority: int) -> None:
        recorded = await audited_write(client, journal, device, object_id, None, priority)
        if recorded.warning:
            warnings.append(recorded.warning)

    async def write(device: int, object_id: str, prop: str, value: Any) -> None:
        recorded = await audited_write(client, journal, device, object_id, value, None, prop)
        if recorded.warning:
            warnings.append(recorded.warning)

    results: list[SlotRelease | ServiceReturn] = list(await release_slots(client, selection.slots, release=release))
    results += await asyncio.gather(*(return_to_service(client, point, write=write) for point in selection.points))
    return results, list(dict.fromkeys(warnings))
