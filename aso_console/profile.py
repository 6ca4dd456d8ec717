"""Profiles: a TOML file of ASOs to load (and optionally start) when the console opens.

    [[aso]]
    source = "examples:load_shed"     # or "~/asos/mine.py:MyAso"
    name = "shed"                      # optional
    start = true                       # optional, default false
    params = { kw_limit = 40.0, step_interval = 30 }
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from aso_runtime.bacnet import InvalidInput

from .screens.load_modal import LoadRequest


def load_profile(path: str | Path) -> list[LoadRequest]:
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
    requests = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or "source" not in entry:
            raise InvalidInput(f"profile {path}: [[aso]] number {number} has no source")
        params = entry.get("params", {})
        if not isinstance(params, dict):
            raise InvalidInput(f"profile {path}: [[aso]] number {number}: params must be a table")
        requests.append(LoadRequest(str(entry["source"]), entry.get("name"), dict(params), bool(entry.get("start"))))
    return requests
