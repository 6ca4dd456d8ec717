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

Over the network only the enable points' present-value can be written (see
``bacnet/served.py``); the state and heartbeat are read-only. Updating them
must never fail an ASO: a failure there (a COV subscriber's algorithm
raising, say) is logged once per point and the ASO carries on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..bacnet.served import (
    CommandableBinaryValue,
    ReadOnlyAnalogValue,
    ReadOnlyMultiStateValue,
)

STATES = ("loaded", "starting", "running", "disabled", "stopping", "stopped", "faulted")
KILL_SWITCH = "binary-value,1"
FIRST_ASO_INSTANCE = 11

log = logging.getLogger("aso.runtime")

_FLAGS = [0, 0, 0, 0]


def _watch(obj, callback: Callable[[bool], None]) -> None:
    def changed(old, new) -> None:  # noqa: ANN001
        callback(str(new) == "active")

    obj._property_monitors["presentValue"].append(changed)


class EnablePoint(CommandableBinaryValue):
    """A commandable enable point that tells its owner of every change of its priority array.

    (A write that changes no present-value, inactive @16 under active @8, is
    still a command the operator gave, and is saved.)
    """

    _on_command: Callable[[], None] | None = None

    def recalculating(self) -> None:
        super().recalculating()
        if self._on_command is not None:
            self._on_command()


def kill_switch(on_change: Callable[[bool], None]) -> EnablePoint:
    point = EnablePoint(
        objectIdentifier=("binary-value", 1),
        objectName="optimization-enabled",
        description="ASOs run while active. Write inactive at priority 8 (above every other command) to stop "
                    "every ASO and release its overrides; relinquish to resume. Kept across restarts.",
        presentValue="active",
        relinquishDefault="active",
        statusFlags=_FLAGS,
        outOfService=False,
        eventState="normal",
    )
    _watch(point, on_change)
    return point


class AsoPoints:
    """The three points of one ASO on the host device."""

    def __init__(self, app, name: str, instance: int, on_enable_change: Callable[[bool], None]) -> None:
        self.app = app
        self.enable = EnablePoint(
            objectIdentifier=("binary-value", instance), objectName=f"{name}-enabled",
            description=f"ASO {name} runs while active; write inactive at priority 8 to stop it and release its "
                        "overrides. Kept across restarts.", presentValue="active",
            relinquishDefault="active", statusFlags=_FLAGS, outOfService=False, eventState="normal",
        )
        self.state = ReadOnlyMultiStateValue(
            objectIdentifier=("multi-state-value", instance), objectName=f"{name}-state",
            description=f"State of ASO {name}", presentValue=1, numberOfStates=len(STATES),
            stateText=list(STATES), statusFlags=_FLAGS, outOfService=False, eventState="normal",
        )
        self.heartbeat = ReadOnlyAnalogValue(
            objectIdentifier=("analog-value", instance), objectName=f"{name}-heartbeat",
            description=f"Steps completed by ASO {name}", presentValue=0.0, units="noUnits",
            covIncrement=1.0,  # every step is news to a COV subscriber
            statusFlags=_FLAGS, outOfService=False, eventState="normal",
        )
        self._failed: set[str] = set()
        _watch(self.enable, on_enable_change)
        for obj in (self.enable, self.state, self.heartbeat):
            app.add_object(obj)

    @property
    def enabled(self) -> bool:
        return str(self.enable.presentValue) == "active"

    def show_state(self, state: str) -> None:
        self._update(self.state, STATES.index(state) + 1)

    def beat(self, steps: int) -> None:
        self._update(self.heartbeat, float(steps))

    def _update(self, point: Any, value: Any) -> None:
        # The assignment runs every property monitor (COV algorithms of
        # subscribers) synchronously; none of them may fault the ASO.
        try:
            point.presentValue = value
        except Exception:
            name = str(point.objectName)
            if name not in self._failed:
                self._failed.add(name)
                log.exception("could not update served point %s (further failures not logged)", name)

    def remove(self) -> None:
        for obj in (self.enable, self.state, self.heartbeat):
            try:
                self.app.delete_object(obj)
            except Exception:
                pass
