"""Every application we build, hardened against hostile traffic.

:func:`harden` (``build_application`` calls it) applies to any bacpypes3
Application: host, console, simulator devices and router, test peers.

- bacpypes3 logs every malformed datagram as an ERROR with a full traceback
  (2 MB of log from 6,300 packets): what bacpypes3 logs while handling a
  datagram is cut to one line per source host per minute, with a count of
  what was left out, and no traceback (that goes to DEBUG on
  ``aso.bacnet.packets``).
- bacpypes3 keeps a transaction per confirmed request in a list it scans for
  every packet, and a segmented request's transaction waits a segment
  timeout for segments a flood never sends: 5,000 such requests a second
  starved the loop. Server transactions are bounded (see
  :class:`BoundedServiceAccessPoint`).
"""

from __future__ import annotations

import contextvars
import logging
import time
from typing import Callable

from bacpypes3.apdu import AbortPDU, AbortReason, ErrorRejectAbortNack
from bacpypes3.app import Application
from bacpypes3.appservice import ABORTED, SEGMENTED_REQUEST, ApplicationServiceAccessPoint

packet_log = logging.getLogger("aso.bacnet.packets")

# Limits on server transactions (see BoundedServiceAccessPoint).
MAX_REASSEMBLIES_PER_SOURCE = 4  # segmented requests being received from one peer
MAX_REASSEMBLIES = 32  # ...from everyone
MAX_SERVER_TRANSACTIONS = 256  # in any state: bounds bacpypes3's linear scan
_ADMIT, _DROP = object(), object()


class BoundedServiceAccessPoint(ApplicationServiceAccessPoint):
    """bacpypes3's application service access point with bounded server transactions.

    Beyond the limits above a new segmented request is refused with
    Abort(out-of-resources), as a real device would, before bacpypes3 makes
    a transaction for it; a new request of any kind is dropped when
    MAX_SERVER_TRANSACTIONS are open. A segmented request longer than we
    announce we accept (max-segments-accepted x max-apdu) is aborted with
    buffer-overflow instead of growing without end.
    """

    async def confirmation(self, pdu) -> None:  # noqa: ANN001 (bacpypes3 signature)
        data = pdu.pduData
        # Only confirmed requests make server transactions: type 0 in the top nibble.
        if len(data) >= 3 and data[0] >> 4 == 0:
            verdict = self._verdict(pdu.pduSource, data)
            if verdict is not _ADMIT:
                if verdict is not _DROP:
                    abort = AbortPDU(True, data[2], verdict)
                    abort.pduDestination = pdu.pduSource
                    await self.request(abort)
                return
        await super().confirmation(pdu)

    def _verdict(self, source, data: bytes):  # noqa: ANN001, ANN202
        """_ADMIT, _DROP, or the reason to abort with."""
        invoke_id, segmented = data[2], bool(data[0] & 0x08)
        mine = everyone = 0
        for transaction in self.serverTransactions:
            if transaction.pdu_address == source:
                if transaction.invokeID == invoke_id:  # more of a request we are already handling
                    return self._too_long(transaction, data) if segmented else _ADMIT
                mine += transaction.state == SEGMENTED_REQUEST
            everyone += transaction.state == SEGMENTED_REQUEST
        if len(self.serverTransactions) >= MAX_SERVER_TRANSACTIONS:
            return _DROP
        if segmented and (mine >= MAX_REASSEMBLIES_PER_SOURCE or everyone >= MAX_REASSEMBLIES):
            return AbortReason.outOfResources
        return _ADMIT

    def _too_long(self, transaction, data: bytes):  # noqa: ANN001, ANN202
        received = transaction.segmentAPDU
        if transaction.state != SEGMENTED_REQUEST or received is None:
            return _ADMIT
        # What we announce we accept (the transaction's own fields hold the peer's limits).
        device = self.device_object
        limit = int(getattr(device, "maxSegmentsAccepted", None) or 16) * int(
            getattr(device, "maxApduLengthAccepted", None) or 1476)
        if len(received.pduData) + len(data) <= limit:
            return _ADMIT
        transaction.set_state(ABORTED)  # stops its timer; bacpypes3 forgets it
        return AbortReason.bufferOverflow


class BadPacketLimiter:
    """One log line per source host per ``interval`` s, no traceback, a count of the rest.

    One per application. The table of sources is bounded: beyond
    ``max_sources`` hosts (spoofed sources) they share one line.
    ``clock`` is for tests.
    """

    def __init__(self, interval: float = 60.0, max_sources: int = 1024, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.max_sources = max_sources
        self.clock = clock
        self._windows: dict[str, list] = {}  # host -> [start of its window, lines left out]

    def admit(self, record: logging.LogRecord, source: str) -> bool:
        """Rewrite ``record`` as one line about ``source`` and return True, or False to drop it."""
        now = self.clock()
        host = self._key(source.rpartition(":")[0] or source, now)
        window = self._windows.get(host)
        if window is not None and now - window[0] < self.interval:
            window[1] += 1
            return False
        left_out = window[1] if window is not None else 0
        self._windows[host] = [now, 0]
        if record.exc_info and packet_log.isEnabledFor(logging.DEBUG):
            packet_log.debug("bad packet from %s", source, exc_info=record.exc_info)
        note = f" ({left_out} more from {host} not logged in the last {self.interval:g} s)" if left_out else ""
        record.msg, record.args = "bad packet from %s: %s%s", (source, record.getMessage(), note)
        record.exc_info = record.exc_text = record.stack_info = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True

    def _key(self, host: str, now: float) -> str:
        if host in self._windows or len(self._windows) < self.max_sources:
            return host
        for old in [h for h, (start, _) in self._windows.items() if now - start >= self.interval]:
            del self._windows[old]
        return host if len(self._windows) < self.max_sources else "other sources"


# The datagram being handled, as (its application's limiter, source): every datagram
# is handled in its own task, so this follows it through the whole stack.
_datagram: contextvars.ContextVar[tuple[BadPacketLimiter, str] | None] = contextvars.ContextVar(
    "aso_bacnet_datagram", default=None)


class _BadPacketFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        datagram = _datagram.get()
        if datagram is None or record.levelno < logging.WARNING:
            return True
        limiter, source = datagram
        return limiter.admit(record, source)


_BAD_PACKET_FILTER = _BadPacketFilter("aso-bad-packets")


def _install_bad_packet_filter() -> None:
    # Filters are not inherited by child loggers: each of bacpypes3's gets it.
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        ours = name == packet_log.name or name.startswith("bacpypes3")
        if ours and isinstance(logger, logging.Logger) and _BAD_PACKET_FILTER not in logger.filters:
            logger.addFilter(_BAD_PACKET_FILTER)


def _note_datagrams(server, limiter: BadPacketLimiter) -> None:  # noqa: ANN001
    """Tag each datagram's handling with its source and our limiter."""
    if getattr(server, "_aso_limiter", None) is not None:
        return
    handle = server.confirmation

    async def confirmation(pdu) -> None:  # noqa: ANN001
        _datagram.set((limiter, str(pdu.pduSource)))
        try:
            await handle(pdu)
        except (Exception, ErrorRejectAbortNack) as exc:
            # bacpypes3's error PDUs are BaseExceptions its handler lets escape; asyncio
            # would log each as "Task exception was never retrieved" with a traceback.
            packet_log.warning("not handled: %r", exc, exc_info=exc)

    server.confirmation = confirmation
    server._aso_limiter = limiter


def harden(app: Application, limiter: BadPacketLimiter | None = None) -> Application:
    """Bound server transactions and bad-packet logging of ``app`` (any bacpypes3 Application)."""
    if type(app.asap) is ApplicationServiceAccessPoint:
        # The stack is already bound together and the subclass adds no state: swapping
        # the class is the least intrusive way in (from_object_list hard-codes it).
        app.asap.__class__ = BoundedServiceAccessPoint
    limiter = limiter or BadPacketLimiter()
    for link_layer in list(getattr(app, "link_layers", {}).values()):
        server = getattr(link_layer, "server", None)  # the UDP socket's; virtual networks have none
        if server is not None and hasattr(server, "confirmation"):
            _note_datagrams(server, limiter)
    _install_bad_packet_filter()
    return app
