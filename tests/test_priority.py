"""Priority: 1..16 parsed once at the edge, with its standard name and the life-safety rule."""

from __future__ import annotations

import json

import pytest

from aso_runtime import Aso
from aso_runtime.bacnet import InvalidInput
from aso_runtime.bacnet.client import check_priority
from aso_runtime.bacnet.priority import Priority, life_safety_confirmed, parse_priority


@pytest.mark.parametrize(("typed", "number", "name", "life_safety"), [
    ("1", 1, "Manual Life Safety", True),
    (2, 2, "Automatic Life Safety", True),
    ("05", 5, "Critical Equipment Control", False),
    (6, 6, "Minimum On/Off", False),
    ("8", 8, "Manual Operator", False),
    (13, 13, "Available", False),
    ("16", 16, "Available", False),
])
def test_a_priority_knows_its_name_and_whether_it_is_life_safety(typed, number, name, life_safety):
    priority = Priority(typed)
    assert priority == number and priority.name == name and priority.life_safety is life_safety
    assert json.dumps({"priority": priority}) == f'{{"priority": {number}}}'  # travels as a plain number
    assert f"{priority}" == str(number) and priority.describe() == f"priority {number} ({name})"


@pytest.mark.parametrize(("typed", "fragment"), [
    (0, "priority 0 is out of range"),
    ("17", "priority 17 is out of range"),
    ("１５", "ASCII digits"),
    (" 8", "ASCII digits"),
    ("1_6", "ASCII digits"),
    (True, "ASCII digits"),  # a bool is not priority 1
    (8.0, "ASCII digits"),
    (None, "ASCII digits"),
    ("9" * 5000, "out of range"),
])
def test_anything_else_is_refused_with_one_short_line(typed, fragment):
    with pytest.raises(InvalidInput) as caught:
        Priority(typed)
    message = str(caught.value)
    assert fragment in message and "\n" not in message and len(message) < 120


def test_none_is_no_priority_only_where_allowed():
    assert parse_priority(None) is None
    with pytest.raises(InvalidInput):
        parse_priority(None, allow_none=False)


def test_the_clients_check_is_the_same_check():
    assert check_priority("8") == 8 and type(check_priority("8")) is int and check_priority(None) is None
    for typed in ("0", "１", True):
        with pytest.raises(InvalidInput) as caught:
            check_priority(typed)
        with pytest.raises(InvalidInput) as same:
            Priority(typed)
        assert str(caught.value) == str(same.value)


def test_a_name_confirms_only_the_point_it_names():
    assert life_safety_confirmed(" AHU-1 Fan ", "AHU-1 Fan")
    assert not life_safety_confirmed("AHU-1", "AHU-1 Fan")
    assert not life_safety_confirmed("ahu-1 fan", "AHU-1 Fan")
    assert not life_safety_confirmed(None, "AHU-1 Fan")
    assert not life_safety_confirmed("", "")


class Nudge(Aso):
    async def on_step(self) -> None:
        pass


async def test_an_aso_writes_at_1_or_2_only_with_allow_life_safety():
    with pytest.raises(InvalidInput, match=r"priority 1 \(Manual Life Safety\) is reserved for life safety"):
        await Nudge().bacnet_write(1001, "av,1", 20.0, priority=1)
    with pytest.raises(InvalidInput, match="priority 2"):
        await Nudge(priority=2).bacnet_write(1001, "av,1", 20.0)
    with pytest.raises(InvalidInput, match="out of range"):
        await Nudge().bacnet_write(1001, "av,1", 20.0, priority=17)
    # Allowed: the priority passes, and the ASO then needs its runner (none here).
    with pytest.raises(RuntimeError, match="not running under a runner"):
        await Nudge(allow_life_safety=True).bacnet_write(1001, "av,1", 20.0, priority="1")
