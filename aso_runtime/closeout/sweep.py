"""Every override on the site: held priority slots and points out of service, device by device.

For each device: one request for its name, protocol revision and
object-list, then ReadPropertyMultiple requests packed to its max APDU
(``points.answer_bytes`` / ``answer_budget``; a failed request is split,
single reads are the last resort: ``points.read_batch``), each object asked
only what its type has:

- commandable objects: name, present-value, priority-array,
  relinquish-default, out-of-service, and the words of its values (units,
  active/inactive texts, state texts);
- other objects with an out-of-service flag (inputs...): name,
  present-value, out-of-service and their words.

Value_Source and Last_Command_Time (BACnet 2016, protocol revision 17) are
asked only of devices that claim revision 17 or later: the property-list
of the first object of each commandable type rides along in the main read,
and the types that list them (their per-slot arrays when the device has
those) are read afterwards, for held points only. An older device is never
made to answer unknown-property errors.

Devices are swept in parallel (``concurrency`` at once, the client's
per-device and in-flight limits still apply); with no device list the site
is found with a Who-Is and each device is swept the moment its I-Am arrives.
Results stream per device, as each finishes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..bacnet import (
    BacnetClient,
    BacnetError,
    DeviceInfo,
    ObjectId,
    locate_device,
    object_type,
    parse_object_id,
)
from ..bacnet.decode import priority_slots
from ..bacnet.discovery import who_is_stream
from ..bacnet.objecttypes import NAME, OUT_OF_SERVICE, PRESENT_VALUE, batch_safe
from ..bacnet.points import (
    MAX_BATCH,
    answer_budget,
    answer_bytes,
    object_list,
    read_batch,
)
from ..verbs.labels import label_properties
from ..verbs.text import PointLabels, format_value
from .attribution import Holders, attribute, attribute_out_of_service
from .records import HeldSlot, OutOfServicePoint

log = logging.getLogger("aso.closeout")

SWEEP_CONCURRENCY = 16  # devices swept at once (as `aso discover --all`)
VALUE_SOURCE_REVISION = 17  # Value_Source and Last_Command_Time came with protocol revision 17 (135-2016)

PRIORITY_ARRAY = "priority-array"
RELINQUISH_DEFAULT = "relinquish-default"
PROPERTY_LIST = "property-list"
COMMANDED = (NAME, PRESENT_VALUE, PRIORITY_ARRAY, RELINQUISH_DEFAULT, OUT_OF_SERVICE)
IN_SERVICE_ONLY = (NAME, PRESENT_VALUE, OUT_OF_SERVICE)
SOURCE = ("value-source", "last-command-time")  # of the command in control
SOURCE_ARRAYS = ("value-source-array", "command-time-array")  # one per slot
_DEVICE_PROPERTIES = ["object-name", "protocol-revision", "object-list"]

Found = HeldSlot | OutOfServicePoint


@dataclass(frozen=True)
class DeviceSweep:
    """How the sweep of one device went: what it found, or why it could not.

    ``device`` is None when the reference could not be located (no I-Am).
    ``problems``: objects whose priority array or out-of-service could not
    be read (an access error, say): the sweep could not see those points.
    """

    reference: str  # the device as given (an instance, an address) or found
    device: DeviceInfo | None
    name: str | None
    objects: int  # objects read (commandable, or with an out-of-service flag)
    held: int  # held slots found
    out_of_service: int  # points found out of service
    elapsed: float  # s
    error: str | None = None
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


async def sweep_overrides(
    client: BacnetClient,
    devices: Sequence[DeviceInfo | str | int] | None = None,
    *,
    on_device: Callable[[DeviceSweep], None] | None = None,
    holders: Holders | None = None,
    concurrency: int = SWEEP_CONCURRENCY,
    **search: Any,
) -> AsyncIterator[Found]:
    """Yield every held slot and every point out of service of ``devices`` (None: every device a Who-Is finds).

    Results come per device, in the device's object-list order, as each
    device finishes; ``on_device`` is called with its :class:`DeviceSweep`
    just before (also for a device that failed: its ``error`` says why, and
    nothing is yielded for it). ``holders`` attributes each slot (see
    :mod:`.attribution`); without it a slot at 16 is the device's, any
    other unknown. ``search`` takes who_is_stream's options (address,
    network, quiet, max_wait). Raises :class:`InvalidInput` for bad search
    options; a device that does not answer never raises.
    """
    holders = holders or Holders()
    limit = asyncio.Semaphore(concurrency)
    done: asyncio.Queue = asyncio.Queue()
    tasks: list[asyncio.Task] = []

    async def one(device: DeviceInfo | str | int) -> None:
        async with limit:
            try:
                result = await sweep_device(client, device, holders)
            except Exception as exc:  # a bug must not leave the consumer waiting for this device forever
                log.exception("sweep of device %s failed", device)
                reference = str(device.instance if isinstance(device, DeviceInfo) else device)
                result = [], DeviceSweep(reference, device if isinstance(device, DeviceInfo) else None, None, 0, 0,
                                         0, 0.0, f"internal error: {type(exc).__name__}: {exc}")
            done.put_nowait(result)

    async def find() -> None:
        try:
            if devices is None:
                async for device in who_is_stream(client, **search):
                    tasks.append(asyncio.create_task(one(device)))
            else:
                tasks.extend(asyncio.create_task(one(device)) for device in devices)
        except Exception as exc:  # bad search options: handed to the consumer, who raises it
            done.put_nowait(exc)
            return
        done.put_nowait(None)  # the search ended: no more devices

    finder = asyncio.create_task(find())
    searching, taken = True, 0
    seen: set[int] = set()  # a device given twice (by instance and by address) is listed once
    try:
        while searching or taken < len(tasks):
            message = await done.get()
            if message is None:
                searching = False
                continue
            if isinstance(message, BaseException):
                raise message
            taken += 1
            found, summary = message
            if summary.device is not None:
                if summary.device.instance in seen:
                    continue
                seen.add(summary.device.instance)
            if on_device is not None:
                on_device(summary)
            for item in found:
                yield item
    finally:
        finder.cancel()
        for task in tasks:
            task.cancel()


async def sweep_device(client: BacnetClient, device: DeviceInfo | str | int,
                       holders: Holders | None = None) -> tuple[list[Found], DeviceSweep]:
    """One device's held slots and out-of-service points, and how its sweep went. Never raises BacnetError."""
    started = time.monotonic()
    reference = str(device.instance if isinstance(device, DeviceInfo) else device)
    info: DeviceInfo | None = None
    try:
        info = await locate_device(client, device)
        return await _sweep(client, info, holders or Holders(), started)
    except BacnetError as exc:
        return [], DeviceSweep(reference, info, None, 0, 0, 0, time.monotonic() - started, str(exc))


async def _sweep(client: BacnetClient, device: DeviceInfo, holders: Holders,
                 started: float) -> tuple[list[Found], DeviceSweep]:
    device_oid = ObjectId("device", device.instance)
    answers = {v.property: v for v in await client.read_many(device, [(device_oid, _DEVICE_PROPERTIES)])}
    name = _ok(answers, "object-name")
    revision = _ok(answers, "protocol-revision")
    listed = _ok(answers, "object-list")
    if not isinstance(listed, list):
        listed = await object_list(client, device)  # whole, else index by index
    ids = [parse_object_id(str(text)) for text in listed]

    commandable = [oid for oid in ids if batch_safe(oid) and object_type(oid).commandable]
    flagged = [oid for oid in ids if batch_safe(oid) and not object_type(oid).commandable
               and OUT_OF_SERVICE in object_type(oid).reads]
    # Revision 17+: the property-list of the first object of each commandable type rides along in
    # the main read and says whether that type has Value_Source (read after, for held points only).
    probes = set()
    if isinstance(revision, int) and revision >= VALUE_SOURCE_REVISION:
        probes = {str(oid) for oid in {oid.type: oid for oid in reversed(commandable)}.values()}
    wanted: dict[str, list[str]] = {}
    for oid in commandable:
        wanted[str(oid)] = [*COMMANDED, *label_properties(oid), *([PROPERTY_LIST] if str(oid) in probes else [])]
    for oid in flagged:
        wanted[str(oid)] = [*IN_SERVICE_ONLY, *label_properties(oid)]
    results: dict[str, dict[str, Any]] = {}
    await _read(client, device, commandable + flagged, wanted, results)
    await _read_sources(client, device, commandable, probes, results)

    found: list[Found] = []
    problems: list[str] = []
    for oid in commandable + flagged:
        got = results.get(str(oid), {})
        for prop in (PRIORITY_ARRAY, OUT_OF_SERVICE):
            if "!" + prop in got:
                problems.append(f"{oid} {prop}: {got['!' + prop]}")
        labels = PointLabels.from_properties(got)
        if isinstance(got.get(PRIORITY_ARRAY), list):
            found.extend(attribute(slot, holders, device.address)
                         for slot in _held_slots(device.instance, name, oid, got, labels))
        if got.get(OUT_OF_SERVICE) is True:
            point = OutOfServicePoint(device.instance, name, str(oid), got.get(NAME), got.get(PRESENT_VALUE),
                                      format_value(got.get(PRESENT_VALUE), labels), "unknown", "")
            found.append(attribute_out_of_service(point, holders, device.address))
    # Slots first, in object-list order, then the points out of service (as the view lists them).
    found.sort(key=lambda item: isinstance(item, OutOfServicePoint))
    held = sum(isinstance(item, HeldSlot) for item in found)
    summary = DeviceSweep(str(device.instance), device, name, len(commandable) + len(flagged), held,
                          len(found) - held, time.monotonic() - started, None, tuple(problems))
    return found, summary


def _ok(answers: dict[str, Any], prop: str) -> Any:
    answer = answers.get(prop)
    return answer.value if answer is not None and answer.ok else None


async def _read(client: BacnetClient, device: DeviceInfo, oids: list[ObjectId], wanted: dict[str, list[str]],
                results: dict[str, dict[str, Any]]) -> None:
    """Read each object's own properties, objects packed into RPMs that fit the device's max APDU."""
    segmented = device.segmentation in ("segmented-both", "segmented-transmit")
    budget = answer_budget(device.max_apdu, segmented)
    batches: list[list[ObjectId]] = []
    size = budget  # start full: the first object opens a batch
    for oid in oids:
        cost = answer_bytes(wanted[str(oid)])
        if not batches or size + cost > budget or len(batches[-1]) >= MAX_BATCH:
            batches.append([])
            size = 0
        batches[-1].append(oid)
        size += cost
    await asyncio.gather(*(read_batch(client, device, batch, lambda oid: wanted[str(oid)], results)
                           for batch in batches))


async def _read_sources(client: BacnetClient, device: DeviceInfo, commandable: list[ObjectId], probes: set[str],
                        results: dict[str, dict[str, Any]]) -> None:
    """Value_Source / Last_Command_Time (or their per-slot arrays) of held points whose type lists them."""
    chosen: dict[str, tuple[str, ...]] = {}
    for probe in probes:
        listed = results.get(probe, {}).get(PROPERTY_LIST)
        if not isinstance(listed, list):
            continue
        names = {str(p) for p in listed}
        if set(SOURCE_ARRAYS) <= names:
            chosen[parse_object_id(probe).type] = SOURCE_ARRAYS
        elif names & set(SOURCE):
            chosen[parse_object_id(probe).type] = tuple(p for p in SOURCE if p in names)
    held = [oid for oid in commandable if oid.type in chosen
            and any(v is not None for v in results.get(str(oid), {}).get(PRIORITY_ARRAY) or [])]
    if held:
        wanted = {str(oid): list(chosen[oid.type]) for oid in held}
        await _read(client, device, held, wanted, results)


def _element(values: Any, priority: int) -> Any:
    if isinstance(values, list) and len(values) >= priority:
        return values[priority - 1]
    return None


def _held_slots(instance: int, device_name: str | None, oid: ObjectId, got: dict[str, Any],
                labels: PointLabels) -> list[HeldSlot]:
    """The non-empty slots of one object's priority array, unattributed (holder "unknown")."""
    slots = priority_slots(oid, got[PRIORITY_ARRAY])
    active = [slot for slot in slots if slot.active]
    relinquish = got.get(RELINQUISH_DEFAULT)
    held = []
    for slot in active:
        # What would command the point if this slot were released: the highest other slot, else
        # the relinquish default (for a slot below the winner that is the present value unchanged).
        other = next((s for s in active if s is not slot), None)
        without = other.value if other is not None else relinquish
        winning = slot is active[0]
        if SOURCE_ARRAYS[0] in got or SOURCE_ARRAYS[1] in got:
            source, when = _element(got.get(SOURCE_ARRAYS[0]), slot.priority), \
                _element(got.get(SOURCE_ARRAYS[1]), slot.priority)
        elif winning:
            source, when = got.get(SOURCE[0]), got.get(SOURCE[1])
        else:
            source = when = None  # Value_Source describes the command in control only
        held.append(HeldSlot(
            device=instance, device_name=device_name, object_id=str(oid), object_name=got.get(NAME),
            priority=slot.priority, level=slot.name, value=slot.value, value_text=format_value(slot.value, labels),
            without=without, without_text=format_value(without, labels), winning=winning,
            holder="unknown", holder_detail="", value_source=source, last_command_time=when,
        ))
    return held
