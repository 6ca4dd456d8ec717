"""The device's database-revision: it changes whenever the object database does.

A BAS front end (and our console) caches a device's object list and re-reads
it only when database-revision changes. bacpypes3 keeps it at 1 forever. The
application finds its objects in two tables (by identifier and by name):
every object added or deleted, renamed or renumbered goes through them,
whoever does it (``add_object``/``delete_object``, a local assignment of
``objectName``), so watching those tables catches every change.

The revision is 1 when the application is built and counts up by one per
read that follows changes (a read after serving three points shows 2, not
7). It is kept in memory only: every start begins again at 1. (Persisting it
would need a data directory for every device we serve, the simulator's
included, and a restarted device is re-read by clients anyway.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class _ObjectTable(dict):
    """One of the application's object tables, telling of every change."""

    def __init__(self, contents: dict, changed: Callable[[], None]) -> None:
        super().__init__(contents)
        self._changed = changed

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._changed()


class DatabaseRevision:
    """The revision number: 1 at start, one more at the first read after any change."""

    def __init__(self) -> None:
        self._revision = 1
        self._changed = False

    def changed(self) -> None:
        self._changed = True

    @property
    def value(self) -> int:
        if self._changed:
            self._changed = False
            self._revision = self._revision % 0xFFFFFFFF + 1  # Unsigned32; never back to 0
        return self._revision


def track_database_revision(app: Any) -> DatabaseRevision:
    """Watch the application's object tables from now on (the objects it holds are revision 1).

    The device object reads ``app.database_revision`` (see ``ServedDevice``).
    """
    revision = DatabaseRevision()
    app.objectIdentifier = _ObjectTable(app.objectIdentifier, revision.changed)
    app.objectName = _ObjectTable(app.objectName, revision.changed)
    app.database_revision = revision
    return revision
