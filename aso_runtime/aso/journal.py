"""The journal file under the override ledger: append-only, fsynced, locked, readable when damaged.

Writing: each append goes to the file with ``os.write`` (no user-space
buffer that could replay half a record later) and is fsynced before it
returns. A failed append (a full disk) is cut back to the last good byte, so
the journal never holds a torn record in the middle, and the caller decides
what failing means (a write is refused; a release goes on).

Reading: a journal may be damaged (a power cut mid-line, a stray edit, a
bad disk block). Every good record is used; every damaged one is reported
with its file and line, never silently skipped, so "nothing held" is only
said of a journal that could be read in full.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class JournalError(OSError):
    """The journal could not be written (full disk, read-only file system...)."""


@dataclass(frozen=True)
class JournalProblem:
    """One record (or a whole journal) that could not be read."""

    path: Path
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.reason}"


class JournalFile:
    """One journal file, opened by us and held under an exclusive ``flock``."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd

    @classmethod
    def create(cls, directory: Path, stem: str) -> "JournalFile":
        """A new journal whose name is unique to this process and moment, locked by us."""
        for attempt in range(1000):
            path = directory / f"{stem}-{os.getpid()}-{int(time.time() * 1000)}-{attempt}.jsonl"
            try:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            except OSError as exc:
                raise JournalError(exc.errno, f"cannot create an override journal in {directory}: {exc.strerror}") from None
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return cls(path, fd)
        raise JournalError(errno.EEXIST, f"cannot create an override journal in {directory}")

    @property
    def closed(self) -> bool:
        return self.fd < 0

    def append(self, records: list[dict[str, Any]]) -> None:
        """Append and fsync; on failure cut the file back and raise :class:`JournalError`."""
        data = "".join(json.dumps(record, default=str) + "\n" for record in records).encode()
        good = os.lseek(self.fd, 0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:
                written = os.write(self.fd, view)
                view = view[written:]
            os.fsync(self.fd)
        except OSError as exc:
            try:
                os.ftruncate(self.fd, good)  # no torn record for the next append to land on
            except OSError:
                pass
            raise JournalError(exc.errno, f"override journal {self.path}: {exc.strerror}") from None

    def close(self, *, delete: bool = False) -> None:
        if self.closed:
            return
        if delete:
            self.path.unlink(missing_ok=True)  # while still locked: nobody takes it for a dead host's
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = -1


def read_records(path: Path, data: bytes | None = None) -> tuple[list[tuple[int, dict[str, Any]]], list[JournalProblem]]:
    """Every record of a journal that parses as a JSON object, with its line, and the problems.

    Raises OSError if the file cannot be read at all (the caller reports it).
    """
    if data is None:
        data = path.read_bytes()
    records: list[tuple[int, dict[str, Any]]] = []
    problems: list[JournalProblem] = []
    lines = data.split(b"\n")
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        last = number == len(lines)  # no newline after it: the write was cut short
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(JournalProblem(path, number, f"damaged record (byte {exc.start + 1} is not UTF-8): skipped"))
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError:
            why = "record cut short (the host stopped mid-write)" if last else "damaged record (not JSON)"
            problems.append(JournalProblem(path, number, f"{why}: skipped"))
            continue
        if not isinstance(record, dict):
            problems.append(JournalProblem(path, number, f"damaged record (a JSON {type(record).__name__}, not an object): skipped"))
            continue
        records.append((number, record))
    return records, problems


@dataclass
class LockedJournal:
    """A journal of a host that is gone, opened and locked by us (or found unreadable)."""

    path: Path
    fd: int  # -1 when it could not be opened
    data: bytes = b""
    error: str | None = None

    @property
    def writable(self) -> bool:
        return self.fd >= 0 and os.access(self.path, os.W_OK)

    def append(self, records: list[dict[str, Any]]) -> None:
        JournalFile(self.path, self.fd).append(records)

    def release_lock(self) -> None:
        if self.fd >= 0:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = -1


def dead_journals(directory: Path) -> Iterator[LockedJournal]:
    """Journals whose lock is free (their host died), each yielded locked.

    Opened for reading and writing when we may, else read-only (a journal
    left by another user is still read and released, never skipped). A
    journal that cannot be opened or read at all is yielded with ``error``.
    """
    if not directory.exists():
        return
    for path in sorted(directory.glob("*.jsonl")):
        try:
            try:
                fd = os.open(path, os.O_RDWR | os.O_APPEND)
            except PermissionError:
                fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            yield LockedJournal(path, -1, error=f"cannot open the journal ({exc.strerror}); "
                                                f"check it by hand with `aso priority-array`")
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)  # a live host holds it
            continue
        try:
            data = _read_all(fd)
        except OSError as exc:
            journal = LockedJournal(path, fd, error=f"cannot read the journal ({exc.strerror}); "
                                                    f"check it by hand with `aso priority-array`")
        else:
            journal = LockedJournal(path, fd, data)
        yield journal


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)
