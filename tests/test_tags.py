"""Raw tags into plain data: what a proprietary or unknown property decodes to.

The tag lists are built from the octets a device sends (clause 20.2 encoding),
wrapped as a ReadProperty answer wraps them (opening/closing tag 3).
"""

from __future__ import annotations

from bacpypes3.pdu import PDUData
from bacpypes3.primitivedata import TagList

from aso_runtime.bacnet.tags import character_string
from aso_runtime.bacnet.tags import decode_tag_list as decode_with
from aso_runtime.bacnet.values import to_plain


def decode_tag_list(tag_list: TagList):
    return decode_with(tag_list, to_plain)


def tags(hex_octets: str, wrapper: int | None = 3) -> TagList:
    octets = bytes.fromhex(hex_octets.replace(" ", ""))
    if wrapper is not None:
        octets = bytes([0x0E | wrapper << 4]) + octets + bytes([0x0F | wrapper << 4])
    return TagList.decode(PDUData(octets))


def test_a_proprietary_boolean_and_real_inside_the_answer_wrapper():
    assert decode_tag_list(tags("10")) is False  # application Boolean FALSE
    assert decode_tag_list(tags("44 42c80000")) == 100.0  # Real 100.0


def test_the_wrapper_of_an_rpm_result_is_stepped_into_too():
    assert decode_tag_list(tags("21 05", wrapper=4)) == 5


def test_a_structure_of_context_tags_is_keyed_by_tag_number():
    # [0] Unsigned 5, [1] (octets 41 42), as a vendor's sequence sends them
    assert decode_tag_list(tags("09 05 1a 4142")) == {"0": "0x05", "1": "0x4142"}


def test_repeated_tag_numbers_make_a_list_of_structures():
    assert decode_tag_list(tags("09 01 19 02 09 03 19 04")) == [{"0": "0x01", "1": "0x02"},
                                                               {"0": "0x03", "1": "0x04"}]


def test_nested_opening_and_closing_tags_nest():
    # [0] { Real 1.5, Unsigned 7 }, [1] { [2] { Boolean true } }
    value = decode_tag_list(tags("0e 44 3fc00000 21 07 0f 1e 2e 11 2f 1f"))
    assert value == {"0": [1.5, 7], "1": {"2": True}}


def test_a_setpoint_reference_as_a_loop_sends_it():
    # BACnetSetpointReference: [0] { BACnetObjectPropertyReference [0] oid av,1, [1] present-value }
    value = decode_tag_list(tags("0e 0c 00800001 19 55 0f"))
    assert value == {"0": {"0": "0x00800001", "1": "0x55"}}


def test_several_application_values_are_a_list_and_one_is_the_value():
    assert decode_tag_list(tags("21 01 21 02 21 03")) == [1, 2, 3]
    assert decode_tag_list(tags("00")) is None  # Null
    assert decode_tag_list(tags("")) is None  # nothing inside the wrapper


def test_empty_and_short_character_strings_are_text():
    assert decode_tag_list(tags("71 00")) == ""  # object-name "" as real devices send it
    assert decode_tag_list(tags("75 05 04 00 41 00 42")) == "AB"  # UCS-2
    assert decode_tag_list(tags("73 00 4869")) == "Hi"
    assert character_string(b"") == ""


def test_application_values_mixed_into_a_structure_are_kept():
    # [0] 0x01, then Real 2.0 and Unsigned 3 with no context tag
    assert decode_tag_list(tags("09 01 44 40000000 21 03")) == {"0": "0x01", "values": [2.0, 3]}


def test_an_object_identifier_of_a_type_the_stack_has_no_name_for():
    # color,1 (type 63): object identifier 0x0FC00001
    assert decode_tag_list(tags("c4 0fc00001")) == "color,1"
