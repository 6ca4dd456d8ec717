"""The runner's releases: one at a time per point, verified, and retried until settled.

A release that fails (the device did not answer, our own loop was blocked,
the device refused) is never forgotten: the override stays in the ledger
marked *release pending*, and a background task tries again with backoff
(1 s, 2 s, 4 s ... up to a minute) until the slot is verified empty or
someone else's, for as long as the host runs. The runner pane, ``aso run``'s
log and the quit prompt show what is pending; on exit the host keeps trying
for a grace period and then says exactly what is still held.

Every write and every release of the same point go through one lock, so a
release can never interleave with an ASO writing that point again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from ..bacnet import BacnetClient
from .capture import script_logger
from .events import AsoEvent, EventBus
from .ledger import Key, Ledger, Override
from .release import ReleaseResult, release_override

log = logging.getLogger("aso.runtime")

FIRST_RETRY = 1.0  # s after a failed release
MAX_RETRY = 60.0  # s between retries at most


class Releaser:
    """Releases the ledger's overrides and keeps retrying those that failed."""

    def __init__(self, client: BacnetClient, ledger: Ledger, events: EventBus) -> None:
        self.client = client
        self.ledger = ledger
        self.events = events
        self._locks: dict[Key, asyncio.Lock] = {}
        self._attempts: dict[Key, int] = {}
        self._due: dict[Key, float] = {}
        self._woken = False
        self._task: asyncio.Task | None = None

    def lock(self, key: Key) -> asyncio.Lock:
        """The lock every write and release of this point holds."""
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    # ----- releasing -------------------------------------------------------------

    async def release(self, override: Override, why: str = "") -> ReleaseResult:
        """Release one override now (verified); on failure it stays held and is retried."""
        async with self.lock(override.key):
            current = next((o for o in self.ledger.held(override.aso) if o.key == override.key), None)
            if current is None:  # released meanwhile (by the script, or a retry)
                return ReleaseResult(override, "already-released", "no longer held")
            result = await release_override(self.client, current)
            if result.ok:
                self.ledger.record_release(*current.key, how=result.outcome)
                self._attempts.pop(current.key, None)
                self._due.pop(current.key, None)
            else:
                self._schedule_retry(current, result.detail)
        self._report(result, why)
        return result

    async def release_all(self, aso: str | None, why: str = "") -> list[ReleaseResult]:
        """Release every override one ASO (or every ASO) holds, all devices in parallel."""
        return list(await asyncio.gather(*(self.release(o, why) for o in self.ledger.held(aso))))

    def _schedule_retry(self, override: Override, reason: str) -> None:
        attempts = self._attempts.get(override.key, 0) + 1
        self._attempts[override.key] = attempts
        delay = min(MAX_RETRY, FIRST_RETRY * 2 ** (attempts - 1))
        self._due[override.key] = time.monotonic() + delay
        self.ledger.mark_pending(override, f"{reason} (attempt {attempts}; next in {delay:.0f} s)")
        self._woken = True

    def _report(self, result: ReleaseResult, why: str) -> None:
        o = result.override
        if result.ok:
            level, text = logging.INFO, str(result)
        else:
            level, text = logging.ERROR, f"release pending: {result}"
        message = f"release ({why}): {text}" if why else f"release: {text}"
        script_logger(o.aso).log(level, message)
        self.events.publish(AsoEvent("release", o.aso, text, level=level,
                                     data={"outcome": result.outcome, "device": o.device,
                                           "object_id": o.object_id, "priority": o.priority}))

    # ----- retrying ----------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._retry_forever(), name="release-retry")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _retry_forever(self) -> None:
        while True:
            await self.retry_due()
            self._woken = False
            wake_at = min(self._due.values(), default=time.monotonic() + MAX_RETRY)
            # Short sleeps rather than an Event: a new failure (which sets _woken) is seen within 0.25 s.
            while not self._woken and time.monotonic() < wake_at:
                await asyncio.sleep(min(0.25, max(0.01, wake_at - time.monotonic())))

    async def retry_due(self, now: Callable[[], float] = time.monotonic) -> None:
        """Try again every pending release whose time has come."""
        due = [o for o in self.ledger.pending() if self._due.get(o.key, 0.0) <= now()]
        if due:
            await asyncio.gather(*(self.release(o, "retry") for o in due))

    async def drain(self, grace: float) -> list[Override]:
        """Keep retrying pending releases for up to ``grace`` seconds; returns what is still held."""
        deadline = time.monotonic() + grace
        while self.ledger.pending() and time.monotonic() < deadline:
            next_due = min(self._due.get(o.key, 0.0) for o in self.ledger.pending())
            wait = min(next_due, deadline) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            # At the end of the grace period try once more whatever the backoff says.
            await self.retry_due(now=lambda: float("inf") if time.monotonic() >= deadline else time.monotonic())
        return self.ledger.held()
