"""The repeated items of ``rpm`` and ``wpm``: ``OBJECT PROP[,PROP]`` and ``OBJECT PROP=VALUE[@P]``.

Each raises :class:`InvalidInput` with one line before anything is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aso_runtime.bacnet import InvalidInput, ObjectId, ascii_only, parse_object_id, parse_property
from aso_runtime.bacnet.priority import Priority, parse_priority


@dataclass(frozen=True)
class ReadSpec:
    """One object of an RPM and the properties asked of it."""

    object_id: ObjectId
    properties: list[str]


def rpm_specs(items: list[str]) -> list[ReadSpec]:
    """``OBJECT PROP[,PROP...]`` pairs -> read specs."""
    if len(items) % 2:
        raise InvalidInput(
            "rpm takes OBJECT PROPERTIES pairs, e.g. `ai,1 present-value,units av,2 present-value`; "
            f"{items[-1]!r} has no property list after it"
        )
    specs = []
    for object_text, props_text in zip(items[0::2], items[1::2]):
        try:
            oid = parse_object_id(object_text)
        except InvalidInput as exc:
            raise InvalidInput(f"{exc} (rpm takes OBJECT PROPERTIES pairs; separate properties with commas)") from None
        props = [p.strip() for p in props_text.split(",") if p.strip()]
        if not props:
            raise InvalidInput(f"no property listed for {object_text!r}")
        for prop in props:
            parse_property(prop)
        specs.append(ReadSpec(oid, props))
    return specs


@dataclass(frozen=True)
class WriteSpec:
    """One write of a WPM; ``value`` as typed (a null word releases)."""

    object_id: ObjectId
    property: str
    value: str
    priority: Priority | None


_ASSIGNMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9\-_]*(?:\[[0-9]+\])?)=(.*?)(?:@([0-9]+))?$", re.S)


def _priority_like(text: str) -> bool:
    """'-1', ' 8', '１５', '²': digits of any kind (isdigit), maybe signed; meant as a priority."""
    digits = text.strip().removeprefix("-").removeprefix("+").strip()
    return digits.isdigit()


def wpm_specs(items: list[str], default_priority: int | None) -> list[WriteSpec]:
    """``OBJECT PROP=VALUE[@PRIORITY] [PROP=VALUE ...] [OBJECT ...]`` -> write specs.

    A word without ``=`` starts a new object; ``@N`` at the end of an
    assignment is its priority, else ``default_priority`` (``--priority``).
    """
    specs: list[WriteSpec] = []
    current: ObjectId | None = None
    pending_object = ""
    for item in items:
        if "=" not in item:
            if current is not None and pending_object:
                raise InvalidInput(f"object {pending_object!r} has no PROPERTY=VALUE after it")
            current = parse_object_id(item)
            pending_object = item
            continue
        if current is None:
            raise InvalidInput(f"{item!r} comes before any object; write `OBJECT PROPERTY=VALUE[@PRIORITY]`")
        ascii_only(item.partition("=")[0], "property")
        match = _ASSIGNMENT.match(item)
        if not match:
            raise InvalidInput(f"cannot read write {item!r}; use PROPERTY=VALUE[@PRIORITY] like present-value=21.5@8")
        prop, value, priority_text = match.groups()
        parse_property(prop)
        if value == "":
            raise InvalidInput(f"{item!r} has no value; write null to release")
        _, at, tail = value.rpartition("@")
        if at and _priority_like(tail):  # not @N above, yet meant as a priority
            raise InvalidInput(
                f"cannot read priority {tail!r} in {item!r}: write @1..@16 in ASCII digits after the value"
            )
        priority = priority_text if priority_text is not None else default_priority
        specs.append(WriteSpec(current, prop, value, parse_priority(priority)))
        pending_object = ""
    if pending_object:
        raise InvalidInput(f"object {pending_object!r} has no PROPERTY=VALUE after it")
    if not specs:
        raise InvalidInput("nothing to write; give OBJECT PROPERTY=VALUE[@PRIORITY]")
    return specs
