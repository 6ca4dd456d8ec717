"""Open a ready-to-use client: local device, ports, the application, the client.

This is the one place that decides how our own BACnet device appears on the
network; the CLI, ASO host, console and tests all come through here. It sits
above the client and discovery, and hands the client its Who-Is lookup of
devices by instance (so the client never imports discovery).
"""

from __future__ import annotations

import socket
from dataclasses import replace

from .application import AsoApplication
from .client import DEFAULT_PER_DEVICE_LIMIT, DEFAULT_TIMEOUT, BacnetClient
from .discovery import find_device
from .local import (
    LocalDevice,
    UdpAddress,
    build_application,
    check_can_bind,
    close_application,
    device_object,
    ensure_virtual_network,
    parse_local_address,
    udp_port,
    virtual_port,
    wait_until_bound,
    wait_until_registered,
)


def default_address() -> str:
    """The host's primary IPv4 address as ``IP/24`` (what real users get by default).

    Connecting a UDP socket only asks the kernel for a route; nothing is sent.
    Tests never come here: they always pass a loopback address or a vlan.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.connect(("10.255.255.254", 47808))
        ip = sock.getsockname()[0]
    except OSError:
        ip = "127.0.0.1"
    finally:
        sock.close()
    return f"{ip}/{8 if ip.startswith('127.') else 24}"


async def open_client(
    *,
    address: str | None = None,
    vlan: str | None = None,
    mac: int = 1,
    device: LocalDevice | None = None,
    instance: int | None = None,
    name: str | None = None,
    description: str | None = None,
    foreign: str | None = None,
    ttl: int = 300,
    timeout: float = DEFAULT_TIMEOUT,
    per_device_limit: int = DEFAULT_PER_DEVICE_LIMIT,
    extra_objects: tuple = (),
) -> BacnetClient:
    """Start our BACnet application and return a client over it.

    ``address``: ``IP[/MASK][:PORT]`` or an interface name (UDP); ``vlan``:
    the name of an in-process virtual network (tests, the embedded
    simulator) with ``mac`` our station address on it. ``instance``, ``name``
    and ``description`` override those of ``device`` (whose description
    defaults to a client's: a host serving the kill switch says so, see
    ``identity.HOST_DESCRIPTION``). ``foreign`` registers
    with a BBMD (``IP[:PORT]``) and renews before ``ttl`` expires. Raises
    :class:`LocalNetworkError` when the port is busy or the address is not
    on this host.
    """
    device = device or LocalDevice()
    if instance is not None:
        device = replace(device, instance=instance)
    if name is not None:
        device = replace(device, name=name)
    if description is not None:
        device = replace(device, description=description)
    # The stack's own retry timer ends a little before our per-call bound.
    device = replace(device, apdu_timeout_ms=max(200, int(timeout * 500)), apdu_retries=1)
    local: UdpAddress | None = None
    if vlan is not None:
        ensure_virtual_network(vlan)
        port = virtual_port(vlan, mac, apdu_length=device.max_apdu)
        label = f"vlan {vlan} mac {mac}"
    else:
        # Only None means "the primary interface": an empty address is refused, not defaulted.
        local = parse_local_address(default_address() if address is None else address)
        check_can_bind(local)
        port = udp_port(local, foreign=foreign, ttl=ttl, apdu_length=device.max_apdu)
        label = str(local)
    app = build_application(AsoApplication, [device_object(device), port, *extra_objects])
    await wait_until_bound(app)
    if foreign and vlan is None:
        try:
            await wait_until_registered(app, foreign, max(timeout, 1.0))
        except BaseException:
            await close_application(app)
            raise
    own_address = f"0x{mac:02x}" if vlan is not None else f"{local.ip}:{local.port}"
    client = BacnetClient(app, timeout=timeout, per_device_limit=per_device_limit, local_address=label,
                          udp_address=local, find_device=find_device, own_address=own_address)
    client.on_close(lambda: close_application(app))
    return client
