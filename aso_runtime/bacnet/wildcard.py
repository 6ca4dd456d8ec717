"""device,4194303: "this device", whatever its instance, in reads as in writes.

A workstation that does not know a controller's instance yet (a fresh
controller, or one found by address only) reads the device object as
device,4194303. bacpypes3 0.0.110 means to allow this but compares an
ObjectIdentifier with the tuple ("device", 4194303), which is never equal, so
its ReadProperty and ReadPropertyMultiple answered Error(object,
unknown-object). Here the identifier is swapped for the device's own before
bacpypes3 sees the request.
"""

from __future__ import annotations

from typing import Any

WILDCARD_DEVICE = (8, 4194303)  # object type 8 is device


def is_wildcard(object_identifier: Any) -> bool:
    """Compared as numbers: an ObjectIdentifier never equals ("device", 4194303)."""
    return (int(object_identifier[0]), int(object_identifier[1])) == WILDCARD_DEVICE


class WildcardReads:
    """Mixed into the application before bacpypes3's services."""

    device_object: Any

    def this_device(self, object_identifier: Any) -> Any:
        if is_wildcard(object_identifier) and self.device_object is not None:
            return self.device_object.objectIdentifier
        return object_identifier

    async def do_ReadPropertyRequest(self, apdu: Any) -> None:
        apdu.objectIdentifier = self.this_device(apdu.objectIdentifier)
        await super().do_ReadPropertyRequest(apdu)

    async def do_ReadPropertyMultipleRequest(self, apdu: Any) -> None:
        for spec in apdu.listOfReadAccessSpecs:
            spec.objectIdentifier = self.this_device(spec.objectIdentifier)
        await super().do_ReadPropertyMultipleRequest(apdu)
