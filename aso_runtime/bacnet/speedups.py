"""Decoding cost on the loop we share with the console: one bacpypes3 hot spot answered from a cache.

Every bacpypes3 ``Sequence`` built (each decoded ReadAccessResult, each
element of it, each priority-array slot...) asks ``inspect.getattr_static``
of every element it was not given, to learn whether the class defines it as
a ``property``. That is a question about the class, not the instance, yet it
was asked 39,000 times and cost 16% of the loop's time while a 50-device
site was discovered (``benchmarks/console.py --profile discovery``): the
time the console's key presses wait behind.

Served objects do the same on every property read (``local/object.py``
asks whether the property is a Python ``property`` with a coroutine getter):
that is the simulated building's cost, and a host's served points'.

What the class defines is cached per (class, attribute); the instance's own
``__dict__`` is still looked at on each call, in the order
``inspect.getattr_static`` uses (a data descriptor on the class, then the
instance's value, then the class's), so the answer is the same.
"""

from __future__ import annotations

import inspect

_MISSING = object()
_class_attributes: dict[tuple[type, str], object] = {}


def _class_attribute(cls: type, attr: str) -> object:
    """What the class (first in its MRO) defines ``attr`` as, or _MISSING."""
    key = (cls, attr)
    found = _class_attributes.get(key)
    if found is None:
        found = _MISSING
        for klass in cls.__mro__:
            if attr in klass.__dict__:
                found = klass.__dict__[attr]
                break
        _class_attributes[key] = found
    return found


def getattr_static_cached(obj: object, attr: str, *default: object) -> object:
    if isinstance(obj, type):  # not the case bacpypes3 asks about: answer it the standard way
        return inspect.getattr_static(obj, attr, *default)
    found = _class_attribute(type(obj), attr)
    if hasattr(type(found), "__set__") or hasattr(type(found), "__delete__"):
        return found  # a data descriptor (a property) comes before the instance's own value
    own = getattr(obj, "__dict__", {})
    if attr in own:
        return own[attr]
    if found is not _MISSING:
        return found
    if default:
        return default[0]
    raise AttributeError(attr)


class _InspectWithCache:
    """``inspect`` as bacpypes3's module sees it: the standard one, getattr_static cached."""

    getattr_static = staticmethod(getattr_static_cached)

    def __getattr__(self, name: str) -> object:
        return getattr(inspect, name)


def install() -> None:
    """Point bacpypes3's modules that ask at the cached lookup (idempotent)."""
    from bacpypes3 import constructeddata
    from bacpypes3.local import object as local_object

    for module in (constructeddata, local_object):
        if not isinstance(module.inspect, _InspectWithCache):
            module.inspect = _InspectWithCache()
