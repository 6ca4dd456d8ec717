"""What `/` matches: a point's name, or its id typed any way the command line accepts.

``AV3``, ``av3``, ``av,3``, ``av:3`` and ``analog-value,3`` all mean the
same object; a technician types whichever is on the drawing in front of
them. Text that reads as an object id matches that object exactly (and
names containing the text); anything else matches names and ids containing it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from aso_runtime.bacnet import InvalidInput, ObjectInfo, parse_object_id


def point_matcher(text: str) -> Callable[[ObjectInfo], bool]:
    """A predicate for the points the filter ``text`` keeps (all of them when it is empty)."""
    needle = text.strip().lower()
    if not needle:
        return lambda point: True
    try:
        wanted = str(parse_object_id(needle))
    except InvalidInput:
        wanted = None

    def matches(point: ObjectInfo) -> bool:
        if wanted is not None and point.object_id == wanted:
            return True
        return needle in _folded(point.name or "") or needle in point.object_id

    return matches


@functools.lru_cache(maxsize=65536)
def _folded(name: str) -> str:
    """A name in lower case, once: every keystroke compares it again (20,000 names on a big site)."""
    return name.lower()
