"""Profiles: a TOML file of ASOs to load (and optionally start) when the console opens.

    [[aso]]
    source = "examples:load_shed"     # or "~/asos/mine.py:MyAso"
    name = "shed"                      # optional
    start = true                       # optional, default false
    params = { kw_limit = 40.0, step_interval = 30 }

Each entry goes through the runtime's one load step
(:func:`aso_runtime.aso.loader.load_aso`) when it is loaded: its script is
imported once, and a broken entry is refused on its own while the others load.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aso_runtime.aso.loader import LoadedAso, load_aso
from aso_runtime.bacnet import InvalidInput


@dataclass
class ProfileEntry:
    """One ``[[aso]]`` table: what to load, and whether to start it."""

    source: str
    name: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    start: bool = False
    _loaded: LoadedAso | None = field(default=None, init=False, repr=False)

    def load(self) -> LoadedAso:
        """The load step, once (ScriptError / InvalidInput, one line, for a broken entry)."""
        if self._loaded is None:
            self._loaded = load_aso(self.source, name=self.name, params=self.params)
        return self._loaded


def load_profile(path: str | Path) -> list[ProfileEntry]:
    """The entries of a profile file; raises InvalidInput (one line) for a file that cannot be read."""
    path = Path(path).expanduser()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"profile {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"profile {path}: not valid TOML ({exc})") from None
    entries = data.get("aso", [])
    if not isinstance(entries, list):
        raise InvalidInput(f"profile {path}: expected [[aso]] tables")
    profile = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or "source" not in entry:
            raise InvalidInput(f"profile {path}: [[aso]] number {number} has no source")
        params = entry.get("params", {})
        if not isinstance(params, dict):
            raise InvalidInput(f"profile {path}: [[aso]] number {number}: params must be a table")
        name = entry.get("name")
        profile.append(ProfileEntry(str(entry["source"]), str(name) if name else None, dict(params),
                                    bool(entry.get("start"))))
    return profile
