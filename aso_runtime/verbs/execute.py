"""ONE executor per verb: a typed request, run against a BacnetClient, gives a typed result.

Used by ``aso`` and the console's F2 line alike. Errors are the runtime's
(:class:`~aso_runtime.bacnet.BacnetError` and its subclasses, one line each);
nothing here prints or imports a UI library.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aso_runtime.bacnet import (
    BacnetClient,
    BacnetError,
    BacnetRemoteError,
    DeviceInfo,
    ObjectId,
    discover_objects,
    discover_site,
    read_all_properties,
    read_many,
    who_has,
    who_is_router_to_network,
    who_is_stream,
)
from aso_runtime.closeout.audit import AuditJournal
from aso_runtime.closeout.audited import audited, audited_write, write_target

from . import requests as rq
from . import results as rs
from .labels import read_labels
from .safety import confirm_life_safety

# Devices discovered at the same time by `discover --all`: enough to hide
# round trips, few enough not to swamp slow MS/TP trunks behind routers.
DISCOVER_CONCURRENCY = 16

OnDevice = Callable[[DeviceInfo], None]


async def execute(
    request: rq.Request,
    client: BacnetClient,
    *,
    confirm_by_name: bool = False,
    on_device: OnDevice | None = None,
    audit: AuditJournal | None = None,
) -> rs.Result:
    """Run one request and return its result.

    ``confirm_by_name``: a life-safety write needs the point's name typed
    (the console), not only ``--life-safety`` (the CLI). ``on_device`` is
    called as each I-Am of a Who-Is arrives (the CLI streams them).
    ``audit``: the journal (and tool) writes are recorded in; None: a new
    one for the CLI (tool "cli"); the console passes its own ("console").
    Raises the runtime's errors: InvalidInput, BacnetTimeout, BacnetRemoteError...
    """
    run = _EXECUTORS[type(request)]
    return await run(request, client, confirm_by_name=confirm_by_name, on_device=on_device, audit=audit)


async def _read(request: rq.Read, client: BacnetClient, **_: Any) -> rs.Result:
    value = await client.read(request.device, request.object_id, request.property, request.index)
    return rs.ValueRead(request, value)


async def _write(request: rq.Write, client: BacnetClient, *, confirm_by_name: bool, audit: AuditJournal | None,
                 **_: Any) -> rs.Result:
    await confirm_life_safety(client, request, by_name=confirm_by_name)
    value = None if request.released else request.value
    recorded = await audited_write(client, audit or AuditJournal(tool="cli"), request.device, request.object_id,
                                   value, request.priority, request.property, request.index)
    after = await read_back(client, request.device, request.object_id) if request.property == "present-value" else None
    return rs.Written(request, after, recorded.warning)


async def read_back(client: BacnetClient, device: str, object_id: ObjectId) -> rs.ReadBack:
    """What the point holds now: a write below the winning priority changes nothing.

    Commandable points give their priority array; others (an input put out
    of service) have none, so their present value is read. A failed
    read-back is reported, never turned into a failed write.
    """
    labels = await read_labels(client, device, object_id)
    try:
        array = await client.priority_array(device, object_id)
        return rs.ReadBack(array, array.present_value, labels)
    except BacnetRemoteError:
        pass  # not commandable
    except BacnetError as exc:
        return rs.ReadBack(labels=labels, error=str(exc))
    try:
        return rs.ReadBack(present_value=await client.read(device, object_id, "present-value"), labels=labels)
    except BacnetError as exc:
        return rs.ReadBack(labels=labels, error=str(exc))


async def _read_multiple(request: rq.ReadMultiple, client: BacnetClient, **_: Any) -> rs.Result:
    values = await read_many(client, request.device, [(s.object_id, s.properties) for s in request.specs])
    return rs.ValuesRead(request, values)


async def _read_all(request: rq.ReadAllProperties, client: BacnetClient, **_: Any) -> rs.Result:
    return rs.PropertiesRead(request, await read_all_properties(client, request.device, request.object_id))


async def _write_multiple(request: rq.WriteMultiple, client: BacnetClient, *, confirm_by_name: bool,
                          audit: AuditJournal | None, **_: Any) -> rs.Result:
    await confirm_life_safety(client, request, by_name=confirm_by_name)
    writes = [(w.object_id, w.property, w.value, w.priority) for w in request.writes]
    # One record per value; a WPM refused part-way gives each the device's error (earlier values may be applied).
    targets = [write_target(oid, value, priority, prop) for oid, prop, value, priority in writes]
    recorded = await audited(client, audit or AuditJournal(tool="cli"), request.device, targets,
                             lambda: client.write_multiple(request.device, writes))
    return rs.WrittenMultiple(request, recorded.warning)


async def _priority_array(request: rq.ShowPriorityArray, client: BacnetClient, **_: Any) -> rs.Result:
    array = await client.priority_array(request.device, request.object_id)
    labels = await read_labels(client, request.device, request.object_id)
    return rs.PriorityArrayShown(request, array, labels)


def _search(search: rq.Search, *, quiet: bool = True) -> dict[str, Any]:
    options: dict[str, Any] = {"address": search.target, "network": search.network, "max_wait": search.max_wait}
    if quiet:
        options["quiet"] = search.quiet
    return options


async def _who_is(request: rq.WhoIs, client: BacnetClient, *, on_device: OnDevice | None = None,
                  **_: Any) -> rs.Result:
    started = time.monotonic()
    devices: list[DeviceInfo] = []
    async for device in who_is_stream(client, request.low, request.high, **_search(request.search)):
        if on_device is not None:
            on_device(device)
        devices.append(device)
    elapsed_ms = round((time.monotonic() - started) * 1000)
    return rs.DevicesFound(request, sorted(devices, key=lambda d: d.instance), elapsed_ms)


async def _who_has(request: rq.WhoHas, client: BacnetClient, **_: Any) -> rs.Result:
    holders = await who_has(client, request.object_id, request.name, **_search(request.search))
    return rs.HoldersFound(request, holders)


async def _routers(request: rq.FindRouters, client: BacnetClient, **_: Any) -> rs.Result:
    routers = await who_is_router_to_network(client, request.network, address=request.target,
                                             quiet=request.quiet, max_wait=request.max_wait)
    return rs.RoutersFound(request, routers)


async def _discover(request: rq.Discover, client: BacnetClient, **_: Any) -> rs.Result:
    if not request.whole_site:
        # Errors of a single device end the command as they are.
        return rs.PointsFound(request, await discover_objects(client, request.device))
    devices, points, errors = [], [], []
    async for found in discover_site(client, concurrency=DISCOVER_CONCURRENCY, **_search(request.search)):
        devices.append(found.device)
        points.extend(found.points)
        if found.error:
            errors.append({"device_instance": found.device.instance, "address": found.device.address,
                           "error": found.error})
    points.sort(key=lambda p: p.device_instance)  # stable: each device keeps its object-list order
    devices.sort(key=lambda d: d.instance)
    return rs.PointsFound(request, points, devices, sorted(errors, key=lambda e: e["device_instance"]))


_EXECUTORS: dict[type, Callable[..., Awaitable[rs.Result]]] = {
    rq.Read: _read,
    rq.Write: _write,
    rq.ReadMultiple: _read_multiple,
    rq.ReadAllProperties: _read_all,
    rq.WriteMultiple: _write_multiple,
    rq.ShowPriorityArray: _priority_array,
    rq.WhoIs: _who_is,
    rq.WhoHas: _who_has,
    rq.FindRouters: _routers,
    rq.Discover: _discover,
}
