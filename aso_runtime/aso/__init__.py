"""ASO scripts and their runner: lifecycle, override ledger, kill switch."""

from .base import Aso, AsoNotRunning, EasyASO
from .capture import script_logger
from .context import JournalUnavailable
from .events import AsoEvent
from .host import AsoSpec, HostOptions, run_host
from .instance import AsoInstance, RestartPolicy
from .journal import JournalProblem
from .ledger import Ledger, Override
from .loader import ScriptError, load_aso_class
from .orphans import OrphanSweep, release_orphans
from .params import parse_params
from .release import ReleaseResult
from .runner import AsoRunner
from .timing import LoopBlocked

__all__ = [
    "Aso", "AsoEvent", "AsoInstance", "AsoNotRunning", "AsoRunner", "AsoSpec", "EasyASO", "HostOptions",
    "JournalProblem", "JournalUnavailable", "Ledger", "LoopBlocked", "OrphanSweep", "Override", "ReleaseResult",
    "RestartPolicy", "ScriptError", "load_aso_class", "parse_params", "release_orphans", "run_host",
    "script_logger",
]
