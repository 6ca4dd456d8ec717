"""The status line: what the console is doing, a spinner while it works, READ-ONLY when it is.

A spinner in the text rather than an animated progress bar: the bar redrew
60 times a second and cost a third of discovery's UI time. The text is an
:class:`InfoLine`, which repaints without a layout pass.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive

from .info_line import InfoLine

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class StatusBar(InfoLine):
    busy: reactive[bool] = reactive(False, layout=False)
    message: reactive[Text] = reactive(Text("ready", style="dim"), layout=False)

    def __init__(self, read_only: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.read_only = read_only
        self._frame = 0

    def on_mount(self) -> None:
        self.set_interval(0.125, self._spin)
        self._show()

    def say(self, text: str, *, busy: bool | None = None, style: str = "") -> None:
        if busy is not None:
            self.busy = busy
        self.message = Text(text, style=style)

    def watch_busy(self) -> None:
        self._show()

    def watch_message(self) -> None:
        self._show()

    def _spin(self) -> None:
        if self.busy:
            self._frame += 1
            self._show()

    def _show(self) -> None:
        spinner = (SPINNER[self._frame % len(SPINNER)] + " ", "bold") if self.busy else ""
        text = Text.assemble(spinner, self.message)
        if self.read_only:
            text = Text.assemble(("READ-ONLY ", "bold reverse"), text)
        self.update(text)
