"""Release what hosts that died (kill -9, power loss) left in their journals.

Used when a host starts and by ``aso release-orphans``. Damaged journals are
read record by record: every good record is released, every damaged one is
reported by file and line, and a journal that could not be read at all is
reported too, so "nothing held" is never said of a journal we could not read.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from collections.abc import Callable
from pathlib import Path

from ..bacnet import BacnetClient
from .journal import JournalProblem
from .ledger import Override, orphan_journals
from .release import ReleaseResult, release_override

log = logging.getLogger("aso.runtime")


@dataclass
class OrphanSweep:
    """What one sweep released, failed to release, and could not read."""

    results: list[ReleaseResult] = field(default_factory=list)
    problems: list[JournalProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    adopted: list[ReleaseResult] = field(default_factory=list)  # failed here, retried by the running host

    @property
    def ok(self) -> bool:
        """Everything readable was released and nothing was unreadable."""
        return not self.problems and all(r.ok for r in self.results)

    @property
    def failed(self) -> list[ReleaseResult]:
        return [r for r in self.results if not r.ok]

    @property
    def left_behind(self) -> list[ReleaseResult]:
        """Failed and not taken over by a running host: only the dead host's journal has them."""
        return [r for r in self.failed if r not in self.adopted]


async def release_orphans(client: BacnetClient, directory: Path | None = None,
                          adopt: Callable[[Override, str], bool] | None = None) -> OrphanSweep:
    """Release every orphaned override whose slot still holds a value its host wrote.

    ``adopt`` (a running host's ledger) takes over those whose release
    failed, so they are retried while the host runs instead of at the next start.
    """
    sweep = OrphanSweep()
    for journal in orphan_journals(directory):
        for problem in journal.problems:
            log.warning("orphaned journal %s", problem)
        outcomes = list(await asyncio.gather(*(release_override(client, o) for o in journal.overrides)))
        settled = []
        for outcome in outcomes:
            if outcome.ok:
                log.warning("released orphan of a previous run (ASO %s): %s", outcome.override.aso, outcome)
            else:
                log.error("orphan of a previous run (ASO %s) not released: %s", outcome.override.aso, outcome)
            if outcome.ok:
                settled.append((outcome.override, outcome.outcome))
            elif adopt is not None and adopt(outcome.override, f"orphan: {outcome.detail}"):
                settled.append((outcome.override, "adopted"))
                sweep.adopted.append(outcome)
        note = journal.settle(settled)
        if note:
            log.warning(note)
            sweep.notes.append(note)
        sweep.results.extend(outcomes)
        sweep.problems.extend(journal.problems)
    return sweep
