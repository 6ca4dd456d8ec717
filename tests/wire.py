"""BACnet/IP datagrams encoded by hand, and a classifier for what comes back.

The hostile-packet tests must send exactly the bytes an attacker (or a broken
controller) would: values a well-behaved client refuses to encode (priority 0,
enumerated 0xFFFFFFFF, the segmented bit without the segments), so nothing
here goes through bacpypes3. Only what the tests need is covered:

- building: :func:`read_property`, :func:`write_property`,
  :func:`subscribe_cov`, or any confirmed / unconfirmed APDU with
  :func:`confirmed` / :func:`unconfirmed`, wrapped by :func:`datagram`
  (BVLC original-unicast + NPDU); values with the ``app_*`` tag encoders.
- reading: :func:`classify` (``(pdu_type, service_choice, invoke_id)`` or
  None: the shape a UDP relay needs to pick datagrams to drop),
  :func:`answer`, which also decodes the error class/code of an Error and
  the reason of a Reject or Abort, and :func:`cov_notification`.

Every datagram goes to 127.0.0.1 only; this module never opens a socket.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

# BVLC (Annex J)
BVLC_TYPE = 0x81
ORIGINAL_UNICAST = 0x0A
ORIGINAL_BROADCAST = 0x0B
FORWARDED_NPDU = 0x04
DISTRIBUTE_BROADCAST = 0x09

# APDU types (clause 20.1)
CONFIRMED, UNCONFIRMED, SIMPLE_ACK, COMPLEX_ACK, SEGMENT_ACK, ERROR, REJECT, ABORT = range(8)

# Confirmed service choices used by the tests
CONFIRMED_COV_NOTIFICATION, SUBSCRIBE_COV, READ_PROPERTY, WRITE_PROPERTY, WRITE_PROPERTY_MULTIPLE = 1, 5, 12, 15, 16
# Unconfirmed
I_AM, COV_NOTIFICATION, WHO_IS = 0, 2, 8

# Object types and properties the tests name (any other number works too)
ANALOG_INPUT, ANALOG_OUTPUT, ANALOG_VALUE = 0, 1, 2
BINARY_INPUT, BINARY_OUTPUT, BINARY_VALUE = 3, 4, 5
DEVICE, MULTI_STATE_VALUE, NETWORK_PORT = 8, 19, 56
PRESENT_VALUE, OBJECT_IDENTIFIER, OBJECT_TYPE, OUT_OF_SERVICE = 85, 75, 79, 81

# Error classes / codes, reject and abort reasons (clause 21)
ERROR_CLASS = {0: "device", 1: "object", 2: "property", 3: "resources", 4: "security", 5: "services",
               6: "vt", 7: "communication"}
ERROR_CODE = {9: "invalid-data-type", 19: "no-space-to-add-list-element", 25: "operational-problem",
              31: "unknown-object", 32: "unknown-property", 37: "value-out-of-range", 40: "write-access-denied",
              43: "cov-subscription-failed", 50: "property-is-not-an-array"}
REJECT_REASON = {0: "other", 1: "buffer-overflow", 2: "inconsistent-parameters", 3: "invalid-parameter-datatype",
                 4: "invalid-tag", 5: "missing-required-parameter", 6: "parameter-out-of-range",
                 7: "too-many-arguments", 8: "undefined-enumeration", 9: "unrecognized-service"}
ABORT_REASON = {0: "other", 1: "buffer-overflow", 2: "invalid-apdu-in-this-state", 4: "segmentation-not-supported",
                8: "application-exceeded-reply-time", 9: "out-of-resources", 10: "tsm-timeout", 11: "apdu-too-long"}


# ----- tags (clause 20.2) ------------------------------------------------------------


def _tag(number: int, context: bool, data: bytes) -> bytes:
    first = (number << 4 if number < 15 else 0xF0) | (0x08 if context else 0)
    extra = b"" if number < 15 else bytes([number])
    size = len(data)
    if size <= 4:
        return bytes([first | size]) + extra + data
    if size <= 253:
        return bytes([first | 5]) + extra + bytes([size]) + data
    if size <= 0xFFFF:
        return bytes([first | 5]) + extra + b"\xfe" + struct.pack(">H", size) + data
    return bytes([first | 5]) + extra + b"\xff" + struct.pack(">I", size) + data


def _unsigned(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def object_id(object_type: int, instance: int) -> int:
    return (object_type << 22) | instance


def context_unsigned(tag: int, value: int) -> bytes:
    return _tag(tag, True, _unsigned(value))


def context_boolean(tag: int, value: bool) -> bytes:
    return _tag(tag, True, bytes([1 if value else 0]))


def context_octets(tag: int, data: bytes) -> bytes:
    return _tag(tag, True, data)


def context_object_id(tag: int, object_type: int, instance: int) -> bytes:
    return _tag(tag, True, struct.pack(">I", object_id(object_type, instance)))


def opening(tag: int) -> bytes:
    return bytes([(tag << 4) | 0x0E])


def closing(tag: int) -> bytes:
    return bytes([(tag << 4) | 0x0F])


def app_null() -> bytes:
    return b"\x00"


def app_boolean(value: bool) -> bytes:
    return bytes([0x11 if value else 0x10])  # the value lives in the length bits


def app_unsigned(value: int) -> bytes:
    return _tag(2, False, _unsigned(value))


def app_real(value: float) -> bytes:
    return _tag(4, False, struct.pack(">f", value))


def app_character_string(text: str) -> bytes:
    return _tag(7, False, b"\x00" + text.encode())


def app_enumerated(value: int) -> bytes:
    return _tag(9, False, _unsigned(value))


def app_object_id(object_type: int, instance: int) -> bytes:
    return _tag(12, False, struct.pack(">I", object_id(object_type, instance)))


def host_n_port(ip: str, port: int) -> bytes:
    """A BACnetHostNPort (a BBMD address): host as IP octets [0]/[1], port [1]."""
    octets = bytes(int(part) for part in ip.split("."))
    return opening(0) + context_octets(1, octets) + closing(0) + context_unsigned(1, port)


# ----- headers -------------------------------------------------------------------------


def datagram(apdu: bytes, *, expecting_reply: bool = True, network: int | None = None, mac: bytes = b"") -> bytes:
    """BVLC original-unicast around an NPDU (version 1) around ``apdu``.

    With ``network`` the NPDU names a destination behind a router (DNET
    ``network``, DADR ``mac``, hop count 255): how a device at ``2:5``
    behind the simulator's router is reached.
    """
    control = 0x04 if expecting_reply else 0x00
    routing = b""
    if network is not None:
        control |= 0x20
        routing = struct.pack(">HB", network, len(mac)) + mac + b"\xff"
    npdu = bytes([0x01, control]) + routing + apdu
    return struct.pack(">BBH", BVLC_TYPE, ORIGINAL_UNICAST, 4 + len(npdu)) + npdu


def confirmed(
    service: int,
    payload: bytes,
    invoke_id: int,
    *,
    segmented: bool = False,
    more_follows: bool = False,
    sequence: int = 0,
    window: int = 4,
    max_apdu: int = 5,
    max_segments: int = 0,
) -> bytes:
    """A confirmed-request APDU; ``segmented`` sets the SEG bit and adds sequence and window.

    ``max_apdu`` is the 4-bit code (5 = 1476 octets), ``max_segments`` the
    3-bit code (0 = unspecified). The segmented-response-accepted bit is set
    with ``segmented`` so the peer may answer in segments too.
    """
    flags = (0x08 if segmented else 0) | (0x04 if more_follows else 0) | (0x02 if segmented else 0)
    head = bytes([(CONFIRMED << 4) | flags, (max_segments << 4) | max_apdu, invoke_id])
    if segmented:
        head += bytes([sequence, window])
    return head + bytes([service]) + payload


def unconfirmed(service: int, payload: bytes) -> bytes:
    return bytes([UNCONFIRMED << 4, service]) + payload


# ----- services ------------------------------------------------------------------------


def read_property(invoke_id: int, object_type: int, instance: int, property_id: int, index: int | None = None,
                  **route) -> bytes:
    """ReadProperty; ``route`` is ``network=``/``mac=`` of :func:`datagram` (here and below)."""
    payload = context_object_id(0, object_type, instance) + context_unsigned(1, property_id)
    if index is not None:
        payload += context_unsigned(2, index)
    return datagram(confirmed(READ_PROPERTY, payload, invoke_id), **route)


def write_property(
    invoke_id: int,
    object_type: int,
    instance: int,
    property_id: int,
    value: bytes,
    *,
    priority: int | None = None,
    index: int | None = None,
    **route,
) -> bytes:
    """WriteProperty of ``value`` (already encoded, e.g. ``app_enumerated(2)``) at any priority, even 0 or 17."""
    payload = context_object_id(0, object_type, instance) + context_unsigned(1, property_id)
    if index is not None:
        payload += context_unsigned(2, index)
    payload += opening(3) + value + closing(3)
    if priority is not None:
        payload += context_unsigned(4, priority)
    return datagram(confirmed(WRITE_PROPERTY, payload, invoke_id), **route)


def write_property_multiple(invoke_id: int, object_type: int, instance: int, property_id: int, value: bytes,
                            *, priority: int | None = None, **route) -> bytes:
    """WritePropertyMultiple with one object and one property."""
    element = context_unsigned(0, property_id) + opening(2) + value + closing(2)
    if priority is not None:
        element += context_unsigned(3, priority)
    payload = context_object_id(0, object_type, instance) + opening(1) + element + closing(1)
    return datagram(confirmed(WRITE_PROPERTY_MULTIPLE, payload, invoke_id), **route)


def subscribe_cov(invoke_id: int, object_type: int, instance: int, *, process_id: int = 1,
                  confirmed_notifications: bool = False, lifetime: int = 60, cancel: bool = False, **route) -> bytes:
    """SubscribeCOV for ``lifetime`` seconds (about 21 bytes on the wire); ``cancel`` ends one."""
    payload = context_unsigned(0, process_id) + context_object_id(1, object_type, instance)
    if not cancel:
        payload += context_boolean(2, confirmed_notifications) + context_unsigned(3, lifetime)
    return datagram(confirmed(SUBSCRIBE_COV, payload, invoke_id), **route)


# ----- reading what comes back ----------------------------------------------------------


def _apdu_of(data: bytes) -> bytes | None:
    """The APDU inside a BVLC/NPDU datagram, or None (not BACnet/IP, a network message...)."""
    if len(data) < 6 or data[0] != BVLC_TYPE or struct.unpack(">H", data[2:4])[0] != len(data):
        return None
    function = data[1]
    if function in (ORIGINAL_UNICAST, ORIGINAL_BROADCAST, DISTRIBUTE_BROADCAST):
        at = 4
    elif function == FORWARDED_NPDU:
        at = 10  # the original source's IP and port come first
    else:
        return None
    if len(data) < at + 2 or data[at] != 0x01:
        return None
    control = data[at + 1]
    at += 2
    if control & 0x80:  # a network-layer message carries no APDU
        return None
    try:
        if control & 0x20:  # DNET, DLEN, DADR
            at += 3 + data[at + 2]
        if control & 0x08:  # SNET, SLEN, SADR
            at += 3 + data[at + 2]
        if control & 0x20:  # hop count
            at += 1
    except IndexError:
        return None
    return data[at:] if at < len(data) else None


def classify(data: bytes) -> tuple[int, int | None, int | None] | None:
    """``(pdu_type, service_choice, invoke_id)`` of a BACnet/IP datagram, or None.

    ``service_choice`` is None for segment-ack, reject and abort;
    ``invoke_id`` is None for unconfirmed requests. None for anything that
    is not a well-framed BACnet/IP datagram carrying an APDU.
    """
    apdu = _apdu_of(data)
    if not apdu:
        return None
    kind = apdu[0] >> 4
    need = {CONFIRMED: 4, UNCONFIRMED: 2, SIMPLE_ACK: 3, COMPLEX_ACK: 3, SEGMENT_ACK: 2, ERROR: 3, REJECT: 3, ABORT: 3}
    if kind not in need or len(apdu) < need[kind]:
        return None
    if kind == CONFIRMED:
        at = 5 if apdu[0] & 0x08 else 3
        return (kind, apdu[at], apdu[2]) if len(apdu) > at else None
    if kind == UNCONFIRMED:
        return kind, apdu[1], None
    if kind == COMPLEX_ACK:
        at = 4 if apdu[0] & 0x08 else 2
        return (kind, apdu[at], apdu[1]) if len(apdu) > at else None
    if kind in (SIMPLE_ACK, ERROR):
        return kind, apdu[2], apdu[1]
    return kind, None, apdu[1]  # segment-ack, reject, abort


@dataclass(frozen=True)
class Answer:
    """What a device said: ``kind`` is 'simple-ack', 'complex-ack', 'error', 'reject', 'abort', ...

    ``error`` is ``(class, code)`` as names (or numbers when not in the
    tables above); ``reason`` names a reject or abort reason.
    """

    kind: str
    invoke_id: int | None
    service: int | None
    error: tuple[str | int, str | int] | None = None
    reason: str | int | None = None


_KINDS = {CONFIRMED: "confirmed-request", UNCONFIRMED: "unconfirmed-request", SIMPLE_ACK: "simple-ack",
          COMPLEX_ACK: "complex-ack", SEGMENT_ACK: "segment-ack", ERROR: "error", REJECT: "reject", ABORT: "abort"}


def answer(data: bytes) -> Answer | None:
    """Decode an answer datagram; None if it is not one :func:`classify` understands."""
    shape = classify(data)
    if shape is None:
        return None
    kind, service, invoke_id = shape
    apdu = _apdu_of(data)
    if kind in (REJECT, ABORT):
        table = REJECT_REASON if kind == REJECT else ABORT_REASON
        return Answer(_KINDS[kind], invoke_id, None, reason=table.get(apdu[2], apdu[2]))
    if kind == ERROR:
        try:
            values = _enumerated_values(apdu[3:])
        except (IndexError, struct.error):  # a malformed error: still an error
            values = []
        if len(values) >= 2:
            error = (ERROR_CLASS.get(values[0], values[0]), ERROR_CODE.get(values[1], values[1]))
            return Answer("error", invoke_id, service, error=error)
    return Answer(_KINDS[kind], invoke_id, service)


def read_ack_value(data: bytes) -> bytes | None:
    """The encoded value of a ReadProperty-ACK datagram (inside its tag [3]), or None.

    Exactly the bytes a WriteProperty of the same value carries.
    """
    shape = classify(data)
    if shape is None or shape[:2] != (COMPLEX_ACK, READ_PROPERTY):
        return None
    apdu = _apdu_of(data)
    body = apdu[(5 if apdu[0] & 0x08 else 3):]
    at = 0
    for _ in range(3):  # [0] object identifier, [1] property, optional [2] array index
        first = body[at]
        if first == 0x3E:  # opening tag 3: the value follows
            break
        at += 1 + (first & 0x07)
    if body[at] != 0x3E or body[-1] != 0x3F:
        return None
    return body[at + 1:-1]


def _enumerated_values(data: bytes) -> list[int]:
    """The application-tagged enumerated values in order, stepping over context tags.

    Errors of most services are two enumerated values; WritePropertyMultiple
    wraps them in context tag 0 and adds the failed property after.
    """
    return [int.from_bytes(content, "big") for number, is_context, kind, content in _tags(data)
            if kind == "data" and not is_context and number == 9]


@dataclass(frozen=True)
class Notification:
    """A COV notification: who it is for, which object, and its values by property number.

    Values are decoded for REAL (float), Unsigned and Enumerated (int) and
    Boolean; anything else is left as its raw content bytes.
    """

    process_id: int
    monitored: tuple[int, int]  # (object type, instance)
    values: dict[int, object]


def cov_notification(data: bytes) -> Notification | None:
    """Decode a confirmed or unconfirmed COV notification datagram, else None."""
    shape = classify(data)
    if shape is None or shape[:2] not in ((UNCONFIRMED, COV_NOTIFICATION), (CONFIRMED, CONFIRMED_COV_NOTIFICATION)):
        return None
    apdu = _apdu_of(data)
    body = apdu[2:] if shape[0] == UNCONFIRMED else apdu[(6 if apdu[0] & 0x08 else 4):]
    try:
        return _notification(body)
    except (IndexError, struct.error):
        return None


def _notification(body: bytes) -> Notification:
    process_id, monitored, values, property_id, depth = 0, (0, 0), {}, None, 0
    for number, is_context, kind, content in _tags(body):
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif depth == 0 and number == 0:
            process_id = int.from_bytes(content, "big")
        elif depth == 0 and number == 2:
            raw = int.from_bytes(content, "big")
            monitored = (raw >> 22, raw & 0x3FFFFF)
        elif depth == 1 and is_context and number == 0:
            property_id = int.from_bytes(content, "big")
        elif depth == 2 and not is_context and property_id is not None:
            values[property_id] = _application_value(number, content)
    return Notification(process_id, monitored, values)


def _application_value(number: int, content: bytes) -> object:
    if number == 4:
        return struct.unpack(">f", content)[0]
    if number in (2, 9):
        return int.from_bytes(content, "big")
    if number == 1:
        return bool(content[0])
    return content


def _tags(data: bytes):
    """Yield (tag number, is context, 'open' | 'close' | 'data', content) for each tag."""
    at = 0
    while at < len(data):
        first = data[at]
        at += 1
        number, is_context, size = first >> 4, bool(first & 0x08), first & 0x07
        if number == 15:
            number, at = data[at], at + 1
        if is_context and size == 6:
            yield number, True, "open", b""
            continue
        if is_context and size == 7:
            yield number, True, "close", b""
            continue
        if not is_context and number == 1:  # application boolean: the value is the length bits
            yield number, False, "data", bytes([size])
            continue
        if size == 5:
            size, at = data[at], at + 1
            if size == 254:
                size, at = struct.unpack(">H", data[at:at + 2])[0], at + 2
            elif size == 255:
                size, at = struct.unpack(">I", data[at:at + 4])[0], at + 4
        yield number, is_context, "data", data[at:at + size]
        at += size
