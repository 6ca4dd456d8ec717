"""How long our own event loop was blocked: so a stall is never blamed on a device.

Every ASO, the BACnet stack and the console share one loop. When something
blocks it (a script calling ``time.sleep(5)``, a burst of CPU), the answers
to our requests sit unread in the socket while the timeout timers fire: a
healthy device looks dead and a well-behaved ASO faults. A small ticker
measures how late it wakes; the client asks again when a request's deadline
fell inside such a stall (see ``BacnetClient._call``). A finer, short-lived
ticker (:class:`LatenessProbe`) keeps our own busy moments out of the pace
of a search's answers (``discovery._quiet_stream``).
"""

from __future__ import annotations

import asyncio
import collections
import time

TICK = 0.05  # s between ticks
SLACK = 0.1  # s of lateness that is ordinary scheduling, not a stall


class LoopStallClock:
    """Records the stalls of the running loop. Start with :meth:`start`, stop with :meth:`stop`."""

    def __init__(self) -> None:
        self._stalls: collections.deque[tuple[float, float]] = collections.deque(maxlen=256)  # (end, seconds)
        self._last_tick = time.monotonic()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None:
            self._last_tick = time.monotonic()
            self._task = asyncio.get_running_loop().create_task(self._tick(), name="loop-stall-clock")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _tick(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(TICK)
            now = time.monotonic()
            late = now - before - TICK
            if late > SLACK:
                self._stalls.append((now, late))
            self._last_tick = now

    def stalled_since(self, since: float) -> float:
        """Seconds the loop was blocked between ``since`` (monotonic) and now.

        Includes a stall still going on: when a timeout fires right as the
        loop wakes up, the ticker has not run yet to record it.
        """
        now = time.monotonic()
        total = 0.0
        for end, seconds in self._stalls:
            if end > since:
                total += min(seconds, end - since)
        ongoing = now - self._last_tick - TICK
        if self._task is not None and ongoing > SLACK:
            total += min(ongoing, now - since)
        return total


FINE_TICK = 0.005  # s between ticks of a LatenessProbe


class LatenessProbe:
    """How late the loop runs a fine ticker: how long an answer may have sat unread because of us.

    A datagram that arrives while the loop is busy (decoding, our own reads)
    waits in the socket until the loop polls again, and a timer due
    meanwhile runs just as late. Ticking every few ms while a search listens
    (a Who-Is: a fraction of a second), the largest lateness since an instant
    bounds how long an answer waited on us: the stall to leave out of the
    network's pace. Start with :meth:`start` inside the loop, stop with :meth:`stop`.
    """

    def __init__(self, tick: float = FINE_TICK) -> None:
        self._tick_every = tick
        self._late: collections.deque[tuple[float, float]] = collections.deque(maxlen=1024)  # (when, seconds)
        self._due = 0.0
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        if self._handle is None:
            self._schedule(time.monotonic())

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _schedule(self, now: float) -> None:
        loop = asyncio.get_running_loop()
        self._due = now + self._tick_every
        self._handle = loop.call_later(self._tick_every, self._tick)

    def _tick(self) -> None:
        now = time.monotonic()
        late = now - self._due
        if late > 0.001:
            self._late.append((now, late))
        self._schedule(now)

    def late_since(self, since: float) -> float:
        """The longest the loop ran late between ``since`` (monotonic) and now, seconds.

        Includes the lateness still going on (the ticker is due but the loop
        has not got round to it yet), capped at the time since ``since``.
        """
        now = time.monotonic()
        worst = max((late for when, late in self._late if when > since), default=0.0)
        if self._handle is not None:
            worst = max(worst, now - self._due)
        return min(max(worst, 0.0), now - since)
