"""What the console remembers of each watched point over time: values, and ASO writes to mark.

Every live value that reaches the Explore pane (a poll, a COV notification, a
priority-array read) is recorded here, bounded per point, so the point table
can draw a sparkline and the Trends tab can plot any watched point without
asking the device again. Binary values count as 0/1 and multi-state values as
their state number; anything else (text, constructed values) is not plotted.
ASO writes and releases of a point are kept as markers for the plot.

A trend log's buffer read from a device (ReadRange) is kept beside them as a
:class:`LogSeries`: static, never extended by live values, replaced only when
it is read again. A trend-log-multiple gives one per logged property (a
column), keyed ``(device, "trend-log-multiple,1[2]")``: the index is the
column's place in log-device-object-property, counted from 1 as BACnet arrays
are. ``downsample`` thins any series to what a plot of a given
width can show, so 10,000 records draw as fast as 200.
"""

from __future__ import annotations

import bisect
import collections
import datetime
import functools
import math
from dataclasses import dataclass
from typing import Any

Key = tuple[int, str]  # (device instance, object id)

SAMPLES_KEPT = 3600  # per point: an hour at one a second, or a day at the default 2 s poll... enough
MARKERS_KEPT = 500
SPARK = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Marker:
    """An ASO wrote (or released) a point at ``time``: drawn as a mark on the plot."""

    time: float
    key: Key
    text: str  # "load-shed @13 = 35", "load-shed released @13"


@dataclass(frozen=True)
class LogSeries:
    """A trend log's buffer as read from the device: every record kept (CSV), numbers plotted.

    ``records`` are ``(epoch s, value)`` oldest first, value None for a record
    that carries no number (log-status, failure); ``units`` is the logged
    object's units symbol ("°F", "" when unknown); ``window_seconds`` how far
    back it was read (``r`` reads the same again); ``column`` a
    trend-log-multiple's column (1..), 0 for a trend-log.
    """

    key: Key  # (device instance, "trend-log,1"), or a column's: (device instance, "trend-log-multiple,1[2]")
    name: str
    units: str
    logged: str  # what the log records: "analog-input,1 present-value on 2001"
    window_seconds: float
    read_at: float
    records: tuple[tuple[float, float | None], ...]
    column: int = 0

    @property
    def object_id(self) -> str:
        """The trend log object on the device: "trend-log-multiple,1" for any of its columns."""
        return self.key[1].removesuffix(f"[{self.column}]") if self.column else self.key[1]

    # Computed once: a log is static, and the plot asks for its window every redraw.
    @functools.cached_property
    def samples(self) -> list[tuple[float, float]]:
        return [(t, v) for t, v in self.records if v is not None]

    @functools.cached_property
    def times(self) -> list[float]:
        return [t for t, _ in self.samples]


def column_key(log: Key, column: int) -> Key:
    """The plot's key of a trend-log-multiple's ``column`` (1..): ``(2001, "trend-log-multiple,1[2]")``."""
    return log[0], f"{log[1]}[{column}]"


def downsample(samples: list[tuple[float, float]], start: float, end: float,
               columns: int) -> list[tuple[float, float]]:
    """At most two samples per column of ``columns`` over ``start..end``: each column's lowest and highest.

    A plot cannot show more than a column can hold; keeping min and max (in the order they
    happened) keeps every spike visible while 10,000 records draw as a few hundred points.
    ``samples`` must be in time order; those outside ``start..end`` are dropped.
    """
    times = [t for t, _ in samples]
    inside = samples[bisect.bisect_left(times, start):bisect.bisect_right(times, end)]
    if columns <= 0 or len(inside) <= 2 * columns or end <= start:
        return inside
    per_column = columns / (end - start)
    out: list[tuple[float, float]] = []
    column = -1
    low = high = inside[0]
    for sample in inside:
        index = min(columns - 1, int((sample[0] - start) * per_column))
        if index != column:
            if column >= 0:
                out.extend((low, high) if low[0] <= high[0] else (high, low))
            column, low, high = index, sample, sample
        elif sample[1] < low[1]:
            low = sample
        elif sample[1] > high[1]:
            high = sample
    out.extend((low, high) if low[0] <= high[0] else (high, low))
    return [s for i, s in enumerate(out) if i == 0 or s is not out[i - 1]]  # one-sample columns once


def plotted_value(value: Any) -> float | None:
    """A value as a number to plot, or None (text and constructed values are not plotted)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if value in ("active", "inactive"):
        return 1.0 if value == "active" else 0.0
    return None


class PointHistory:
    def __init__(self, samples: int = SAMPLES_KEPT) -> None:
        self._samples = samples
        self._series: dict[Key, collections.deque[tuple[float, float]]] = {}
        self.markers: collections.deque[Marker] = collections.deque(maxlen=MARKERS_KEPT)
        self.logs: dict[Key, LogSeries] = {}  # trend logs read from devices, by (device, trend-log id)

    def record(self, key: Key, when: float, value: Any) -> None:
        number = plotted_value(value)
        if number is None:
            return
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = collections.deque(maxlen=self._samples)
        if series and series[-1][0] >= when:
            return  # one sample per moment: a COV and a poll of the same instant
        series.append((when, number))

    def load_log(self, log: LogSeries) -> None:
        """Keep (or replace) a trend log's buffer; live values never touch it."""
        self.logs[log.key] = log

    def drop_log(self, key: Key) -> None:
        self.logs.pop(key, None)

    def mark(self, marker: Marker) -> None:
        self.markers.append(marker)

    def series(self, key: Key, since: float | None = None, until: float | None = None) -> list[tuple[float, float]]:
        log = self.logs.get(key)
        if log is not None:
            low = 0 if since is None else bisect.bisect_left(log.times, since)
            return log.samples[low:None if until is None else bisect.bisect_right(log.times, until)]
        return [(t, v) for t, v in self._series.get(key, ()) if (since is None or t >= since)
                and (until is None or t <= until)]

    def markers_of(self, key: Key, since: float | None = None, until: float | None = None) -> list[Marker]:
        return [m for m in self.markers if m.key == key and (since is None or m.time >= since)
                and (until is None or m.time <= until)]

    def known(self) -> list[Key]:
        return list(self._series)

    def sparkline(self, key: Key, width: int) -> str:
        """The last ``width`` samples as block characters (empty when fewer than two)."""
        series = self._series.get(key)
        if not series or len(series) < 2 or width <= 0:
            return ""
        values = [v for _, v in list(series)[-width:]]
        low, high = min(values), max(values)
        if high == low:
            return SPARK[0] * len(values)
        scale = (len(SPARK) - 1) / (high - low)
        return "".join(SPARK[round((v - low) * scale)] for v in values)

    def csv_rows(self, keys: list[Key], since: float | None = None) -> list[list[Any]]:
        """``[[iso time, device, object id, value], ...]`` for exporting what is plotted.

        A trend log gives every record it was read with (not the thinned plot); a record
        without a number (log-status, failure) has an empty value.
        """
        rows = []
        for key in keys:
            log = self.logs.get(key)
            pairs = log.records if log is not None else self.series(key, since)
            for t, v in pairs:
                if since is not None and t < since:
                    continue
                stamp = datetime.datetime.fromtimestamp(t).isoformat(timespec="milliseconds")
                rows.append([stamp, key[0], key[1], "" if v is None else v])
        rows.sort(key=lambda row: row[0])
        return rows
