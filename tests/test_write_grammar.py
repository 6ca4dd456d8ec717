"""``write DEVICE OBJECT [PROPERTY] VALUE [PRIORITY]``: one grammar for the CLI and F2."""

from __future__ import annotations

import shlex

import pytest

from aso_runtime.bacnet import InvalidInput
from aso_runtime.verbs import parse_command


def write(line: str):
    request = parse_command(shlex.split(f"write {line}"))
    return request.property, request.value, None if request.priority is None else int(request.priority)


@pytest.mark.parametrize("line, expected", [
    ("1001 av,1 21.5", ("present-value", "21.5", None)),
    ("1001 av,1 21.5 8", ("present-value", "21.5", 8)),
    ("1001 bv,1 active 8", ("present-value", "active", 8)),  # a value word is not a property
    ("1001 ai,1 out-of-service true", ("out-of-service", "true", None)),
    ("1001 ai,1 outOfService false", ("out-of-service", "false", None)),
    ("1001 av,1 present-value 22 9", ("present-value", "22", 9)),
    ("1001 av,1 description 'Supply air, north'", ("description", "Supply air, north", None)),
    ("1001 ai,1 reliability no-sensor", ("reliability", "no-sensor", None)),
    ("1001 av,1 'Supply air' --property description", ("description", "Supply air", None)),
    ("1001 av,1 -5 -p 8", ("present-value", "-5", 8)),
])
def test_the_words_after_the_object(line, expected):
    assert write(line) == expected


@pytest.mark.parametrize("line, message", [
    ("1001 av,1 a b c d", "write takes [PROPERTY] VALUE [PRIORITY]; got 4 words"),
    ("1001 av,1 description x --property units", "two properties given"),
    ("1001 av,1 bogus-property 1 8", "unknown property 'bogus-property'"),
    ("1001 av,1 21.5 eight", "cannot read priority 'eight'"),
])
def test_what_does_not_parse_is_one_line(line, message):
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]")):
        write(line)
