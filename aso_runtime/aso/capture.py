"""Route each ASO's ``print`` output and log records to its own logger and the event bus.

Old easy-aso scripts report with ``print``. Inside the console stdout is the
screen, so prints must never reach it; headless they should still land in the
ASO's log. A context variable set in each ASO's task tells whose print it is.

Every ASO logs to ``aso.script.<name>`` (:func:`script_logger`): a branch of
its own, so an ASO named ``bacnet``, ``runtime``, ``console`` or ``sim`` never
receives the framework's records (``aso.bacnet``, ``aso.runtime``...).
"""

from __future__ import annotations

import builtins
import contextvars
import io
import logging
import sys

from .events import AsoEvent, EventBus

current_aso: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_aso", default=None)

SCRIPT_LOGGERS = "aso.script."  # every ASO's logger is this prefix + its name


def script_logger(name: str) -> logging.Logger:
    """The logger of the ASO called ``name``: ``aso.script.<name>``."""
    return logging.getLogger(SCRIPT_LOGGERS + name)


def script_name(logger_name: str) -> str | None:
    """The ASO a logger belongs to, or None for the framework's own loggers."""
    return logger_name[len(SCRIPT_LOGGERS):] if logger_name.startswith(SCRIPT_LOGGERS) else None


def aso_print(*values: object, sep: str | None = " ", end: str | None = "\n", file=None, flush: bool = False) -> None:
    """``print`` for ASO scripts: inside an ASO the line goes to its logger.

    The loader puts this into each script module's globals, which survives
    whoever swaps ``sys.stdout`` (Textual and pytest both do).
    """
    name = current_aso.get()
    if name is None or (file is not None and file not in (sys.stdout, sys.__stdout__, sys.stderr)):
        builtins.print(*values, sep=sep, end=end, file=file, flush=flush)
        return
    text = (" " if sep is None else sep).join(str(v) for v in values)
    level = logging.WARNING if file is sys.stderr else logging.INFO
    for line in text.splitlines() or [""]:
        script_logger(name).log(level, "%s", line)


class PrintRouter(io.TextIOBase):
    """A stdout stand-in: lines printed inside an ASO go to its logger (``aso.script.<name>``)."""

    def __init__(self, fallback) -> None:
        self.fallback = fallback
        self._partial: dict[str, str] = {}

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        name = current_aso.get()
        if name is None:
            return self.fallback.write(text) if self.fallback is not None else len(text)
        buffered = self._partial.get(name, "") + text
        *lines, rest = buffered.split("\n")
        self._partial[name] = rest
        logger = script_logger(name)
        for line in lines:
            logger.info("%s", line)
        return len(text)

    def flush(self) -> None:
        if self.fallback is not None:
            self.fallback.flush()


def install_print_router() -> PrintRouter:
    if isinstance(sys.stdout, PrintRouter):
        return sys.stdout
    router = PrintRouter(sys.stdout)
    sys.stdout = router
    return router


class BusHandler(logging.Handler):
    """Publish records of known ASOs' loggers (``aso.script.<name>``) as log events."""

    def __init__(self, bus: EventBus, names: set[str]) -> None:
        super().__init__(logging.DEBUG)
        self.bus = bus
        self.names = names

    def emit(self, record: logging.LogRecord) -> None:
        name = script_name(record.name)
        if name not in self.names:
            return
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                message += "\n" + logging.Formatter().formatException(record.exc_info)
        except Exception:
            message = str(record.msg)
        self.bus.publish(AsoEvent("log", name, message, level=record.levelno))
