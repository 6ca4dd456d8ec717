"""The points our own BACnet device serves so a BAS can control and watch ASOs.

- ``binary-value,1`` **optimization-enabled** (commandable, relinquish default
  active): an operator or the BAS writes it inactive at any priority and every
  ASO on this host is disabled; relinquished or active again, they resume.
- per ASO: ``binary-value,N`` *<name>-enabled* (commandable), and read-only
  ``multi-state-value,N`` *<name>-state* and ``analog-value,N`` *<name>-heartbeat*.

The monitors fire synchronously inside bacpypes3 after the priority array is
re-evaluated, so the runner reacts in the same loop iteration as the write.
"""

from __future__ import annotations

from collections.abc import Callable

from bacpypes3.errors import ExecutionError
from bacpypes3.local.analog import AnalogValueObject
from bacpypes3.local.binary import BinaryValueObject
from bacpypes3.local.cmd import Commandable
from bacpypes3.local.multistate import MultiStateValueObject

STATES = ("loaded", "starting", "running", "disabled", "stopping", "stopped", "faulted")
KILL_SWITCH = "binary-value,1"
FIRST_ASO_INSTANCE = 11


class CommandableBinaryValue(Commandable, BinaryValueObject):
    """Commandable BV with property monitors (the shipped *Cmd class has none)."""


class _ReadOnlyPresentValue:
    async def write_property(self, attr, value, index=None, priority=None):  # noqa: ANN001
        if attr in ("presentValue", "present-value", 85):
            raise ExecutionError("property", "writeAccessDenied")
        return await super().write_property(attr, value, index, priority)


class ReadOnlyMultiStateValue(_ReadOnlyPresentValue, MultiStateValueObject):
    pass


class ReadOnlyAnalogValue(_ReadOnlyPresentValue, AnalogValueObject):
    pass


_FLAGS = [0, 0, 0, 0]


def _watch(obj, callback: Callable[[bool], None]) -> None:
    def changed(old, new) -> None:  # noqa: ANN001
        callback(str(new) == "active")

    obj._property_monitors["presentValue"].append(changed)


def kill_switch(on_change: Callable[[bool], None]) -> CommandableBinaryValue:
    point = CommandableBinaryValue(
        objectIdentifier=("binary-value", 1),
        objectName="optimization-enabled",
        description="Write inactive (any priority) to disable every ASO on this host and release its overrides",
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
        self.enable = CommandableBinaryValue(
            objectIdentifier=("binary-value", instance), objectName=f"{name}-enabled",
            description=f"Write inactive to disable ASO {name}", presentValue="active",
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
            statusFlags=_FLAGS, outOfService=False, eventState="normal",
        )
        _watch(self.enable, on_enable_change)
        for obj in (self.enable, self.state, self.heartbeat):
            app.add_object(obj)

    @property
    def enabled(self) -> bool:
        return str(self.enable.presentValue) == "active"

    def show_state(self, state: str) -> None:
        self.state.presentValue = STATES.index(state) + 1

    def beat(self, steps: int) -> None:
        self.heartbeat.presentValue = float(steps)

    def remove(self) -> None:
        for obj in (self.enable, self.state, self.heartbeat):
            try:
                self.app.delete_object(obj)
            except Exception:
                pass
