"""Logging while the UI runs: a file from platformdirs, and a queue for the log pane.

Nothing may write to stdout/stderr while Textual owns the terminal, so the
root logger's handlers are replaced by a file handler and a QueueHandler
whose queue the log pane drains on a timer.
"""

from __future__ import annotations

import logging
import logging.handlers
import queue
from pathlib import Path

import platformdirs

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def log_path() -> Path:
    path = platformdirs.user_log_path("aso-console")
    path.mkdir(parents=True, exist_ok=True)
    return path / "aso-console.log"


def setup_logging(level: int = logging.INFO) -> tuple[queue.SimpleQueue, Path]:
    """Route every log record to the log file and to a queue for the UI."""
    records: queue.SimpleQueue = queue.SimpleQueue()
    path = log_path()
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(file_handler)
    root.addHandler(logging.handlers.QueueHandler(records))
    root.setLevel(level)
    logging.captureWarnings(True)  # warnings.warn would otherwise print on the screen
    # bacpypes3 is chatty at INFO about routine things; keep its warnings.
    logging.getLogger("bacpypes3").setLevel(logging.WARNING)
    return records, path
