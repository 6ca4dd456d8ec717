"""How a value reads to a technician: ONE formatter for the CLI, F2 and the console's widgets.

Plain strings only (no rich, no textual): ``21.5 °C``, ``active (Running)``,
``2 (Occupied)``, ``null``. The labels that make a value readable (units,
state texts, active/inactive texts) travel beside it as :class:`PointLabels`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aso_runtime.bacnet import PriorityArray

# BACnet engineering-unit names as the client returns them -> what a nameplate shows.
UNIT_SYMBOLS: dict[str, str] = {
    "degrees-celsius": "°C", "degrees-fahrenheit": "°F", "degrees-kelvin": "K", "delta-degrees-celsius": "Δ°C",
    "delta-degrees-fahrenheit": "Δ°F", "percent": "%", "percent-relative-humidity": "%RH",
    "parts-per-million": "ppm", "kilowatts": "kW", "watts": "W", "megawatts": "MW", "kilowatt-hours": "kWh",
    "megawatt-hours": "MWh", "volts": "V", "amperes": "A", "hertz": "Hz", "pascals": "Pa",
    "kilopascals": "kPa", "inches-of-water": "inWC", "cubic-feet-per-minute": "cfm",
    "liters-per-second": "L/s", "cubic-meters-per-hour": "m³/h", "us-gallons-per-minute": "gpm",
    "revolutions-per-minute": "rpm", "seconds": "s", "minutes": "min", "hours": "h", "tons-refrigeration": "tons",
    "btus-per-hour": "Btu/h", "kilo-btus-per-hour": "MBH", "kilowatts-per-ton": "kW/ton", "no-units": "",
}


@dataclass(frozen=True)
class PointLabels:
    """What turns a raw value into words: units, state texts, active/inactive texts.

    All optional: a point without them formats as its raw value.
    """

    units: str | None = None
    state_texts: tuple[str, ...] = ()
    active_text: str | None = None
    inactive_text: str | None = None

    @classmethod
    def from_properties(cls, values: dict[str, Any]) -> "PointLabels":
        """From ``{"units": ..., "state-text": [...], "active-text": ..., "inactive-text": ...}`` (any subset)."""
        texts = values.get("state-text")
        return cls(
            units=_text_or_none(values.get("units")),
            state_texts=tuple(str(t) for t in texts) if isinstance(texts, (list, tuple)) else (),
            active_text=_text_or_none(values.get("active-text")),
            inactive_text=_text_or_none(values.get("inactive-text")),
        )

    def state_text(self, value: Any) -> str | None:
        """The words for a binary or multi-state value, or None when the point has none."""
        if value == "active":
            return self.active_text
        if value == "inactive":
            return self.inactive_text
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= len(self.state_texts):
            return self.state_texts[value - 1]
        return None


def _text_or_none(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value else None


def units_symbol(units: str | None) -> str:
    """``degrees-celsius`` -> ``°C``; unknown units stay as they are; none -> ``""``."""
    if not units:
        return ""
    return UNIT_SYMBOLS.get(units, units)


def value_text(value: Any, *, places: int | None = None) -> str:
    """A raw value, alone: ``21.5``, ``active``, ``[Off, Heat]``, ``null`` (what ``aso read`` prints).

    ``places``: round reals to at most that many decimals (a narrow table cell).
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if places is not None and abs(value) < 1e6:
            return format(value, f".{places}f").rstrip("0").rstrip(".") or "0"
        # Reals travel as 32-bit floats: 21.1 arrives as 21.100000381...
        text = format(value, ".7g")
        return format(value, ".0f") if "e" in text and abs(value) >= 1 else text
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(value_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, default=str, separators=(", ", ": "))
    return str(value)


def format_value(value: Any, labels: PointLabels | None = None, *, short: bool = False, units: bool = True,
                 places: int | None = None) -> str:
    """A value with its words: ``21.5 °C``, ``active (Running)``, ``2 (Occupied)``.

    ``short``: the words alone where they exist (``Running``, ``Occupied``),
    for narrow table cells; ``units=False`` leaves the units off (a table
    with its own units column); ``places`` rounds reals.
    """
    raw = value_text(value, places=places)
    if labels is None or value is None:
        return raw
    words = labels.state_text(value)
    if words:
        return words if short else f"{raw} ({words})"
    symbol = units_symbol(labels.units) if units else ""
    if symbol and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{raw} {symbol}"  # SI style, a space before every unit
    return raw


def device_label(device: str) -> str:
    """``1001`` -> ``device 1001``; an address stays as typed (``10.0.0.5``, ``2:7``)."""
    return f"device {device}" if device.isascii() and device.isdigit() else device


def flags_text(flags: Sequence[str] | None) -> str:
    """Status flags: the ones set, or ``ok`` when none is."""
    if flags is None:
        return ""
    return ",".join(flags) if flags else "ok"


# ----- priority arrays ------------------------------------------------------------------


@dataclass(frozen=True)
class SlotRow:
    """One slot of a priority array as shown: number, standard name, value text, whether it wins."""

    priority: int
    name: str
    value: str
    active: bool
    in_control: bool


def slot_rows(array: PriorityArray, labels: PointLabels | None = None, *, short: bool = False) -> list[SlotRow]:
    """The 16 slots, in order, with their values formatted (``-`` for an empty slot)."""
    winning = array.winning
    return [
        SlotRow(
            slot.priority,
            slot.name,
            format_value(slot.value, labels, short=short) if slot.active else "-",
            slot.active,
            winning is not None and slot.priority == winning.priority,
        )
        for slot in array.slots
    ]


def array_summary(array: PriorityArray, labels: PointLabels | None = None) -> str:
    """``present-value 21.5 °C from priority 8 (Manual Operator); relinquish-default 20 °C``."""
    winning = array.winning
    source = f"priority {winning.priority} ({winning.name})" if winning else "relinquish-default"
    return (
        f"present-value {format_value(array.present_value, labels)} from {source}; "
        f"relinquish-default {format_value(array.relinquish_default, labels)}"
    )
