"""Points our own device serves for the ASO host, built without the caller touching bacpypes3.

- :class:`EnablePoint`: a commandable binary-value (relinquish default
  active). Standard command priority decides whether it is on; the owner is
  told of every change of its present value and of its priority array.
- :class:`StatePoint`: a read-only multi-state value showing a state name.
- :class:`CounterPoint`: a read-only analog value (a heartbeat, a count).

Create them, then ``client.serve(point, ...)``; ``client.withdraw(point)``
takes them off the network. They are served classes (``served.py``): only
an enable point's present-value is writable over the network, and COV works
on all of them. Property monitors fire synchronously inside bacpypes3 after
the priority array is re-evaluated, so the owner reacts in the same loop
iteration as the write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bacpypes3.basetypes import BinaryPV, PriorityValue

from .ids import ObjectId
from .objecttypes import type_name
from .served import CommandableBinaryValue, ReadOnlyAnalogValue, ReadOnlyMultiStateValue
from .values import to_plain

BINARY_STATES = ("inactive", "active")
_FLAGS = [0, 0, 0, 0]  # in-alarm, fault, overridden, out-of-service: all clear


class ServedPoint:
    """One object of our own device, as plain Python. Serve it with :meth:`BacnetClient.serve`."""

    def __init__(self, stack_object: Any) -> None:
        self._object = stack_object

    @property
    def stack_object(self) -> Any:
        """The bacpypes3 object (for ``aso_runtime.bacnet`` only: the client adds it to the application)."""
        return self._object

    @property
    def object_id(self) -> ObjectId:
        number, instance = self._object.objectIdentifier
        return ObjectId(type_name(int(number)), int(instance))

    @property
    def name(self) -> str:
        return str(self._object.objectName)

    @property
    def present_value(self) -> Any:
        return to_plain(self._object.presentValue)

    def watch(self, callback: Callable[[Any, Any], None]) -> None:
        """Call ``callback(old, new)`` with plain values after every change of the present value.

        Runs synchronously inside whatever changed it (a network write, the
        owner's update): an exception propagates into that change.
        """

        def changed(old: Any, new: Any) -> None:
            callback(to_plain(old), to_plain(new))

        self._object._property_monitors["presentValue"].append(changed)


class _EnableObject(CommandableBinaryValue):
    """Tells its owner of every change of the priority array.

    (A write that changes no present-value, inactive @16 under active @8, is
    still a command the operator gave.)
    """

    # Underscored: bacpypes3 objects take every other attribute for a property.
    _on_command: Callable[[], None] | None = None

    def recalculating(self) -> None:
        super().recalculating()
        if self._on_command is not None:
            self._on_command()


class EnablePoint(ServedPoint):
    """A commandable binary-value: on (active) unless a command says otherwise.

    ``on_change(enabled)`` is called when the present value changes;
    :attr:`on_command` after every change of the priority array.
    """

    def __init__(self, instance: int, name: str, description: str, *,
                 on_change: Callable[[bool], None] | None = None) -> None:
        super().__init__(_EnableObject(
            objectIdentifier=("binary-value", instance), objectName=name, description=description,
            presentValue="active", relinquishDefault="active", statusFlags=_FLAGS, outOfService=False,
            eventState="normal",
        ))
        if on_change is not None:
            self.watch(lambda _old, new: on_change(new == "active"))

    @property
    def enabled(self) -> bool:
        return str(self._object.presentValue) == "active"

    @property
    def on_command(self) -> Callable[[], None] | None:
        return self._object._on_command

    @on_command.setter
    def on_command(self, callback: Callable[[], None] | None) -> None:
        self._object._on_command = callback

    def commands(self) -> dict[int, str]:
        """The active slots of the priority array: ``{8: "inactive"}``."""
        slots = {}
        for priority, slot in enumerate(self._object.priorityArray, start=1):
            if slot.null is None:
                slots[priority] = BINARY_STATES[int(getattr(slot, slot._choice))]
        return slots

    def restore(self, commands: Mapping[int, str]) -> None:
        """Put saved commands back into the priority array (as if they had been written)."""
        for priority, state in commands.items():
            if state not in BINARY_STATES or not 1 <= int(priority) <= 16:
                raise ValueError(f"not a binary command: {state!r} @{priority}")
            self._object.priorityArray[int(priority) - 1] = PriorityValue(BinaryPV(state))


class StatePoint(ServedPoint):
    """A read-only multi-state value: one of ``states``, shown by name."""

    def __init__(self, instance: int, name: str, description: str, states: Sequence[str]) -> None:
        self.states = tuple(states)
        super().__init__(ReadOnlyMultiStateValue(
            objectIdentifier=("multi-state-value", instance), objectName=name, description=description,
            presentValue=1, numberOfStates=len(self.states), stateText=list(self.states), statusFlags=_FLAGS,
            outOfService=False, eventState="normal",
        ))

    @property
    def state(self) -> str:
        return self.states[int(self._object.presentValue) - 1]

    def show(self, state: str) -> None:
        """Serve ``state`` (one of ``states``); COV subscribers are told at once."""
        self._object.presentValue = self.states.index(state) + 1


class CounterPoint(ServedPoint):
    """A read-only analog value, e.g. steps completed; every change of ``cov_increment`` is news."""

    def __init__(self, instance: int, name: str, description: str, *, cov_increment: float = 1.0) -> None:
        super().__init__(ReadOnlyAnalogValue(
            objectIdentifier=("analog-value", instance), objectName=name, description=description,
            presentValue=0.0, units="noUnits", covIncrement=cov_increment, statusFlags=_FLAGS,
            outOfService=False, eventState="normal",
        ))

    def set(self, value: float) -> None:
        self._object.presentValue = float(value)
