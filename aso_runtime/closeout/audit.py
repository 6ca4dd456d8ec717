"""The audit journal: every write and release a technician makes from the console or the CLI.

One :class:`~aso_runtime.closeout.records.AuditRecord` per line (JSON), in
``platformdirs.user_data_path("aso-console") / "audit"``:

- append-only: each record is ONE ``os.write`` of one line to a file opened
  with ``O_APPEND``, then fsynced, under an exclusive ``flock`` of
  ``audit.lock``, so several processes (two consoles, a script running
  ``aso write``) append whole lines in turn;
- rotated by size: once ``audit.jsonl`` would pass :data:`MAX_BYTES` it
  becomes ``audit.1.jsonl`` (``.1`` -> ``.2`` ...; the oldest beyond
  :data:`KEEP` is dropped);
- readable after a crash: a line cut short by a power loss is skipped on
  read and reported (:attr:`AuditRead.problems`), and the next append
  starts on a fresh line so it is never glued to the torn one.

ASO writes are not here: the runner journals them in its override ledger
(``aso_runtime.aso.ledger``). Writing the record happens after the write
(its outcome is part of it): a crash in the milliseconds between the two
loses that one record, never an earlier one.
"""

from __future__ import annotations

import errno
import fcntl
import getpass
import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from .records import AuditRecord

log = logging.getLogger("aso.runtime")

APP_NAME = "aso-console"
CURRENT = "audit.jsonl"
LOCK = "audit.lock"
MAX_BYTES = 5 * 1024 * 1024  # a record is ~400 bytes: ~13,000 writes per file
KEEP = 4  # rotated files kept besides the current one (~25 MB in all)
TOOLS = ("cli", "console")

_FIELDS = {f.name for f in fields(AuditRecord)}
_REQUIRED = {f.name for f in fields(AuditRecord) if f.default is MISSING and f.default_factory is MISSING}


class AuditError(OSError):
    """The audit journal could not be written (full disk, read-only home...)."""

    def __str__(self) -> str:
        return str(self.strerror)  # one line for people, without "[Errno 28]"


def audit_dir() -> Path:
    """Where the journal lives (not created until the first record is written)."""
    return platformdirs.user_data_path(APP_NAME) / "audit"


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return os.environ.get("USER") or f"uid {os.getuid()}"


def new_id() -> str:
    """8 hex digits: short enough to type after ``aso undo``."""
    return secrets.token_hex(4)


def new_session() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{new_id()}"


@dataclass(frozen=True)
class AuditProblem:
    """A line that could not be read (a torn last line after a crash, a damaged record)."""

    path: Path
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass
class AuditRead:
    """Every record of the journal, oldest first, and the lines that were skipped."""

    records: list[AuditRecord] = field(default_factory=list)
    problems: list[AuditProblem] = field(default_factory=list)


def record_from_dict(data: dict[str, Any]) -> AuditRecord:
    """An AuditRecord from its JSON object; unknown keys are ignored (a newer version wrote them).

    Raises ValueError when a field the record needs is missing or of the wrong kind.
    """
    missing = sorted(name for name in _REQUIRED if name not in data)
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    if not isinstance(data["id"], str) or not data["id"] or not isinstance(data["time"], (int, float)):
        raise ValueError("malformed id or time")
    for name in ("priority", "index", "device_instance"):
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"malformed {name}")
    return AuditRecord(**{key: value for key, value in data.items() if key in _FIELDS})


class AuditJournal:
    """The journal, and who is writing into it: the tool (``cli``, ``console``) and its session.

    ``session`` names one run of a tool (a console from start to quit, one
    ``aso`` command); :meth:`session_records` lists what this object wrote.
    Reads see every process's records.
    """

    def __init__(self, directory: Path | None = None, *, tool: str = "cli", session: str | None = None,
                 max_bytes: int = MAX_BYTES, keep: int = KEEP) -> None:
        self.directory = Path(directory) if directory is not None else audit_dir()
        self.tool = tool
        self.session = session or new_session()
        self.max_bytes = max_bytes
        self.keep = keep
        self.user = current_user()
        self.host = socket.gethostname()
        self.started = time.time()
        self._written: list[AuditRecord] = []  # this session's, in the order made (kept even if not appended)

    @property
    def path(self) -> Path:
        return self.directory / CURRENT

    def files(self) -> list[Path]:
        """The journal's files, oldest first (rotated ones, then the current one)."""
        rotated = []
        for path in self.directory.glob("audit.*.jsonl"):
            number = path.name.split(".")[1]
            if number.isdigit():
                rotated.append((int(number), path))
        return [path for _, path in sorted(rotated, reverse=True)] + ([self.path] if self.path.exists() else [])

    # ----- writing ---------------------------------------------------------------------------------------

    def new_record(self, *, device: str, device_instance: int | None, object_id: str, property: str,
                   priority: int | None, index: int | None, before: Any, before_known: bool, after: Any,
                   outcome: str, undoes: str | None = None) -> AuditRecord:
        """A record of ours (id, time, user, host, tool, session filled in); not yet appended."""
        return AuditRecord(id=new_id(), time=time.time(), user=self.user, host=self.host, tool=self.tool,
                           device=device, device_instance=device_instance, object_id=object_id,
                           property=property, priority=priority, index=index, before=before,
                           before_known=before_known, after=after, outcome=outcome, undoes=undoes,
                           session=self.session)

    def append(self, record: AuditRecord) -> None:
        """Append one record and fsync it. Raises :class:`AuditError` if it cannot be written.

        The record counts as this session's either way: the write it
        describes has happened (the console still offers to undo or release it).
        """
        self._written.append(record)
        line = (json.dumps(record.to_dict(), default=str, ensure_ascii=False) + "\n").encode()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with self._locked(fcntl.LOCK_EX):
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    size = os.fstat(fd).st_size
                    if size and size + len(line) > self.max_bytes:
                        os.close(fd)
                        fd = -1
                        self._rotate()
                        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                        size = 0
                    if size and _last_byte(self.path, size) != b"\n":
                        line = b"\n" + line  # a torn line from a crash: start ours on a line of its own
                    try:
                        if os.write(fd, line) != len(line):
                            raise OSError(errno.ENOSPC, "short write (disk full?)")
                        os.fsync(fd)
                    except OSError:
                        with suppress(OSError):
                            os.ftruncate(fd, size)  # under the lock: no torn record of ours left behind
                        raise
                finally:
                    if fd >= 0:
                        os.close(fd)
        except OSError as exc:
            raise AuditError(exc.errno, f"audit journal {self.path}: {exc.strerror or exc}") from None

    def _rotate(self) -> None:
        """audit.jsonl -> audit.1.jsonl -> ... -> audit.KEEP.jsonl (the oldest beyond it dropped)."""
        (self.directory / f"audit.{self.keep}.jsonl").unlink(missing_ok=True)
        for number in range(self.keep - 1, 0, -1):
            older = self.directory / f"audit.{number}.jsonl"
            if older.exists():
                older.rename(self.directory / f"audit.{number + 1}.jsonl")
        if self.keep > 0:
            self.path.rename(self.directory / "audit.1.jsonl")
        else:
            self.path.unlink(missing_ok=True)
        _fsync_dir(self.directory)

    @contextmanager
    def _locked(self, how: int) -> Iterator[None]:
        fd = os.open(self.directory / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, how)
            yield
        finally:
            os.close(fd)  # closing drops the lock

    # ----- reading ---------------------------------------------------------------------------------------

    def read(self, since: float | None = None) -> AuditRead:
        """Every record in every file, oldest first; damaged lines skipped and reported (logged too).

        ``since`` (epoch seconds): skip the files last written before it (all
        their records are older), e.g. this session's start.
        """
        result = AuditRead()
        if not self.directory.is_dir():
            return result
        try:
            with self._locked(fcntl.LOCK_SH):  # not while a rotation renames the files
                files = [p for p in self.files() if since is None or p.stat().st_mtime >= since]
                contents = [(path, path.read_bytes()) for path in files]
        except OSError as exc:
            raise AuditError(exc.errno, f"audit journal {self.directory}: {exc.strerror or exc}") from None
        for path, data in contents:
            _parse(path, data, result)
        for problem in result.problems:
            log.warning("audit journal %s", problem)
        return result

    def session_records(self) -> list[AuditRecord]:
        """What this journal object recorded (this console session's writes), oldest first."""
        return list(self._written)


def _last_byte(path: Path, size: int) -> bytes:
    with open(path, "rb") as file:
        file.seek(size - 1)
        return file.read(1)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _parse(path: Path, data: bytes, into: AuditRead) -> None:
    lines = data.split(b"\n")
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        torn = number == len(lines)  # no newline after it: the write was cut short
        try:
            document = json.loads(raw.decode("utf-8"))
            if not isinstance(document, dict):
                raise ValueError(f"a JSON {type(document).__name__}, not an object")  # noqa: TRY004 (caught below)
            into.records.append(record_from_dict(document))
        except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
            why = ("last line cut short (a crash or power loss mid-write)" if torn
                   else f"damaged record ({exc.__class__.__name__}: {exc})")
            into.problems.append(AuditProblem(path, number, f"{why}: skipped"))


# ----- the module's shortcuts ------------------------------------------------------------------------------


def record_write(journal: AuditJournal | None = None, **fields_: Any) -> AuditRecord:
    """Make and append one record (``fields_``: see :meth:`AuditJournal.new_record`); returns it.

    Raises :class:`AuditError` when the journal cannot be written.
    """
    journal = journal or AuditJournal()
    record = journal.new_record(**fields_)
    journal.append(record)
    return record


def read_records(directory: Path | None = None) -> list[AuditRecord]:
    """Every record, oldest first (damaged lines skipped and logged; see :meth:`AuditJournal.read`)."""
    return AuditJournal(directory).read().records


def session_records(session_id: str, directory: Path | None = None) -> list[AuditRecord]:
    """The records of one session (a console run, one ``aso`` command), read back from the files."""
    return [record for record in read_records(directory) if record.session == session_id]
