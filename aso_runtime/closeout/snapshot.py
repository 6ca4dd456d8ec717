"""As-found / as-left snapshots: read every point of the site into a :class:`Snapshot`.

>>> as_found = await take_snapshot(client)                 # the whole site (Who-Is)
>>> save_snapshot(as_found, snapshot_path("as-found"))
>>> ...
>>> changes = diff(as_found, await take_snapshot(client, [1001, 2001]))

Reading reuses the client's discovery: :func:`discover_site` /
:func:`discover_objects` give every object's name, present value, units,
status flags and out-of-service (object-list, RPM batches sized to the
device's max APDU, split on failure, single reads last). A second pass reads
what a snapshot adds with the same batched reader (``points.read_batch``,
batches sized by ``points.batch_size``): the priority
array, relinquish default and current command priority of commandable
points, the state texts of binary and multi-state points, and what an
engineering export needs (description, min/max present value, limits).

A point is an object whose type has a present value (see
``bacnet/objecttypes.py``); devices, network ports, trend logs and the like
are not points. The file format is in ``snapshot_format.py``.
"""

from __future__ import annotations

import asyncio
import getpass
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from aso_runtime import __version__
from aso_runtime.bacnet import (
    BacnetClient,
    BacnetError,
    DeviceInfo,
    InvalidInput,
    ObjectId,
    ObjectInfo,
    ValueKind,
    discover_objects,
    discover_site,
    object_type,
    parse_object_id,
)
from aso_runtime.bacnet.decode import priority_slots
from aso_runtime.bacnet.discovery import locate_device
from aso_runtime.bacnet.points import batch_size, read_batch
from aso_runtime.verbs.text import PointLabels, format_value

from .diff import DEFAULT_TOLERANCE, PointRef, ServiceChange, SlotChange, SnapshotDiff, ValueChange, diff
from .snapshot_format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    Snapshot,
    SnapshotDevice,
    SnapshotPoint,
    load_snapshot,
    save_snapshot,
)

__all__ = [
    "DEFAULT_TOLERANCE", "FORMAT_NAME", "FORMAT_VERSION", "PointRef", "ServiceChange", "SlotChange", "Snapshot",
    "SnapshotDevice", "SnapshotDiff", "SnapshotPoint", "ValueChange", "diff", "load_snapshot", "save_snapshot",
    "take_snapshot",
]

OnDevice = Callable[[SnapshotDevice], None]

# Devices read at the same time: as `aso discover --all` does (verbs/execute.py).
CONCURRENCY = 16

_DEVICE_PROPERTIES = ["object-name", "vendor-name", "model-name", "firmware-revision", "protocol-services-supported"]
_COMMAND = ["priority-array", "relinquish-default", "current-command-priority"]


def _who_and_when() -> tuple[str, str]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's uid)
        user = "unknown"
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), f"{user}@{socket.gethostname()}"


async def take_snapshot(
    client: BacnetClient,
    devices: Iterable[DeviceInfo | int | str] | None = None,
    *,
    name: str = "",
    concurrency: int = CONCURRENCY,
    on_device: OnDevice | None = None,
    **search: Any,
) -> Snapshot:
    """Read every point of ``devices`` (None: every device a Who-Is finds) into a :class:`Snapshot`.

    ``devices`` are instances, addresses or :class:`DeviceInfo`. A device
    that stops answering is kept with its ``error`` and no points; one
    named in ``devices`` that cannot be found at all goes to
    ``Snapshot.errors``. ``on_device`` is called as each device completes.
    ``search`` takes who_is_stream's options (address, network, quiet,
    max_wait) for the whole-site Who-Is. Raises :class:`InvalidInput` for a
    malformed device reference; never for one device's failure.
    """
    taken_at, taken_by = _who_and_when()
    limit = asyncio.Semaphore(concurrency)
    done: list[tuple[SnapshotDevice, list[SnapshotPoint]]] = []
    errors: list[dict[str, str]] = []

    async def complete(device: DeviceInfo, objects: list[ObjectInfo] | None, error: str | None) -> None:
        async with limit:
            result = await _read_device(client, device, objects, error)
        done.append(result)
        if on_device is not None:
            on_device(result[0])

    async def from_reference(reference: Any) -> None:
        try:
            async with limit:
                device = await locate_device(client, reference)
        except InvalidInput:
            raise
        except BacnetError as exc:
            errors.append({"device": str(reference), "error": str(exc)})
            return
        await complete(device, None, None)

    if devices is None:
        tasks = []
        try:
            async for found in discover_site(client, concurrency=concurrency, **search):
                tasks.append(asyncio.create_task(complete(found.device, found.points, found.error)))
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
    else:
        references = list(devices)
        await asyncio.gather(*(from_reference(reference) for reference in references))

    done.sort(key=lambda item: item[0].instance)
    return Snapshot(
        name=name,
        taken_at=taken_at,
        taken_by=taken_by,
        tool=f"aso {__version__}",
        devices=[device for device, _ in done],
        points=[point for _, points in done for point in points],
        errors=sorted(errors, key=lambda e: e["device"]),
    )


async def _read_device(client: BacnetClient, device: DeviceInfo, objects: list[ObjectInfo] | None,
                       error: str | None) -> tuple[SnapshotDevice, list[SnapshotPoint]]:
    """The device's identity and its points; a device that stops answering keeps its error, no points."""
    identity: dict[str, Any] = {}
    try:
        identity = await _device_identity(client, device)
        if error is None and objects is None:
            objects = await discover_objects(client, device)
        points = [] if error is not None else await _points(client, device, objects or [])
    except BacnetError as exc:
        error, points = error or str(exc), []
    services = identity.get("protocol-services-supported")
    record = SnapshotDevice(
        instance=device.instance,
        address=device.address,
        name=_text(identity.get("object-name")),
        vendor_id=device.vendor_id,
        vendor_name=_text(identity.get("vendor-name")),
        model_name=_text(identity.get("model-name")),
        firmware_revision=_text(identity.get("firmware-revision")),
        max_apdu=device.max_apdu,
        segmentation=device.segmentation,
        network=device.network,
        cov=_supports_cov(services) if isinstance(services, list) else None,
        error=error,
    )
    return record, points


async def _device_identity(client: BacnetClient, device: DeviceInfo) -> dict[str, Any]:
    values = await client.read_many(device, [(ObjectId("device", device.instance), _DEVICE_PROPERTIES)])
    return {value.property: value.value for value in values if value.ok}


def _supports_cov(services: list[Any]) -> bool:
    # Bit names come as the stack spells them, hyphenated: subscribe-c-o-v.
    return any(str(name).replace("-", "").lower() == "subscribecov" for name in services)


def _detail_properties(oid: ObjectId) -> list[str]:
    """What the second pass asks an object for, by what its type has."""
    row = object_type(oid)
    props = ["description"]
    if row.kind is ValueKind.BINARY:
        props += ["active-text", "inactive-text"]
    elif row.kind is ValueKind.MULTI_STATE:
        props += ["state-text"]
    elif row.kind is ValueKind.ANALOG and "units" in row.reads:
        props += ["min-pres-value", "max-pres-value", "high-limit", "low-limit"]
    if row.commandable:
        props += _COMMAND
    return props


def is_point(oid: ObjectId) -> bool:
    """An object with a present value of its own: what a snapshot records."""
    return "present-value" in object_type(oid).reads


async def _points(client: BacnetClient, device: DeviceInfo, objects: Sequence[ObjectInfo]) -> list[SnapshotPoint]:
    points = [info for info in objects if is_point(info.oid)]
    segmented = device.segmentation in ("segmented-both", "segmented-transmit")
    groups: dict[tuple[str, ...], list[ObjectId]] = {}
    for info in points:
        groups.setdefault(tuple(_detail_properties(info.oid)), []).append(info.oid)
    details: dict[str, dict[str, Any]] = {str(info.oid): {} for info in points}
    jobs = []
    for props, members in groups.items():
        size = batch_size(device.max_apdu, segmented, list(props))
        for start in range(0, len(members), size):
            jobs.append(read_batch(client, device, members[start:start + size], list(props), details))
    await asyncio.gather(*jobs)
    return [_point(device, info, details[str(info.oid)]) for info in points]


def _point(device: DeviceInfo, info: ObjectInfo, extra: dict[str, Any]) -> SnapshotPoint:
    oid = parse_object_id(info.object_id)
    labels = PointLabels.from_properties({"units": info.units, **extra})
    errors = {**info.errors, **{key[1:]: value for key, value in extra.items() if key.startswith("!")}}
    array = None
    # read_batch leaves out a property the object lacks: a value object without a priority array is not commandable.
    if object_type(oid).commandable and "priority-array" in extra:
        array = [slot.value if slot.active else None for slot in priority_slots(oid, extra["priority-array"])]
    ccp = extra.get("current-command-priority")
    if array is not None and not isinstance(ccp, int):  # an older device without the property
        ccp = next((n for n, value in enumerate(array, start=1) if value is not None), None)
    states = extra.get("state-text")
    return SnapshotPoint(
        device=device.instance,
        object_id=str(oid),
        name=info.name,
        description=_text(extra.get("description")),
        present_value=info.present_value,
        value_text=format_value(info.present_value, labels),
        units=info.units,
        state_texts=[str(s) for s in states] if isinstance(states, list) else None,
        active_text=labels.active_text,
        inactive_text=labels.inactive_text,
        out_of_service=info.out_of_service,
        status_flags=info.status_flags,
        commandable=array is not None,
        priority_array=array,
        relinquish_default=extra.get("relinquish-default") if array is not None else None,
        current_command_priority=ccp if isinstance(ccp, int) and array is not None else None,
        min_value=extra.get("min-pres-value"),
        max_value=extra.get("max-pres-value"),
        high_limit=extra.get("high-limit"),
        low_limit=extra.get("low-limit"),
        errors=errors,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
