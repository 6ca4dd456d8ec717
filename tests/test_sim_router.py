"""The simulator's router answers as a BACnet router does (issue 12, clause 6 of the standard).

The simulator serves on 127.0.0.1 through its router/BBMD (network 1 on UDP,
network 2 its devices' virtual network). Network-layer messages are made by
hand and heard by raw sockets on loopback: one bound to the router's
broadcast address 127.255.255.255 on its port (bound before the router
starts, with SO_REUSEPORT like the router's own broadcast socket, so it hears
exactly what the router broadcasts on its UDP network), one registered as a
foreign device (what the BBMD forwards of those broadcasts), and one that
only asks. Everything binds 127.0.0.1 / 127.255.255.255 on ports 48650-48699.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from dataclasses import dataclass

import pytest

from aso_runtime.bacnet import BacnetTimeout, open_client, who_is_router_to_network
from aso_runtime.sim import SimulatedBuilding

from . import wire as w
from . import ports

UDP_NETWORK, VLAN_NETWORK = 1, 2
# Network-layer message types (clause 6.2.4)
WHO_IS_ROUTER, I_AM_ROUTER, REJECT_MESSAGE, WHAT_IS_NETWORK_NUMBER, NETWORK_NUMBER_IS = 0x00, 0x01, 0x03, 0x12, 0x13
NO_ROUTE = 1  # Reject-Message-To-Network reason
PORTS = range(48650, 48700)


def free_ports(count: int) -> list[int]:
    """``count`` free loopback ports of this file's range (tests/ports.py)."""
    return ports.free_ports(PORTS, count)


# ----- network-layer messages by hand --------------------------------------------------------


def network_message(message_type: int, body: bytes = b"", *, dnet: int | None = None, dadr: bytes = b"") -> bytes:
    """A network-layer message in a BVLC original-unicast; ``dnet`` routes it (hop count 255)."""
    control, routing = 0x80, b""
    if dnet is not None:
        control |= 0x20
        routing = struct.pack(">HB", dnet, len(dadr)) + dadr + b"\xff"
    npdu = bytes([0x01, control]) + routing + bytes([message_type]) + body
    return struct.pack(">BBH", w.BVLC_TYPE, w.ORIGINAL_UNICAST, 4 + len(npdu)) + npdu


def who_is_router(network: int | None = None) -> bytes:
    return network_message(WHO_IS_ROUTER, b"" if network is None else struct.pack(">H", network))


def routed_read(invoke_id: int, network: int, mac: bytes, *, instance: int = 4194303, snet: int | None = None,
                sadr: bytes = b"") -> bytes:
    """ReadProperty of device ``instance``'s object-name at ``network:mac``, optionally relayed from ``snet:sadr``."""
    apdu = w.confirmed(w.READ_PROPERTY, w.context_object_id(0, w.DEVICE, instance) + w.context_unsigned(1, 77), invoke_id)
    control = 0x04 | 0x20 | (0x08 if snet is not None else 0)
    npci = bytes([0x01, control]) + struct.pack(">HB", network, len(mac)) + mac
    if snet is not None:
        npci += struct.pack(">HB", snet, len(sadr)) + sadr
    npdu = npci + b"\xff" + apdu
    return struct.pack(">BBH", w.BVLC_TYPE, w.ORIGINAL_UNICAST, 4 + len(npdu)) + npdu


@dataclass(frozen=True)
class Heard:
    """A network-layer message as received: how it came (BVLC function), where it is going, what it says."""

    bvlc: int  # 0x0A original-unicast, 0x0B original-broadcast, 0x04 forwarded-NPDU
    message_type: int
    body: bytes
    dnet: int | None = None
    dadr: bytes = b""

    def networks(self) -> list[int]:
        return [struct.unpack(">H", self.body[at:at + 2])[0] for at in range(0, len(self.body), 2)]


def heard(data: bytes) -> Heard | None:
    """Decode a BACnet/IP datagram carrying a network-layer message, else None."""
    if len(data) < 6 or data[0] != w.BVLC_TYPE:
        return None
    function = data[1]
    at = {w.ORIGINAL_UNICAST: 4, w.ORIGINAL_BROADCAST: 4, w.FORWARDED_NPDU: 10}.get(function)
    if at is None or data[at] != 0x01:
        return None
    control = data[at + 1]
    at += 2
    if not control & 0x80:
        return None  # an APDU
    dnet, dadr = None, b""
    if control & 0x20:
        dnet, length = struct.unpack(">HB", data[at:at + 3])
        dadr, at = data[at + 3:at + 3 + length], at + 3 + length
    if control & 0x08:
        at += 3 + data[at + 2]
    if control & 0x20:
        at += 1  # hop count
    return Heard(function, data[at], data[at + 1:], dnet, dadr)


class Ear:
    """A raw socket that collects network-layer messages."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        sock.setblocking(False)
        self.kept: list[Heard] = []

    @classmethod
    def on(cls, host: str, port: int, *, shared: bool = False) -> "Ear":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        return cls(sock)

    def send(self, data: bytes, port: int) -> None:
        self.sock.sendto(data, ("127.0.0.1", port))

    async def hear(self, match, timeout: float = 3.0) -> Heard:
        """The first (kept or new) message for which ``match(message)`` is true."""
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout
        while True:
            for message in self.kept:
                if match(message):
                    self.kept.remove(message)
                    return message
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"nothing matching heard within {timeout:g} s; heard {self.kept}")
            try:
                data = await asyncio.wait_for(loop.sock_recv(self.sock, 2048), left)
            except TimeoutError:
                continue
            message = heard(data)
            if message is not None:
                self.kept.append(message)

    async def raw(self, timeout: float = 3.0) -> bytes:
        return await asyncio.wait_for(asyncio.get_running_loop().sock_recv(self.sock, 2048), timeout)

    def close(self) -> None:
        self.sock.close()


@dataclass
class Site:
    building: SimulatedBuilding
    port: int
    broadcasts: Ear  # 127.255.255.255 on the router's port: the UDP network's broadcasts
    asker: Ear  # a plain station on 127.0.0.1
    foreign: Ear  # a foreign device registered with the router's BBMD


@pytest.fixture
async def site():
    port, asker_port, foreign_port = free_ports(3)
    broadcasts = Ear.on("127.255.255.255", port, shared=True)  # before the router starts: it announces at once
    asker, foreign = Ear.on("127.0.0.1", asker_port), Ear.on("127.0.0.1", foreign_port)
    building = None
    try:
        building = await SimulatedBuilding.start(address=f"127.0.0.1/8:{port}", devices=8, step=0.5)
        foreign.send(struct.pack(">BBHH", w.BVLC_TYPE, 0x05, 6, 60), port)  # Register-Foreign-Device, TTL 60 s
        result = await foreign.raw()
        assert result == struct.pack(">BBHH", w.BVLC_TYPE, 0x00, 6, 0), result.hex()  # BVLC-Result: accepted
        yield Site(building, port, broadcasts, asker, foreign)
    finally:
        for ear in (broadcasts, asker, foreign):
            ear.close()
        if building is not None:
            await building.stop()


def i_am_router(message: Heard) -> bool:
    return message.message_type == I_AM_ROUTER


# ----- start-up ---------------------------------------------------------------------------------


async def test_the_router_announces_its_networks_when_it_starts(site):
    announcement = await site.broadcasts.hear(i_am_router)
    assert announcement.bvlc == w.ORIGINAL_BROADCAST
    assert announcement.networks() == [VLAN_NETWORK]  # what is behind it, seen from UDP network 1


# ----- Who-Is-Router-To-Network -------------------------------------------------------------------


@pytest.mark.parametrize("network", [None, VLAN_NETWORK], ids=["any-network", "network-2"])
async def test_who_is_router_to_network_is_answered_by_broadcast(site, network):
    await site.broadcasts.hear(i_am_router)  # the start-up announcement, out of the way
    site.asker.send(who_is_router(network), site.port)  # asked by unicast, by a station that did not register
    answer = await site.broadcasts.hear(i_am_router)
    assert answer.bvlc == w.ORIGINAL_BROADCAST and answer.networks() == [VLAN_NETWORK]
    # Every foreign device hears it too (the BBMD forwards the router's broadcast).
    forwarded = await site.foreign.hear(i_am_router)
    assert forwarded.bvlc == w.FORWARDED_NPDU and forwarded.networks() == [VLAN_NETWORK]


async def test_a_client_through_the_bbmd_finds_the_router(site):
    client = await open_client(address=f"127.0.0.1/8:{free_ports(1)[0]}", foreign=f"127.0.0.1:{site.port}",
                               timeout=2.0)
    try:
        routers = await who_is_router_to_network(client, VLAN_NETWORK, max_wait=5.0)
        assert [(r.address, r.networks) for r in routers] == [(f"127.0.0.1:{site.port}", [VLAN_NETWORK])]
        # And its devices are reached through it.
        assert await client.read(site.building.device(1001).address, "device,1001", "object-name") == "AHU-1"
    finally:
        await client.close()


# ----- Network-Number-Is ----------------------------------------------------------------------------


async def test_network_number_is_says_configured(site):
    site.asker.send(network_message(WHAT_IS_NETWORK_NUMBER), site.port)
    answer = await site.broadcasts.hear(lambda m: m.message_type == NETWORK_NUMBER_IS)
    net, flag = struct.unpack(">HB", answer.body)
    assert (net, flag) == (UDP_NETWORK, 1)  # 1: configured (0 would be learned; bacpypes3 sent 3)


# ----- an unknown network ---------------------------------------------------------------------------


async def test_a_request_for_an_unknown_network_is_rejected_at_once(site):
    asked = time.monotonic()
    site.asker.send(routed_read(1, 99, b"\x05"), site.port)
    reject = await site.asker.hear(lambda m: m.message_type == REJECT_MESSAGE, timeout=5.0)
    elapsed = time.monotonic() - asked
    reason, dnet = struct.unpack(">BH", reject.body)
    assert (reason, dnet) == (NO_ROUTE, 99)
    assert reject.bvlc == w.ORIGINAL_UNICAST and reject.dnet is None  # straight back to the asker
    # Told well inside a client's APDU timeout (3 s by default), not left to time out.
    assert elapsed < 1.5, elapsed


async def test_a_reject_goes_back_through_the_router_it_came_through(site):
    # As if another router on network 1 relayed the request of station 0x07 on its network 5.
    site.asker.send(routed_read(2, 99, b"\x05", snet=5, sadr=b"\x07"), site.port)
    reject = await site.asker.hear(lambda m: m.message_type == REJECT_MESSAGE, timeout=5.0)
    assert struct.unpack(">BH", reject.body) == (NO_ROUTE, 99)
    assert (reject.dnet, reject.dadr) == (5, b"\x07")


async def test_a_request_for_a_device_behind_the_router_is_still_routed(site):
    mac = bytes([int(site.building.device(1001).address.partition(":")[2], 0)])
    site.asker.send(routed_read(3, VLAN_NETWORK, mac, instance=1001), site.port)
    data = await site.asker.raw()
    assert w.answer(data).kind == "complex-ack", data.hex()


async def test_our_client_names_the_unreachable_network_without_waiting_out_its_timeout(site):
    client = await open_client(address=f"127.0.0.1/8:{free_ports(1)[0]}", foreign=f"127.0.0.1:{site.port}",
                               timeout=5.0)
    try:
        asked = time.monotonic()
        with pytest.raises(BacnetTimeout, match="no route to network 99"):
            await client.read("99:5", "device,4194303", "object-name")
        assert time.monotonic() - asked < 5.0  # its route check ends first, naming the network
    finally:
        await client.close()
