"""What the console remembers of each watched point over time: values, and ASO writes to mark.

Every live value that reaches the Explore pane (a poll, a COV notification, a
priority-array read) is recorded here, bounded per point, so the point table
can draw a sparkline and the Trends tab can plot any watched point without
asking the device again. Binary values count as 0/1 and multi-state values as
their state number; anything else (text, constructed values) is not plotted.
ASO writes and releases of a point are kept as markers for the plot.
"""

from __future__ import annotations

import collections
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

    def mark(self, marker: Marker) -> None:
        self.markers.append(marker)

    def series(self, key: Key, since: float | None = None, until: float | None = None) -> list[tuple[float, float]]:
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
        """``[[iso time, device, object id, value], ...]`` for exporting what is plotted."""
        import datetime

        rows = []
        for key in keys:
            for t, v in self.series(key, since):
                stamp = datetime.datetime.fromtimestamp(t).isoformat(timespec="seconds")
                rows.append([stamp, key[0], key[1], v])
        rows.sort()
        return rows
