"""Read the words that make a point's values readable: units, state texts, active/inactive texts."""

from __future__ import annotations

from aso_runtime.bacnet import BacnetClient, BacnetError, ObjectId, ValueKind, object_type, read_many

from .text import PointLabels

UNITS = "units"


def label_properties(object_id: ObjectId) -> list[str]:
    """The properties that label values of this object type (none for types without), from the type table."""
    row = object_type(object_id)
    if row.kind is ValueKind.BINARY:
        return ["active-text", "inactive-text"]
    if row.kind is ValueKind.MULTI_STATE:
        return ["state-text"]
    return [UNITS] if UNITS in row.reads else []


async def read_labels(client: BacnetClient, device: str, object_id: ObjectId) -> PointLabels:
    """The point's labels, or empty ones: they are optional properties and never fail a verb."""
    props = label_properties(object_id)
    if not props:
        return PointLabels()
    try:
        values = await read_many(client, device, [(object_id, props)])
    except BacnetError:
        return PointLabels()
    return PointLabels.from_properties({v.property: v.value for v in values if v.ok})
