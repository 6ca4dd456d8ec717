"""Build the local BACnet application: our own device on one or more ports.

bacpypes3 binds with SO_REUSEPORT (a second process on the same port starts
"fine" and then steals half the unicast traffic) and retries forever when the
address is not on this host. We probe the address ourselves first and refuse
both with one clear line.

The device and network-port objects are served classes (``served.py``):
nothing of them is writable over the network. ``build_application`` hardens
every application against hostile traffic (``hardening.harden``).
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import ipaddress
import socket
import struct
from dataclasses import dataclass

from bacpypes3.app import Application
from bacpypes3.basetypes import BDTEntry, HostNPort, IPMode

from .active_cov import report_active_cov_subscriptions
from .database import track_database_revision
from .hardening import harden
from .errors import InvalidInput, LocalNetworkError
from .identity import (
    APPLICATION_SOFTWARE_VERSION,
    CLIENT_DESCRIPTION,
    DEFAULT_VENDOR_ID,
    FIRMWARE_REVISION,
    MODEL_NAME,
    VENDOR_NAME,
)
from .ids import ascii_int
from .served import ServedDevice, ServedNetworkPort
from .speedups import install as install_speedups
from .read_range import enable_read_range
from .event_services import enable_event_services

BACNET_PORT = 47808


@dataclass(frozen=True)
class LocalDevice:
    """Who we are on the network.

    Identity (vendor, model, versions, description) defaults to the product's
    (``identity.py``); ``vendor_id`` is 999, ASHRAE's identifier for testing,
    until a site sets its own.
    """

    instance: int = 4194301
    name: str = "aso-console"
    vendor_id: int = DEFAULT_VENDOR_ID
    vendor_name: str = VENDOR_NAME
    model_name: str = MODEL_NAME
    description: str = CLIENT_DESCRIPTION
    firmware_revision: str = FIRMWARE_REVISION
    application_software_version: str = APPLICATION_SOFTWARE_VERSION
    max_apdu: int = 1476
    segmentation: str = "segmented-both"
    # The stack's own retry timer; the client also bounds every call.
    apdu_timeout_ms: int = 3000
    apdu_retries: int = 1


def device_object(device: LocalDevice, **extra) -> ServedDevice:
    return ServedDevice(
        objectIdentifier=("device", device.instance),
        objectName=device.name,
        vendorIdentifier=device.vendor_id,
        vendorName=device.vendor_name,
        modelName=device.model_name,
        description=device.description,
        firmwareRevision=device.firmware_revision,
        applicationSoftwareVersion=device.application_software_version,
        maxApduLengthAccepted=device.max_apdu,
        segmentationSupported=device.segmentation,
        apduTimeout=device.apdu_timeout_ms,
        numberOfApduRetries=device.apdu_retries,
        **extra,
    )


def _interface_address(name: str) -> tuple[str, int] | None:
    """IPv4 address and prefix length of a Linux interface, or None."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        packed_name = struct.pack("256s", name.encode()[:15])
        addr = fcntl.ioctl(sock.fileno(), 0x8915, packed_name)  # SIOCGIFADDR
        mask = fcntl.ioctl(sock.fileno(), 0x891B, packed_name)  # SIOCGIFNETMASK
    except OSError:
        return None
    finally:
        sock.close()
    ip = socket.inet_ntoa(addr[20:24])
    prefix = ipaddress.IPv4Network(f"0.0.0.0/{socket.inet_ntoa(mask[20:24])}").prefixlen
    return ip, prefix


@dataclass(frozen=True)
class UdpAddress:
    """A BACnet/IP bind address: host, prefix length and UDP port."""

    ip: str
    prefix: int
    port: int

    def __str__(self) -> str:
        return f"{self.ip}/{self.prefix}:{self.port}"


def parse_local_address(text: str) -> UdpAddress:
    """Accept ``10.0.0.5/24``, ``10.0.0.5/24:47809``, ``127.0.0.1:47809``, ``eth0``, ``eth0:47809``.

    Without a mask the network is assumed /24 (/8 on loopback) so that a
    global Who-Is has a broadcast address to go to; bacpypes3 would silently
    make it /32 and never broadcast. Only ASCII digits are numbers (``int()``
    would also take '４７８０９'); anything unreadable is :class:`InvalidInput`.
    """
    value = text.strip()
    if not value:
        raise InvalidInput(
            f"bad local address {text!r}: it is empty; give IP/MASK[:PORT] like 10.0.0.5/24 or an interface name"
        )
    if not value.isascii():
        odd = next(ch for ch in value if not ch.isascii())
        raise InvalidInput(f"bad local address {text!r}: {odd!r} is not ASCII; type digits 0-9 and plain letters")
    host, colon, port_text = value.rpartition(":") if ":" in value else (value, "", "")
    if colon and not port_text.isdigit():  # ASCII already: isdigit() is 0-9 here
        raise InvalidInput(f"bad local address {text!r}: port {port_text!r} is not a number")
    port = ascii_int(port_text) if port_text else BACNET_PORT
    if not 0 < port < 65536:
        raise InvalidInput(f"bad local address {text!r}: port must be 1..65535")
    ip_text, slash, prefix_text = host.partition("/")
    if slash and not (prefix_text.isdigit() and ascii_int(prefix_text) <= 32):
        raise InvalidInput(f"bad local address {text!r}: mask must be /0../32")
    prefix = ascii_int(prefix_text) if slash else None
    try:
        ip = str(ipaddress.IPv4Address(ip_text))
    except ValueError:
        found = _interface_address(ip_text) if ip_text else None
        if found is None:
            raise InvalidInput(
                f"bad local address {text!r}: expected an IPv4 address like 10.0.0.5/24[:port] "
                "or the name of a network interface on this host"
            ) from None
        ip, interface_prefix = found
        return UdpAddress(ip, interface_prefix if prefix is None else prefix, port)
    if prefix is None:
        prefix = 8 if ip.startswith("127.") else 24
    return UdpAddress(ip, prefix, port)


def check_can_bind(address: UdpAddress) -> None:
    """Refuse a port someone else holds, or an address that is not ours."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((address.ip, address.port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise LocalNetworkError(
                f"UDP port {address.port} on {address.ip} is already in use by another program "
                "(another BACnet tool?); stop it or choose another port with --address IP/MASK:PORT"
            ) from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise LocalNetworkError(
                f"address {address.ip} is not assigned to any interface on this host; "
                "check `ip addr` and pass one of its addresses or an interface name"
            ) from None
        raise LocalNetworkError(f"cannot bind {address.ip}:{address.port}: {exc.strerror}") from None
    finally:
        sock.close()


def udp_port(
    address: UdpAddress,
    *,
    port_instance: int = 1,
    network: int | None = None,
    foreign: str | None = None,
    ttl: int = 300,
    bbmd: bool = False,
    apdu_length: int = 1476,
) -> ServedNetworkPort:
    """A BACnet/IP network port; optionally a foreign device or a BBMD.

    ``apdu_length``: the largest APDU it carries (the device's max APDU).
    """
    kwargs = {}
    if network:
        kwargs = {"networkNumber": network, "networkNumberQuality": "configured"}
    port = ServedNetworkPort(
        str(address),
        objectIdentifier=("network-port", port_instance),
        objectName=f"NetworkPort-{port_instance}",
        apduLength=apdu_length,
        **kwargs,
    )
    if foreign:
        port.bacnetIPMode = IPMode.foreign
        port.fdBBMDAddress = HostNPort(_with_port(foreign))
        port.fdSubscriptionLifetime = ttl
    elif bbmd:
        port.bacnetIPMode = IPMode.bbmd
        port.bbmdAcceptFDRegistrations = True
        port.bbmdForeignDeviceTable = []
        port.bbmdBroadcastDistributionTable = [BDTEntry(f"{address.ip}:{address.port}")]
    return port


def _with_port(text: str) -> str:
    return text if ":" in text else f"{text}:{BACNET_PORT}"


def virtual_port(
    vlan: str, mac: int, *, port_instance: int = 1, network: int | None = None, apdu_length: int = 1476
) -> ServedNetworkPort:
    """A port on an in-process bacpypes3 virtual network (tests, simulator).

    bacpypes3 accepts only one-byte MACs there: 1..254 (255 is broadcast).
    ``apdu_length``: the largest APDU it carries (the device's max APDU).
    """
    if not 1 <= mac <= 254:
        raise InvalidInput(f"virtual-network MAC {mac} is out of range 1..254")
    kwargs = {}
    if network:
        kwargs = {"networkNumber": network, "networkNumberQuality": "configured"}
    return ServedNetworkPort(
        objectIdentifier=("network-port", port_instance),
        objectName=f"NetworkPort-{port_instance}",
        networkType="virtual",
        protocolLevel="bacnet-application",
        macAddress=mac.to_bytes(1, "big"),
        networkInterfaceName=vlan,
        apduLength=apdu_length,
        **kwargs,
    )


def ensure_virtual_network(name: str):
    """The in-process virtual network called ``name``, created if needed."""
    from bacpypes3.vlan import VirtualNetwork

    existing = VirtualNetwork._networks.get(name)
    return existing if existing is not None else VirtualNetwork(name)  # an empty network is falsy


def drop_virtual_network(name: str) -> None:
    from bacpypes3.vlan import VirtualNetwork

    VirtualNetwork._networks.pop(name, None)


def build_application(app_class: type[Application], objects: list) -> Application:
    """Create the application, hardened; must run inside the event loop (bacpypes3 needs it).

    Its device then reports live active-cov-subscriptions and a database-revision
    that follows the object database (``active_cov.py``, ``database.py``).
    """
    asyncio.get_running_loop()
    install_speedups()
    app = harden(app_class.from_object_list(objects))
    report_active_cov_subscriptions(app)
    track_database_revision(app)
    enable_read_range(app)  # ReadRange answered and claimed only where trend logs are served
    enable_event_services(app)  # alarm services answered and claimed only where events are reported
    return app


async def wait_until_bound(app: Application, timeout: float = 5.0) -> None:
    """Wait for the UDP sockets: bacpypes3 creates them in background tasks."""
    for link_layer in list(getattr(app, "link_layers", {}).values()):
        ready = getattr(getattr(link_layer, "server", None), "_local_transport_ready", None)
        if ready is not None:
            await asyncio.wait_for(ready.wait(), timeout)


async def wait_until_registered(app: Application, bbmd: str, timeout: float) -> None:
    """Wait for the BBMD to accept our foreign-device registration.

    Until it does, a Who-Is goes nowhere: a technician would see an empty
    site with no hint why. Refuse instead, naming the BBMD.
    """
    for link_layer in list(getattr(app, "link_layers", {}).values()):
        event = getattr(link_layer, "_registration_event", None)
        if event is None:
            continue
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except (asyncio.TimeoutError, TimeoutError):
            status = getattr(link_layer, "bbmdRegistrationStatus", -1)
            why = "no answer" if status in (-1, -2) else f"refused with result code {status}"
            raise LocalNetworkError(
                f"BBMD {bbmd} did not accept our foreign-device registration ({why} within {timeout:g} s); "
                "check the BBMD address and that it accepts foreign devices"
            ) from None


async def close_application(app: Application) -> None:
    """Close for real: sockets, timers and virtual-network membership.

    bacpypes3's ``close()`` alone leaves sockets alive if the endpoint tasks
    have not finished (see notes), a BBMD's table clock ticking, a foreign
    device's re-registration timer, and a virtual-network node that other
    apps still see.
    """
    for link_layer in list(getattr(app, "link_layers", {}).values()):
        server = getattr(link_layer, "server", None)
        tasks = list(getattr(server, "_transport_tasks", None) or [])
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=1.0)
            for task in pending:  # a bind retrying forever (address not on this host)
                task.cancel()
        handle = getattr(link_layer, "_fdt_clock_handle", None)  # a BBMD's 1 s table clock
        if handle is not None:
            handle.cancel()
        if hasattr(link_layer, "unregister"):  # a foreign device's re-registration
            try:
                link_layer.unregister()
            except Exception:
                pass
        node = getattr(link_layer, "node", None)
        if node is not None and getattr(node, "lan", None) is not None:
            node.lan.remove_node(node)
    app.close()
    # Transports close their sockets on the next loop iterations.
    for _ in range(3):
        await asyncio.sleep(0)
