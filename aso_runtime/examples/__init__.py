"""Example ASO strategies against the simulated building (``aso run examples:NAME``).

The easy-aso tutorial list, one module each (``--param`` sets any class attribute):

- ``load_shed``: staged electrical load shed on the meter's kW
- ``occupancy_sharing``: BAS supervisory share of the AHU's occupancy mode through priority
- ``static_pressure_reset`` / ``supply_air_reset``: Guideline 36 trim & respond of the AHU setpoints
- ``demand_control_ventilation``: minimum outside air from zone occupancy
- ``occupied_standby``: vacant zones to standby from occupancy sensors
- ``night_flush``: overnight flush with cool outside air
- ``override_release``: overnight release of stale operator overrides at priority 8
- ``staggered_start``: heat pumps released one at a time on a cold morning start
- ``load_shift``: pre-cool before the utility peak, coast through it
- ``rogue_zones``: report the zones that drive the reset requests (commands nothing)
- ``ahu_functional_check``: self-commissioning AHU functional test (report, then release)

Shared pieces (point map, trim & respond, the site base class) live in ``_common``.
"""

from __future__ import annotations

import importlib
import pkgutil

from ..aso.base import Aso


def catalogue() -> dict[str, type[Aso]]:
    """Every example class, keyed by its module name (``load_shed``) and class name (``LoadShed``)."""
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
    """The module names, sorted: what ``examples:NAME`` accepts (class names work too)."""
    return sorted(name for name in catalogue() if name.islower())


def by_name(name: str) -> type[Aso] | None:
    """The example class for a module name (``load_shed``, ``load-shed``) or class name, or None."""
    items = catalogue()
    return items.get(name) or items.get(name.replace("-", "_"))


def summaries() -> dict[str, str]:
    """``{module name: first line of the class docstring}``, for listings."""
    items = catalogue()
    return {name: (items[name].__doc__ or "").strip().splitlines()[0] for name in names()}
