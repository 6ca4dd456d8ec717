"""Turn what a technician typed into checked requests, before anything is sent.

Everything here raises :class:`InvalidInput` (exit code 2) with one line that
says what was wrong and what is accepted. Nothing here touches the network.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from aso_runtime.bacnet import InvalidInput, ObjectId, parse_object_id, parse_property
from aso_runtime.bacnet.client import check_priority
from aso_runtime.bacnet.ids import MAX_INSTANCE
from aso_runtime.bacnet.local import UdpAddress, parse_local_address

DEVICE_FORMS = "use 10.0.0.5, 10.0.0.5:47809, NETWORK:MAC like 2:7, or a device instance like 1001"

_ROUTED = re.compile(r"^(\d+):(\S+)$")
_IP_PORT = re.compile(r"^([\d.]+)(?::(\d+))?$")


def device_arg(text: str) -> str:
    """Check a DEVICE argument: an address, NETWORK:MAC, or a device instance.

    Returns the text unchanged (the client resolves it); refuses an instance
    above 4194303, an impossible IP, a port outside 1..65535, a network
    outside 1..65534.
    """
    value = text.strip()
    if not value:
        raise InvalidInput(f"empty device; {DEVICE_FORMS}")
    if value.isdigit():
        if int(value) > MAX_INSTANCE:
            raise InvalidInput(f"device instance {value} is above the BACnet maximum {MAX_INSTANCE}")
        return value
    if value.lower().startswith("device"):
        parse_object_id(value)
        return value
    routed = _ROUTED.match(value)
    if routed:
        if not 1 <= int(routed.group(1)) <= 65534:
            raise InvalidInput(f"bad device address {text!r}: network number must be 1..65534")
        return value
    ip_port = _IP_PORT.match(value)
    if ip_port:
        _check_ip_port(text, ip_port.group(1), ip_port.group(2))
        return value
    return value  # a host name or a hex MAC: the client's address parser decides


def _check_ip_port(text: str, ip: str, port: str | None) -> None:
    try:
        ipaddress.IPv4Address(ip)
    except ValueError:
        raise InvalidInput(f"bad address {text!r}: {ip!r} is not an IPv4 address; {DEVICE_FORMS}") from None
    if port is not None and not 1 <= int(port) <= 65535:
        raise InvalidInput(f"bad address {text!r}: UDP port must be 1..65535")


def bbmd_arg(text: str) -> str:
    """Check a --foreign BBMD address: IP[:PORT] or HOST[:PORT]."""
    value = text.strip()
    ip_port = _IP_PORT.match(value)
    if ip_port:
        _check_ip_port(text, ip_port.group(1), ip_port.group(2))
        return value
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9.\-]*(?::\d+)?$", value):
        raise InvalidInput(f"bad BBMD address {text!r}: use IP[:PORT] like 10.0.0.1:47808")
    return value


def local_address_arg(text: str) -> UdpAddress:
    """Check --address (IP/MASK[:PORT] or an interface name); raises InvalidInput."""
    return parse_local_address(text)


def priority_arg(value: int | None, *, required: bool = False) -> int | None:
    """1..16, or None when allowed; 0 and 17 are refused with the BACnet meaning of 8."""
    if value is None and required:
        raise InvalidInput("a priority 1..16 is required (8 = manual operator)")
    return check_priority(value)


def property_arg(text: str) -> str:
    """Check a property name (``present-value``, ``presentValue``, ``state-text[2]``)."""
    parse_property(text)
    return text


@dataclass(frozen=True)
class ReadSpec:
    """One object of an RPM and the properties asked of it."""

    object_id: ObjectId
    properties: list[str]


def rpm_specs(items: list[str]) -> list[ReadSpec]:
    """``OBJECT PROP[,PROP...]`` pairs -> read specs."""
    if len(items) % 2:
        raise InvalidInput(
            "rpm takes OBJECT PROPERTIES pairs, e.g. `ai,1 present-value,units av,2 present-value`; "
            f"{items[-1]!r} has no property list after it"
        )
    specs = []
    for object_text, props_text in zip(items[0::2], items[1::2]):
        try:
            oid = parse_object_id(object_text)
        except InvalidInput as exc:
            raise InvalidInput(f"{exc} (rpm takes OBJECT PROPERTIES pairs; separate properties with commas)") from None
        props = [p.strip() for p in props_text.split(",") if p.strip()]
        if not props:
            raise InvalidInput(f"no property listed for {object_text!r}")
        for prop in props:
            parse_property(prop)
        specs.append(ReadSpec(oid, props))
    return specs


@dataclass(frozen=True)
class WriteSpec:
    """One write of a WPM."""

    object_id: ObjectId
    property: str
    value: str
    priority: int | None


_ASSIGNMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9\-_]*(?:\[\d+\])?)=(.*?)(?:@(\d+))?$", re.S)


def wpm_specs(items: list[str], default_priority: int | None) -> list[WriteSpec]:
    """``OBJECT PROP=VALUE[@PRIORITY] [PROP=VALUE ...] [OBJECT ...]`` -> write specs.

    A word without ``=`` starts a new object; ``@N`` at the end of an
    assignment is its priority, else ``default_priority`` (``--priority``).
    """
    specs: list[WriteSpec] = []
    current: ObjectId | None = None
    pending_object = ""
    for item in items:
        if "=" not in item:
            if current is not None and pending_object:
                raise InvalidInput(f"object {pending_object!r} has no PROPERTY=VALUE after it")
            current = parse_object_id(item)
            pending_object = item
            continue
        if current is None:
            raise InvalidInput(f"{item!r} comes before any object; write `OBJECT PROPERTY=VALUE[@PRIORITY]`")
        match = _ASSIGNMENT.match(item)
        if not match:
            raise InvalidInput(f"cannot read write {item!r}; use PROPERTY=VALUE[@PRIORITY] like present-value=21.5@8")
        prop, value, priority_text = match.groups()
        parse_property(prop)
        if value == "":
            raise InvalidInput(f"{item!r} has no value; write null to release")
        priority = int(priority_text) if priority_text is not None else default_priority
        specs.append(WriteSpec(current, prop, value, check_priority(priority)))
        pending_object = ""
    if pending_object:
        raise InvalidInput(f"object {pending_object!r} has no PROPERTY=VALUE after it")
    if not specs:
        raise InvalidInput("nothing to write; give OBJECT PROPERTY=VALUE[@PRIORITY]")
    return specs
