"""The simulator's BACnet points: genuine bacpypes3 local objects.

Commandable points (outputs, setpoints, modes) carry a real 16-slot priority
array and a relinquish default. The simulated controller's own program writes
at priority 16 (``program_write``), so an operator's write at priority 8 wins
and a release hands control back, just as on a field controller.

Sensors (analog / binary inputs) are set by the model (``sense``). Like real
controllers they refuse a present-value write (write-access-denied) unless
the technician first puts the point out of service; the model then leaves it
alone until it is back in service. Nothing else is writable over the network
(``bacnet/served.py``).

The shipped ``*ObjectCmd`` classes of bacpypes3 are not used: they have no
property monitors and no COV. The local AnalogOutput and
BinaryOutput objects already mix in ``Commandable``; value objects get the
mix here.

Speed: bacpypes3 runs ``inspect.getattr_static`` on every property access
and ~100 us of validation per PriorityValue, which made a 200-device step
take ~90 ms. ``raw``, ``sense`` and ``program_write`` store the same values
directly (about 8 ms a step) and fall back to the full bacpypes3 path
whenever a property monitor (a COV subscription) is listening. They lean on
bacpypes3 0.0.110 internals, which pyproject pins.
"""

from __future__ import annotations

import copy
from typing import Any

from bacpypes3.basetypes import BinaryPV, EngineeringUnits, PriorityValue
from bacpypes3.basetypes import PriorityArray as _BasePriorityArray
from bacpypes3.local.analog import (
    AnalogInputObject,
    AnalogOutputObject,
    AnalogValueObject,
)
from bacpypes3.local.binary import (
    BinaryInputObject,
    BinaryOutputObject,
    BinaryValueObject,
)
from bacpypes3.local.cmd import Commandable
from bacpypes3.local.multistate import MultiStateValueObject
from bacpypes3.primitivedata import Enumerated, Real, Unsigned

from ..bacnet.served import Served

PROGRAM_PRIORITY = 16  # where the simulated controller's own logic writes


# What a technician may write over the network (bacnet/served.py enforces it,
# with value-out-of-range for a command outside min/max-pres-value or the
# number of states, and present-value writable while out of service). Like
# most field controllers, every point also takes a new description, and an
# analog one a new cov-increment (how much change is worth a notification).
_NOTES = frozenset({"description"})
_ANALOG_NOTES = _NOTES | {"covIncrement"}


class SimAnalogInput(Served, AnalogInputObject):
    _network_writable = _ANALOG_NOTES | {"outOfService"}


class SimBinaryInput(Served, BinaryInputObject):
    _network_writable = _NOTES | {"outOfService"}


class SimAnalogOutput(Served, AnalogOutputObject):
    """Commandable already (bacpypes3's local AO mixes in Commandable)."""

    _network_writable = _ANALOG_NOTES | {"presentValue"}


class SimAnalogValue(Served, Commandable, AnalogValueObject):
    _required = ("priorityArray", "relinquishDefault", "currentCommandPriority")
    _network_writable = _ANALOG_NOTES | {"presentValue"}


class SimBinaryOutput(Served, BinaryOutputObject):
    """Commandable already (bacpypes3's local BO mixes in Commandable)."""

    _network_writable = _NOTES | {"presentValue"}


class SimBinaryValue(Served, Commandable, BinaryValueObject):
    _required = ("priorityArray", "relinquishDefault", "currentCommandPriority")
    _network_writable = _NOTES | {"presentValue"}


class SimMultiStateValue(Served, Commandable, MultiStateValueObject):
    _required = ("priorityArray", "relinquishDefault", "currentCommandPriority")
    _network_writable = _NOTES | {"presentValue"}


# ----- factories --------------------------------------------------------------

# status-flags is computed by bacpypes3 from event-state, reliability and out-of-service.
_NORMAL = {"eventState": "normal", "outOfService": False}


def _common(object_type: str, instance: int, name: str, description: str) -> dict[str, Any]:
    return {
        "objectIdentifier": (object_type, instance),
        "objectName": name,
        "description": description or name,
        **_NORMAL,
    }


_NULL_SLOT = PriorityValue(null=())


def _empty_priority_array() -> list[PriorityValue]:
    # Copying one Null slot is ~25x faster than building 16 (start-up of 200 devices).
    return [copy.copy(_NULL_SLOT) for _ in range(16)]


def _units(units: str) -> EngineeringUnits:
    # Accept the dashed names a technician reads ("degrees-fahrenheit").
    return EngineeringUnits(units)


def analog_input(instance: int, name: str, units: str, value: float, description: str = "", cov_increment: float = 0.1) -> SimAnalogInput:
    """A sensor the model drives (degF, inH2O, cfm, kW...)."""
    return SimAnalogInput(
        **_common("analog-input", instance, name, description),
        presentValue=float(value),
        units=_units(units),
        covIncrement=cov_increment,
    )


def analog_output(
    instance: int, name: str, units: str, default: float, description: str = "", low: float = 0.0, high: float = 100.0
) -> SimAnalogOutput:
    """A commandable analog output; ``default`` is the relinquish default."""
    return SimAnalogOutput(
        **_common("analog-output", instance, name, description),
        presentValue=float(default),
        relinquishDefault=float(default),
        priorityArray=_empty_priority_array(),
        units=_units(units),
        minPresValue=float(low),
        maxPresValue=float(high),
        covIncrement=0.5,
    )


def analog_value(
    instance: int, name: str, units: str, default: float, description: str = "", low: float | None = None, high: float | None = None
) -> SimAnalogValue:
    """A commandable setpoint; ``default`` is the relinquish default."""
    extra = {}
    if low is not None:
        extra["minPresValue"] = float(low)
    if high is not None:
        extra["maxPresValue"] = float(high)
    return SimAnalogValue(
        **_common("analog-value", instance, name, description),
        presentValue=float(default),
        relinquishDefault=float(default),
        priorityArray=_empty_priority_array(),
        units=_units(units),
        covIncrement=0.1,
        **extra,
    )


def binary_input(instance: int, name: str, value: bool, description: str = "", active: str = "On", inactive: str = "Off") -> SimBinaryInput:
    return SimBinaryInput(
        **_common("binary-input", instance, name, description),
        presentValue=_binary(value),
        polarity="normal",
        activeText=active,
        inactiveText=inactive,
    )


def binary_output(instance: int, name: str, default: bool, description: str = "", active: str = "On", inactive: str = "Off") -> SimBinaryOutput:
    """A commandable binary output; ``default`` is the relinquish default."""
    return SimBinaryOutput(
        **_common("binary-output", instance, name, description),
        presentValue=_binary(default),
        relinquishDefault=_binary(default),
        priorityArray=_empty_priority_array(),
        polarity="normal",
        activeText=active,
        inactiveText=inactive,
    )


def binary_value(instance: int, name: str, default: bool, description: str = "", active: str = "On", inactive: str = "Off") -> SimBinaryValue:
    return SimBinaryValue(
        **_common("binary-value", instance, name, description),
        presentValue=_binary(default),
        relinquishDefault=_binary(default),
        priorityArray=_empty_priority_array(),
        activeText=active,
        inactiveText=inactive,
    )


def multistate_value(instance: int, name: str, states: list[str], default: int, description: str = "") -> SimMultiStateValue:
    """A commandable mode point; states are numbered from 1 as BACnet requires."""
    return SimMultiStateValue(
        **_common("multi-state-value", instance, name, description),
        presentValue=default,
        relinquishDefault=default,
        priorityArray=_empty_priority_array(),
        numberOfStates=len(states),
        stateText=list(states),
    )


def _binary(value: bool) -> BinaryPV:
    return BinaryPV("active" if value else "inactive")


# ----- what the model uses ------------------------------------------------------


def raw(obj: Any, attr: str) -> Any:
    """Read a stored property without bacpypes3's per-access ``inspect`` lookup.

    bacpypes3 resolves every property read through ``inspect.getattr_static``
    (about 15 us); the model reads thousands a step. Only for plain stored
    properties (present-value, out-of-service, priority-array...), never for
    computed ones such as the device's object-list.
    """
    return object.__getattribute__(obj, attr)


def value_of(obj: Any) -> Any:
    """The present value as plain Python: float, bool (binary) or int (multi-state)."""
    value = raw(obj, "presentValue")
    if isinstance(value, BinaryPV):
        return int(value) == 1
    if isinstance(value, float):
        return float(value)
    return int(value)


def sense(obj: Any, value: Any, resolution: float = 0.01) -> None:
    """Set a sensor reading from the model, unless a technician put it out of service.

    (bacpypes3 derives status-flags from out-of-service on every read.)
    """
    if raw(obj, "outOfService"):
        return
    if isinstance(value, bool):
        typed = _binary(value)
    else:
        typed = round(float(value) / resolution) * resolution
    if raw(obj, "presentValue") == typed:
        return
    if raw(obj, "_property_monitors").get("presentValue"):
        obj.presentValue = typed  # the full path: COV subscriptions and other monitors hear it
    else:
        # Nobody listens: store it directly, skipping bacpypes3's per-set ``inspect`` lookup.
        element = obj._elements["presentValue"]
        object.__setattr__(obj, "presentValue", typed if typed.__class__ is element else element(element.cast(typed)))


def program_value(obj: Any) -> Any:
    """What the simulated program last wrote (priority 16), or None."""
    slot = raw(obj, "priorityArray")[PROGRAM_PRIORITY - 1]
    if slot.null is not None:
        return None
    stored = getattr(slot, slot._choice)
    if isinstance(stored, BinaryPV) or slot._choice == "enumerated":
        return int(stored) == 1
    return float(stored) if slot._choice == "real" else int(stored)


def program_write(obj: Any, value: Any, resolution: float = 0.01) -> None:
    """Write the controller program's output at priority 16 (skipped when unchanged)."""
    if isinstance(value, bool):
        typed = _binary(value)
    elif isinstance(value, int) and not isinstance(raw(obj, "presentValue"), float):
        typed = value
    else:
        value = round(float(value) / resolution) * resolution
        last = program_value(obj)
        if last is not None and abs(last - value) < resolution / 2:
            return
        typed = value
    value_type = obj._elements["presentValue"]
    if not isinstance(typed, value_type):
        typed = value_type(value_type.cast(typed))
    array = raw(obj, "priorityArray")
    slot = PROGRAM_PRIORITY - 1
    current = array[slot]
    if current.null is None and getattr(current, current._choice) == typed:
        return
    entry = _priority_value(typed)
    ccp = raw(obj, "currentCommandPriority")
    winner = ccp.unsigned if ccp is not None else None
    if winner is None or raw(obj, "_property_monitors").get("presentValue"):
        array[slot] = entry  # the full path: bacpypes3 recalculates, monitors (COV) hear it
        return
    # Fast path, same outcome as bacpypes3's recalculation (which costs ~150 us a
    # write): the slot changes; present-value follows only if priority 16 is the
    # winner; an override at a higher priority keeps its value.
    _BasePriorityArray.__setitem__(array, slot, entry)
    if winner == PROGRAM_PRIORITY:
        object.__setattr__(obj, "presentValue", typed)


_SLOT_TEMPLATES: dict[str, PriorityValue] = {}


def _priority_value(typed: Any) -> PriorityValue:
    """``PriorityValue(typed)`` by copying a template: construction costs ~100 us."""
    choice = "real" if isinstance(typed, Real) else "enumerated" if isinstance(typed, Enumerated) else "unsigned" if isinstance(typed, Unsigned) else None
    if choice is None:
        return PriorityValue(typed)
    template = _SLOT_TEMPLATES.get(choice)
    if template is None:
        template = _SLOT_TEMPLATES[choice] = PriorityValue(typed)
    element = PriorityValue._elements[choice]  # as the constructor would: BinaryPV -> Enumerated
    entry = copy.copy(template)
    entry.__dict__[choice] = typed if typed.__class__ is element else element(element.cast(typed))  # a plain attribute
    return entry
