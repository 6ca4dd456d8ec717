"""ASO parameters typed as ``KEY=VALUE`` (the CLI's --param, the console's load modal)."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Any

from ..bacnet import InvalidInput


def parse_params(pairs: Iterable[str]) -> dict[str, Any]:
    """``["kw_limit=40", "meters=(4001, 4002)", "mode=eco"]`` -> dict; Python literals, else text."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.isidentifier():
            raise InvalidInput(f"parameter {pair!r}: expected KEY=VALUE like kw_limit=40")
        try:
            params[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            params[key] = text  # plain words stay text
    return params
