"""WriteProperty and WritePropertyMultiple answered the way a field controller answers them.

bacpypes3 decodes the written value to the property's datatype before the
object is asked anything, so a REAL written to a binary present-value, or a
string to an analog one, was answered Reject(invalid-tag) (a real device
says Error(property, invalid-data-type)), and a read-only property written
with the wrong datatype got that Reject instead of write-access-denied. Its
WritePropertyMultiple raises its error without sending it, and a property the
object does not have crashes its WriteProperty (operational-problem).

Here each property of a write is checked in the order a controller checks it:

1. the priority: Reject(parameter-out-of-range) outside 1..16;
2. the object: Error(object, unknown-object);
3. the property: Error(property, unknown-property);
4. whether a network write may change it (``Served.check_write``):
   Error(property, write-access-denied), or property-is-not-an-array for an
   index on a scalar;
5. the value's datatype: Error(property, invalid-data-type);
6. the value itself (``Served.write_property``): value-out-of-range...

A WritePropertyMultiple stops at the first failure (the writes before it
stay, as the standard says) and answers it as
WritePropertyMultiple-Error naming that property (an unknown object too:
bacpypes3 answered a plain Error when none of the objects existed). Both
services take device,4194303 for the device itself.
"""

from __future__ import annotations

from typing import Any

from bacpypes3.apdu import SimpleAckPDU, WritePropertyMultipleError
from bacpypes3.basetypes import ErrorType, ObjectPropertyReference
from bacpypes3.constructeddata import Array
from bacpypes3.errors import ExecutionError, ObjectError, ParameterOutOfRange, PropertyError
from bacpypes3.primitivedata import Unsigned

from .wildcard import WildcardReads



def written_datatype(obj: Any, property_identifier: Any, index: int | None) -> type:
    """The datatype a write of ``property_identifier`` (at ``index``) must carry.

    Raises Error(property, unknown-property) when the object has no such property.
    """
    datatype = obj.get_property_type(property_identifier)
    if datatype is None:
        raise PropertyError("unknownProperty")
    if issubclass(datatype, Array) and index is not None:
        return Unsigned if index == 0 else datatype._subtype  # [0] is the array's length
    return datatype


def decode_written(value: Any, datatype: type, *, commanding: bool) -> Any:
    """The written value (a bacpypes3 ``Any``) as ``datatype``; Null only when ``commanding``.

    Anything that does not decode as that datatype (a REAL to a binary
    present-value, a string to an analog one, two values where one belongs)
    is Error(property, invalid-data-type).
    """
    try:
        return value.cast_out(datatype, null=commanding)
    except Exception:  # noqa: BLE001 (InvalidTag, DecodingError, TypeError...: all "not this datatype")
        raise PropertyError("invalidDataType") from None


async def write_one(obj: Any, property_identifier: Any, index: int | None, priority: int | None, value: Any) -> None:
    """Check, decode and write one property of one object (steps 3-6 above)."""
    datatype = written_datatype(obj, property_identifier, index)
    check = getattr(obj, "check_write", None)
    if check is not None:  # every object we serve (served.py); a plain bacpypes3 object is not asked
        check(property_identifier, index, priority)
    typed = decode_written(value, datatype, commanding=priority is not None)
    await obj.write_property(property_identifier, typed, index, priority)


class WriteServices(WildcardReads):
    """Mixin for an Application, before it in the bases: the two write services."""

    async def do_WritePropertyRequest(self, apdu) -> None:  # noqa: N802, ANN001 (bacpypes3 name)
        _check_priority(apdu.priority)
        obj = self.get_object_id(self.this_device(apdu.objectIdentifier))
        if obj is None:
            raise ObjectError("unknownObject")
        await write_one(obj, apdu.propertyIdentifier, apdu.propertyArrayIndex, apdu.priority, apdu.propertyValue)
        await self.response(SimpleAckPDU(context=apdu))

    async def do_WritePropertyMultipleRequest(self, apdu) -> None:  # noqa: N802, ANN001
        specs = list(apdu.listOfWriteAccessSpecs)
        for spec in specs:  # a malformed priority anywhere rejects the whole request, before any write
            for element in spec.listOfProperties:
                _check_priority(element.priority)
        for spec in specs:
            object_identifier = self.this_device(spec.objectIdentifier)
            obj = self.get_object_id(object_identifier)
            for element in spec.listOfProperties:
                try:
                    if obj is None:
                        raise ObjectError("unknownObject")
                    await write_one(obj, element.propertyIdentifier, element.propertyArrayIndex,
                                    element.priority, element.value)
                except ExecutionError as error:
                    # bacpypes3 raises this error PDU but never sends it: the client heard nothing.
                    await self.response(_first_failed(apdu, error, object_identifier, element))
                    return
        await self.response(SimpleAckPDU(context=apdu))



def _check_priority(priority: int | None) -> None:
    if priority is not None and not 1 <= priority <= 16:
        raise ParameterOutOfRange(f"priority {priority} is outside 1..16")


def _first_failed(apdu, error: ExecutionError, object_identifier, element) -> WritePropertyMultipleError:  # noqa: ANN001
    reference = ObjectPropertyReference(objectIdentifier=object_identifier, propertyIdentifier=element.propertyIdentifier)
    if element.propertyArrayIndex is not None:
        reference.propertyArrayIndex = element.propertyArrayIndex
    answer = WritePropertyMultipleError(
        errorType=ErrorType(errorClass=error.errorClass, errorCode=error.errorCode),
        firstFailedWriteAttempt=reference,
    )
    answer.set_context(apdu)
    return answer
