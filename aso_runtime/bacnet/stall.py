"""How long our own event loop was blocked: so a stall is never blamed on a device.

Every ASO, the BACnet stack and the console share one loop. When something
blocks it (a script calling ``time.sleep(5)``, a burst of CPU), the answers
to our requests sit unread in the socket while the timeout timers fire: a
healthy device looks dead and a well-behaved ASO faults. A small ticker
measures how late it wakes; the client asks again when a request's deadline
fell inside such a stall (see ``BacnetClient._call``).
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
