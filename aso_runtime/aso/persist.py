"""The operator's commands on the host's enable points, kept across restarts and crashes.

An operator who writes ``optimization-enabled`` inactive at priority 8 has
said "off" until they say otherwise: a ``kill -9``, a power cut or a
systemd restart must not turn optimization back on. Every change of an
enable point's priority array is written to a small file (atomically: a
temporary file, fsynced, renamed over the old one) and restored before any
ASO starts.

A file that cannot be read fails safe: the kill switch starts inactive at
priority 16 (so nothing runs) and the log says how to resume (relinquish
priority 16 of binary-value,1, or write it active).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import platformdirs

from ..bacnet import EnablePoint
from .ledger import APP_NAME

log = logging.getLogger("aso.runtime")

FAIL_SAFE_PRIORITY = 16
STATES = ("inactive", "active")


def commands_path(device_instance: int) -> Path:
    return platformdirs.user_data_path(APP_NAME) / "served" / f"device-{device_instance}.json"


class CommandStore:
    """Saved priority arrays of enable points, by object name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._points: dict[str, EnablePoint] = {}
        self._saved: dict[str, dict[str, str]] = {}
        self.damaged: str | None = None
        self._save_failed = False
        try:
            self._saved = _read(path)
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            self.damaged = f"{path}: {exc}"

    def track(self, point: EnablePoint, *, fail_safe: bool = False) -> None:
        """Restore ``point``'s saved commands, then save every later change.

        ``fail_safe`` (the kill switch): if the file could not be read, start
        inactive at priority 16 rather than guess that optimization may run.
        """
        name = point.name
        saved = self._saved.get(name, {})
        if self.damaged and fail_safe:
            log.error("cannot read the saved kill-switch commands (%s): starting with optimization DISABLED "
                      "(inactive at priority %d); relinquish priority %d of %s to resume",
                      self.damaged, FAIL_SAFE_PRIORITY, FAIL_SAFE_PRIORITY, name)
            saved = {str(FAIL_SAFE_PRIORITY): "inactive"}
        point.restore({int(priority): state for priority, state in saved.items()})
        self._points[name] = point
        point.on_command = self.save
        if saved:
            log.warning("%s restored from the last run: %s", name,
                        ", ".join(f"{state} @{priority}" for priority, state in sorted(saved.items(), key=lambda i: int(i[0]))))
            self.save()

    def forget(self, point: EnablePoint) -> None:
        self._points.pop(point.name, None)
        point.on_command = None

    def save(self) -> None:
        """Write every tracked point's commands; a failure is logged, never raised into a write."""
        document = {"points": {**self._saved, **{name: _slots(point) for name, point in self._points.items()}}}
        self._saved = document["points"]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError as exc:
            if not self._save_failed:
                log.error("cannot save the enable points' commands to %s (%s): they hold now but will not "
                          "survive a restart", self.path, exc.strerror)
            self._save_failed = True
            return
        self._save_failed = False


def _slots(point: EnablePoint) -> dict[str, str]:
    """The active slots of an enable point's priority array, as saved: {"8": "inactive"}."""
    return {str(priority): state for priority, state in point.commands().items()}


def _read(path: Path) -> dict[str, dict[str, str]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    points = document.get("points") if isinstance(document, dict) else None
    if not isinstance(points, dict):
        raise ValueError("not a saved-commands file")
    for name, slots in points.items():
        if not isinstance(slots, dict) or not all(
                isinstance(p, str) and p.isascii() and p.isdigit() and 1 <= int(p) <= 16 and s in STATES
                for p, s in slots.items()):
            raise ValueError(f"damaged entry for {name!r}")
    return points
