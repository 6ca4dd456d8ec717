"""Example ASO strategies against the simulated building (``aso run examples:NAME``)."""

from __future__ import annotations

import importlib
import pkgutil

from ..aso.base import Aso


def catalogue() -> dict[str, type[Aso]]:
    """Every example class, keyed by its module name (``load_shed``) and class name."""
    found: dict[str, type[Aso]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Aso) and value is not Aso and value.__module__ == module.__name__:
                found[module_info.name] = value
                found[value.__name__] = value
    return found


def names() -> list[str]:
    return sorted(name for name in catalogue() if name.islower())


def by_name(name: str) -> type[Aso] | None:
    items = catalogue()
    return items.get(name) or items.get(name.replace("-", "_"))
