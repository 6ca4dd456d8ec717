"""The one value formatter: what the CLI, F2 and the console's widgets show for a value."""

from __future__ import annotations

import pytest

from aso_runtime.bacnet import PriorityArray, PrioritySlot
from aso_runtime.bacnet.priority import priority_name
from aso_runtime.verbs.text import PointLabels, array_summary, format_value, slot_rows, value_text

FAN = PointLabels(active_text="Running", inactive_text="Off")
MODE = PointLabels(state_texts=("Occupied", "Unoccupied", "Standby"))
TEMP = PointLabels(units="degrees-celsius")


@pytest.mark.parametrize(("value", "labels", "full", "short"), [
    ("active", FAN, "active (Running)", "Running"),
    ("inactive", FAN, "inactive (Off)", "Off"),
    (2, MODE, "2 (Unoccupied)", "Unoccupied"),
    (4, MODE, "4", "4"),  # beyond the state texts: the number alone
    (21.100000381469727, TEMP, "21.1 °C", "21.1 °C"),
    (55.0, PointLabels(units="percent"), "55 %", "55 %"),
    (3.0, PointLabels(units="some-vendor-unit"), "3 some-vendor-unit", "3 some-vendor-unit"),
    (None, MODE, "null", "null"),
    ("active", None, "active", "active"),
    (True, TEMP, "true", "true"),
])
def test_a_value_reads_with_its_words(value, labels, full, short):
    assert format_value(value, labels) == full
    assert format_value(value, labels, short=short != full) == short


@pytest.mark.parametrize(("value", "shown"), [
    (21.100000381469727, "21.1"), (1e7, "10000000"), (0.000012, "1.2e-05"), (float("nan"), "nan"),
    ([1, "Off"], "[1, Off]"), ({"a": 1}, '{"a": 1}'), (None, "null"), (False, "false"),
])
def test_raw_values(value, shown):
    assert value_text(value) == shown


def test_labels_from_what_a_device_answered():
    labels = PointLabels.from_properties({"state-text": ["A", "B"], "active-text": "", "units": "percent"})
    assert labels == PointLabels(units="percent", state_texts=("A", "B"))


def test_priority_array_rows_mark_the_slot_in_control():
    slots = [PrioritySlot(p, priority_name(p), None, "null") for p in range(1, 17)]
    slots[7] = PrioritySlot(8, "Manual Operator", "inactive", "enumerated")
    slots[15] = PrioritySlot(16, "Available", "active", "enumerated")
    array = PriorityArray("binary-output,1", slots, "inactive", 8, "inactive")
    rows = slot_rows(array, FAN)
    assert [(r.priority, r.value, r.in_control) for r in rows if r.active] == [
        (8, "inactive (Off)", True), (16, "active (Running)", False)]
    assert rows[0].value == "-" and rows[0].name == "Manual Life Safety"
    assert [r.value for r in slot_rows(array, FAN, short=True) if r.active] == ["Off", "Running"]
    assert array_summary(array, FAN) == (
        "present-value inactive (Off) from priority 8 (Manual Operator); relinquish-default inactive (Off)")
