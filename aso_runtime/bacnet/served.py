"""Objects we serve accept over the network only what a real controller accepts.

bacpypes3's local objects write whatever a WriteProperty names: the device's
apdu-timeout and max-apdu (which breaks our own requests), any
object-identifier or object-type, the network port's UDP port, a binary
present-value of 2. Its cov-increment COV algorithm crashes on an analog
object without cov-increment, and multi-state objects are given that same
algorithm although they have no cov-increment at all.

Every object class we serve (the host's points, the simulator's, the test
peers', and the device and network-port objects built in ``local.py``) mixes
in :class:`Served`, which for WriteProperty and WritePropertyMultiple (both
end in ``write_property``):

- rejects a priority outside 1..16: Reject(parameter-out-of-range);
- writes only the properties in the class's ``_network_writable``, and
  present-value while out-of-service is TRUE (clause 12): anything else is
  Error(property, write-access-denied);
- refuses a present-value outside its type's range (binary 0/1, multi-state
  1..number-of-states, analog finite and within min/max-pres-value):
  Error(property, value-out-of-range); a Null except to relinquish a
  commandable present-value: Error(property, invalid-data-type);

(the services themselves, in ``writes.py``, ask :meth:`Served.check_write`
before decoding the value, and answer a value of the wrong datatype with
Error(property, invalid-data-type) where bacpypes3 rejects it), and gives
the class a COV algorithm that works for it, told of every change
a network write makes (bacpypes3 tells it only of commands). Our own code
changes objects by assigning attributes, which never goes through
``write_property``.
"""

from __future__ import annotations

import math
from typing import Any

from bacpypes3.basetypes import ObjectTypesSupported
from bacpypes3.constructeddata import Array
from bacpypes3.errors import ParameterOutOfRange, PropertyError
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
from bacpypes3.local.cov import COVIncrementCriteria, GenericCriteria, monitor_filter
from bacpypes3.local.device import DeviceObject
from bacpypes3.local.multistate import MultiStateValueObject
from bacpypes3.local.networkport import NetworkPortObject
from bacpypes3.primitivedata import Enumerated, Null, PropertyIdentifier, Real, Unsigned


class IncrementCriteria(COVIncrementCriteria):
    """cov-increment COV that also works without a cov-increment (then every change is reported).

    bacpypes3 computes ``previous - covIncrement`` and raises TypeError into
    whoever changed the value when the object has none.
    """

    @monitor_filter("presentValue")
    def present_value_filter(self, old_value, new_value) -> bool:  # noqa: ANN001 (bacpypes3 signature)
        if self.previously_reported_value is None:
            self.previously_reported_value = old_value
        increment = self.obj.covIncrement
        if not increment:
            return new_value != self.previously_reported_value
        return abs(new_value - self.previously_reported_value) >= increment


def _cov_criteria(cls: type) -> type | None:
    if getattr(cls, "_cov_criteria", None) is None:
        return None  # bacpypes3 then answers Error(services, cov-subscription-failed)
    return IncrementCriteria if "covIncrement" in cls._elements else GenericCriteria


# Clause 12.1.1.4.1: object-identifier, object-name, object-type and property-list itself.
_NEVER_IN_PROPERTY_LIST = frozenset(int(PropertyIdentifier(name)) for name in (
    "object-identifier", "object-name", "object-type", "property-list"))


class Served:
    """Mixin, first in the bases: network writes limited to ``_network_writable``.

    ``_network_writable`` names properties in bacpypes3's attribute form
    (``"presentValue"``, ``"outOfService"``); empty means read-only.
    """

    _network_writable: frozenset[str] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._cov_criteria = _cov_criteria(cls)

    @property
    def propertyList(self) -> Any:
        """property-list without the four properties the standard leaves out of it (bacpypes3 lists them)."""
        listed = super().propertyList
        return type(listed)([prop for prop in listed if int(prop) not in _NEVER_IN_PROPERTY_LIST])

    @propertyList.setter
    def propertyList(self, value: Any) -> None:
        pass  # computed from the object's properties, like bacpypes3's

    def network_writable(self) -> frozenset[str]:
        """What a WriteProperty may change right now."""
        if "outOfService" in self._elements and self.outOfService:  # clause 12: then present-value is writable
            return self._network_writable | {"presentValue"}
        return self._network_writable

    def check_write(self, attr, index=None, priority=None) -> str:  # noqa: ANN001 (bacpypes3 types)
        """May a network write change ``attr``? Its attribute name, or the error a controller answers.

        Reject(parameter-out-of-range) for a priority outside 1..16;
        unknown-property; write-access-denied for anything outside
        :meth:`network_writable` (identity, object-type, event-state,
        status-flags, the device's and network port's configuration...);
        property-is-not-an-array for an index on a scalar. The services
        (``writes.py``) ask before decoding the value, so a read-only
        property is write-access-denied whatever datatype was sent.
        """
        if priority is not None and not 1 <= priority <= 16:
            raise ParameterOutOfRange(f"priority {priority} is outside 1..16")
        name = self._property_identifier_class(attr).attr
        if name not in self._elements:
            raise PropertyError("unknownProperty")
        if name not in self.network_writable():
            raise PropertyError("writeAccessDenied")
        if index is not None and not issubclass(self._elements[name], Array):
            raise PropertyError("propertyIsNotAnArray")
        return name

    async def write_property(self, attr, value, index=None, priority=None):  # noqa: ANN001 (bacpypes3 signature)
        name = self.check_write(attr, index, priority)
        if isinstance(value, Null):
            if name != "presentValue" or not isinstance(self, Commandable):
                raise PropertyError("invalidDataType")  # only a command can be relinquished
        elif name == "presentValue" and not _in_range(self, value):
            raise PropertyError("valueOutOfRange")
        # bacpypes3 stores a network write without telling the property monitors (COV)
        # unless it goes through a priority array; tell them ourselves. status-flags is
        # computed (from out-of-service...), so it is compared too.
        commanded = name == "presentValue" and isinstance(self, Commandable)
        watched = () if commanded else (name, "statusFlags")
        before = {prop: getattr(self, prop) for prop in watched if self._property_monitors.get(prop)}
        await super().write_property(name, value, index, priority)
        for prop, old in before.items():
            new = getattr(self, prop)
            if new != old:
                for monitor in list(self._property_monitors[prop]):
                    monitor(old, new)


def _in_range(obj: Any, value: Any) -> bool:
    """Whether a present-value fits the object: enumeration, number of states, min/max."""
    element = obj._elements["presentValue"]
    if issubclass(element, Enumerated):
        return int(value) in element._enum_map.values()
    if issubclass(element, Unsigned) and "numberOfStates" in obj._elements:
        return 1 <= int(value) <= int(obj.numberOfStates)
    if issubclass(element, Real):
        number = float(value)
        low = obj.minPresValue if "minPresValue" in obj._elements else None
        high = obj.maxPresValue if "maxPresValue" in obj._elements else None
        return math.isfinite(number) and (low is None or number >= low) and (high is None or number <= high)
    return True


# ----- the classes we serve -------------------------------------------------------------
# Device and network port: configuration, never writable over the network.


class ServedDevice(Served, DeviceObject):
    """Claims computed from what the application serves, where bacpypes3 has constants.

    - protocol-object-types-supported: the types in the object list (bacpypes3: none);
    - protocol-services-supported: the application's own (``application.py``);
    - database-revision: follows the object database (``database.py``; bacpypes3: 1).
    """

    @property
    def protocolObjectTypesSupported(self) -> ObjectTypesSupported:
        supported = ObjectTypesSupported([])
        served = self._app.objectIdentifier if self._app else [self.objectIdentifier]
        for object_type, _instance in served:
            if int(object_type) < len(supported):  # proprietary types have no bit
                supported[int(object_type)] = 1
        return supported

    @protocolObjectTypesSupported.setter
    def protocolObjectTypesSupported(self, value: Any) -> None:
        pass  # computed

    @property
    def databaseRevision(self) -> Unsigned:
        revision = getattr(self._app, "database_revision", None)
        return Unsigned(revision.value if revision is not None else 1)

    @databaseRevision.setter
    def databaseRevision(self, value: Any) -> None:
        pass  # computed; bacpypes3 sets its default 1 while constructing


# What bacpypes3 leaves out of a network port (all of it for a virtual port; apdu-length
# for every port) although the standard requires it at the protocol revision we claim.
_PORT_DEFAULTS = {
    "reliability": "no-fault-detected",
    "outOfService": False,
    "changesPending": False,
    "linkSpeed": 0.0,  # bits/s; 0 is "unknown"
    "apduLength": 1476,  # what the port carries; local.py passes the device's max APDU
    "networkNumber": 0,  # 0 / unknown until configured (a router's ports are)
    "networkNumberQuality": "unknown",
}


class ServedNetworkPort(Served, NetworkPortObject):
    """A network port with every required property: status-flags, reliability,
    out-of-service, changes-pending, link-speed, apdu-length, network-number
    and its quality (clause 12.56, at the protocol revision we claim); none writable."""

    _required = ("apduLength", "networkNumber", "networkNumberQuality")  # beyond bacpypes3's list

    def __init__(self, addr: Any = None, *args: Any, **kwargs: Any) -> None:
        for name, value in _PORT_DEFAULTS.items():
            kwargs.setdefault(name, value)
        super().__init__(addr, *args, **kwargs)


# Commandable points (with property monitors and COV, unlike bacpypes3's *Cmd classes):
# only the present-value, through the priority array.


class CommandableAnalogValue(Served, Commandable, AnalogValueObject):
    _network_writable = frozenset({"presentValue"})


class CommandableBinaryValue(Served, Commandable, BinaryValueObject):
    _network_writable = frozenset({"presentValue"})


class CommandableMultiStateValue(Served, Commandable, MultiStateValueObject):
    _network_writable = frozenset({"presentValue"})


class CommandableAnalogOutput(Served, AnalogOutputObject):
    """bacpypes3's local analog output already mixes in Commandable."""

    _network_writable = frozenset({"presentValue"})


class CommandableBinaryOutput(Served, BinaryOutputObject):
    _network_writable = frozenset({"presentValue"})


# Read-only over the network (inputs; status points the host computes).


class ReadOnlyAnalogInput(Served, AnalogInputObject):
    pass


class ReadOnlyBinaryInput(Served, BinaryInputObject):
    pass


class ReadOnlyAnalogValue(Served, AnalogValueObject):
    pass


class ReadOnlyMultiStateValue(Served, MultiStateValueObject):
    pass
