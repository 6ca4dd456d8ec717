"""What the runner tells its watchers: state changes, log lines, steps, overrides.

The console subscribes (``async for event in runner.events.subscribe()``) or
registers a callback; neither can slow the runner: queues are bounded and a
slow subscriber loses its oldest events rather than blocking an ASO.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("aso.runtime")


@dataclass(frozen=True)
class AsoEvent:
    """One thing that happened to one ASO (``aso`` is '' for host-wide events)."""

    kind: str  # 'state', 'log', 'step', 'override', 'release', 'warning'
    aso: str
    message: str = ""
    state: str | None = None
    level: int = logging.INFO
    time: float = field(default_factory=time.time)
    data: dict[str, Any] = field(default_factory=dict)


class EventBus:
    def __init__(self, queue_size: int = 5000) -> None:
        self._callbacks: list[Callable[[AsoEvent], None]] = []
        self._queues: list[asyncio.Queue] = []
        self._queue_size = queue_size

    def publish(self, event: AsoEvent) -> None:
        for callback in list(self._callbacks):
            try:
                callback(event)
            except Exception:  # a watcher's bug must not stop an ASO
                log.exception("event callback failed")
        for queue in list(self._queues):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    def on_event(self, callback: Callable[[AsoEvent], None]) -> Callable[[], None]:
        """Register a callback; returns a function that unregisters it."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    async def subscribe(self) -> AsyncIterator[AsoEvent]:
        queue: asyncio.Queue = asyncio.Queue(self._queue_size)
        self._queues.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.remove(queue)
