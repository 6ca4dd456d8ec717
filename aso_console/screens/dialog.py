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
