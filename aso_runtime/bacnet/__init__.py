"""The BACnet client runtime: plain-Python async API over bacpypes3.

>>> client = await open_client(address="10.0.0.5/24")
>>> devices = await who_is(client)
>>> await client.read(devices[0], "ai,1")

This package is the only place that touches bacpypes3: the console, the CLI
and the ASO runtime import what is exported here (a test checks that none of
them imports bacpypes3). Plain data crosses the boundary: object ids as
:class:`ObjectId`, devices as :class:`DeviceInfo`, values as JSON-able Python.
"""

from .addresses import DEVICE_FORMS, device_address
from .alarms import EventNotice, EventSummary, acknowledge_alarm, get_alarm_summary, get_event_information, listen_for_events
from .alarms import get_enrollment_summary
from .recipients import Enrollment, RecipientEntry, RecipientsRefused, add_this_client, read_recipients, remove_entry
from .client import BacnetClient, check_priority
from .priority import Priority, life_safety_confirmed, parse_priority, priority_name
from .cov import CovSubscription
from .discovery import (
    find_device,
    locate_device,
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
from .hosted import CounterPoint, EnablePoint, ServedPoint, StatePoint
from .ids import MAX_INSTANCE, ObjectId, ascii_int, ascii_only, parse_object_id, parse_property, short_id
from .local import LocalDevice, UdpAddress, check_can_bind, parse_local_address
from .management import (
    BdtEntry,
    FdtEntry,
    device_communication_control,
    read_bdt,
    read_fdt,
    reinitialize_device,
    time_synchronize,
)
from .objecttypes import (
    Cov,
    ObjectType,
    PriorityArrayRule,
    ValueKind,
    cov_capable,
    discovery_properties,
    is_commandable,
    object_type,
    value_kind,
)
from .points import DeviceDiscovery, discover_objects, discover_site, object_list
from .properties import read_all_properties
from .encode import check_write_value
from .reads import read_many, read_singly
from .schedule import (
    DAYS, Calendar, Schedule, ScheduleException, parse_day, parse_entries, read_calendar, read_schedule, write_day,
    write_exceptions,
)
from .session import default_address, open_client
from .trend import MultiTrendRecord, TrendRecord, logged_columns, read_range
from .types import (
    CovChange,
    DeviceInfo,
    ObjectHolder,
    ObjectInfo,
    PriorityArray,
    PrioritySlot,
    PropertyShape,
    PropertyValue,
    RouterInfo,
)
from .values import is_null, property_shape

__all__ = [
    "EventNotice", "EventSummary", "acknowledge_alarm", "get_alarm_summary", "get_event_information", "listen_for_events",
    "get_enrollment_summary", "Enrollment", "RecipientEntry", "RecipientsRefused", "add_this_client",
    "read_recipients", "remove_entry",
    "BacnetAbort", "BacnetClient", "BacnetError", "BacnetReject", "BacnetRemoteError", "BacnetTimeout",
    "CounterPoint", "Cov", "CovChange", "CovSubscription", "DEVICE_FORMS", "DeviceDiscovery", "DeviceInfo",
    "EnablePoint", "InvalidInput", "LocalDevice", "LocalNetworkError", "MAX_INSTANCE", "ObjectHolder", "ObjectId",
    "ObjectInfo", "ObjectType", "PriorityArray", "PriorityArrayRule", "PrioritySlot", "PropertyValue", "RouterInfo",
    "ServedPoint", "StatePoint", "UdpAddress", "ValueKind", "ascii_int", "ascii_only", "check_can_bind",
    "Priority", "check_priority", "life_safety_confirmed", "parse_priority", "cov_capable", "default_address", "device_address", "discover_objects", "discover_site",
    "discovery_properties", "find_device", "is_commandable", "is_null", "locate_device", "object_list", "object_type",
    "open_client", "parse_local_address", "parse_object_id", "parse_property", "priority_name", "read_all_properties",
    "check_write_value", "property_shape", "PropertyShape",
    "read_many",
    "DAYS", "Calendar", "Schedule", "ScheduleException", "parse_day", "parse_entries", "read_calendar", "read_schedule",
    "write_day", "write_exceptions",
    "BdtEntry", "FdtEntry", "device_communication_control", "read_bdt", "read_fdt", "reinitialize_device",
    "time_synchronize",
    "read_range", "TrendRecord", "MultiTrendRecord", "logged_columns",
    "read_singly", "short_id", "value_kind", "who_has", "who_is", "who_is_router_to_network", "who_is_stream",
]
