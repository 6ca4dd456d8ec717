"""Point discovery: every object of a device, and of a whole site.

Object-list first (index by index when the device cannot send it whole),
then RPM batches sized to each device's max APDU; a failed batch is split,
single reads are the last resort. ``discover_site`` starts each device's
reads the moment its I-Am arrives.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .client import BacnetClient
from .discovery import locate_device, who_is_stream
from .errors import BacnetError, BacnetTimeout, InvalidInput
from .ids import ObjectId, parse_object_id
from .objecttypes import NAME, batch_safe, discovery_properties
from .types import DeviceInfo, ObjectInfo

log = logging.getLogger("aso.bacnet")


def properties_for(object_type: str) -> list[str]:
    """Old name, kept for benchmarks/discovery.py: use ``discovery_properties(oid)``."""
    return list(discovery_properties(ObjectId(object_type, 0)))


# What each object type is asked for comes from objecttypes.py: asking only for
# what a type has, and batching, is what makes discovery fast (benchmarks/README.md).

# Bytes an answer costs per object and per property, for sizing RPM batches
# to a device's max APDU (object names dominate; 32 chars is typical).
_BYTES_PER_OBJECT = 12
_BYTES_PER_PROPERTY = 14
_NAME_BYTES = 40
# Properties whose answer is far bigger than a number: a priority array is 16
# slots (up to 5 bytes each), texts and arrays of texts run long.
_LARGE_PROPERTY_BYTES = {
    "priority-array": 60, "state-text": 60, "active-text": 16, "inactive-text": 16, "property-list": 60,
    "value-source-array": 60, "command-time-array": 120,
}


MAX_BATCH = 64  # objects in one RPM, whatever the device could take


def answer_bytes(props: Sequence[str]) -> int:
    """About how many bytes one object's answer to ``props`` takes in an RPM answer."""
    per_object = _BYTES_PER_OBJECT + _BYTES_PER_PROPERTY * len(props) + (_NAME_BYTES if "object-name" in props else 0)
    return per_object + sum(_LARGE_PROPERTY_BYTES.get(prop, 0) for prop in props)


def answer_budget(max_apdu: int, segmented: bool) -> int:
    """The bytes one RPM answer from this device may take (one APDU, or a few segments)."""
    return (max_apdu if not segmented else max(max_apdu, 1476) * 8) - 16


def batch_size(max_apdu: int, segmented: bool, props: list[str]) -> int:
    """How many objects fit one RPM answer to this device."""
    return max(1, min(MAX_BATCH, answer_budget(max_apdu, segmented) // answer_bytes(props)))


async def object_list(client: BacnetClient, device: DeviceInfo) -> list[str]:
    """The device's object-list; index by index if the whole array is too big."""
    device_id = ObjectId("device", device.instance)
    try:
        value = await client.read(device, device_id, "object-list")
        if isinstance(value, list):
            return [str(v) for v in value]
    except BacnetTimeout:
        raise
    except BacnetError as exc:
        log.info("device %s: whole object-list failed (%s); reading it index by index", device.instance, exc)
    return [str(item) for item in await client.read_by_index(device, device_id, "object-list", timeout=None)]


async def discover_objects(
    client: BacnetClient, device: DeviceInfo | str | int, *, properties: Sequence[str] | None = None
) -> list[ObjectInfo]:
    """Every object of a device with name, present value, units, status flags, out-of-service.

    Object-list first (falls back to index-by-index for devices that cannot
    segment), then RPM batches sized to the device's max APDU; a batch that
    fails is split, and single reads are the last resort. Unknown object
    types (color, proprietary) are read on their own so they cannot poison a
    batch. ``properties`` narrows what is read (e.g. ``["object-name",
    "present-value", "units"]``); object-name is always read. Raises
    :class:`BacnetTimeout` only if the device stops answering.
    """
    device = await locate_device(client, device)
    ids = [parse_object_id(text) for text in await object_list(client, device)]
    segmented = device.segmentation in ("segmented-both", "segmented-transmit")
    # Objects that ask for the same properties share RPM batches; types the
    # stack cannot decode inside a batch (color, proprietary) go alone.
    groups: dict[tuple[str, ...], list[ObjectId]] = {}
    alone: list[ObjectId] = []
    for oid in ids:
        if not batch_safe(oid):
            alone.append(oid)
            continue
        wanted = tuple(p for p in discovery_properties(oid) if properties is None or p in properties or p == NAME)
        groups.setdefault(wanted, []).append(oid)

    results: dict[str, dict[str, Any]] = {str(oid): {} for oid in ids}
    jobs = [read_batch(client, device, [oid], [NAME], results, allow_rpm=False) for oid in alone]
    for props, members in groups.items():
        size = batch_size(device.max_apdu, segmented, list(props))
        for start in range(0, len(members), size):
            jobs.append(read_batch(client, device, members[start:start + size], list(props), results))
    await asyncio.gather(*jobs)

    points = []
    for oid in ids:
        got = results[str(oid)]
        errors = {k[1:]: v for k, v in got.items() if k.startswith("!")}
        points.append(
            ObjectInfo(
                device_instance=device.instance,
                object_id=str(oid),
                name=got.get("object-name"),
                present_value=got.get("present-value"),
                units=got.get("units"),
                status_flags=got.get("status-flags"),
                out_of_service=got.get("out-of-service"),
                errors=errors,
            )
        )
    return points


async def read_batch(
    client: BacnetClient,
    device: DeviceInfo,
    oids: list[ObjectId],
    props: Sequence[str] | Callable[[ObjectId], Sequence[str]],
    results: dict[str, dict[str, Any]],
    *,
    allow_rpm: bool = True,
    retried: bool = False,
) -> None:
    """Read ``props`` of ``oids`` into ``results`` (by object id text): RPM, halve on failure, single reads last.

    ``props`` is one list for every object, or a function giving each object
    its own (an RPM may ask each object for different properties).

    A property an object does not have (unknown-property) is left out; any
    other failure is kept as ``results[oid]["!" + property]`` = the error.
    ``allow_rpm=False`` reads one property at a time (objects the stack
    cannot decode inside an RPM answer). Raises :class:`BacnetTimeout` when
    the device stops answering, :class:`InvalidInput` for a bad request.
    """
    values = None
    requests = [(oid, props(oid) if callable(props) else props) for oid in oids]
    key = str((await client.resolve(device))[0])  # the client's parse is cached: no re-parse per batch
    if allow_rpm and key not in client.no_rpm:
        try:
            values = await client.read_multiple(device, requests)
        except BacnetTimeout:
            # A big answer from a busy device can miss the timeout where two
            # halves would not; a device that is really gone fails both.
            if len(oids) < 2 or retried:
                raise
            half = len(oids) // 2
            await asyncio.gather(
                read_batch(client, device, oids[:half], props, results, retried=True),
                read_batch(client, device, oids[half:], props, results, retried=True),
            )
            return
        except InvalidInput:
            raise
        except BacnetError as exc:
            reason = getattr(exc, "reason", "") or getattr(exc, "error_code", "")
            if reason in ("unrecognized-service", "service-request-denied"):
                client.no_rpm.add(key)
            elif len(oids) > 1:
                half = len(oids) // 2
                await asyncio.gather(
                    read_batch(client, device, oids[:half], props, results),
                    read_batch(client, device, oids[half:], props, results),
                )
                return
    if values is None:
        values = await (client.read_many(device, requests) if allow_rpm else client.read_singly(device, requests))
    for value in values:
        slot = results.setdefault(value.object_id, {})
        if value.ok:
            slot[value.property] = value.value
        elif value.property != NAME and value.error.endswith("unknown-property"):
            # An optional property this object does not have (a life-safety point without
            # units): absent, not an error a technician should chase.
            continue
        else:
            slot["!" + value.property] = value.error


@dataclass(frozen=True)
class DeviceDiscovery:
    """One device of a site discovery: its points, or why they could not be read."""

    device: DeviceInfo
    points: list[ObjectInfo]
    error: str | None = None


async def discover_site(
    client: BacnetClient,
    low: int | None = None,
    high: int | None = None,
    *,
    concurrency: int = 16,
    properties: Sequence[str] | None = None,
    **search: Any,
) -> AsyncIterator[DeviceDiscovery]:
    """Who-Is, then every device's points, each started the moment its I-Am arrives.

    Yields per device as its point list completes (a device that fails is
    yielded with ``error``). ``concurrency`` devices are read at once; the
    client's per-device and in-flight limits still apply. ``search`` takes
    who_is_stream's options (address, network, quiet, max_wait).
    """
    limit = asyncio.Semaphore(concurrency)
    done: asyncio.Queue = asyncio.Queue()

    async def one(device: DeviceInfo) -> None:
        async with limit:
            try:
                result = DeviceDiscovery(device, await discover_objects(client, device, properties=properties))
            except BacnetError as exc:
                result = DeviceDiscovery(device, [], str(exc))
        done.put_nowait(result)

    tasks = []
    try:
        async for device in who_is_stream(client, low, high, **search):
            tasks.append(asyncio.create_task(one(device)))
        for _ in tasks:
            yield await done.get()
    finally:
        for task in tasks:
            task.cancel()
