"""Words a technician types for devices and addresses, checked before anything is sent.

Everything here raises :class:`InvalidInput` (exit code 2 in the CLI) with
one line that says what was wrong and what is accepted. Nothing here touches
the network.
"""

from __future__ import annotations

import ipaddress
import re

from aso_runtime.bacnet import (
    DEVICE_FORMS,
    MAX_INSTANCE,
    InvalidInput,
    UdpAddress,
    ascii_int,
    ascii_only,
    device_address,
    parse_local_address,
    parse_object_id,
)

_INSTANCE = re.compile(r"[0-9]+")  # ASCII only: \d and isdigit() also take '１' and '١'
_IP_PORT = re.compile(r"^([0-9.]+)(?::([0-9]+))?$")
_HOST_PORT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]*(?::([0-9]+))?$")


def device_arg(text: str, local: UdpAddress | None = None) -> str:
    """Check a DEVICE word: one device's address, or a device instance.

    Returns the text stripped (the client resolves it). An address must be
    one device's (no broadcast, multicast, IPv6, mask or host name; with
    ``local``, our bind address, not our subnet's broadcast either: a write
    to a broadcast could never be undone); an instance is 0..4194303.
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


def network_arg(network: int | None) -> int | None:
    """A remote network number 1..65534 (65535 is the global broadcast), or None."""
    if network is not None and not 1 <= network <= 65534:
        raise InvalidInput(f"network number {network} is out of range 1..65534")
    return network
