"""Typed requests: what a verb line means once every word has been checked.

The grammar builds these from what was typed (``aso`` argv or an F2 line);
the executor runs them against a client. Every field is already a typed,
checked value, so nothing downstream parses text again.
"""

from __future__ import annotations

from dataclasses import dataclass

from aso_runtime.bacnet import ObjectId
from aso_runtime.bacnet.priority import Priority

from .items import ReadSpec, WriteSpec


@dataclass(frozen=True)
class LifeSafety:
    """``--life-safety [NAME]``: consent to write or release at priority 1 or 2.

    ``names`` are the point names typed after the option (empty for the
    bare flag, which the CLI accepts and F2 does not: there, as in the write
    modal, the point's name must be typed).
    """

    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Search:
    """Where a broadcast search goes and how long it listens."""

    target: str | None = None  # one address instead of a broadcast
    network: int | None = None  # a remote network, through its router
    quiet: float = 0.3  # s of silence after the last answer that ends it
    max_wait: float = 3.0  # s, never longer


@dataclass(frozen=True)
class Read:
    device: str
    object_id: ObjectId
    property: str = "present-value"
    index: int | None = None


@dataclass(frozen=True)
class Write:
    """Write one property; ``value`` None releases the slot at ``priority``."""

    # (Methods first: below, the field ``property`` hides the builtin in this class body.)
    @property
    def released(self) -> bool:
        return self.value is None

    device: str
    object_id: ObjectId
    value: str | None
    priority: Priority | None
    property: str = "present-value"
    index: int | None = None
    consent: LifeSafety | None = None


@dataclass(frozen=True)
class ReadAllProperties:
    """Every property of one object (``aso props``, the console's inspector)."""

    device: str
    object_id: ObjectId


@dataclass(frozen=True)
class ReadMultiple:
    device: str
    specs: tuple[ReadSpec, ...]


@dataclass(frozen=True)
class WriteMultiple:
    device: str
    writes: tuple[WriteSpec, ...]
    consent: LifeSafety | None = None


@dataclass(frozen=True)
class ShowPriorityArray:
    device: str
    object_id: ObjectId


@dataclass(frozen=True)
class WhoIs:
    low: int | None = None
    high: int | None = None
    search: Search = Search()


@dataclass(frozen=True)
class WhoHas:
    object_id: ObjectId | None = None
    name: str | None = None
    search: Search = Search()


@dataclass(frozen=True)
class FindRouters:
    network: int | None = None
    target: str | None = None
    max_wait: float = 2.0  # s, never longer
    quiet: float = 0.3  # s of silence after the last answer that ends it


@dataclass(frozen=True)
class Discover:
    """A device's points, or (``device`` None) every device that answers a Who-Is."""

    device: str | None = None
    search: Search = Search()
    csv: bool = False  # the CLI's CSV output; a presentation choice carried for it

    @property
    def whole_site(self) -> bool:
        return self.device is None


Request = Read | Write | ReadMultiple | WriteMultiple | ShowPriorityArray | WhoIs | WhoHas | FindRouters | Discover

# Verbs that change the building: refused in a read-only console.
WRITING = (Write, WriteMultiple)
