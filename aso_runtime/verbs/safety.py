"""Life safety: writes and releases at priority 1 or 2 need an explicit confirmation.

Priorities 1 and 2 are where smoke control and fire shutdown command a
point; a slip of the keyboard there can defeat them. The rule is the same
wherever a write starts:

- the CLI refuses without ``--life-safety`` (exit 2, before any socket);
- the console's F2 line, like its write modal, wants the point's name:
  ``--life-safety NAME``, and says exactly what to type;
- a NAME given anywhere must be the point's object-name.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from aso_runtime.bacnet import BacnetClient, InvalidInput, ObjectId
from aso_runtime.bacnet.priority import Priority, life_safety_confirmed

from . import requests as rq
from .text import device_label


@dataclass(frozen=True)
class Target:
    """One point a request writes at a life-safety priority."""

    object_id: ObjectId
    property: str
    priority: Priority


def life_safety_targets(request: rq.Request) -> list[Target]:
    """What ``request`` writes or releases at priority 1 or 2 (empty for everything else)."""
    if isinstance(request, rq.Write):
        writes = [(request.object_id, request.property, request.priority)]
    elif isinstance(request, rq.WriteMultiple):
        writes = [(w.object_id, w.property, w.priority) for w in request.writes]
    else:
        return []
    return [Target(oid, prop, Priority(p)) for oid, prop, p in writes if p is not None and Priority(p).life_safety]


def _what(request: rq.Request, target: Target) -> str:
    verb = "release" if isinstance(request, rq.Write) and request.released else "write"
    return f"{device_label(request.device)} {target.object_id} {target.property}: {verb} at {target.priority.describe()}"


def refuse_without_consent(request: rq.Request) -> None:
    """Offline check (no name known yet): a life-safety write with no ``--life-safety`` at all is refused."""
    targets = life_safety_targets(request)
    if targets and getattr(request, "consent", None) is None:
        raise InvalidInput(f"{_what(request, targets[0])} is life safety; add --life-safety to confirm it")


async def confirm_life_safety(client: BacnetClient, request: rq.Request, *, by_name: bool) -> None:
    """Refuse (InvalidInput, one line) a life-safety write that is not confirmed.

    ``by_name``: the bare flag is not enough, the point's name must be typed
    (the console). A name, wherever given, is checked against the point's
    object-name read from the device, and the refusal quotes the exact words to add.
    """
    targets = life_safety_targets(request)
    if not targets:
        return
    consent = getattr(request, "consent", None)
    typed = consent.names if consent is not None else ()
    if not by_name and not typed:
        refuse_without_consent(request)
        return
    names: dict[ObjectId, str] = {}
    for target in targets:
        if target.object_id not in names:
            names[target.object_id] = str(await client.read(request.device, target.object_id, "object-name"))
    missing = [t for t in targets if not any(life_safety_confirmed(word, names[t.object_id]) for word in typed)]
    if not missing:
        return
    unconfirmed = dict.fromkeys(t.object_id for t in missing)  # each point once, in order
    wanted = " ".join(f"--life-safety {shlex.quote(names[oid])}" for oid in unconfirmed)
    first = missing[0]
    given = f"{', '.join(repr(word) for word in typed)} is not the point's name; " if typed else ""
    raise InvalidInput(f"{_what(request, first)} is life safety; {given}to confirm, end the line with: {wanted}")
