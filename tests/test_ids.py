"""The object-id and property parser accepts what field people type."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aso_runtime.bacnet import InvalidInput, ObjectId, parse_object_id, parse_property
from aso_runtime.bacnet.ids import ABBREVIATIONS, OBJECT_TYPES


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("analog-input,1", ("analog-input", 1)),
        ("analog-input:1", ("analog-input", 1)),
        ("analogInput 1", ("analog-input", 1)),
        ("ai,1", ("analog-input", 1)),
        ("AI1", ("analog-input", 1)),
        ("AI-1", ("analog-input", 1)),
        ("av:3", ("analog-value", 3)),
        ("bo 2", ("binary-output", 2)),
        ("msv,4", ("multi-state-value", 4)),
        ("device,1001", ("device", 1001)),
        ("0,1", ("analog-input", 1)),
        (" MSV 12 ", ("multi-state-value", 12)),
        ("multiStateValue,3", ("multi-state-value", 3)),
        ("analog input 7", ("analog-input", 7)),
    ],
)
def test_accepted_forms(typed, expected):
    assert parse_object_id(typed) == ObjectId(*expected)
    assert str(parse_object_id(typed)) == f"{expected[0]},{expected[1]}"


@pytest.mark.parametrize("typed", ["", "ai", "xx,1", "ai,-1", "ai,1.5", "ai,99999999", ",1", "analog-input,", "1001"])
def test_rejected_forms_name_the_accepted_ones(typed):
    with pytest.raises(InvalidInput) as caught:
        parse_object_id(typed)
    message = str(caught.value)
    assert "\n" not in message
    assert "accepted forms" in message or "maximum" in message


@given(st.sampled_from(OBJECT_TYPES), st.integers(0, 4194303), st.sampled_from([",", ":", " ", ", "]))
def test_every_canonical_type_round_trips(type_name, instance, separator):
    assert parse_object_id(f"{type_name}{separator}{instance}") == ObjectId(type_name, instance)


@given(st.sampled_from(sorted(ABBREVIATIONS)), st.integers(0, 4194303), st.booleans())
def test_abbreviations_in_any_case_and_joined(abbreviation, instance, upper):
    word = abbreviation.upper() if upper else abbreviation
    expected = ObjectId(ABBREVIATIONS[abbreviation], instance)
    assert parse_object_id(f"{word}{instance}") == expected
    assert parse_object_id(f"{word}-{instance}") == expected
    assert parse_object_id(f"{word},{instance}") == expected


@given(st.text(max_size=30))
def test_never_anything_but_a_clean_error(text):
    try:
        parse_object_id(text)
    except InvalidInput as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("present-value", ("present-value", None)),
        ("presentValue", ("present-value", None)),
        ("priority-array[8]", ("priority-array", 8)),
        ("priorityArray [ 3 ]", ("priority-array", 3)),
        ("object_name", ("object-name", None)),
        ("85", ("85", None)),
    ],
)
def test_property_forms(typed, expected):
    assert parse_property(typed) == expected


def test_misspelt_property_suggests():
    with pytest.raises(InvalidInput, match="did you mean .*present-value"):
        parse_property("present-valu")
