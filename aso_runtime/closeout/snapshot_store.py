"""Where named snapshots live: ``platformdirs.user_data_path("aso-console") / "snapshots"``.

``aso snapshot save as-found`` keeps ``as-found.json`` there; a word with a
path separator or a ``.json`` ending is a file path instead, taken as given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from aso_runtime.bacnet.errors import InvalidInput

from .snapshot_format import Snapshot, load_snapshot

APP_NAME = "aso-console"
SUFFIX = ".json"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", re.ASCII)


def snapshot_dir() -> Path:
    """The folder of named snapshots (not created here)."""
    return platformdirs.user_data_path(APP_NAME) / "snapshots"


def is_path(text: str) -> bool:
    """A file path (has a separator or ends in .json) rather than a bare snapshot name."""
    return "/" in text or "\\" in text or text.lower().endswith(SUFFIX)


def snapshot_path(name_or_file: str) -> Path:
    """The file a NAME or FILE argument means; :class:`InvalidInput` for a name no file could carry."""
    text = name_or_file.strip()
    if not text:
        raise InvalidInput("empty snapshot name")
    if is_path(text):
        return Path(text).expanduser()
    if not _NAME.fullmatch(text):
        raise InvalidInput(f"snapshot name {text!r}: use letters, digits, '.', '_' and '-' (or give a file path)")
    return snapshot_dir() / f"{text}{SUFFIX}"


def snapshot_name(name_or_file: str) -> str:
    """What the snapshot is called inside the file: the bare name, or the file's stem."""
    text = name_or_file.strip()
    return Path(text).stem if is_path(text) else text


@dataclass(frozen=True)
class StoredSnapshot:
    """One file of the snapshot folder, as ``aso snapshot list`` shows it."""

    name: str
    path: str
    taken_at: str | None
    taken_by: str | None
    devices: int | None
    points: int | None
    error: str | None = None


def list_snapshots() -> list[StoredSnapshot]:
    """Every ``*.json`` of the folder, oldest first; a damaged file is listed with its error."""
    folder = snapshot_dir()
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        try:
            snapshot: Snapshot = load_snapshot(path)
        except InvalidInput as exc:
            found.append(StoredSnapshot(path.stem, str(path), None, None, None, None, str(exc)))
            continue
        found.append(StoredSnapshot(path.stem, str(path), snapshot.taken_at, snapshot.taken_by,
                                    len(snapshot.devices), len(snapshot.points)))
    return sorted(found, key=lambda s: (s.taken_at or "", s.name))
