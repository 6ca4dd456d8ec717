"""Release a held override safely and prove it with the priority array.

"Nothing is left overridden; nothing is released that someone else wrote":
before writing Null we read the slot. If it is already empty the point was
released (by the script's own ``on_stop``, say). If it holds a different value,
someone else has since written at the same priority: that command is theirs,
so we leave it and only drop it from our ledger. After releasing we read the
array back and only then record the release.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from ..bacnet import BacnetClient, BacnetError
from .ledger import Ledger, Override

log = logging.getLogger("aso.runtime")


@dataclass(frozen=True)
class ReleaseResult:
    override: Override
    outcome: str  # 'released', 'already-released', 'taken-over', 'failed'
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome != "failed"

    def __str__(self) -> str:
        o = self.override
        text = f"{o.device} {o.object_id} @{o.priority}: {self.outcome}"
        return f"{text} ({self.detail})" if self.detail else text


def same_value(written: Any, seen: Any) -> bool:
    """Is the slot still holding what we wrote? (5 was written, 5.0 comes back)."""
    if written is None or seen is None:
        return written is seen
    binary = {"active": 1, "inactive": 0, True: 1, False: 0}
    if isinstance(written, str) and written.strip().lower() in binary:
        written = binary[written.strip().lower()]
    if isinstance(seen, str) and seen in binary:
        seen = binary[seen]
    try:
        a, b = float(written), float(seen)
    except (TypeError, ValueError):
        return str(written) == str(seen)
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-4)


async def release_override(client: BacnetClient, override: Override, *, ledger: Ledger | None = None) -> ReleaseResult:
    """Release one override if it is still ours, verify, and journal the outcome."""
    o = override
    try:
        if o.property == "present-value":
            before = (await client.priority_array(o.device, o.object_id)).at(o.priority)
            if not before.active:
                outcome = ReleaseResult(o, "already-released")
            elif not same_value(o.value, before.value):
                outcome = ReleaseResult(o, "taken-over", f"slot now holds {before.value!r}, written by someone else")
            else:
                await client.release(o.device, o.object_id, o.priority)
                after = (await client.priority_array(o.device, o.object_id)).at(o.priority)
                if after.active:
                    return ReleaseResult(o, "failed", f"slot still holds {after.value!r} after release")
                outcome = ReleaseResult(o, "released")
        else:
            # Non-present-value properties have no priority array to check.
            await client.release(o.device, o.object_id, o.priority, o.property)
            outcome = ReleaseResult(o, "released")
    except BacnetError as exc:
        return ReleaseResult(o, "failed", str(exc))
    if ledger is not None:
        ledger.record_release(o.aso, o.device, o.object_id, o.property, o.priority,
                              how="taken-over" if outcome.outcome == "taken-over" else "released")
    return outcome
