"""Wait for a condition with a deadline: the tests' one way to wait (never a fixed sleep)."""

from __future__ import annotations

import asyncio
import time


async def until(predicate, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):
    """Poll a sync or async predicate until it is true; returns its value.

    A correctness wait, not a timing assertion: the timeout only bounds how
    long a broken build takes to fail.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:g} s")
        await asyncio.sleep(interval)
