"""Trend-log records straight from a ReadRange ack's octets, as plain data.

Speed is the reason this file exists. bacpypes3 decodes every answer into a
TagList before anyone sees it: for a 10,000-record log that is 90,000 Tag
objects (about a third of a second of the client's CPU on loopback), and a
bacpypes3 ``LogRecord`` costs ~100 us more per record. Here the ack's
head (object, property, flags, count, first sequence number) is decoded by
bacpypes3 from its few octets, the item data is kept as octets
(:class:`ItemOctets`, whose ``tagList`` is still there, decoded on demand),
and the records are read from those octets in one pass:

- BACnetLogRecord (trend-log): timestamp, log-datum, status-flags -> :class:`TrendRecord`;
- BACnetLogMultipleRecord (trend-log-multiple): timestamp, a list of data
  (or a log-status / time-change) -> :class:`MultiTrendRecord`.

:func:`install` points bacpypes3's ack decoding at :func:`decode_ack` for
ReadRange acks only (idempotent); anything it does not recognise goes to
bacpypes3's own decoder unchanged.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from typing import Any

from bacpypes3.apdu import APCISequence, ComplexAckPDU, ConfirmedServiceChoice, ReadRangeACK
from bacpypes3.constructeddata import Any as AnyData
from bacpypes3.pdu import PDUData
from bacpypes3.primitivedata import TagList

from .errors import BacnetError
from .types import Plain

STATUS_NAMES = ("in-alarm", "fault", "overridden", "out-of-service")
_READ_RANGE = int(ConfirmedServiceChoice.readRange)
_APP, _CONTEXT, _OPEN, _CLOSE = 0, 1, 2, 3
_REAL = struct.Struct(">f")
Value = float | bool | int | None | list


@dataclass(frozen=True)
class TrendRecord(Plain):
    """One log record as plain data.

    ``epoch`` is seconds since 1970 (the device's local time taken as this
    host's local time), ``time`` the same as ISO 8601; ``value`` a float,
    bool, int or None; ``status`` the status flags that were set
    (``["fault"]``); ``kind`` is "value", "log-status", "failure" or
    "time-change"; ``sequence`` the device's sequence number when known.
    """

    epoch: float
    time: str
    value: float | bool | int | None
    status: tuple[str, ...] = ()
    kind: str = "value"
    sequence: int | None = None


@dataclass(frozen=True)
class MultiTrendRecord(Plain):
    """One trend-log-multiple record: a value per logged property, in log-device-object-property order.

    ``values`` holds floats, bools, ints, or None (a null datum, or a
    failure to read that property); for ``kind`` "log-status" it is the one
    status bit list (log-disabled, buffer-purged, log-interrupted), for
    "time-change" the one clock change in seconds. A trend-log-multiple
    record has no status flags. Other fields as :class:`TrendRecord`.
    """

    epoch: float
    time: str
    values: tuple[Value, ...]
    kind: str = "value"
    sequence: int | None = None


# ----- the ack --------------------------------------------------------------------------------


class ItemOctets(AnyData):
    """A ReadRange ack's item-data kept as octets; ``tagList`` decodes them when someone asks."""

    octets: bytes | None = None
    _tags: TagList | None = None

    @classmethod
    def of(cls, octets: bytes) -> "ItemOctets":
        # Not cls(...): bacpypes3's element metaclass casts arguments, and with none makes a class.
        item = object.__new__(cls)
        item.octets, item._tags = octets, None
        return item

    @property
    def tagList(self) -> TagList | None:  # noqa: N802 (bacpypes3 name)
        if self._tags is None and self.octets is not None:
            self._tags = TagList.decode(PDUData(self.octets))
        return self._tags

    @tagList.setter
    def tagList(self, value: TagList | None) -> None:  # noqa: N802
        if value is not None:
            self._tags = value


def _tag(data: bytes, i: int) -> tuple[int, int, int, int]:
    """The tag at ``i``: (number, class, where its value starts, where the next tag starts)."""
    b = data[i]
    i += 1
    number = b >> 4
    if number == 15:
        number = data[i]
        i += 1
    lvt = b & 7
    if b & 8:
        if lvt == 6:
            return number, _OPEN, i, i
        if lvt == 7:
            return number, _CLOSE, i, i
        cls = _CONTEXT
    else:
        cls = _APP
        if number == 1:  # application BOOLEAN: the value is in the tag
            return number, cls, i, i
    if lvt == 5:
        lvt = data[i]
        i += 1
        if lvt == 254:
            lvt = int.from_bytes(data[i:i + 2], "big")
            i += 2
        elif lvt == 255:
            lvt = int.from_bytes(data[i:i + 4], "big")
            i += 4
    return number, cls, i, i + lvt


def _closing(data: bytes, i: int, number: int) -> int:
    """Where the closing tag matching the opening ``number`` just before ``i`` starts."""
    depth = 1
    while True:
        tag, cls, _, after = _tag(data, i)
        if cls == _OPEN:
            depth += 1
        elif cls == _CLOSE:
            depth -= 1
            if depth == 0:
                if tag != number:
                    raise ValueError("unbalanced tags")
                return i
        i = after


def _item_end(data: bytes, start: int) -> int:
    """Where the closing [5] of the item data starts.

    From the end when only one place fits (the closing tag last, or followed
    by a [6] first-sequence-number of 1 to 4 octets): walking every record's
    tags to find it cost as much as decoding them. When two places fit, walk.
    """
    n = len(data)
    fits = [end for end in [n - 1] + [n - 2 - k for k in range(1, 5)]
            if end >= start and data[end] == 0x5F and (end == n - 1 or data[end + 1] == 0x68 + n - end - 2)]
    if len(fits) == 1:
        return fits[0]
    return _closing(data, start, 5)


def decode_ack(apdu: Any) -> ReadRangeACK:
    """A ReadRange ack whose item data stays octets (:class:`ItemOctets`); ValueError/IndexError if malformed."""
    data = bytes(apdu.pduData)
    number, cls, start, i = _tag(data, 0)
    while not (number == 5 and cls == _OPEN):
        if cls != _CONTEXT or number > 4:
            raise ValueError("not a ReadRange ack")
        number, cls, start, i = _tag(data, i)
    end = _item_end(data, i)
    after = end + 1
    head = ComplexAckPDU()
    head.update(apdu)
    head.put_data(data[:start - 1] + b"\x5e\x5f" + data[after:])  # item-data emptied: a few tags for bacpypes3
    ack = _original_decode(head)
    # Stored as is: assigning through the Sequence would cast it to a TagList (decode every record).
    object.__setattr__(ack, "itemData", ItemOctets.of(data[i:end]))
    return ack


_original_decode = APCISequence.decode


def _decode(cls: type, apdu: Any) -> Any:
    if apdu.apduType == ComplexAckPDU.pduType and apdu.apduService == _READ_RANGE:
        try:
            return decode_ack(apdu)
        except Exception:  # noqa: BLE001 - bacpypes3's own decoder then says what is wrong with it
            pass
    return _original_decode.__func__(cls, apdu)


def install() -> None:
    """Decode ReadRange acks with :func:`decode_ack` from now on (this process; idempotent)."""
    if APCISequence.decode.__func__ is not _decode:
        APCISequence.decode = classmethod(_decode)


# ----- the records ----------------------------------------------------------------------------


class _Clock:
    """Device date and time fields to epoch seconds and ISO text; mktime once per minute seen."""

    __slots__ = ("minutes",)

    def __init__(self) -> None:
        self.minutes: dict[bytes, float] = {}

    def at(self, data: bytes, i: int) -> tuple[float, str, int]:
        """The [0] timestamp at ``i`` (its opening tag): (epoch, ISO text, where the next field starts)."""
        if data[i + 1] == 0xA4 and data[i + 6] == 0xB4 and data[i + 11] == 0x0F:
            year, month, day = data[i + 2], data[i + 3], data[i + 4]
            hour, minute, second, hundredth = data[i + 7], data[i + 8], data[i + 9], data[i + 10]
            i += 12
        else:  # not the compact form: walk the tags
            _, _, d, after = _tag(data, i + 1)
            _, _, t, after = _tag(data, after)
            year, month, day = data[d], data[d + 1], data[d + 2]
            hour, minute, second, hundredth = data[t], data[t + 1], data[t + 2], data[t + 3]
            i = _tag(data, after)[3]
        if 255 in (year, month, day, hour, minute, second):
            raise BacnetError("a log record's timestamp has unspecified fields")
        key = bytes((year, month, day, hour, minute))
        base = self.minutes.get(key)
        if base is None:
            base = self.minutes[key] = time.mktime((year + 1900, month, day, hour, minute, 0, 0, 0, -1))
        if hundredth == 255:
            hundredth = 0
        epoch = base + second + hundredth / 100
        text = f"{year + 1900:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}.{hundredth * 10:03d}"
        return epoch, text, i


def _real(value: float) -> float:
    """A REAL as the number the device meant: its 7 significant digits (72.99, not 72.989998)."""
    return float(f"{value:.7g}")


def _bits(data: bytes) -> list[int]:
    if not data:
        return []
    unused, octets = data[0], data[1:]
    total = len(octets) * 8 - unused
    return [(octets[k // 8] >> (7 - k % 8)) & 1 for k in range(total)]


def _number(kind: int, data: bytes) -> Value:
    """A primitive datum by its kind: 'r' real, 'b' boolean, 'u' unsigned/enumerated, 'i' signed, 's' bits."""
    if kind == 0x72:  # r
        return _real(_REAL.unpack(data)[0])
    if kind == 0x62:  # b
        return bool(data[0]) if data else False
    if kind == 0x75:  # u
        return int.from_bytes(data, "big")
    if kind == 0x69:  # i
        return int.from_bytes(data, "big", signed=True)
    if kind == 0x73:  # s
        return _bits(data)
    return None


# the log-datum choices of a BACnetLogRecord: tag -> (kind of record, what the datum is)
_DATUM = {0: ("log-status", 0x73), 1: ("value", 0x62), 2: ("value", 0x72), 3: ("value", 0x75), 4: ("value", 0x75),
          5: ("value", 0x69), 6: ("value", 0x73), 7: ("value", 0), 8: ("failure", 0), 9: ("time-change", 0x72),
          10: ("value", 0)}
# the data of a BACnetLogMultipleRecord's list: tag -> what the datum is (7 failure, 8 any: None)
_MULTI_DATUM = {0: 0x62, 1: 0x72, 2: 0x75, 3: 0x75, 4: 0x69, 5: 0x73, 6: 0}


def decode_log_records(octets: bytes, first_sequence: int | None = None) -> list[TrendRecord]:
    """BACnetLogRecords from a trend-log's item-data octets; ``first_sequence`` numbers them.

    Raises BacnetError when the octets are not log records.
    """
    try:
        return _log_records(octets, first_sequence)
    except (IndexError, ValueError, KeyError, struct.error) as exc:
        raise BacnetError(f"log-buffer: records that do not decode ({type(exc).__name__})") from None


def _log_records(data: bytes, sequence: int | None) -> list[TrendRecord]:
    clock, out, i, n = _Clock(), [], 0, len(data)
    while i < n:
        epoch, text, i = clock.at(data, i)
        if data[i] == 0x1E and data[i + 1] == 0x2C and data[i + 6] == 0x1F:  # the usual: [1] ( [2] REAL ) and maybe status flags
            value = _real(_REAL.unpack_from(data, i + 2)[0])
            i += 7
            status = ()
            if i < n and data[i] == 0x2A:
                flags = data[i + 2] >> 4
                status = tuple(name for name, bit in zip(STATUS_NAMES, (8, 4, 2, 1)) if flags & bit)
                i += 3
            out.append(TrendRecord(epoch, text, value, status, "value", sequence))
            if sequence is not None:
                sequence += 1
            continue
        number, cls, start, i = _tag(data, i)  # opening [1]
        number, cls, start, i = _tag(data, i)
        kind, what = _DATUM[number]
        value: Value = None
        if cls == _OPEN:  # failure [8] or any-value [10]: skipped to its closing tag
            i = _tag(data, _closing(data, i, number))[3]
        else:
            value = _number(what, data[start:i])
        i = _tag(data, i)[3]  # closing [1]
        status: tuple[str, ...] = ()
        if i < n and data[i] & 0xF8 == 0x28:  # [2] status-flags
            _, _, start, i = _tag(data, i)
            status = tuple(name for name, bit in zip(STATUS_NAMES, _bits(data[start:i])) if bit)
        out.append(TrendRecord(epoch, text, value, status, kind, sequence))
        if sequence is not None:
            sequence += 1
    return out


def decode_log_multiple_records(octets: bytes, first_sequence: int | None = None) -> list[MultiTrendRecord]:
    """BACnetLogMultipleRecords from a trend-log-multiple's item-data octets (BacnetError if they are not)."""
    try:
        return _log_multiple_records(octets, first_sequence)
    except (IndexError, ValueError, KeyError, struct.error) as exc:
        raise BacnetError(f"log-buffer: records that do not decode ({type(exc).__name__})") from None


def _log_multiple_records(data: bytes, sequence: int | None) -> list[MultiTrendRecord]:
    clock, out, i, n = _Clock(), [], 0, len(data)
    while i < n:
        epoch, text, i = clock.at(data, i)
        _, _, _, i = _tag(data, i)  # opening [1] log-data
        number, cls, start, i = _tag(data, i)
        if number == 1 and cls == _OPEN:  # [1] the data, one per logged property
            kind, values = "value", []
            while True:
                if data[i] == 0x1C:  # the usual: [1] REAL
                    values.append(_real(_REAL.unpack_from(data, i + 1)[0]))
                    i += 5
                    continue
                number, cls, start, i = _tag(data, i)
                if cls == _CLOSE:
                    break
                if cls == _OPEN:  # failure [7] or any-value [8]
                    i = _tag(data, _closing(data, i, number))[3]
                    values.append(None)
                else:
                    values.append(_number(_MULTI_DATUM[number], data[start:i]))
        elif number == 0:
            kind, values = "log-status", [_bits(data[start:i])]
        elif number == 2:
            kind, values = "time-change", [_number(0x72, data[start:i])]
        else:
            raise ValueError("log-data choice")
        i = _tag(data, i)[3]  # closing [1]
        out.append(MultiTrendRecord(epoch, text, tuple(values), kind, sequence))
        if sequence is not None:
            sequence += 1
    return out
