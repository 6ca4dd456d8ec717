"""One loaded ASO and its lifecycle: start, step, disable/enable, stop, release.

All state transitions of an instance happen in its own lifecycle task, so a
stop, a disable and a fault can never interleave half-way. Hooks run as
child tasks: a stop or disable cancels the running hook (a script sleeping
60 s inside ``on_step`` does not hold the building for 60 s), then
``on_stop`` runs exactly once and every override still held is released and
verified.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import Aso
from .capture import current_aso
from .events import AsoEvent
from .release import ReleaseResult
from .timing import LoopBlocked, timed

if TYPE_CHECKING:
    from .runner import AsoRunner

HOOK_TIMEOUT = 30.0  # s an on_stop / on_disable may take before we move on
FAULT_MEMORY = 600.0  # s of running without a fault after which the backoff starts small again
BLOCK_WINDOW = 10.0  # s over which blocking slices add up against the host's block limit


@dataclass
class RestartPolicy:
    """What to do after a fault: restart with backoff, ``retries`` times (None: always).

    A script stopped for blocking the event loop is never restarted by the
    policy: it would block its neighbours again.
    """

    retries: int | None = None
    backoff: float = 2.0  # s before the first retry, doubled each time
    max_backoff: float = 300.0

    def allows(self, faults: int) -> bool:
        return self.retries is None or faults <= self.retries


class _Interrupted(Exception):
    """The hook was cancelled because the ASO must stop or pause."""


class AsoInstance:
    """A loaded ASO: the script object plus what the runner knows about it."""

    def __init__(self, runner: "AsoRunner", aso: Aso, source: str, restart: RestartPolicy) -> None:
        self.runner = runner
        self.aso = aso
        self.source = source
        self.restart = restart
        self.state = "loaded"
        self.state_since = time.monotonic()
        self.steps = 0
        self.last_step_at: float | None = None
        self.last_step_duration: float | None = None
        self.last_error: str | None = None
        self.last_traceback: str | None = None
        self.faults = 0
        self.points = None  # AsoPoints, set by the runner
        self.task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._stop_requested = False
        self._on_stop_done = False
        self._blocked_out: str | None = None  # why the script was stopped for blocking the loop
        self._slow_slices: list[tuple[float, float]] = []  # (when, seconds) of recent blocking slices
        self._started_at = 0.0
        self.last_release: list[ReleaseResult] = []

    @property
    def name(self) -> str:
        return self.aso.name

    @property
    def class_name(self) -> str:
        return type(self.aso).__name__

    @property
    def log(self) -> logging.Logger:
        return self.aso.log

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def held(self):
        return self.runner.ledger.held(self.name)

    def pending(self):
        """Overrides whose release failed and is being retried."""
        return self.runner.ledger.pending(self.name)

    @property
    def faulted_for_good(self) -> bool:
        return self.state == "faulted" and (self._blocked_out is not None or not self.restart.allows(self.faults))

    def should_run(self) -> bool:
        return self.runner.enabled and (self.points is None or self.points.enabled)

    def wake(self) -> None:
        self._wake.set()

    # ----- state -------------------------------------------------------------

    def stuck(self) -> str | None:
        """Why this instance looks wedged (for the watchdog), or None."""
        if self.state in ("starting", "running", "disabled", "stopping") and not self.running:
            return f"ASO {self.name} says {self.state} but its lifecycle has ended"
        stuck_for = time.monotonic() - self.state_since
        if self.state == "stopping" and stuck_for > 4 * HOOK_TIMEOUT:
            return f"ASO {self.name} has been stopping for {stuck_for:.0f} s"
        return None

    def _set_state(self, state: str, message: str = "") -> None:
        self.state = state
        self.state_since = time.monotonic()
        if self.points is not None:
            self.points.show_state(state)
        self.runner.events.publish(AsoEvent("state", self.name, message or state, state=state))
        self.log.info("state: %s%s", state, f" ({message})" if message else "")

    # ----- control -------------------------------------------------------------

    def start(self) -> None:
        if self.running:
            return
        self._stop_requested = False
        self._on_stop_done = False
        self._blocked_out = None
        self._slow_slices = []
        self._started_at = time.monotonic()
        self.task = asyncio.create_task(self._guarded_lifecycle(), name=f"aso:{self.name}")

    async def stop(self) -> list[ReleaseResult]:
        """Stop, run ``on_stop``, release and verify; returns the release results."""
        if not self.running:
            return []
        self._stop_requested = True
        self.wake()
        await asyncio.shield(self.task)
        return self.last_release

    # ----- lifecycle -------------------------------------------------------------

    async def _guarded_lifecycle(self) -> None:
        """The lifecycle, with a last line of defence: it never ends silently.

        Whatever escapes (a bug of ours, a full disk under the logging), the
        instance ends ``faulted`` with its overrides released, never a
        zombie that says "running" and ignores the kill switch.
        """
        try:
            await self._lifecycle()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self.last_error = f"internal error: {type(exc).__name__}: {exc}"
            try:
                await self._release_all("internal error")
            finally:
                self.state = "faulted"
                self.runner.events.publish(AsoEvent("state", self.name, self.last_error, state="faulted",
                                                    level=logging.ERROR))

    async def _lifecycle(self) -> None:
        current_aso.set(self.name)
        self._set_state("starting")
        try:
            await self._hook("on_start", interruptible=True)
            paused = False
            while not self._stop_requested:
                if not self.should_run():
                    if not paused:
                        await self._pause()
                        paused = True
                    await self._sleep(None)
                    continue
                started = time.monotonic()
                try:
                    if paused:
                        paused = False
                        self._set_state("running", "enabled again")
                        await self._hook("on_enable", interruptible=True, pausable=True)
                    elif self.state != "running":
                        self._set_state("running")
                    await self._hook("on_step", interruptible=True, pausable=True)
                except _Interrupted:
                    continue
                self._record_step(started)
                await self._sleep(started + max(0.0, float(self.aso.step_interval)))
        except _Interrupted:
            pass
        except Exception as exc:
            await self._fault(exc)
            return
        await self._finish("stopped")

    def _must_interrupt(self, pausable: bool) -> bool:
        return self._stop_requested or (pausable and not self.should_run())

    async def _hook(self, hook: str, *, interruptible: bool, pausable: bool = False) -> None:
        """Run a hook as a child task; cancel it on stop (or on pause, if ``pausable``)."""
        method = getattr(self.aso, hook)
        threshold = min(self.runner.block_warning, self.runner.block_limit)
        task = asyncio.create_task(timed(method(), lambda seconds: self._blocked(hook, seconds), threshold))
        if not interruptible:
            await asyncio.wait_for(task, HOOK_TIMEOUT)
            return
        while True:
            self._wake.clear()
            if self._must_interrupt(pausable):
                break
            waker = asyncio.create_task(self._wake.wait())
            try:
                done, _ = await asyncio.wait({task, waker}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waker.cancel()
            if task in done:
                task.result()  # re-raise the script's exception
                if self._blocked_out:  # it finished, but blocked the loop on the way
                    raise LoopBlocked(self._blocked_out)
                return
            # A wake that needs no action (e.g. enable while running) loops.
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # the script failed while being cancelled
            self.log.warning("%s raised while being interrupted: %s", hook, exc)
        raise _Interrupted

    async def _sleep(self, until: float | None) -> None:
        """Wait for the next step, or for a stop / pause / resume."""
        self._wake.clear()
        if self._stop_requested or self.should_run() == (until is None):
            return  # something changed while we were busy
        if until is None:
            await self._wake.wait()
            return
        delay = until - time.monotonic()
        if delay > 0:
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except (asyncio.TimeoutError, TimeoutError):
                pass

    def _record_step(self, started: float) -> None:
        self.steps += 1
        self.last_step_at = time.time()
        self.last_step_duration = time.monotonic() - started
        if self.faults and time.monotonic() - self._started_at > FAULT_MEMORY:
            self.faults = 0  # healthy for a while: the next fault starts the backoff small
        if self.points is not None:
            self.points.beat(self.steps)
        self.runner.events.publish(AsoEvent("step", self.name, f"step {self.steps}",
                                            data={"steps": self.steps, "duration": self.last_step_duration}))

    def _blocked(self, hook: str, seconds: float) -> bool:
        """Report a blocking slice; past the host's limit, stop the script (returns True).

        The limit holds for one slice and for the sum of slices within
        :data:`BLOCK_WINDOW` seconds: a script that blocks 1.5 s every
        second starves its neighbours as surely as one that blocks for 5 s.
        """
        message = f"ASO {self.name} blocked the event loop for {seconds * 1000:.0f} ms in {hook} (use await, not time.sleep)"
        now = time.monotonic()
        self._slow_slices = [(at, s) for at, s in self._slow_slices if now - at < BLOCK_WINDOW] + [(now, seconds)]
        total = sum(s for _, s in self._slow_slices)
        stop = total > self.runner.block_limit
        if stop:
            what = f"{seconds:.1f} s" if len(self._slow_slices) == 1 else f"{total:.1f} s within {BLOCK_WINDOW:g} s"
            self._blocked_out = (f"{hook} blocked the event loop for {what} (limit {self.runner.block_limit:g} s); "
                                 "stopped to protect the other ASOs: use `await asyncio.sleep`, not `time.sleep`, "
                                 "and start it again once fixed")
        if seconds > self.runner.block_warning or stop:
            self.log.warning(message)
            self.runner.events.publish(AsoEvent("warning", self.name, message, level=logging.WARNING))
        return stop

    async def _pause(self) -> None:
        why = "optimization-enabled is inactive" if not self.runner.enabled else f"{self.name}-enabled is inactive"
        await self._release_all(f"disabled: {why}")
        self._set_state("disabled", why)
        try:
            await self._hook("on_disable", interruptible=False)
        except Exception as exc:
            self._note_error("on_disable", exc)

    async def _fault(self, exc: BaseException) -> None:
        if isinstance(exc, LoopBlocked) and self._blocked_out:
            self.last_error, self.last_traceback = self._blocked_out, None
            self.log.error("stopped: %s", self._blocked_out)
        else:
            self._note_error("hook", exc)
        self.faults += 1
        await self._run_on_stop()
        await self._release_all("faulted")
        self._set_state("faulted", self.last_error or "")
        if self._stop_requested or self.faulted_for_good:
            return
        delay = min(self.restart.max_backoff, self.restart.backoff * 2 ** (self.faults - 1))
        limit = "always" if self.restart.retries is None else f"retry {self.faults} of {self.restart.retries}"
        self.log.warning("restarting in %.0f s (%s)", delay, limit)
        self.runner.schedule_restart(self, delay)

    def _note_error(self, where: str, exc: BaseException) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"
        self.last_traceback = "".join(traceback.format_exception(exc))
        self.log.error("%s failed: %s\n%s", where, self.last_error, self.last_traceback.rstrip())

    async def _run_on_stop(self) -> None:
        if self._on_stop_done:
            return
        self._on_stop_done = True
        try:
            await self._hook("on_stop", interruptible=False)
        except (asyncio.TimeoutError, TimeoutError):
            self.last_error = f"on_stop took longer than {HOOK_TIMEOUT:g} s"
            self.log.error(self.last_error)
        except Exception as exc:
            self._note_error("on_stop", exc)

    async def _finish(self, state: str) -> None:
        self._set_state("stopping")
        await self._run_on_stop()
        await self._release_all("stopped")
        self._set_state(state)

    async def _release_all(self, why: str) -> None:
        # Each result is logged and published by the releaser; failures stay
        # held as "release pending" and are retried until verified.
        self.last_release = await self.runner.release_held(self.name, why)

    def snapshot(self) -> dict[str, Any]:
        """Plain status for tables and JSON."""
        return {
            "name": self.name, "class": self.class_name, "source": self.source, "state": self.state,
            "steps": self.steps, "last_step_at": self.last_step_at, "last_step_duration": self.last_step_duration,
            "last_error": self.last_error, "enabled": self.points.enabled if self.points else True,
            "overrides": len(self.held()), "pending": len(self.pending()),
        }
