"""Device addresses as people type them, read with our own grammar before bacpypes3 sees them.

bacpypes3's ``Address()`` takes far more than one device: ``*``, ``2:*``,
IPv6, host and interface names (looked up in DNS), routes, ports it wraps
to 0. A confirmed request to a broadcast reaches every device and can never
be undone, so :func:`device_address` (confirmed services) refuses every
form that is not one station, and :func:`bacnet_address` (Who-Is/Who-Has
targets) also allows broadcasts. ASCII digits only.
"""

from __future__ import annotations

import ipaddress
import re

from bacpypes3.pdu import Address

from .errors import InvalidInput
from .ids import ascii_int, ascii_only
from .local import UdpAddress

_DIGITS = re.compile(r"[0-9]+")  # only ASCII digits are numbers (\d and isdigit() take '１', '١')

DEVICE_FORMS = "use 10.0.0.5, 10.0.0.5:47809, NETWORK:MAC like 2:7, or a device instance like 1001"

_BROADCAST = re.compile(r"(?:(?P<net>[0-9]+|\*):)?\*")
_STATION = re.compile(
    r"(?:(?P<net>[0-9]+):)?"
    r"(?:(?P<ip>[0-9]+(?:\.[0-9]+){3})(?::(?P<port>[0-9]+))?|(?P<mac>0x(?:[0-9A-Fa-f]{2})+|[0-9]+))"
)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9.\-]*(?::[0-9]+)?")
_NOT_A_DEVICE = (
    (ipaddress.IPv4Network("0.0.0.0/8"), "is in 0.0.0.0/8 ('this network')"),
    (ipaddress.IPv4Network("224.0.0.0/4"), "is a multicast group"),
    (ipaddress.IPv4Network("240.0.0.0/4"), "is in the reserved 240.0.0.0/4"),
)


def bacnet_address(text: str) -> Address:
    """Read a BACnet address: one station, or a broadcast (``*``, ``2:*``, ``*:*``).

    For Who-Is/Who-Has targets; confirmed services use :func:`device_address`.
    Raises :class:`InvalidInput` naming what was typed.
    """
    if not isinstance(text, str):
        raise InvalidInput(f"device address must be text, got {text!r}; {DEVICE_FORMS}")
    value = text.strip()
    if not value:
        raise InvalidInput(f"empty device address; {DEVICE_FORMS}")
    ascii_only(value, "device address")
    broadcast = _BROADCAST.fullmatch(value)
    station = _STATION.fullmatch(value)
    if broadcast is None and station is None:
        raise InvalidInput(_unreadable(value))
    net = (broadcast or station).group("net")
    if net is not None and net != "*":
        _check_network(value, net)
    if station is not None:
        ip, port, mac = station.group("ip", "port", "mac")
        if ip is not None:
            try:
                ipaddress.IPv4Address(ip)
            except ValueError:
                raise InvalidInput(
                    f"bad device address {value!r}: {ip!r} is not an IPv4 address; {DEVICE_FORMS}"
                ) from None
            if port is not None and not 1 <= ascii_int(port) <= 65535:
                raise InvalidInput(f"bad device address {value!r}: UDP port {port} is outside 1..65535")
        elif net is None and not mac.startswith("0x"):
            raise InvalidInput(
                f"{value!r} is a device instance, not an address; a MAC on our own network is written in hex like 0x0c"
            )
        elif not mac.startswith("0x") and ascii_int(mac) > 255:
            raise InvalidInput(
                f"bad device address {value!r}: MAC {mac} is above 255; write a longer MAC in hex like 0x0a0b"
            )
    try:
        return Address(value)
    except Exception as exc:  # what our grammar let through and bacpypes3 still refuses
        raise InvalidInput(f"cannot read device address {value!r} ({exc}); {DEVICE_FORMS}") from None


def device_address(text: str, local: UdpAddress | None = None) -> Address:
    """Read the address of ONE device: what a confirmed request may be sent to.

    Refuses broadcasts (``*``, ``2:*``, ``*:*``, 255.255.255.255, MAC 255 or
    ff...ff), 0.x.x.x, multicast and reserved IPv4, and, given ``local`` (our
    own bind address), the broadcast address of our own subnet. Raises
    :class:`InvalidInput` naming what was typed.
    """
    address = bacnet_address(text)
    value = text.strip()
    kind = address.addrType
    if kind == Address.localBroadcastAddr:
        _not_one(value, "is a broadcast to every device on our network")
    if kind == Address.remoteBroadcastAddr:
        _not_one(value, f"is a broadcast to every device on network {address.addrNet}")
    if kind == Address.globalBroadcastAddr:
        _not_one(value, "is a broadcast to every device on every network")
    mac = address.addrAddr or b""
    if mac and mac == b"\xff" * len(mac):
        _not_one(value, f"is the broadcast MAC 0x{mac.hex()}")
    local_station = kind == Address.localStationAddr
    # A 6-byte MAC is IPv4 + port on our own BACnet/IP link, or where it was
    # typed as an IPv4 address; behind a router it may be an Ethernet MAC.
    if len(mac) == 6 and (local_station or "." in value):
        ip = ipaddress.IPv4Address(mac[:4])
        if int.from_bytes(mac[4:], "big") == 0:
            raise InvalidInput(f"bad device address {value!r}: UDP port 0 is outside 1..65535")
        shown = "" if str(ip) in value else f"({ip}) "  # typed as a hex MAC
        if ip == ipaddress.IPv4Address("255.255.255.255"):
            _not_one(value, f"{shown}is the IPv4 broadcast address")
        for network, why in _NOT_A_DEVICE:
            if ip in network:
                _not_one(value, f"{shown}{why}")
        if local is not None and local_station and local.prefix <= 30:  # /31 and /32 have no broadcast
            subnet = ipaddress.IPv4Network(f"{local.ip}/{local.prefix}", strict=False)
            if ip == subnet.broadcast_address:
                _not_one(value, f"{shown}is the broadcast address of our subnet {local.ip}/{local.prefix}")
    return address


def _not_one(value: str, why: str) -> None:
    raise InvalidInput(f"device address {value!r} {why}, not one device; {DEVICE_FORMS}")


def _check_network(value: str, digits: str) -> None:
    network = ascii_int(digits)
    if network == 65535:
        raise InvalidInput(
            f"bad device address {value!r}: network 65535 is the global broadcast; a network number is 1..65534"
        )
    if not 1 <= network <= 65534:
        raise InvalidInput(f"bad device address {value!r}: network number {digits} is outside 1..65534")


def _unreadable(value: str) -> str:
    """The one-line reason an address does not fit the grammar."""
    net, colon, rest = value.partition(":")
    if colon and _DIGITS.fullmatch(net) and not rest:
        return f"bad device address {value!r}: no MAC after network {net}; write NETWORK:MAC like {net}:7"
    if not (colon and _DIGITS.fullmatch(net)):
        rest = value
    try:
        ipv6 = rest.startswith("[") or bool(ipaddress.IPv6Address(rest.partition("%")[0]))
    except ValueError:
        ipv6 = False
    if ipv6:
        return f"bad device address {value!r}: IPv6 is not supported (BACnet/IPv4 only); {DEVICE_FORMS}"
    if "/" in value:
        return f"bad device address {value!r}: a device address has no /mask; {DEVICE_FORMS}"
    if _NAME.fullmatch(rest):
        return f"cannot read device address {value!r}: host names and interface names are not looked up; {DEVICE_FORMS}"
    return f"cannot read device address {value!r}; {DEVICE_FORMS}"
