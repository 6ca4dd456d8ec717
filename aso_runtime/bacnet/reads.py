"""Reads with fallbacks, as functions: RPM first, single reads when a device cannot do RPM.

The logic lives in :meth:`BacnetClient.read_many` / :meth:`BacnetClient.read_singly`;
these are the function forms scripts and the CLI already call.
"""

from __future__ import annotations

from collections.abc import Sequence

from .client import BacnetClient
from .ids import ObjectId
from .types import DeviceInfo, PropertyValue


async def read_many(
    client: BacnetClient,
    device: "str | int | DeviceInfo",
    requests: Sequence[tuple["str | ObjectId", Sequence[str]]],
    *,
    timeout: float | None = None,
) -> list[PropertyValue]:
    """RPM with fallbacks; see :meth:`BacnetClient.read_many`."""
    return await client.read_many(device, requests, timeout=timeout)


async def read_singly(
    client: BacnetClient,
    device: "str | int | DeviceInfo",
    requests: Sequence[tuple["str | ObjectId", Sequence[str]]],
    *,
    timeout: float | None = None,
) -> list[PropertyValue]:
    """One ReadProperty per property, concurrently; see :meth:`BacnetClient.read_singly`."""
    return await client.read_singly(device, requests, timeout=timeout)
