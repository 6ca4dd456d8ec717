"""What `/` matches: a point's name, or its id typed any way the command line accepts.

``AV3``, ``av3``, ``av,3``, ``av:3`` and ``analog-value,3`` all mean the
same object; a technician types whichever is on the drawing in front of
them. Text that reads as an object id matches that object exactly (and
names containing the text); anything else matches names and ids containing it.

A device's points are arranged once, when its list arrives (``PointIndex``):
by object type for the tree, and as folded search text for the filter, so a
keystroke over 20,000 points is one substring test per point.
"""

from __future__ import annotations

from dataclasses import dataclass

from aso_runtime.bacnet import InvalidInput, ObjectInfo, parse_object_id
from aso_runtime.bacnet import object_type as type_row


@dataclass(frozen=True)
class Query:
    """The filter text, parsed once a keystroke."""

    text: str  # as typed (trimmed)
    needle: str  # folded; empty: everything matches
    wanted: str | None  # the object id the text reads as, if it reads as one

    @classmethod
    def of(cls, text: str) -> Query:
        text = text.strip()
        needle = text.lower()
        try:
            wanted = str(parse_object_id(needle)) if needle else None
        except InvalidInput:
            wanted = None
        return cls(text, needle, wanted)

    def __bool__(self) -> bool:
        return bool(self.needle)


@dataclass(frozen=True)
class PointIndex:
    """One device's points, arranged once."""

    by_type: dict[str, tuple[ObjectInfo, ...]]  # types in object-type number order, points by instance
    search: tuple[tuple[str, str], ...]  # (folded "name<NUL>object id", object id)

    @classmethod
    def of(cls, points: dict[str, ObjectInfo]) -> PointIndex:
        typed = sorted(((point.oid, point) for point in points.values()),
                       key=lambda item: (type_row(item[0].type).number, item[0].instance))
        by_type: dict[str, list[ObjectInfo]] = {}
        for oid, point in typed:
            by_type.setdefault(oid.type, []).append(point)
        search = tuple((f"{(point.name or '').lower()}\0{point.object_id}", point.object_id)
                       for _, point in typed)
        return cls({name: tuple(group) for name, group in by_type.items()}, search)

    def matching(self, query: Query) -> frozenset[str]:
        """The object ids of the points ``query`` keeps."""
        if not query:
            return frozenset(object_id for _, object_id in self.search)
        needle, wanted = query.needle, query.wanted
        return frozenset(object_id for text, object_id in self.search if needle in text or object_id == wanted)
