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
        ("tl 2", ("trend-log", 2)),
        ("tlm,1", ("trend-log-multiple", 1)),
        ("TLM1", ("trend-log-multiple", 1)),
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


# ----- only ASCII digits are numbers (issue 8) ------------------------------------------
# Python's \d and str.isdigit() also accept full-width and Arabic-Indic digits:
# `ai,１` was read as analog-input 1 and `５,1` as binary-value 1.


@pytest.mark.parametrize(
    "typed",
    ["ai,１", "AI１", "１,1", "５,1", "ai,١٢", "analog-input,٣", "ai\u30001", "ai,1\u3000x", "１００１,1", "ai,¹"],
)
def test_non_ascii_digits_are_not_numbers_in_object_ids(typed):
    with pytest.raises(InvalidInput, match="ASCII") as caught:
        parse_object_id(typed)
    assert "\n" not in str(caught.value) and repr(typed) in str(caught.value)


@pytest.mark.parametrize("typed", ["８５", "present-value[１]", "priority-array[٣]", "85[１]", "present\u2013value"])
def test_non_ascii_digits_are_not_numbers_in_properties(typed):
    with pytest.raises(InvalidInput, match="ASCII"):
        parse_property(typed)


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("4294967296", "property number 4294967296 in '4294967296' is above the BACnet maximum 4294967295"),
        ("99999999999999999999", "is above the BACnet maximum 4294967295"),
        ("present-value[4294967296]", r"array index 4294967296 in 'present-value\[4294967296\]' is above the BACnet maximum"),
    ],
)
def test_numbers_beyond_what_bacnet_encodes_are_invalid_input(typed, fragment):
    with pytest.raises(InvalidInput, match=fragment):
        parse_property(typed)


def test_the_largest_encodable_numbers_are_accepted():
    assert parse_property("4194303") == ("4194303", None)
    assert parse_property("4194328") == ("4194328", None)  # lighting-output, ASHRAE's extended range
    assert parse_property("priority-array[4294967295]") == ("priority-array", 4294967295)
    assert parse_object_id("1023,4194303") == ObjectId("proprietary-1023", 4194303)


def test_an_object_type_number_above_1023_is_invalid_input():
    with pytest.raises(InvalidInput, match="object type 1024 in '1024,1' is above the BACnet maximum 1023"):
        parse_object_id("1024,1")


@pytest.mark.parametrize(("typed", "number"), [("128,1", 128), ("1023:7", 1023), ("proprietary-128,1", 128)])
def test_a_proprietary_object_id_reads_back_as_it_is_shown(typed, number):
    # The ASO ledger keys a write by str(object id) and releases by parsing it
    # back: `proprietary-128,1` must be readable, or the override is stuck.
    oid = parse_object_id(typed)
    assert oid.type == f"proprietary-{number}"
    assert parse_object_id(str(oid)) == oid


def test_proprietary_numbers_of_standard_types_are_canonical():
    assert parse_object_id("proprietary-2,3") == ObjectId("analog-value", 3)
    with pytest.raises(InvalidInput, match="object type 1024 in 'proprietary-1024,1' is above the BACnet maximum 1023"):
        parse_object_id("proprietary-1024,1")
