"""ReadRange, served: trend-log objects and the service that reads their buffers.

bacpypes3 0.0.110's ``do_ReadRangeRequest`` raises NotImplementedError (an
Error operational-problem with a traceback), so ``AsoApplication`` refuses
the service. :func:`enable_read_range` turns it on for ONE application that
serves trend logs, and protocol-services-supported then claims it (it claims
exactly the handlers that exist).

The service (clause 15.8) answers by position, by sequence number and by
time, positive and negative counts, and returns as many records as fit in
one APDU of the smaller of the client's and our max APDU, with more-items
set when some had to be left out. It never segments: a client pages on.

Speed: a bacpypes3 ``LogRecord`` costs ~100 us to encode. Each record is
encoded ONCE, when it is logged, into its octets (local date and time, the
datum or data, status flags), and an answer is those octets concatenated
(``_Raw``). The buffer is a list with a moving start, not a deque: a page
from the middle of 10,000 records is a slice, where a deque walks to it.
Only the records that fit in the answer are ever copied out.

trend-log-multiple: :class:`ServedTrendLogMultiple` logs several values per
record (BACnetLogMultipleRecord: timestamp and a list of REAL/BOOLEAN/NULL
data, no status flags) and is read by the same service.
"""

from __future__ import annotations

import struct
import time
import types
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any, Sequence

from bacpypes3.apdu import ReadRangeACK, ReadRangeRequest, decode_max_apdu_length_accepted
from bacpypes3.basetypes import ResultFlags
from bacpypes3.constructeddata import Any as AnyData
from bacpypes3.errors import ExecutionError, ParameterOutOfRange, PropertyError
from bacpypes3.local.object import Object as LocalObject
from bacpypes3.object import TrendLogMultipleObject, TrendLogObject
from bacpypes3.primitivedata import ObjectIdentifier, PropertyIdentifier, TagList, Unsigned

from .served import Served

LOG_BUFFER = int(PropertyIdentifier("log-buffer"))
MIN_RECORD = 13  # octets of the shortest record we encode (timestamp and a null datum)
ACK_OVERHEAD = 32  # octets of a ReadRange ack around its item data (header, ids, flags, count, first seq)

# status-flags bits as a one-octet bit string of 4 bits: in-alarm, fault, overridden, out-of-service
IN_ALARM, FAULT, OVERRIDDEN, OUT_OF_SERVICE = 8, 4, 2, 1


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One record of a served trend log: its sequence number, epoch time, value, status and wire octets."""

    sequence: int
    epoch: float
    value: float | bool | None | tuple[float | bool | None, ...]
    status: int  # IN_ALARM | FAULT | OVERRIDDEN | OUT_OF_SERVICE
    data: bytes


def _timestamp(epoch: float) -> bytes:
    """[0] BACnetDateTime in local time, to the hundredth."""
    t = time.localtime(epoch)
    hundredths = min(99, int(round((epoch % 1) * 100)))
    return bytes((0x0E, 0xA4, t.tm_year - 1900, t.tm_mon, t.tm_mday, t.tm_wday + 1,
                  0xB4, t.tm_hour, t.tm_min, t.tm_sec, hundredths, 0x0F))


def encode_record(epoch: float, value: float | bool | None, status: int = 0) -> bytes:
    """A BACnetLogRecord's octets: timestamp (local time), log-datum, status-flags."""
    out = bytearray(_timestamp(epoch))
    out += b"\x1e"
    if value is None:
        out += b"\x78"  # [7] null
    elif isinstance(value, bool):
        out += b"\x19" + bytes((int(value),))  # [1] boolean (context: one octet)
    else:
        out += b"\x2c" + struct.pack(">f", float(value))  # [2] real
    out += b"\x1f"
    out += b"\x2a\x04" + bytes(((status & 0x0F) << 4,))  # [2] status-flags: 4 bits used
    return bytes(out)


def encode_multiple_record(epoch: float, values: Sequence[float | bool | None]) -> bytes:
    """A BACnetLogMultipleRecord's octets: timestamp (local time) and log-data, one datum per logged property."""
    out = bytearray(_timestamp(epoch))
    out += b"\x1e\x1e"  # [1] log-data: the choice [1] log-data (a list)
    for value in values:
        if value is None:
            out += b"\x68"  # [6] null
        elif isinstance(value, bool):
            out += b"\x09" + bytes((int(value),))  # [0] boolean
        else:
            out += b"\x1c" + struct.pack(">f", float(value))  # [1] real
    out += b"\x1f\x1f"
    return bytes(out)


class _Raw:
    """Pre-encoded octets standing in a TagList: bacpypes3 asks each tag only for ``encode().pduData``."""

    __slots__ = ("pduData",)

    def __init__(self, data: bytes) -> None:
        self.pduData = data

    def encode(self) -> "_Raw":
        return self


class _LogBuffer:
    """The bounded buffer of a served trend log (single or multiple), oldest first.

    A list with a moving start (``_head``): appending is O(1) amortised, the
    dropped oldest records are cut off in one slice once they are as many as
    the buffer holds, and any record is reached by index in O(1).
    """

    def _init_buffer(self, size: int) -> None:
        self._size = max(1, size)
        self._list: list[LogEntry] = []
        self._head = 0
        self._total = 0
        self._source: Any = None  # what it logs (set by whoever polls it)

    def _append(self, entry: LogEntry) -> None:
        self._list.append(entry)
        if len(self._list) - self._head > self._size:
            self._head += 1
            if self._head >= self._size:
                del self._list[:self._head]
                self._head = 0

    def __len__(self) -> int:
        return len(self._list) - self._head

    @property
    def source(self) -> Any:
        """What this log records: a local object, or for a trend-log-multiple a list of them (None if not set)."""
        return self._source

    def log_from(self, source: Any) -> None:
        self._source = source

    def last_epoch(self) -> float | None:
        """Epoch seconds of the newest record, None when empty."""
        return self._list[-1].epoch if len(self) else None

    def entries(self) -> list[LogEntry]:
        """The buffer, oldest first (plain data, for tests and the simulator)."""
        return self._list[self._head:]

    def _full(self) -> bool:
        return bool(self.stopWhenFull) and len(self) >= self._size

    # ----- computed properties --------------------------------------------------------

    @property
    def recordCount(self) -> Unsigned:  # noqa: N802 (BACnet name)
        return Unsigned(len(self))

    @recordCount.setter
    def recordCount(self, value: Any) -> None:  # noqa: N802
        pass  # follows the buffer

    @property
    def totalRecordCount(self) -> Unsigned:  # noqa: N802
        return Unsigned(self._total)

    @totalRecordCount.setter
    def totalRecordCount(self, value: Any) -> None:  # noqa: N802
        pass

    @property
    def logBuffer(self) -> Any:  # noqa: N802
        raise PropertyError("readAccessDenied")  # read with ReadRange (clause 12.25.15)

    @logBuffer.setter
    def logBuffer(self, value: Any) -> None:  # noqa: N802
        pass

    @property
    def propertyList(self) -> Any:  # noqa: N802
        listed = list(Served.propertyList.fget(self))
        if LOG_BUFFER not in [int(p) for p in listed]:
            listed.append(PropertyIdentifier("log-buffer"))
        return type(Served.propertyList.fget(self))(listed)

    @propertyList.setter
    def propertyList(self, value: Any) -> None:  # noqa: N802
        pass

    # ----- what a ReadRange asks for --------------------------------------------------

    def select(self, by: str, reference: Any, count: int, limit: int | None = None) -> tuple[list[LogEntry], bool, bool]:
        """The records a ReadRange asks for: (records oldest first, includes oldest, includes newest).

        ``by`` is "position" (reference: 1-based index), "sequence" (a
        sequence number) or "time" (epoch seconds; records strictly after it
        for a positive count, strictly before for a negative one), or "all".
        ``limit``: at most that many (the ones nearest the reference), the
        flags then telling what the shortened answer includes.
        """
        start, stop = self._span(by, reference, count)
        n = len(self)
        start, stop = max(0, start), min(n, stop)
        if start >= stop:
            return [], False, False
        if limit is not None and stop - start > limit:
            if count < 0:
                start = stop - limit
            else:
                stop = start + limit
        if start >= stop:
            return [], False, False
        head = self._head
        return self._list[head + start:head + stop], start == 0, stop == n

    def _span(self, by: str, reference: Any, count: int) -> tuple[int, int]:
        n = len(self)
        if by == "all" or n == 0:
            return 0, n
        if by == "position":
            if not 1 <= reference <= n:
                return 0, 0
            index = reference - 1
            return (index, index + count) if count > 0 else (index + count + 1, index + 1)
        if by == "sequence":
            first = self._list[self._head].sequence
            low, high = (reference, reference + count - 1) if count > 0 else (reference + count + 1, reference)
            return max(low, first) - first, high - first + 1
        # time: records are logged in time order, so the epochs are sorted (bisect)
        epochs = _EpochView(self._list, self._head)
        if count > 0:
            start = bisect_right(epochs, reference)
            return start, start + count
        stop = bisect_left(epochs, reference)
        return stop + count, stop


class _EpochView:
    """The buffer's epochs as a sequence for bisect, without copying them."""

    __slots__ = ("entries", "head")

    def __init__(self, entries: list[LogEntry], head: int) -> None:
        self.entries, self.head = entries, head

    def __len__(self) -> int:
        return len(self.entries) - self.head

    def __getitem__(self, index: int) -> float:
        return self.entries[self.head + index].epoch


class ServedTrendLog(_LogBuffer, Served, LocalObject, TrendLogObject):
    """A trend log with a bounded buffer of records, read with ReadRange.

    ``record(epoch, value, status)`` logs one record (ignored while disabled,
    or when full with stop-when-full). record-count and total-record-count
    follow the buffer; log-buffer itself answers a ReadProperty with
    Error(property, read-access-denied): it is read with ReadRange.
    A network write may change enable and description.
    """

    _network_writable = frozenset({"enable", "description"})

    def __init__(self, **kwargs: Any) -> None:
        self._init_buffer(int(kwargs.get("bufferSize", 10000)))
        super().__init__(**kwargs)

    def record(self, epoch: float, value: float | bool | None, status: int = 0) -> bool:
        """Log one record now; False when not logged (disabled, or full and stop-when-full)."""
        if not self.enable or self._full():
            return False
        epoch = round(epoch, 2)  # the wire's resolution: a by-time reference compares with what was sent
        self._total += 1
        self._append(LogEntry(self._total, epoch, value, status, encode_record(epoch, value, status)))
        return True


class ServedTrendLogMultiple(_LogBuffer, Served, LocalObject, TrendLogMultipleObject):
    """A trend-log-multiple: several properties logged together, one record holding a value of each.

    ``record(epoch, values)`` logs one record (a value per entry of
    log-device-object-property, in that order); otherwise as
    :class:`ServedTrendLog` (a LogEntry's ``value`` is then the tuple of values).
    """

    _network_writable = frozenset({"enable", "description"})

    def __init__(self, **kwargs: Any) -> None:
        self._init_buffer(int(kwargs.get("bufferSize", 10000)))
        super().__init__(**kwargs)

    def record(self, epoch: float, values: Sequence[float | bool | None], status: int = 0) -> bool:
        """Log one record now; False when not logged (disabled, or full and stop-when-full)."""
        if not self.enable or self._full():
            return False
        epoch = round(epoch, 2)
        values = tuple(values)
        self._total += 1
        self._append(LogEntry(self._total, epoch, values, status, encode_multiple_record(epoch, values)))
        return True


# ----- the service --------------------------------------------------------------------------


def _epoch_of(date_time: Any) -> float:
    """A BACnet DateTime (local time) as epoch seconds; unspecified fields are refused."""
    year, month, day, _dow = date_time.date
    hour, minute, second, hundredth = date_time.time
    if 255 in (year, month, day, hour, minute, second):
        raise ParameterOutOfRange()
    return time.mktime((year + 1900, month, day, hour, minute, second, 0, 0, -1)) + (
        0 if hundredth == 255 else hundredth / 100)


async def do_ReadRangeRequest(self: Any, apdu: ReadRangeRequest) -> None:  # noqa: N802 (bacpypes3 name)
    """Answer a ReadRange of a served trend log's log-buffer (see the module docstring)."""
    obj = self.get_object_id(apdu.objectIdentifier)
    if obj is None:
        raise ExecutionError("object", "unknownObject")
    if int(apdu.propertyIdentifier) != LOG_BUFFER or not isinstance(obj, _LogBuffer):
        if obj.get_property_type(apdu.propertyIdentifier) is None:
            raise ExecutionError("property", "unknownProperty")
        raise ExecutionError("services", "propertyIsNotAList")
    if apdu.propertyArrayIndex is not None:
        raise ExecutionError("property", "propertyIsNotAnArray")

    wanted = apdu.range
    by, reference, count = "all", None, None
    if wanted is not None:
        if wanted.byPosition is not None:
            by, reference, count = "position", int(wanted.byPosition.referenceIndex), int(wanted.byPosition.count)
        elif wanted.bySequenceNumber is not None:
            by = "sequence"
            reference, count = int(wanted.bySequenceNumber.referenceSequenceNumber), int(wanted.bySequenceNumber.count)
        elif wanted.byTime is not None:
            by, reference, count = "time", _epoch_of(wanted.byTime.referenceTime), int(wanted.byTime.count)
    if count == 0:
        raise ParameterOutOfRange()
    # As many as fit in one APDU of the smaller max APDU; for a negative count, the ones nearest the reference.
    limit = min(decode_max_apdu_length_accepted(apdu.apduMaxResp), int(self.device_object.maxApduLengthAccepted))
    room = limit - ACK_OVERHEAD
    chosen, has_oldest, has_newest = obj.select(by, reference, count or 0, room // MIN_RECORD + 1)
    fit, used = 0, 0
    for entry in (reversed(chosen) if count is not None and count < 0 else chosen):
        used += len(entry.data)
        if used > room:
            break
        fit += 1
    more = len(chosen) > fit
    if more:
        if count is not None and count < 0:
            chosen, has_oldest = chosen[len(chosen) - fit:], False
        else:
            chosen, has_newest = chosen[:fit], False

    ack = ReadRangeACK(context=apdu)
    ack.objectIdentifier = apdu.objectIdentifier
    ack.propertyIdentifier = apdu.propertyIdentifier
    flags = ResultFlags([0, 0, 0])
    flags[0], flags[1], flags[2] = int(bool(chosen) and has_oldest), int(bool(chosen) and has_newest), int(more)
    ack.resultFlags = flags
    ack.itemCount = len(chosen)
    ack.itemData = AnyData(TagList([_Raw(b"".join(e.data for e in chosen))]))
    if by in ("sequence", "time") and chosen:
        ack.firstSequenceNumber = chosen[0].sequence
    await self.response(ack)


def serves_trend_logs(app: Any) -> bool:
    return any(isinstance(obj, _LogBuffer) for obj in app.objectIdentifier.values())


def enable_read_range(app: Any) -> Any:
    """Answer (and claim) ReadRange on ``app`` if it serves a trend log or trend-log-multiple; returns ``app``."""
    if serves_trend_logs(app):
        app.do_ReadRangeRequest = types.MethodType(do_ReadRangeRequest, app)
    return app


def object_identifier(oid: Any) -> ObjectIdentifier:
    return ObjectIdentifier((oid.type_number, oid.instance))
