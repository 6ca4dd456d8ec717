"""Read a trend log's buffer with ReadRange, page by page, into plain records.

>>> records = await read_range(client, 2001, "trend-log,1", since=time.time() - 7200)

A device answers as many records as fit in one APDU (more-items set when
it left some out); :func:`read_range` asks again from where the last page
ended until the device says there is no more, continuing by sequence
number (stable while the device keeps logging) when the device gives one,
by position otherwise. A device that refuses the asked range type (Reject
or an Error other than unknown-object / unknown-property) is asked again
by position, where the time filter is applied here.
"""

from __future__ import annotations

import logging
import struct
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bacpypes3.apdu import ReadRangeACK, ReadRangeRequest
from bacpypes3.basetypes import DateTime, Range, RangeByPosition, RangeBySequenceNumber, RangeByTime
from bacpypes3.primitivedata import Date, ObjectIdentifier, Time

from .errors import BacnetError, BacnetReject, BacnetRemoteError, InvalidInput
from .ids import parse_object_id
from .types import Plain

log = logging.getLogger("aso.bacnet.trend")

BY = ("time", "position", "sequence")
ALL = 0x7FFFFFFF  # the largest count a ReadRange can ask for (a signed 32-bit INTEGER here)
_NOT_A_FALLBACK = {"unknown-object", "unknown-property", "unrecognized-service"}
STATUS_NAMES = ("in-alarm", "fault", "overridden", "out-of-service")


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


@dataclass
class _Page:
    records: list[TrendRecord]
    first_item: bool
    last_item: bool
    more: bool
    first_sequence: int | None


def _epoch(since: Any) -> float | None:
    if since is None:
        return None
    if isinstance(since, datetime):
        return since.timestamp()
    if isinstance(since, (int, float)) and not isinstance(since, bool):
        return float(since)
    raise InvalidInput(f"since: expected epoch seconds or a datetime, got {since!r}")


def _bacnet_time(epoch: float) -> DateTime:
    epoch = round(epoch, 2)
    t = time.localtime(epoch)
    return DateTime(date=Date((t.tm_year - 1900, t.tm_mon, t.tm_mday, t.tm_wday + 1)),
                    time=Time((t.tm_hour, t.tm_min, t.tm_sec, min(99, int(round((epoch % 1) * 100))))))


async def read_range(client: Any, device: Any, object_id: Any, *, since: Any = None, count: int | None = None,
                     by: str = "time", timeout: float | None = None) -> list[TrendRecord]:
    """The records of a trend log's log-buffer, oldest first.

    ``since`` (epoch seconds or a datetime): only records logged after it.
    ``count``: at most that many, the first after ``since``, or without
    ``since`` the newest. ``by``: "time", "sequence" or "position" (how the
    device is asked; "time" without ``since`` asks by sequence number).
    Falls back to "position" when the device refuses the asked kind.
    Raises InvalidInput, BacnetTimeout, BacnetRemoteError (e.g. unknown-object),
    BacnetReject (e.g. a device without ReadRange: unrecognized-service).
    """
    if by not in BY:
        raise InvalidInput(f"by: one of {', '.join(BY)}, got {by!r}")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise InvalidInput(f"count: a whole number >= 1, got {count!r}")
    oid = parse_object_id(object_id)
    after = _epoch(since)
    if by == "time" and after is None:
        by = "sequence"
    methods = [by] if by == "position" else [by, "position"]
    for method in methods:
        try:
            return await _read(client, device, oid, method, after, count, timeout)
        except (BacnetReject, BacnetRemoteError) as exc:
            code = getattr(exc, "error_code", None) or getattr(exc, "reason", "")
            if method == methods[-1] or code in _NOT_A_FALLBACK:
                raise
            log.info("%s %s: ReadRange by %s refused (%s); asking by position", device, oid, method, exc)
    raise AssertionError("unreachable")


async def _read(client: Any, device: Any, oid: Any, method: str, after: float | None, count: int | None,
                timeout: float | None) -> list[TrendRecord]:
    records: list[TrendRecord] = []
    newest = count is not None and after is None
    if method == "time":
        page = await _request(client, device, oid, RangeByTime(referenceTime=_bacnet_time(after), count=count or ALL),
                              timeout)
    elif method == "sequence":
        start = 1
        if newest:
            total = await client.read(device, oid, "total-record-count", timeout=timeout)
            start = max(1, int(total) - count + 1)
        page = await _request(client, device, oid, RangeBySequenceNumber(referenceSequenceNumber=start, count=count or ALL),
                              timeout)
    else:
        start = 1
        if newest:
            held = await client.read(device, oid, "record-count", timeout=timeout)
            start = max(1, int(held) - count + 1)
        page = await _request(client, device, oid, RangeByPosition(referenceIndex=start, count=count or ALL), timeout)
        position = start
    while True:
        records.extend(page.records)
        wanted = None if (count is None or method == "position" and after is not None) else count - len(records)
        if not page.more or not page.records or page.last_item or wanted == 0:
            break
        ask = ALL if wanted is None else wanted
        if method != "position" and page.first_sequence is not None:
            following = page.first_sequence + len(page.records)
            page = await _request(client, device, oid, RangeBySequenceNumber(referenceSequenceNumber=following,
                                                                              count=ask), timeout)
        elif method == "time":
            page = await _request(client, device, oid, RangeByTime(referenceTime=_bacnet_time(records[-1].epoch),
                                                                   count=ask), timeout)
        else:
            position += len(page.records)
            page = await _request(client, device, oid, RangeByPosition(referenceIndex=position, count=ask), timeout)
    if method == "position" and after is not None:
        records = [r for r in records if r.epoch > after]
        if count is not None:
            records = records[:count]
    return records


async def _request(client: Any, device: Any, oid: Any, range_: Any, timeout: float | None) -> _Page:
    address, name = await client.resolve(device)
    where = f"{name} {oid} log-buffer ReadRange"
    kind = {RangeByPosition: "byPosition", RangeBySequenceNumber: "bySequenceNumber", RangeByTime: "byTime"}[type(range_)]

    async def request() -> _Page:
        apdu = ReadRangeRequest(objectIdentifier=ObjectIdentifier((oid.type_number, oid.instance)),
                                propertyIdentifier="log-buffer", destination=address)
        apdu.range = Range(**{kind: range_})
        ack = await client.app.request(apdu)
        if not isinstance(ack, ReadRangeACK):
            raise BacnetError(f"{where}: unexpected answer {type(ack).__name__}")
        flags = list(ack.resultFlags) + [0, 0, 0]
        records = decode_log_records(ack.itemData.tagList if ack.itemData is not None else [])
        first = None if ack.firstSequenceNumber is None else int(ack.firstSequenceNumber)
        if first is not None:
            records = [_numbered(r, first + i) for i, r in enumerate(records)]
        if int(ack.itemCount) != len(records):
            raise BacnetError(f"{where}: item-count {int(ack.itemCount)} but {len(records)} records")
        return _Page(records, bool(flags[0]), bool(flags[1]), bool(flags[2]), first)

    return await client._call(where, address, request, timeout)


def _numbered(record: TrendRecord, sequence: int) -> TrendRecord:
    return TrendRecord(record.epoch, record.time, record.value, record.status, record.kind, sequence)


# ----- decoding: straight from the tags (bacpypes3's LogRecord costs ~100 us a record) --------

_OPEN, _CLOSE, _CONTEXT = 2, 3, 1


def decode_log_records(tags: Any) -> list[TrendRecord]:
    """BACnetLogRecords from the item-data's tags (the ack's [5] wrapper already stripped or not)."""
    tags = list(tags)
    if tags and int(tags[0].tag_class) == _OPEN and tags[0].tag_number == 5:
        tags = tags[1:-1]
    out: list[TrendRecord] = []
    i, n = 0, len(tags)
    while i < n:
        # [0] timestamp: opening 0, Date, Time, closing 0
        date, clock = tags[i + 1].tag_data, tags[i + 2].tag_data
        i += 4
        epoch = time.mktime((date[0] + 1900, date[1], date[2], clock[0], clock[1], clock[2], 0, 0, -1))
        if clock[3] != 255:
            epoch += clock[3] / 100
        # [1] log-datum: opening 1, one choice, closing 1
        i += 1
        tag = tags[i]
        choice, kind, value = tag.tag_number, "value", None
        if int(tag.tag_class) == _OPEN:  # failure [8] or any-value [10]: skip to its closing tag
            depth = 0
            while True:
                cls = int(tags[i].tag_class)
                depth += cls == _OPEN
                depth -= cls == _CLOSE
                i += 1
                if depth == 0:
                    break
            kind = "failure" if choice == 8 else "value"
        else:
            data = tag.tag_data
            i += 1
            if choice == 2:
                value = struct.unpack(">f", data)[0]
            elif choice == 1:
                value = bool(data[0])
            elif choice in (3, 4):
                value = int.from_bytes(data, "big")
            elif choice == 5:
                value = int.from_bytes(data, "big", signed=True)
            elif choice == 9:
                kind, value = "time-change", struct.unpack(">f", data)[0]
            elif choice == 0:
                kind, value = "log-status", _bits(data)
            elif choice == 6:
                value = _bits(data)
        i += 1  # closing 1
        status: tuple[str, ...] = ()
        if i < n and int(tags[i].tag_class) == _CONTEXT and tags[i].tag_number == 2:
            bits = _bits(tags[i].tag_data)
            status = tuple(name for name, bit in zip(STATUS_NAMES, bits) if bit)
            i += 1
        if isinstance(value, float):
            value = round(value, 6)
        out.append(TrendRecord(epoch, datetime.fromtimestamp(epoch).isoformat(timespec="milliseconds"), value,
                               status, kind))
    return out


def _bits(data: bytes) -> list[int]:
    if not data:
        return []
    unused, octets = data[0], data[1:]
    total = len(octets) * 8 - unused
    return [(octets[k // 8] >> (7 - k % 8)) & 1 for k in range(total)]
