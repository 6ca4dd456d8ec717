"""A one- or two-line text area that repaints without a layout pass.

Static.update() asks for a full layout; the status line changes on every
I-Am during discovery, and each layout costs ~20 ms on a big screen.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class InfoLine(Widget):
    DEFAULT_CSS = """
    InfoLine { height: 1; width: 1fr; }
    """

    text: reactive[Text] = reactive(Text(""), layout=False)

    def update(self, text: Text | str) -> None:
        self.text = text if isinstance(text, Text) else Text(text)

    def render(self) -> Text:
        return self.text
