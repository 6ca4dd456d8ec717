"""Catch a script that blocks the event loop (``time.sleep``, heavy maths).

Every ASO shares one loop with the BACnet stack (and the console); a step
that blocks for a second freezes everything. We drive each hook's coroutine
ourselves and time every synchronous slice between two awaits, so the
warning names the ASO and hook that did it, not just "the loop was slow".
When ``on_slow`` answers True the script is stopped right there: its
coroutine is closed and :class:`LoopBlocked` raised in its place, before it
can block its neighbours again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any


class LoopBlocked(Exception):
    """The script blocked the event loop past the host's limit and was stopped."""


class _Timed:
    def __init__(self, coro: Coroutine, on_slow: Callable[[float], bool | None], threshold: float) -> None:
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
            self._check(started, stop_it=True)
            try:
                send_value = yield yielded
                error = None
            except BaseException as exc:  # cancellation and errors go to the script
                send_value = None
                error = exc

    def _check(self, started: float, stop_it: bool = False) -> None:
        elapsed = time.perf_counter() - started
        if elapsed > self.threshold and self.on_slow(elapsed) and stop_it:
            self.coro.close()  # its finally blocks run; it gets no further turn
            raise LoopBlocked(f"blocked the event loop for {elapsed:.1f} s")


async def timed(coro: Coroutine, on_slow: Callable[[float], bool | None], threshold: float) -> Any:
    """Await ``coro``, calling ``on_slow(seconds)`` for each slice longer than ``threshold``.

    If ``on_slow`` returns True the coroutine is closed and :class:`LoopBlocked` raised.
    """
    return await _Timed(coro, on_slow, threshold)
