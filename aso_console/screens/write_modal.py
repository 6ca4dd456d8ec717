"""Write a value at one priority slot: the input fits the object type.

Analog: a number; binary: active/inactive; multi-state: a state number shown
with its state text. Slots 1 and 2 (life safety) need the point's name typed
to confirm. A value that does not fit is refused here, with nothing sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from aso_runtime.bacnet import priority_name


@dataclass(frozen=True)
class WriteRequest:
    priority: int
    value: Any


@dataclass(frozen=True)
class PointForWrite:
    instance: int
    object_id: str
    name: str
    present_value: Any = None
    state_texts: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        object_type = self.object_id.split(",")[0]
        if object_type.startswith("binary"):
            return "binary"
        if object_type.startswith("multi-state"):
            return "multistate"
        return "analog"


class WriteScreen(ModalScreen[WriteRequest | None]):
    """Modal: choose the slot and a value; returns a WriteRequest or None."""

    DEFAULT_CSS = """
    WriteScreen { align: center middle; }
    WriteScreen > Vertical { width: 66; height: auto; max-height: 100%; border: thick $primary; background: $surface; padding: 0 1; }
    WriteScreen Label { width: 100%; }
    WriteScreen Label.title { text-style: bold; }
    WriteScreen .row { height: 3; }
    WriteScreen .row Label.field { width: 10; padding: 1 0 0 0; }
    WriteScreen #priority { width: 8; }
    WriteScreen #priority-name { width: 1fr; padding: 1 0 0 1; }
    WriteScreen #value { width: 1fr; }
    WriteScreen #error { color: $error; height: auto; }
    WriteScreen .buttons { height: auto; }
    WriteScreen Button { margin: 0 1 0 0; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="write.cancel"),
        Binding("ctrl+s", "submit", "Write", id="write.submit"),
    ]

    def __init__(self, point: PointForWrite, priority: int = 8) -> None:
        super().__init__()
        self.point = point
        self.priority = priority

    def compose(self) -> ComposeResult:
        point = self.point
        with Vertical():
            yield Label(f"Write {point.name}", classes="title")
            yield Label(f"{point.object_id} on device {point.instance}; present value {point.present_value}",
                        classes="dim")
            with Horizontal(classes="row"):
                yield Label("Priority", classes="field")
                yield Input(str(self.priority), id="priority", restrict=r"[0-9]{0,2}")
                yield Label(priority_name(self.priority), id="priority-name")
            with Horizontal(classes="row"):
                yield Label("Value", classes="field")
                yield self._value_widget()
            yield Input(placeholder=f"type {point.name!r} to confirm life-safety priority", id="confirm",
                        classes="hidden" if self.priority > 2 else "")
            yield Label("", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Write", variant="primary", id="write")
                yield Button("Cancel", id="cancel")

    def _value_widget(self):
        point = self.point
        if point.kind == "binary":
            current = point.present_value if point.present_value in ("active", "inactive") else "active"
            return Select([("active", "active"), ("inactive", "inactive")], value=current, allow_blank=False, id="value")
        if point.kind == "multistate" and point.state_texts:
            options = [(f"{n} {text}", n) for n, text in enumerate(point.state_texts, start=1)]
            current = point.present_value if isinstance(point.present_value, int) else 1
            return Select(options, value=current, allow_blank=False, id="value")
        placeholder = "state number" if point.kind == "multistate" else "number"
        return Input(placeholder=placeholder, id="value")

    def on_mount(self) -> None:
        self.query_one("#value").focus()

    @on(Input.Changed, "#priority")
    def _priority_changed(self, event: Input.Changed) -> None:
        try:
            priority = int(event.value)
        except ValueError:
            return
        self.query_one("#priority-name", Label).update(priority_name(priority) if 1 <= priority <= 16 else "?")
        self.query_one("#confirm").set_class(not 1 <= priority <= 2, "hidden")

    @on(Input.Submitted)
    @on(Button.Pressed, "#write")
    def action_submit(self) -> None:
        request, error = self.validate()
        if error:
            self.query_one("#error", Label).update(error)
            return
        self.dismiss(request)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def validate(self) -> tuple[WriteRequest | None, str | None]:
        """The request, or why it is refused (nothing is sent when refused)."""
        text = self.query_one("#priority", Input).value.strip()
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 16:
            return None, f"priority {text or '(empty)'} is out of range: BACnet priorities are 1..16"
        priority = int(text)
        if priority <= 2 and self.query_one("#confirm", Input).value.strip() != self.point.name:
            return None, f"priority {priority} is life safety: type the point name {self.point.name!r} to confirm"
        widget = self.query_one("#value")
        if isinstance(widget, Select):
            return WriteRequest(priority, widget.value), None
        raw = widget.value.strip()
        if self.point.kind == "multistate":
            if not (raw.isascii() and raw.isdigit()) or len(raw) > 8 or int(raw) < 1:
                return None, f"{raw!r} is not a state number (1, 2, 3...)"
            return WriteRequest(priority, int(raw)), None
        try:
            if not raw.isascii() or "_" in raw:
                raise ValueError  # float() also takes '１５' and '1_0'
            value = float(raw)
        except ValueError:
            return None, f"{raw or '(empty)'!r} is not a number: {self.point.object_id} takes a numeric value"
        return WriteRequest(priority, value), None
