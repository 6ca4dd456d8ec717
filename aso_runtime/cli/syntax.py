"""Turn what a technician typed into checked requests, before anything is sent.

Everything here raises :class:`InvalidInput` (exit code 2) with one line that
says what was wrong and what is accepted. Nothing here touches the network.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from aso_runtime.bacnet import InvalidInput, ObjectId, parse_object_id, parse_property
from aso_runtime.bacnet.addresses import DEVICE_FORMS, device_address
from aso_runtime.bacnet.client import check_priority
from aso_runtime.bacnet.ids import MAX_INSTANCE, ascii_int, ascii_only
from aso_runtime.bacnet.local import UdpAddress, parse_local_address

_INSTANCE = re.compile(r"[0-9]+")  # ASCII only: \d and isdigit() also take '１' and '١'
_IP_PORT = re.compile(r"^([0-9.]+)(?::([0-9]+))?$")
_HOST_PORT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]*(?::([0-9]+))?$")


def device_arg(text: str, local: UdpAddress | None = None) -> str:
    """Check a DEVICE argument: one device's address, or a device instance.

    Returns the text stripped (the client resolves it). An address must be
    one device's (:func:`~aso_runtime.bacnet.client.device_address`: no
    broadcast, multicast, IPv6, mask or host name; with ``local``, our bind
    address, not our subnet's broadcast either); an instance is 0..4194303.
    """
    value = text.strip()
    if not value:
        raise InvalidInput(f"empty device; {DEVICE_FORMS}")
    if _INSTANCE.fullmatch(value):
        if ascii_int(value) > MAX_INSTANCE:
            raise InvalidInput(f"device instance {value} is above the BACnet maximum {MAX_INSTANCE}")
        return value
    if value.lower().startswith("device"):
        parse_object_id(value)
        return value
    device_address(value, local)
    return value


def bbmd_arg(text: str) -> str:
    """Check a --foreign BBMD address: IP[:PORT] or HOST[:PORT]."""
    value = text.strip()
    if not value:
        raise InvalidInput("--foreign is empty: give the BBMD's address IP[:PORT] like 10.0.0.1:47808")
    ascii_only(value, "BBMD address")
    ip_port = _IP_PORT.match(value)
    host_port = _HOST_PORT.match(value)
    if ip_port:
        try:
            ipaddress.IPv4Address(ip_port.group(1))
        except ValueError:
            raise InvalidInput(f"bad BBMD address {text!r}: {ip_port.group(1)!r} is not an IPv4 address") from None
    elif not host_port:
        raise InvalidInput(f"bad BBMD address {text!r}: use IP[:PORT] like 10.0.0.1:47808")
    port = (ip_port or host_port).group(2 if ip_port else 1)
    if port is not None and not 1 <= ascii_int(port) <= 65535:
        raise InvalidInput(f"bad BBMD address {text!r}: UDP port {port} is outside 1..65535")
    return value


def local_address_arg(text: str, option: str = "--address") -> UdpAddress:
    """Check the local bind address (IP/MASK[:PORT] or an interface name); raises InvalidInput.

    Blank is refused rather than read as "the primary interface": an empty
    variable in a script would otherwise bind the site network and broadcast.
    """
    if not text.strip():
        raise InvalidInput(
            f"{option} is empty: give IP/MASK[:PORT] like 10.0.0.5/24 or an interface name "
            "(leave it out for the host's primary interface)"
        )
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


_ASSIGNMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9\-_]*(?:\[[0-9]+\])?)=(.*?)(?:@([0-9]+))?$", re.S)


def _priority_like(text: str) -> bool:
    """'-1', ' 8', '１５', '²': digits of any kind (isdigit), maybe signed; meant as a priority."""
    digits = text.strip().removeprefix("-").removeprefix("+").strip()
    return digits.isdigit()


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
        ascii_only(item.partition("=")[0], "property")
        match = _ASSIGNMENT.match(item)
        if not match:
            raise InvalidInput(f"cannot read write {item!r}; use PROPERTY=VALUE[@PRIORITY] like present-value=21.5@8")
        prop, value, priority_text = match.groups()
        parse_property(prop)
        if value == "":
            raise InvalidInput(f"{item!r} has no value; write null to release")
        _, at, tail = value.rpartition("@")
        if at and _priority_like(tail):  # not @N above, yet meant as a priority
            raise InvalidInput(
                f"cannot read priority {tail!r} in {item!r}: write @1..@16 in ASCII digits after the value"
            )
        priority = priority_text if priority_text is not None else default_priority
        specs.append(WriteSpec(current, prop, value, check_priority(priority)))
        pending_object = ""
    if pending_object:
        raise InvalidInput(f"object {pending_object!r} has no PROPERTY=VALUE after it")
    if not specs:
        raise InvalidInput("nothing to write; give OBJECT PROPERTY=VALUE[@PRIORITY]")
    return specs
