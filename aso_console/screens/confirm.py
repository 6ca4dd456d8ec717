"""Questions before something that matters: yes/no (quit), or type the point's name (life safety)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from aso_runtime.bacnet import life_safety_confirmed

from .dialog import Dialog


class ConfirmScreen(Dialog[bool]):
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 64; height: auto; border: thick $warning; background: $surface; padding: 0 1; }
    ConfirmScreen Label { width: 100%; }
    ConfirmScreen Horizontal { height: auto; }
    ConfirmScreen Button { margin: 1 1 0 0; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            with Horizontal():
                yield Button("Yes (y)", variant="warning", id="yes")
                yield Button("No (n)", variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#no").focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class TypeToConfirm(Dialog[str | None]):
    """Go ahead only when the point's name is typed: life-safety slots (1 and 2).

    The same rule as the write modal, F2 and the CLI (``life_safety_confirmed``);
    returns what was typed, or None when cancelled.
    """

    DEFAULT_CSS = """
    TypeToConfirm { align: center middle; }
    TypeToConfirm > Vertical { width: 64; height: auto; border: thick $error; background: $surface; padding: 0 1; }
    TypeToConfirm Label { width: 100%; }
    TypeToConfirm #error { color: $error; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="typed.cancel")]

    def __init__(self, question: str, name: str) -> None:
        super().__init__()
        self.question = question
        self.name_to_type = name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            yield Label(f"Type the point's name to confirm: {self.name_to_type}")
            yield Input(id="typed")
            yield Label("", id="error")

    @on(Input.Submitted)
    def _typed(self, event: Input.Submitted) -> None:
        if life_safety_confirmed(event.value, self.name_to_type):
            self.dismiss(event.value)
        else:
            self.query_one("#error", Label).update(f"that is not {self.name_to_type!r}: nothing was released")

    def action_cancel(self) -> None:
        self.dismiss(None)
