"""The points our own BACnet device serves so a BAS can control and watch ASOs.

- ``binary-value,1`` **optimization-enabled** (commandable, relinquish
  default active). Standard BACnet command priority decides: optimization
  runs while its present-value is active. Writing inactive at a priority
  above every active command (8, the manual operator, above anything a BAS
  schedule writes) disables every ASO on this host and releases its
  overrides; relinquishing it (or a higher-priority active) resumes them.
  An inactive at 16 is masked by an active at 8, as on any BACnet point.
  Commands survive restarts and crashes (``persist.py``).
- per ASO: ``binary-value,N`` *<name>-enabled* (commandable, same rules), and
  read-only ``multi-state-value,N`` *<name>-state* and ``analog-value,N``
  *<name>-heartbeat*.

The monitors fire synchronously inside bacpypes3 after the priority array is
re-evaluated, so the runner reacts in the same loop iteration as the write.

The points are built by ``bacnet/hosted.py`` (no bacpypes3 type here). Over
the network only the enable points' present-value can be written; the state
and heartbeat are read-only. Updating them
must never fail an ASO: a failure there (a COV subscriber's algorithm
raising, say) is logged once per point and the ASO carries on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..bacnet import BacnetClient, CounterPoint, EnablePoint, ObjectId, ServedPoint, StatePoint

STATES = ("loaded", "starting", "running", "disabled", "stopping", "stopped", "faulted")
KILL_SWITCH = ObjectId("binary-value", 1)
FIRST_ASO_INSTANCE = 11

log = logging.getLogger("aso.runtime")


def kill_switch(on_change: Callable[[bool], None]) -> EnablePoint:
    """``binary-value,1`` optimization-enabled; ``on_change(active)`` on every change of its value."""
    return EnablePoint(
        KILL_SWITCH.instance, "optimization-enabled",
        "ASOs run while active. Write inactive at priority 8 (above every other command) to stop "
        "every ASO and release its overrides; relinquish to resume. Kept across restarts.",
        on_change=on_change,
    )


class AsoPoints:
    """The three points of one ASO on the host device, served as soon as they are made."""

    def __init__(self, client: BacnetClient, name: str, instance: int,
                 on_enable_change: Callable[[bool], None]) -> None:
        self.enable = EnablePoint(
            instance, f"{name}-enabled",
            f"ASO {name} runs while active; write inactive at priority 8 to stop it and release its "
            "overrides. Kept across restarts.",
            on_change=on_enable_change,
        )
        self.state = StatePoint(instance, f"{name}-state", f"State of ASO {name}", STATES)
        # Every step is news to a COV subscriber (cov-increment 1).
        self.heartbeat = CounterPoint(instance, f"{name}-heartbeat", f"Steps completed by ASO {name}")
        self._failed: set[str] = set()
        client.serve(self.enable, self.state, self.heartbeat)

    @property
    def enabled(self) -> bool:
        return self.enable.enabled

    def show_state(self, state: str) -> None:
        self._update(self.state, lambda: self.state.show(state))

    def beat(self, steps: int) -> None:
        self._update(self.heartbeat, lambda: self.heartbeat.set(steps))

    def _update(self, point: ServedPoint, change: Callable[[], None]) -> None:
        # The change runs every property monitor (COV algorithms of
        # subscribers) synchronously; none of them may fault the ASO.
        try:
            change()
        except Exception:
            if point.name not in self._failed:
                self._failed.add(point.name)
                log.exception("could not update served point %s (further failures not logged)", point.name)
