"""What every dialog of the console does when it opens.

A toast (the demo's notice, a notice of a released override) sits on top of
every screen: at 80x24 it covered the write modal's value field and the load
modal's buttons. A dialog that opens clears them; whatever they said is kept
in the log (F4).
"""

from __future__ import annotations

from textual.screen import ModalScreen, ScreenResultType


class Dialog(ModalScreen[ScreenResultType]):
    def on_mount(self) -> None:
        # Textual calls each class's on_mount in turn: a dialog's own runs too.
        self.app.clear_notifications()


class FormDialog(Dialog[ScreenResultType]):
    """A small centred form: rows of a label and an input, a one-line error, buttons (Who-Is options, a
    trend log). A subclass sets only what differs, e.g. its labels' width (Textual's type selectors match
    subclasses, and a subclass's rules win over these)."""

    DEFAULT_CSS = """
    FormDialog { align: center middle; }
    FormDialog > Vertical { width: 64; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    FormDialog Label { width: 100%; }
    FormDialog .row { height: 3; }
    FormDialog .row Label { width: 12; padding: 1 0 0 0; }
    FormDialog .row Input { width: 1fr; }
    FormDialog #error { color: $error; height: auto; }
    FormDialog .buttons { height: auto; }
    FormDialog Button { margin: 0 1 0 0; }
    """
