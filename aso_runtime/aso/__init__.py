"""ASO scripts and their runner: lifecycle, override ledger, kill switch."""

from .base import Aso, AsoNotRunning, EasyASO
from .events import AsoEvent
from .instance import AsoInstance, RestartPolicy
from .ledger import Ledger, Override
from .loader import ScriptError, load_aso_class
from .release import ReleaseResult
from .runner import AsoRunner, release_orphans

__all__ = [
    "Aso", "AsoEvent", "AsoInstance", "AsoNotRunning", "AsoRunner", "EasyASO", "Ledger", "Override",
    "ReleaseResult", "RestartPolicy", "ScriptError", "load_aso_class", "release_orphans",
]
