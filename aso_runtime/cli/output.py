"""Where the CLI prints: rich renderables for people, one JSON document or CSV for scripts.

What a result looks like is decided once, in :mod:`aso_runtime.verbs.render`
(the console's F2 pane shows the same renderables); this module only puts
them on a stream. Human output goes through a rich Console with markup and
emoji off: object names and values come from devices and may contain
``[brackets]`` or ``:colons:``. JSON is written with the standard library so
its shape never depends on the terminal. rich is imported the first time
something is printed for people: ``--json`` and ``--csv`` never load it
(about 15 ms of start-up).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, TextIO

from aso_runtime.verbs.text import flags_text, value_text  # noqa: F401  (re-exported for older imports)

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

# Width used when stdout is a pipe or a file: wide enough that a points list
# is never folded into unreadable cells, yet tables only take what they need.
PIPE_WIDTH = 200


def _console(stream: TextIO) -> Console:
    from rich.console import Console

    is_terminal = stream.isatty()
    width = None
    if not is_terminal:
        width = int(os.environ.get("COLUMNS", "0") or 0) or PIPE_WIDTH
    return Console(file=stream, width=width, markup=False, emoji=False, highlight=False, soft_wrap=False)


class Output:
    """Where a verb writes its results; ``json_mode`` picks the machine form."""

    def __init__(self, json_mode: bool = False, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.json_mode = json_mode
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr

    @cached_property
    def console(self) -> Console:
        """People's output on stdout (made on first use: machine output needs no rich)."""
        return _console(self.stdout)

    @cached_property
    def err_console(self) -> Console:
        return _console(self.stderr)

    # ----- machine output ----------------------------------------------------

    def json(self, document: Any) -> None:
        """The whole answer as ONE JSON document on stdout."""
        self.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
        self.stdout.flush()

    def csv(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        import csv

        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if cell is None else cell for cell in row])
        self.stdout.flush()

    # ----- human output ------------------------------------------------------

    def render(self, renderables: Iterable[RenderableType]) -> None:
        """Print renderables; piped, without the padding after the last column (clean for grep/awk/diff)."""
        for renderable in renderables:
            if self.console.is_terminal:
                self.console.print(renderable)
                continue
            with self.console.capture() as captured:
                self.console.print(renderable)
            self.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
        self.stdout.flush()

    def line(self, text: str = "", style: str | None = None) -> None:
        from rich.text import Text

        self.console.print(Text(text, style=style or ""))

    def note(self, text: str) -> None:
        """A dim side remark (summary lines, hints)."""
        from rich.text import Text

        self.console.print(Text(text, style="dim"))

    def warn(self, text: str) -> None:
        """A problem that did not stop the command (one line on stderr)."""
        self.stderr.write(f"aso: warning: {' '.join(str(text).split())}\n")
        self.stderr.flush()

    def table(
        self,
        columns: Sequence[str | tuple[str, str]],
        rows: Iterable[Sequence[Any]],
        *,
        title: str | None = None,
        styles: Sequence[str | None] | None = None,
    ) -> None:
        """A simple table (the verbs' own); a column given as ``(name, "right")`` is right-aligned."""
        from rich.text import Text

        from aso_runtime.verbs.render import table

        # A Table title would be wrapped to the table's width; a line is not.
        self.render(([Text(title, style="bold")] if title else []) + [table(columns, rows, styles=styles)])

    def stream_row(self, widths: Sequence[int], cells: Sequence[Any], style: str | None = None) -> None:
        """One fixed-width line, printed at once (used for rows that arrive over time)."""
        from rich.text import Text

        parts = [str(cell).ljust(width) for cell, width in zip(cells, widths)]
        self.console.print(Text("  ".join(parts).rstrip(), style=style or ""))
        self.stdout.flush()
