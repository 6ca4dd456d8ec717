"""Reads with fallbacks: RPM first, single reads when a device cannot do RPM."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from .client import BacnetClient
from .errors import BacnetAbort, BacnetError, BacnetReject, BacnetRemoteError, BacnetTimeout, InvalidInput
from .ids import ObjectId, parse_object_id, parse_property
from .types import DeviceInfo, PropertyValue


async def read_many(
    client: BacnetClient,
    device: "str | int | DeviceInfo",
    requests: Sequence[tuple["str | ObjectId", Sequence[str]]],
    *,
    timeout: float | None = None,
) -> list[PropertyValue]:
    """RPM with fallbacks: single reads if the device rejects RPM or the batch fails.

    Never raises for one bad property; raises only if the device is not
    answering at all (timeout) or the input is invalid.
    """
    address, _ = await client.resolve(device)
    key = str(address)
    if key not in client.no_rpm:
        try:
            return await client.read_multiple(device, requests, timeout=timeout)
        except BacnetTimeout:
            raise
        except BacnetReject as exc:
            if exc.reason in ("unrecognized-service",):
                client.no_rpm.add(key)
        except BacnetRemoteError as exc:
            if exc.error_code in ("service-request-denied", "unrecognized-service"):
                client.no_rpm.add(key)
        except (BacnetAbort, BacnetError) as exc:
            if isinstance(exc, InvalidInput):
                raise
    return await read_singly(client, device, requests, timeout=timeout)


async def read_singly(
    client: BacnetClient,
    device: "str | int | DeviceInfo",
    requests: Sequence[tuple["str | ObjectId", Sequence[str]]],
    *,
    timeout: float | None = None,
) -> list[PropertyValue]:
    """One ReadProperty per property, concurrently (bounded by the device limit)."""

    async def one(oid: ObjectId, prop_text: str) -> PropertyValue:
        prop, index = parse_property(prop_text)
        try:
            value = await client.read(device, oid, prop, index, timeout=timeout)
        except BacnetTimeout:
            raise
        except BacnetRemoteError as exc:
            return PropertyValue(str(oid), prop, index, None, f"{exc.error_class}:{exc.error_code}")
        except BacnetError as exc:
            return PropertyValue(str(oid), prop, index, None, str(exc))
        return PropertyValue(str(oid), prop, index, value)

    jobs = []
    for object_id, props in requests:
        oid = parse_object_id(object_id)
        for prop in [props] if isinstance(props, str) else props:
            jobs.append(one(oid, prop))
    return list(await asyncio.gather(*jobs))
