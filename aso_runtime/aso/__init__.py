"""ASO scripts and their runner: lifecycle, override ledger, kill switch."""

from .base import Aso, AsoNotRunning, EasyASO
from .context import JournalUnavailable
from .events import AsoEvent
from .instance import AsoInstance, RestartPolicy
from .journal import JournalProblem
from .ledger import Ledger, Override
from .loader import ScriptError, load_aso_class
from .orphans import OrphanSweep, release_orphans
from .release import ReleaseResult
from .runner import AsoRunner
from .timing import LoopBlocked

__all__ = [
    "Aso", "AsoEvent", "AsoInstance", "AsoNotRunning", "AsoRunner", "EasyASO", "JournalProblem",
    "JournalUnavailable", "Ledger", "LoopBlocked", "OrphanSweep", "Override", "ReleaseResult", "RestartPolicy",
    "ScriptError", "load_aso_class", "release_orphans",
]
