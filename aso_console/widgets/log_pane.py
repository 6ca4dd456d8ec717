"""The log pane: runtime and BACnet events, drained from a queue in batches."""

from __future__ import annotations

import logging
import queue
import time

from rich.text import Text
from textual.widgets import RichLog

LEVEL_STYLES = {logging.DEBUG: "dim", logging.INFO: "", logging.WARNING: "yellow", logging.ERROR: "bold red",
                logging.CRITICAL: "bold red"}


class LogPane(RichLog):
    """Drains a ``queue.SimpleQueue`` of LogRecords every 200 ms (batched writes)."""

    def __init__(self, records: queue.SimpleQueue | None, **kwargs) -> None:
        super().__init__(max_lines=5000, wrap=False, markup=False, highlight=False, **kwargs)
        self.records = records

    def on_mount(self) -> None:
        if self.records is not None:
            self.set_interval(0.2, self.drain)

    def drain(self, limit: int = 500) -> None:
        lines = []
        while len(lines) < limit:
            try:
                record = self.records.get_nowait()
            except queue.Empty:
                break
            lines.append(self.format(record))
        follow = self.is_vertical_scroll_end  # scrolled up to read? then stay there
        for line in lines:
            self.write(line, scroll_end=follow)

    @staticmethod
    def format(record: logging.LogRecord) -> Text:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        return Text.assemble((stamp + " ", "dim"), (f"{record.name}: ", "cyan"),
                             (message.splitlines()[0] if message else "", LEVEL_STYLES.get(record.levelno, "")))
