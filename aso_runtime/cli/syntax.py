"""Old home of the CLI's input checks; they moved to :mod:`aso_runtime.verbs` (shared with F2).

Kept as aliases so existing imports keep working.
"""

from __future__ import annotations

from aso_runtime.bacnet import InvalidInput, parse_property
from aso_runtime.bacnet.priority import Priority, parse_priority
from aso_runtime.verbs.items import ReadSpec, WriteSpec, rpm_specs, wpm_specs
from aso_runtime.verbs.words import bbmd_arg, device_arg, local_address_arg, network_arg

__all__ = ["ReadSpec", "WriteSpec", "bbmd_arg", "device_arg", "local_address_arg", "network_arg", "priority_arg",
           "property_arg", "rpm_specs", "wpm_specs"]


def priority_arg(value: int | None, *, required: bool = False) -> Priority | None:
    """1..16, or None when allowed; 0 and 17 are refused with the BACnet meaning of 8."""
    if value is None and required:
        raise InvalidInput("a priority 1..16 is required (8 = manual operator)")
    return parse_priority(value)


def property_arg(text: str) -> str:
    """Check a property name (``present-value``, ``presentValue``, ``state-text[2]``)."""
    parse_property(text)
    return text
