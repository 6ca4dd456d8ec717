"""The BACnet client runtime: plain-Python async API over bacpypes3.

>>> client = await open_client(address="10.0.0.5/24")
>>> devices = await who_is(client)
>>> await client.read(devices[0], "ai,1")
"""

from .client import BacnetClient
from .discovery import (
    find_device,
    who_has,
    who_is,
    who_is_router_to_network,
    who_is_stream,
)
from .errors import (
    BacnetAbort,
    BacnetError,
    BacnetReject,
    BacnetRemoteError,
    BacnetTimeout,
    InvalidInput,
    LocalNetworkError,
)
from .ids import ObjectId, parse_object_id, parse_property
from .local import LocalDevice
from .points import DeviceDiscovery, discover_objects, discover_site, object_list
from .reads import read_many, read_singly
from .session import open_client
from .types import (
    DeviceInfo,
    ObjectHolder,
    ObjectInfo,
    PriorityArray,
    PrioritySlot,
    PropertyValue,
    RouterInfo,
    priority_name,
)

__all__ = [
    "BacnetAbort", "BacnetClient", "BacnetError", "BacnetReject", "BacnetRemoteError",
    "BacnetTimeout", "DeviceDiscovery", "DeviceInfo", "InvalidInput", "LocalDevice", "LocalNetworkError",
    "ObjectHolder", "ObjectId", "ObjectInfo", "PriorityArray", "PrioritySlot",
    "PropertyValue", "RouterInfo", "discover_objects", "discover_site", "find_device", "object_list",
    "open_client", "parse_object_id", "parse_property", "priority_name", "read_many",
    "read_singly", "who_has", "who_is", "who_is_router_to_network", "who_is_stream",
]
