"""Read a trend log's buffer with ReadRange, page by page, into plain records.

>>> records = await read_range(client, 2001, "trend-log,1", since=time.time() - 7200)

A device answers as many records as fit in one APDU (more-items set when
it left some out). :func:`read_range` asks for the first page, then for the
following ones ``WINDOW`` at a time (the device works on the next page while
we decode the last: a 10,000-record log comes in well under a second on
loopback, see benchmarks/trend.py), continuing by sequence number (stable
while the device keeps logging) when the device gives one, by position
otherwise. A device that refuses the asked range type (Reject or an Error
other than unknown-object / unknown-property) is asked again by position,
where the time filter is applied here.

A trend-log-multiple is read the same way into :class:`MultiTrendRecord`
(a value per logged property); the records are decoded from the ack's
octets (``log_records.py``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bacpypes3.apdu import ReadRangeACK, ReadRangeRequest
from bacpypes3.basetypes import DateTime, Range, RangeByPosition, RangeBySequenceNumber, RangeByTime
from bacpypes3.primitivedata import Date, ObjectIdentifier, TagList, Time

from . import log_records
from .errors import BacnetError, BacnetReject, BacnetRemoteError, InvalidInput
from .ids import parse_object_id
from .log_records import (STATUS_NAMES, ItemOctets, MultiTrendRecord, TrendRecord, decode_log_multiple_records,
                          decode_log_records)

log = logging.getLogger("aso.bacnet.trend")

__all__ = ["BY", "MultiTrendRecord", "STATUS_NAMES", "TrendRecord", "decode_log_multiple_records",
           "decode_log_records", "logged_columns", "read_range"]

BY = ("time", "position", "sequence")
ALL = 32767  # the largest count a ReadRange may ask for: INTEGER16 (clause 21); more pages follow on more-items
WINDOW = 4  # pages asked at once (the client's per-device limit is 8)
_NOT_A_FALLBACK = {"unknown-object", "unknown-property", "unrecognized-service"}


class _Page:
    __slots__ = ("records", "first_item", "last_item", "more", "first_sequence")

    def __init__(self, records: list[Any], first_item: bool, last_item: bool, more: bool,
                 first_sequence: int | None) -> None:
        self.records, self.first_item, self.last_item = records, first_item, last_item
        self.more, self.first_sequence = more, first_sequence


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
                     by: str = "time", timeout: float | None = None,
                     progress: Callable[[int], None] | None = None) -> list[TrendRecord]:
    """The records of a trend log's log-buffer, oldest first.

    A trend-log gives :class:`TrendRecord`; a trend-log-multiple gives
    :class:`MultiTrendRecord` (a value per logged property) instead.

    ``since`` (epoch seconds or a datetime): only records logged after it.
    ``count``: at most that many, the first after ``since``, or without
    ``since`` the newest. ``by``: "time", "sequence" or "position" (how the
    device is asked; "time" without ``since`` asks by sequence number).
    Falls back to "position" when the device refuses the asked kind.
    ``progress(n)``, when given, is called after each page with the number of
    records read so far (rising, the last call the whole count; records
    dropped by the ``since`` filter of a position read count as read; a
    fallback starts again from the first page). Keep it cheap: it runs on the loop.
    Raises InvalidInput, BacnetTimeout, BacnetRemoteError (e.g. unknown-object),
    BacnetReject (e.g. a device without ReadRange: unrecognized-service).
    """
    if by not in BY:
        raise InvalidInput(f"by: one of {', '.join(BY)}, got {by!r}")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise InvalidInput(f"count: a whole number >= 1, got {count!r}")
    oid = parse_object_id(object_id)
    after = _epoch(since)
    log_records.install()
    if by == "time" and after is None:
        by = "sequence"
    methods = [by] if by == "position" else [by, "position"]
    for method in methods:
        try:
            return await _read(client, device, oid, method, after, count, timeout, progress or _quiet)
        except (BacnetReject, BacnetRemoteError) as exc:
            code = getattr(exc, "error_code", None) or getattr(exc, "reason", "")
            if method == methods[-1] or code in _NOT_A_FALLBACK:
                raise
            log.info("%s %s: ReadRange by %s refused (%s); asking by position", device, oid, method, exc)
    raise AssertionError("unreachable")


def _quiet(read: int) -> None:
    pass


def _after(progress: Callable[[int], None], before: int) -> Callable[[int], None]:
    """``progress`` for the pages after the first ``before`` records."""
    return lambda n: progress(before + n)


async def _read(client: Any, device: Any, oid: Any, method: str, after: float | None, count: int | None,
                timeout: float | None, progress: Callable[[int], None]) -> list[Any]:
    newest = count is not None and after is None
    ask = _Asker(client, device, oid, timeout)
    if method == "time":
        page = await ask(RangeByTime(referenceTime=_bacnet_time(after), count=count or ALL))
    elif method == "sequence":
        start = 1
        if newest:
            total = await client.read(device, oid, "total-record-count", timeout=timeout)
            start = max(1, int(total) - count + 1)
        page = await ask(RangeBySequenceNumber(referenceSequenceNumber=start, count=count or ALL))
    else:
        start = 1
        if newest:
            held = await client.read(device, oid, "record-count", timeout=timeout)
            start = max(1, int(held) - count + 1)
        # With ``since`` the time filter is ours: every record is asked for, not the first ``count``.
        page = await ask(RangeByPosition(referenceIndex=start, count=count if newest else ALL))
    records = list(page.records)
    progress(len(records))
    wanted = None if (count is None or method == "position" and after is not None) else count
    if page.more and page.records and not page.last_item and (wanted is None or len(records) < wanted):
        if method != "position" and page.first_sequence is not None:
            records += await _following(ask, _by_sequence, page.first_sequence + len(page.records),
                                        len(page.records), None if wanted is None else wanted - len(records),
                                        _after(progress, len(records)))
        elif method == "time":  # no sequence numbers: one page after another, by the last record's time
            while page.more and page.records and not page.last_item and (wanted is None or len(records) < wanted):
                page = await ask(RangeByTime(referenceTime=_bacnet_time(records[-1].epoch),
                                             count=ALL if wanted is None else wanted - len(records)))
                records += page.records
                if page.records:
                    progress(len(records))
        else:
            records += await _following(ask, _by_position, start + len(page.records), len(page.records),
                                        None if wanted is None else wanted - len(records),
                                        _after(progress, len(records)))
    if method == "position" and after is not None:
        records = [r for r in records if r.epoch > after]
        if count is not None:
            records = records[:count]
    return records


def _by_sequence(reference: int, count: int) -> RangeBySequenceNumber:
    return RangeBySequenceNumber(referenceSequenceNumber=reference, count=count)


def _by_position(reference: int, count: int) -> RangeByPosition:
    return RangeByPosition(referenceIndex=reference, count=count)


async def _following(ask: "_Asker", kind: Any, reference: int, size: int, wanted: int | None,
                     progress: Callable[[int], None]) -> list[Any]:
    """The records from ``reference`` (a sequence number or position) on, ``WINDOW`` pages at a time.

    The pages are asked together (``size`` records each, what the first page
    held) so the device works on the next while we decode the last. A page
    that came back shorter than asked (records of different sizes) leaves a
    gap: the pages after it are dropped and asked again from where it ended.
    The end: a page with the newest record, an empty one, or ``wanted`` records.
    ``progress(n)`` after each page kept: ``n`` the records gathered here so far.
    """
    out: list[Any] = []
    while True:
        asks = []
        for k in range(WINDOW):
            left = size if wanted is None else min(size, wanted - len(out) - k * size)
            if left <= 0:
                break
            asks.append((reference + k * size, left))
        pages = await asyncio.gather(*(ask(kind(reference, n)) for reference, n in asks))
        for (at, n), page in zip(asks, pages):
            if at != reference:
                break  # the page before was short: ask again from ``reference``
            out += page.records
            reference += len(page.records)
            if page.records:
                progress(len(out))
            if page.last_item or not page.records or (wanted is not None and len(out) >= wanted):
                return out


class _Asker:
    """One ReadRange of the log-buffer at a time: the page as plain records (TrendRecord or MultiTrendRecord)."""

    def __init__(self, client: Any, device: Any, oid: Any, timeout: float | None) -> None:
        self.client, self.device, self.oid, self.timeout = client, device, oid, timeout
        self.decode = decode_log_multiple_records if oid.type == "trend-log-multiple" else decode_log_records

    async def __call__(self, range_: Any) -> _Page:
        client, oid, decode = self.client, self.oid, self.decode
        address, name = await client.resolve(self.device)
        where = f"{name} {oid} log-buffer ReadRange"
        kind = _KIND[type(range_)]

        async def request() -> _Page:
            apdu = ReadRangeRequest(objectIdentifier=ObjectIdentifier((oid.type_number, oid.instance)),
                                    propertyIdentifier="log-buffer", destination=address)
            apdu.range = Range(**{kind: range_})
            ack = await client.app.request(apdu)
            if not isinstance(ack, ReadRangeACK):
                raise BacnetError(f"{where}: unexpected answer {type(ack).__name__}")
            flags = list(ack.resultFlags) + [0, 0, 0]
            first = None if ack.firstSequenceNumber is None else int(ack.firstSequenceNumber)
            records = decode(_octets(ack.itemData), first)
            if int(ack.itemCount) != len(records):
                raise BacnetError(f"{where}: item-count {int(ack.itemCount)} but {len(records)} records")
            return _Page(records, bool(flags[0]), bool(flags[1]), bool(flags[2]), first)

        return await client._call(where, address, request, self.timeout)


_KIND = {RangeByPosition: "byPosition", RangeBySequenceNumber: "bySequenceNumber", RangeByTime: "byTime"}


def _octets(item_data: Any) -> bytes:
    """The item-data's octets: kept as octets by log_records' decoder, else encoded back from bacpypes3's tags."""
    if item_data is None:
        return b""
    if isinstance(item_data, ItemOctets):
        return item_data.octets
    tags = list(item_data.tagList or [])
    if tags and int(tags[0].tag_class) == 2 and tags[0].tag_number == 5:  # the [5] item-data wrapper itself
        tags = tags[1:-1]
    return bytes(TagList(tags).encode().pduData)


async def logged_columns(client: Any, device: Any, object_id: Any, *, timeout: float | None = None) -> list[str]:
    """What each value of a trend-log-multiple's records is, in order: a column name per logged property.

    The object's name (read from its device) when it can be read, else its
    id; the property is added when it is not present-value, the device
    when it is another one: ``"VAV-1-01 Airflow"``, ``"analog-value,3 high-limit"``.
    Raises BacnetTimeout / BacnetRemoteError when log-device-object-property cannot be read.
    """
    oid = parse_object_id(object_id)
    refs = await client.read(device, oid, "log-device-object-property", timeout=timeout)
    refs = refs if isinstance(refs, list) else [refs]

    try:  # which device is "this one": the wildcard instance asks the device itself (clause 12.11.1)
        own = str(await client.read(device, "device,4194303", "object-identifier", timeout=timeout))
    except BacnetError:
        own = f"device,{device}"

    async def label(ref: dict) -> str:
        where = ref.get("deviceIdentifier")
        other = where is not None and str(where) != own
        target = int(str(where).split(",")[1]) if other else device
        try:
            name = str(await client.read(target, ref["objectIdentifier"], "object-name", timeout=timeout))
        except BacnetError:
            name = str(ref["objectIdentifier"])
        prop = str(ref.get("propertyIdentifier", "present-value"))
        if ref.get("propertyArrayIndex") is not None:
            prop += f"[{ref['propertyArrayIndex']}]"
        return " ".join([name] + ([prop] if prop != "present-value" else []) + ([str(where)] if other else []))

    return list(await asyncio.gather(*(label(ref) for ref in refs)))
