"""Objects served by the genuine bacpypes3 peers the tests talk to.

They are the served classes every device of ours uses (``bacnet/served.py``):
only the commandable points' present-value is writable over the network,
and COV works on every point.
"""

from __future__ import annotations

from aso_runtime.bacnet.application import AsoApplication
from aso_runtime.bacnet.local import (
    LocalDevice,
    build_application,
    device_object,
    virtual_port,
)
from aso_runtime.bacnet.served import (
    CommandableAnalogOutput,
    CommandableAnalogValue,
    CommandableBinaryValue,
    CommandableMultiStateValue,
    ReadOnlyAnalogInput,
)


def field_objects(points: int = 0) -> list:
    """ai,1 zone temp; av,1 setpoint, bv,1 enable, msv,1 occupancy, ao,2 valve (all commandable).

    ``points`` extra analog inputs make the object list big enough to need
    several RPM batches.
    """
    flags = [0, 0, 0, 0]
    objects = [
        ReadOnlyAnalogInput(objectIdentifier=("analog-input", 1), objectName="Zone Temperature",
                          presentValue=72.5, units="degreesFahrenheit", statusFlags=flags, outOfService=False),
        CommandableAnalogValue(objectIdentifier=("analog-value", 1), objectName="Cooling Setpoint",
                               presentValue=74.0, relinquishDefault=74.0, units="degreesFahrenheit",
                               statusFlags=flags, outOfService=False),
        CommandableBinaryValue(objectIdentifier=("binary-value", 1), objectName="Fan Enable",
                               presentValue="active", relinquishDefault="active", statusFlags=flags, outOfService=False),
        CommandableMultiStateValue(objectIdentifier=("multi-state-value", 1), objectName="Occupancy",
                                   presentValue=1, relinquishDefault=1, numberOfStates=3,
                                   stateText=["occupied", "unoccupied", "standby"], statusFlags=flags, outOfService=False),
        CommandableAnalogOutput(objectIdentifier=("analog-output", 2), objectName="Valve Command",
                           presentValue=0.0, relinquishDefault=0.0, units="percent", statusFlags=flags,
                           outOfService=False),
    ]
    for n in range(points):
        objects.append(ReadOnlyAnalogInput(objectIdentifier=("analog-input", 100 + n), objectName=f"Sensor {n:03d} Temperature",
                                         presentValue=float(n), units="degreesFahrenheit", statusFlags=flags, outOfService=False))
    return objects


def serve_field_device(vlan: str, mac: int, instance: int, points: int = 0, **device):
    """A genuine bacpypes3 device with :func:`field_objects` on a virtual network.

    ``device`` goes to LocalDevice (max_apdu, segmentation...); the name is FC-<instance>.
    Must run inside the event loop; close with ``close_application``.
    """
    device.setdefault("name", f"FC-{instance}")
    return build_application(
        AsoApplication,
        [device_object(LocalDevice(instance=instance, **device)), virtual_port(vlan, mac), *field_objects(points)],
    )
