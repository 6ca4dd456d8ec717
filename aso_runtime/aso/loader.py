"""The ONE load step of an ASO: ``aso run``, the console's load modal and profiles all use it.

:func:`load_aso` resolves a spec (``path.py``, ``path.py:Class``, a module,
``examples:NAME``), imports the script ONCE, checks the class and its
parameters by building the ASO, and returns a :class:`LoadedAso`: what the
runner hosts (``runner.load(loaded.aso)``), with nothing left to execute.

A technician should get one clear line for a script with a syntax error, a
file without an ASO class, a class that defines none of the hooks or an
unknown parameter, never a traceback of our loader. The packaged examples
are looked up by module name when one is loaded, never imported with the
runtime.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..bacnet import InvalidInput
from .base import Aso
from .capture import aso_print

HOOKS = ("on_start", "on_step", "on_stop")


class ScriptError(InvalidInput):
    """The script cannot be loaded (path, syntax, no ASO class, missing hooks)."""


def _split(spec: str) -> tuple[str, str | None]:
    spec = spec.strip()
    if spec.count(":") and not (len(spec) > 1 and spec[1] == ":" and spec.count(":") == 1):
        source, _, cls = spec.rpartition(":")
        return source, cls or None
    return spec, None


def _module_from_file(path: Path):
    name = f"aso_script_{path.stem}_{abs(hash(str(path.resolve()))) % 10**8}"
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScriptError(f"cannot read {path}: {exc.strerror}") from None
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as exc:
        raise ScriptError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    module.__dict__["print"] = aso_print  # prints land in the ASO's log, not on the screen
    try:
        exec(code, module.__dict__)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise ScriptError(f"{path}: error while loading: {type(exc).__name__}: {exc}") from None
    return module


def _module_from_name(name: str):
    if name in ("examples", "example"):
        name = "aso_runtime.examples"
    elif name.startswith(("examples.", "example.")):
        name = "aso_runtime.examples." + name.split(".", 1)[1]
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise ScriptError(f"no such file or module {name!r} ({exc.msg})") from None
    except SyntaxError as exc:
        raise ScriptError(f"{exc.filename}:{exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:
        raise ScriptError(f"module {name}: error while loading: {type(exc).__name__}: {exc}") from None


def aso_classes(module) -> list[type[Aso]]:
    """ASO classes defined in (not merely imported into) a module."""
    found = []
    for value in vars(module).values():
        if inspect.isclass(value) and issubclass(value, Aso) and value is not Aso:
            if value.__module__ == module.__name__ or getattr(module, "__all__", None) and value.__name__ in module.__all__:
                found.append(value)
    return found


def check_hooks(cls: type[Aso], where: str) -> None:
    defined = [hook for hook in HOOKS if any(hook in vars(klass) for klass in cls.__mro__ if klass is not Aso and issubclass(klass, Aso))]
    if "on_step" not in defined and "on_start" not in defined:
        raise ScriptError(f"{where}: class {cls.__name__} defines none of on_start/on_step; an ASO needs at least on_step")
    for hook in HOOKS:
        method = getattr(cls, hook, None)
        if method is not None and not inspect.iscoroutinefunction(method):
            raise ScriptError(f"{where}: {cls.__name__}.{hook} must be `async def`")


EXAMPLES_PACKAGE = "aso_runtime.examples"


def example_names() -> list[str]:
    """The packaged examples (``load_shed``, ...), sorted, listed without importing any of them."""
    spec = importlib.util.find_spec(EXAMPLES_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    return sorted(m.name for m in pkgutil.iter_modules(locations) if not m.name.startswith("_"))


def _example_module(name: str) -> str:
    """``load-shed``, ``load_shed`` or ``LoadShed`` -> ``load_shed``: the example's module name."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name.strip()).lower().replace("-", "_")
    if not snake.isidentifier() or snake.startswith("_") or snake not in example_names():
        raise ScriptError(f"no example called {name!r}; available: {', '.join(example_names())}")
    return snake


def _example_class(name: str, spec: str) -> type[Aso]:
    module = _module_from_name(f"{EXAMPLES_PACKAGE}.{_example_module(name)}")
    classes = aso_classes(module)
    if len(classes) != 1:
        raise ScriptError(f"{spec}: example module {module.__name__} defines {len(classes)} ASO classes, not one")
    return classes[0]


def load_aso_class(spec: str) -> type[Aso]:
    """Resolve a spec to one ASO class, importing its script once. See module docstring for the forms."""
    source, class_name = _split(spec)
    path = Path(source).expanduser()
    if source.endswith(".py") or path.exists():
        if not path.exists():
            raise ScriptError(f"{source}: no such file")
        module = _module_from_file(path)
    elif source in ("examples", "example") and class_name:
        cls = _example_class(class_name, spec)
        check_hooks(cls, spec)
        return cls
    else:
        module = _module_from_name(source)
    classes = aso_classes(module)
    if class_name:
        chosen = [c for c in classes if c.__name__ == class_name]
        if not chosen:
            names = ", ".join(c.__name__ for c in classes) or "none"
            raise ScriptError(f"{source}: no ASO class {class_name!r} (ASO classes here: {names})")
        cls = chosen[0]
    elif not classes:
        raise ScriptError(f"{source}: no ASO class found (define a subclass of aso_runtime.Aso or EasyASO)")
    elif len(classes) > 1:
        names = ", ".join(c.__name__ for c in classes)
        raise ScriptError(f"{source}: several ASO classes ({names}); pick one with {source}:ClassName")
    else:
        cls = classes[0]
    check_hooks(cls, source)
    return cls


@dataclass(frozen=True)
class LoadedAso:
    """A script resolved, imported once and checked: the ASO the runner hosts, and where it came from."""

    source: str  # the spec as given: "my_aso.py:Nudge", "examples:load_shed"
    aso: Aso  # built with its parameters, ready for ``runner.load(loaded.aso)``

    @property
    def name(self) -> str:
        return self.aso.name

    @property
    def cls(self) -> type[Aso]:
        return type(self.aso)

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.aso.params)


def load_aso(source: str, *, name: str | None = None, params: dict[str, Any] | None = None) -> LoadedAso:
    """Resolve ``source``, import the script once, check the class and ``params``; no network.

    Raises :class:`ScriptError` (a broken script) or InvalidInput (an unknown
    parameter, a bad priority), each one line; an exception from the
    script's own ``__init__`` becomes a ScriptError naming it.
    """
    source = source.strip()
    if not source:
        raise ScriptError("no script given: a path (my_aso.py, my_aso.py:Class), a module, or examples:NAME")
    cls = load_aso_class(source)
    try:
        aso = cls(name=name or None, **(params or {}))
    except InvalidInput:
        raise
    except Exception as exc:  # the script's own __init__ objects
        raise ScriptError(f"{source}: {cls.__name__}() failed: {type(exc).__name__}: {exc}") from None
    return LoadedAso(source, aso)
