"""The verbs (read, write, release, rpm, wpm, priority-array, whois, whohas, routers, discover).

One grammar, one executor and one presentation, shared by the ``aso`` CLI
and the console's F2 command line::

    words -> grammar.parse_command / build_request -> typed request (requests.py)
          -> execute(request, client) -> typed result (results.py)
          -> render(result) (render.py, rich)  |  result.to_json() (the CLI's --json)

Everything but :mod:`.render` is free of UI libraries. Value formatting for
any view (state texts, units, priority-array rows) is in :mod:`.text`.
"""

from .execute import execute, read_back
from .grammar import ALIASES, VERBS, Verb, build_request, find_verb, parse_command
from .requests import WRITING, LifeSafety, Request, Search
from .safety import confirm_life_safety, life_safety_targets, refuse_without_consent
from .text import PointLabels, SlotRow, array_summary, format_value, slot_rows, units_symbol, value_text

__all__ = [
    "ALIASES", "VERBS", "WRITING", "LifeSafety", "PointLabels", "Request", "Search", "SlotRow", "Verb",
    "array_summary", "build_request", "confirm_life_safety", "execute", "find_verb", "format_value",
    "life_safety_targets", "parse_command", "read_back", "refuse_without_consent", "slot_rows", "units_symbol",
    "value_text",
]
