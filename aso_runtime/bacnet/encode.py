"""Build requests: our plain ids, properties and values become bacpypes3 objects here.

The mirror of ``decode.py``. Nothing here sends anything; the client puts
each request through its one boundary (``BacnetClient._call``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bacpypes3.apdu import (
    ReadPropertyMultipleRequest,
    ReadPropertyRequest,
    WritePropertyMultipleRequest,
    WritePropertyRequest,
)
from bacpypes3.basetypes import (
    PropertyReference,
    PropertyValue as BacnetPropertyValue,
    ReadAccessSpecification,
    WriteAccessSpecification,
)
from bacpypes3.constructeddata import Any as AnyValue
from bacpypes3.constructeddata import Array
from bacpypes3.pdu import Address
from bacpypes3.primitivedata import Null, ObjectIdentifier

from .errors import InvalidInput
from .ids import ObjectId, parse_object_id
from .values import bacnet_property, coerce_for_write, is_null, property_datatype

# (property, array index or None), as parse_property returns them
PropertyRef = tuple[str, "int | None"]


def bacnet_object_id(oid: ObjectId) -> ObjectIdentifier:
    """Built from (type number, instance): bacpypes3 has no name for color, color-temperature
    or proprietary types, and a name it does not know raises."""
    number = oid.type_number
    if number is None:
        raise InvalidInput(f"object type {oid.type!r} has no BACnet number")
    return ObjectIdentifier((number, oid.instance))


def address_text(address: Address) -> str:
    """Text form of an address that :meth:`BacnetClient.resolve` reads back.

    Virtual-network and MS/TP stations have 1-2 byte MACs; bacpypes3 prints
    them as bare digits, which would read back as a device instance. We
    print them in hex (``0x02``), which bacpypes3 also parses.
    """
    if address.addrType == Address.localStationAddr and address.addrAddr and len(address.addrAddr) <= 2:
        return "0x" + address.addrAddr.hex()
    return str(address)


def property_reference(prop: str, index: int | None) -> PropertyReference:
    ref = PropertyReference(propertyIdentifier=bacnet_property(prop))
    if index is not None:
        ref.propertyArrayIndex = index
    return ref


def encode_value(oid: ObjectId, prop: str, index: int | None, value: Any, where: str, priority: int | None) -> AnyValue:
    """The value cast to the property's standard datatype; :class:`InvalidInput` if it does not fit.

    None or ``'null'`` is Null, which only a release (a present-value with a
    priority) may send.
    """
    if is_null(value):
        if priority is None and prop == "present-value":
            raise InvalidInput(f"{where}: writing null needs a priority (a release relinquishes one slot)")
        return AnyValue(Null(()))
    datatype = property_datatype(oid.type_number, bacnet_property(prop)) if oid.type_number is not None else None
    if datatype is None:
        raise InvalidInput(f"{where}: {oid.type} has no standard property {prop}; cannot tell what type to write")
    if issubclass(datatype, Array) and index is not None:
        datatype = datatype._subtype
    plain = coerce_for_write(value, datatype, where)
    try:
        return AnyValue(datatype(plain))
    except Exception as exc:
        raise InvalidInput(f"{where}: {value!r} cannot be written as {datatype.__name__} ({exc})") from None


def check_write_value(object_id: "str | ObjectId", prop: str, value: Any, *, index: int | None = None,
                      priority: int | None = None) -> None:
    """Refuse, with the one-line :class:`InvalidInput` a write would raise, a value that does not fit.

    For dialogs that check a value as it is typed, before anything is sent.
    """
    oid = parse_object_id(object_id)
    encode_value(oid, prop, index, value, f"{oid} {prop}", priority)


def read_request(address: Address, oid: ObjectId, prop: str, index: int | None) -> ReadPropertyRequest:
    request = ReadPropertyRequest(
        objectIdentifier=bacnet_object_id(oid), propertyIdentifier=bacnet_property(prop), destination=address
    )
    if index is not None:
        request.propertyArrayIndex = index
    return request


def read_multiple_request(
    address: Address, specs: Sequence[tuple[ObjectId, Sequence[PropertyRef]]]
) -> ReadPropertyMultipleRequest:
    return ReadPropertyMultipleRequest(
        listOfReadAccessSpecs=[
            ReadAccessSpecification(
                objectIdentifier=bacnet_object_id(oid),
                listOfPropertyReferences=[property_reference(p, i) for p, i in props],
            )
            for oid, props in specs
        ],
        destination=address,
    )


def write_request(
    address: Address, oid: ObjectId, prop: str, index: int | None, encoded: AnyValue, priority: int | None
) -> WritePropertyRequest:
    request = WritePropertyRequest(
        objectIdentifier=bacnet_object_id(oid),
        propertyIdentifier=bacnet_property(prop),
        propertyValue=encoded,
        destination=address,
    )
    if index is not None:
        request.propertyArrayIndex = index
    if priority is not None:
        request.priority = priority
    return request


def write_element(prop: str, index: int | None, encoded: AnyValue, priority: int | None) -> BacnetPropertyValue:
    """One property of a WritePropertyMultiple."""
    element = BacnetPropertyValue(propertyIdentifier=bacnet_property(prop), value=encoded)
    if index is not None:
        element.propertyArrayIndex = index
    if priority is not None:
        element.priority = priority
    return element


def write_multiple_request(
    address: Address, grouped: Sequence[tuple[ObjectId, list[BacnetPropertyValue]]]
) -> WritePropertyMultipleRequest:
    """bacpypes3 has no client helper for WPM: the request is built here."""
    return WritePropertyMultipleRequest(
        listOfWriteAccessSpecs=[
            WriteAccessSpecification(objectIdentifier=bacnet_object_id(oid), listOfProperties=elements)
            for oid, elements in grouped
        ],
        destination=address,
    )
