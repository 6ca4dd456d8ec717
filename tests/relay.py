"""A UDP relay on loopback that drops, delays and duplicates chosen datagrams.

Put between an ASO host and a device, it is the lossy, late, repetitive
network of a real site, under the test's control::

    relay = await UdpRelay.start(listen_port=47310, upstream=("127.0.0.1", 47311))
    relay.rule = lambda direction, datagram: "drop" if is_write(datagram) else "pass"

The host addresses the device as ``127.0.0.1:<listen_port>``; the relay
forwards each datagram upstream from its own socket and sends the answers
back to whoever asked. ``rule(direction, datagram)`` returns ``"pass"``,
``"drop"``, ``"duplicate"`` or ``("delay", seconds)``; ``direction`` is
``"up"`` (towards the device) or ``"down"``. ``vanish()`` drops everything
(the device is gone) until ``come_back()``.

Network safety: both sockets bind 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

Rule = Callable[[str, bytes], Any]


class _Side(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, tuple], None]) -> None:
        self.on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.on_datagram(data, addr)


class UdpRelay:
    """See the module docstring. Close with :meth:`close`."""

    def __init__(self) -> None:
        self.rule: Rule = lambda direction, datagram: "pass"
        self.counts = {"passed": 0, "dropped": 0, "delayed": 0, "duplicated": 0}
        self._front: asyncio.DatagramTransport | None = None
        self._back: asyncio.DatagramTransport | None = None
        self._upstream: tuple[str, int] = ("127.0.0.1", 0)
        self._client: tuple | None = None
        self._gone = False
        self._timers: set[asyncio.TimerHandle] = set()
        self.held_back = 0  # delayed datagrams not sent on yet

    @classmethod
    async def start(cls, listen_port: int, upstream: tuple[str, int]) -> "UdpRelay":
        if upstream[0] != "127.0.0.1":
            raise ValueError("the relay forwards on loopback only")
        relay = cls()
        relay._upstream = upstream
        loop = asyncio.get_running_loop()
        relay._front, _ = await loop.create_datagram_endpoint(
            lambda: _Side(relay._from_client), local_addr=("127.0.0.1", listen_port))
        relay._back, _ = await loop.create_datagram_endpoint(
            lambda: _Side(relay._from_device), local_addr=("127.0.0.1", 0))
        return relay

    @property
    def address(self) -> str:
        host, port = self._front.get_extra_info("sockname")[:2]
        return f"{host}:{port}"

    def vanish(self) -> None:
        """The device is gone: every datagram either way is dropped."""
        self._gone = True

    def come_back(self) -> None:
        self._gone = False

    def _from_client(self, data: bytes, addr: tuple) -> None:
        self._client = addr
        self._apply("up", data, lambda d: self._back.sendto(d, self._upstream))

    def _from_device(self, data: bytes, addr: tuple) -> None:
        if self._client is not None:
            client = self._client
            self._apply("down", data, lambda d: self._front.sendto(d, client))

    def _apply(self, direction: str, data: bytes, send: Callable[[bytes], None]) -> None:
        action = "drop" if self._gone else self.rule(direction, data)
        if action == "drop":
            self.counts["dropped"] += 1
        elif action == "duplicate":
            self.counts["duplicated"] += 1
            send(data)
            send(data)
        elif isinstance(action, tuple) and action[0] == "delay":
            self.counts["delayed"] += 1
            self.held_back += 1
            handle = asyncio.get_running_loop().call_later(action[1], lambda: self._send_later(send, data))
            self._timers.add(handle)
        else:
            self.counts["passed"] += 1
            send(data)

    def _send_later(self, send: Callable[[bytes], None], data: bytes) -> None:
        self.held_back -= 1
        if self._front is not None and not self._front.is_closing():
            send(data)

    def close(self) -> None:
        for handle in self._timers:
            handle.cancel()
        for transport in (self._front, self._back):
            if transport is not None:
                transport.close()
        self._front = self._back = None
