"""Point discovery: every object of a device, and of a whole site.

Object-list first (index by index when the device cannot send it whole),
then RPM batches sized to each device's max APDU; a failed batch is split,
single reads are the last resort. ``discover_site`` starts each device's
reads the moment its I-Am arrives.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from .client import BacnetClient, address_text
from .discovery import find_device, who_is, who_is_stream
from .errors import BacnetError, BacnetTimeout, InvalidInput
from .reads import read_many, read_singly
from .types import DeviceInfo, ObjectInfo

log = logging.getLogger("aso.bacnet")


# Ask each object type only for what it has: that, and batching, is what makes
# discovery fast (see BACNET-NOTES).
_VALUE_PROPS = ["object-name", "present-value", "status-flags", "out-of-service"]
_ANALOG_PROPS = ["object-name", "present-value", "units", "status-flags", "out-of-service"]
_NAME_ONLY = ["object-name"]


def properties_for(object_type: str) -> list[str]:
    if object_type.startswith(("analog-", "large-analog", "accumulator", "pulse-converter", "averaging")):
        return _ANALOG_PROPS
    if object_type.startswith(("binary-", "multi-state-", "integer-value", "positive-integer-value",
                               "characterstring-value", "loop", "schedule", "lighting-output",
                               "binary-lighting-output", "calendar")):
        return _VALUE_PROPS
    return _NAME_ONLY


# Bytes an answer costs per object and per property, for sizing RPM batches
# to a device's max APDU (object names dominate; 32 chars is typical).
_BYTES_PER_OBJECT = 12
_BYTES_PER_PROPERTY = 14
_NAME_BYTES = 40


def batch_size(max_apdu: int, segmented: bool, props: list[str]) -> int:
    """How many objects fit one RPM answer to this device."""
    per_object = _BYTES_PER_OBJECT + _BYTES_PER_PROPERTY * len(props) + (_NAME_BYTES if "object-name" in props else 0)
    budget = (max_apdu if not segmented else max(max_apdu, 1476) * 8) - 16
    return max(1, min(64, budget // per_object))


async def object_list(client: BacnetClient, device: DeviceInfo) -> list[str]:
    """The device's object-list; index by index if the whole array is too big."""
    device_id = f"device,{device.instance}"
    try:
        value = await client.read(device, device_id, "object-list")
        if isinstance(value, list):
            return [str(v) for v in value]
    except BacnetTimeout:
        raise
    except BacnetError as exc:
        log.info("device %s: whole object-list failed (%s); reading it index by index", device.instance, exc)
    count = await client.read(device, device_id, "object-list", 0)
    indexes = range(1, int(count) + 1)
    items = await asyncio.gather(*(client.read(device, device_id, "object-list", i) for i in indexes))
    return [str(item) for item in items]


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
    if not isinstance(device, DeviceInfo):
        if isinstance(device, int) or (isinstance(device, str) and device.isdigit()):
            device = client.devices.get(int(device)) or await find_device(client, int(device))
        else:
            found = client.device_at(address_text(BacnetClient._address(device)))
            if found is None:
                # A Who-Is directed to that address (a global one may not reach
                # it, e.g. across loopback ports); its I-Am says who it is.
                target = address_text(BacnetClient._address(device))
                directed = await who_is(client, address=device, max_wait=client.timeout, quiet=0.05)
                found = next((d for d in directed if d.address == target), directed[0] if directed else None)
                if found is None:
                    raise BacnetTimeout(f"{device}: no I-Am in answer to a directed Who-Is (offline or not BACnet?)")
            device = found
    ids = await object_list(client, device)
    segmented = device.segmentation in ("segmented-both", "segmented-transmit")
    groups: dict[tuple[str, ...], list[str]] = {}
    for oid in ids:
        object_type = oid.split(",")[0]
        if object_type.isdigit() or object_type.startswith("proprietary") or object_type in ("color", "color-temperature"):
            groups.setdefault(("object-name", "#single"), []).append(oid)
        else:
            wanted = [p for p in properties_for(object_type)
                      if properties is None or p in properties or p == "object-name"]
            groups.setdefault(tuple(wanted), []).append(oid)

    results: dict[str, dict[str, Any]] = {oid: {} for oid in ids}
    jobs = []
    for props, members in groups.items():
        if "#single" in props:
            jobs.extend(_read_batch(client, device, [oid], ["object-name"], results, allow_rpm=False) for oid in members)
            continue
        size = batch_size(device.max_apdu, segmented, list(props))
        for start in range(0, len(members), size):
            jobs.append(_read_batch(client, device, members[start:start + size], list(props), results))
    await asyncio.gather(*jobs)

    points = []
    for oid in ids:
        got = results[oid]
        errors = {k[1:]: v for k, v in got.items() if k.startswith("!")}
        points.append(
            ObjectInfo(
                device_instance=device.instance,
                object_id=oid,
                name=got.get("object-name"),
                present_value=got.get("present-value"),
                units=got.get("units"),
                status_flags=got.get("status-flags"),
                out_of_service=got.get("out-of-service"),
                errors=errors,
            )
        )
    return points


async def _read_batch(
    client: BacnetClient,
    device: DeviceInfo,
    oids: list[str],
    props: list[str],
    results: dict[str, dict[str, Any]],
    *,
    allow_rpm: bool = True,
    retried: bool = False,
) -> None:
    """Read ``props`` of ``oids``: RPM, halve on failure, single reads last."""
    values = None
    if allow_rpm and str(BacnetClient._address(device.address)) not in client.no_rpm:
        try:
            values = await client.read_multiple(device, [(oid, props) for oid in oids])
        except BacnetTimeout:
            # A big answer from a busy device can miss the timeout where two
            # halves would not; a device that is really gone fails both.
            if len(oids) < 2 or retried:
                raise
            half = len(oids) // 2
            await asyncio.gather(
                _read_batch(client, device, oids[:half], props, results, retried=True),
                _read_batch(client, device, oids[half:], props, results, retried=True),
            )
            return
        except InvalidInput:
            raise
        except BacnetError as exc:
            reason = getattr(exc, "reason", "") or getattr(exc, "error_code", "")
            if reason in ("unrecognized-service", "service-request-denied"):
                client.no_rpm.add(str(BacnetClient._address(device.address)))
            elif len(oids) > 1:
                half = len(oids) // 2
                await asyncio.gather(
                    _read_batch(client, device, oids[:half], props, results),
                    _read_batch(client, device, oids[half:], props, results),
                )
                return
    if values is None:
        values = await read_many(client, device, [(oid, props) for oid in oids]) if allow_rpm else await _singles(client, device, oids, props)
    for value in values:
        slot = results.setdefault(value.object_id, {})
        if value.ok:
            slot[value.property] = value.value
        else:
            slot["!" + value.property] = value.error


async def _singles(client: BacnetClient, device: DeviceInfo, oids: list[str], props: list[str]):
    return await read_singly(client, device, [(oid, props) for oid in oids])


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
