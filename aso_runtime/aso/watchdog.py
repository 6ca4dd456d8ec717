"""systemd's notify protocol and watchdog, fed from the event loop.

Under ``Type=notify`` with ``WatchdogSec=``, systemd restarts a service that
stops sending ``WATCHDOG=1`` in time. We send it from a task on the same
loop as every ASO and the BACnet stack, and only while the runner is
healthy, so a frozen loop or a wedged ASO lifecycle gets the host replaced
(and the new host releases what the journal lists). The protocol is one
datagram per message to the unix socket in ``$NOTIFY_SOCKET``: no
dependency needed. Without ``$NOTIFY_SOCKET`` (not under systemd) every
call is a no-op.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable

log = logging.getLogger("aso.runtime")


class SystemdNotifier:
    """Sends READY/STATUS/STOPPING/WATCHDOG to systemd when it asked for them."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.address = env.get("NOTIFY_SOCKET") or None
        if self.address and self.address.startswith("@"):
            self.address = "\0" + self.address[1:]  # an abstract socket
        self.interval: float | None = None
        usec, pid = env.get("WATCHDOG_USEC"), env.get("WATCHDOG_PID")
        if usec and usec.isascii() and usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            self.interval = int(usec) / 1e6 / 2  # ping twice per period, as sd_watchdog_enabled advises
        self._task: asyncio.Task | None = None
        self._warned = False

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, message: str) -> None:
        if not self.address:
            return
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.connect(self.address)
            sock.sendall(message.encode())
        except OSError as exc:
            if not self._warned:
                log.warning("cannot notify systemd at %s: %s", os.environ.get("NOTIFY_SOCKET"), exc)
                self._warned = True
        finally:
            sock.close()

    def ready(self, status: str) -> None:
        self.send(f"READY=1\nSTATUS={status}")

    def status(self, status: str) -> None:
        self.send(f"STATUS={status}")

    def stopping(self, status: str) -> None:
        self.send(f"STOPPING=1\nSTATUS={status}")

    def start_watchdog(self, healthy: Callable[[], str | None]) -> None:
        """Ping every half period while ``healthy()`` returns None (else the reason it is not)."""
        if self.interval is None or self._task is not None:
            return
        self._task = asyncio.create_task(self._feed(healthy), name="systemd-watchdog")

    async def _feed(self, healthy: Callable[[], str | None]) -> None:
        reported = None
        while True:
            problem = healthy()
            if problem is None:
                self.send("WATCHDOG=1")
            elif problem != reported:
                log.error("not feeding the systemd watchdog: %s", problem)
            reported = problem
            await asyncio.sleep(self.interval or 1.0)

    def stop_watchdog(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
