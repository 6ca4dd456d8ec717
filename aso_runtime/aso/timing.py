"""Catch a script that blocks the event loop (``time.sleep``, heavy maths).

Every ASO shares one loop with the BACnet stack (and the console); a step
that blocks for a second freezes everything. We drive each hook's coroutine
ourselves and time every synchronous slice between two awaits, so the
warning names the ASO and hook that did it, not just "the loop was slow".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any


class _Timed:
    def __init__(self, coro: Coroutine, on_slow: Callable[[float], None], threshold: float) -> None:
        self.coro = coro
        self.on_slow = on_slow
        self.threshold = threshold

    def __await__(self):
        send_value: Any = None
        error: BaseException | None = None
        while True:
            started = time.perf_counter()
            try:
                if error is not None:
                    yielded = self.coro.throw(error)
                else:
                    yielded = self.coro.send(send_value)
            except StopIteration as stop:
                self._check(started)
                return stop.value
            except BaseException:
                self._check(started)
                raise
            self._check(started)
            try:
                send_value = yield yielded
                error = None
            except BaseException as exc:  # cancellation and errors go to the script
                send_value = None
                error = exc

    def _check(self, started: float) -> None:
        elapsed = time.perf_counter() - started
        if elapsed > self.threshold:
            self.on_slow(elapsed)


async def timed(coro: Coroutine, on_slow: Callable[[float], None], threshold: float) -> Any:
    """Await ``coro``, calling ``on_slow(seconds)`` for each slice longer than ``threshold``."""
    return await _Timed(coro, on_slow, threshold)
