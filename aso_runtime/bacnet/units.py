"""BACnet engineering units by number: what an EDE file's unit-code column holds.

The client gives units as the standard's names (``degrees-fahrenheit``);
engineering tools exchange them as the enumeration's numbers (64). The
table is bacpypes3's transcription of the standard, so it stays here,
inside the BACnet package.
"""

from __future__ import annotations

from functools import cache


@cache
def unit_code(name: str | None) -> int | None:
    """``degrees-celsius`` -> 62, ``percent`` -> 98; None for no units or a name the standard lacks."""
    if not name:
        return None
    from bacpypes3.basetypes import EngineeringUnits

    try:
        return int(EngineeringUnits(name))
    except (ValueError, TypeError, KeyError):
        return None
