"""Release a held override safely and prove it with the priority array.

"Nothing is left overridden; nothing is released that someone else wrote":
before writing Null we read the slot. If it is already empty the point was
released (by the script's own ``on_stop``, say). If it holds a value this
host never wrote (none of the values the ledger kept since the last
verified release), someone else has since written at the same priority:
that command is theirs, so we leave it and only drop it from our ledger.
After releasing we read the array back, and only a slot seen empty (or
someone else's) counts as done. Anything else is ``failed`` and the caller
keeps the override and tries again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..bacnet import BacnetClient, BacnetError, BacnetRemoteError
from .ledger import Override

log = logging.getLogger("aso.runtime")

# Outcomes after which the point is no longer ours; 'failed' keeps it held.
SETTLED = ("released", "already-released", "taken-over", "gone")


@dataclass(frozen=True)
class ReleaseResult:
    override: Override
    outcome: str  # 'released', 'already-released', 'taken-over', 'gone', 'failed'
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome in SETTLED

    def __str__(self) -> str:
        o = self.override
        text = f"{o.device} {o.object_id} @{o.priority}: {self.outcome}"
        return f"{text} ({self.detail})" if self.detail else text


async def release_override(client: BacnetClient, override: Override) -> ReleaseResult:
    """Release one override if the slot still holds a value of ours, and verify it."""
    o = override
    try:
        if o.property != "present-value":
            # Other properties have no priority array to check or read back.
            await client.release(o.device, o.object_id, o.priority, o.property)
            return ReleaseResult(o, "released")
        before = (await client.priority_array(o.device, o.object_id)).at(o.priority)
        if not before.active:
            return ReleaseResult(o, "already-released")
        if not o.ours(before.value):
            return ReleaseResult(o, "taken-over", f"slot now holds {before.value!r}, which this host never wrote")
        await client.release(o.device, o.object_id, o.priority)
        after = (await client.priority_array(o.device, o.object_id)).at(o.priority)
        if after.active and o.ours(after.value):
            return ReleaseResult(o, "failed", f"slot still holds {after.value!r} after the release was acknowledged")
        if after.active:
            return ReleaseResult(o, "taken-over", f"released; slot now holds {after.value!r}, written by someone else")
        return ReleaseResult(o, "released")
    except BacnetRemoteError as exc:
        if exc.error_code == "unknown-object":
            return ReleaseResult(o, "gone", "the object no longer exists on the device: nothing to release")
        return ReleaseResult(o, "failed", str(exc))
    except BacnetError as exc:
        return ReleaseResult(o, "failed", str(exc))
