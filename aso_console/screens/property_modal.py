"""Write any property: the field fits what the standard says the property holds.

Enumerations are offered by name (reliability, units, polarity...),
booleans as true/false, reals and whole numbers typed and checked, text as
typed (empty allowed: a blank description is a value), an element of an
array by its index. A present-value of a commandable object is written at a
priority (slots 1 and 2 need the point's name typed, as everywhere). The
value is checked as the write would check it before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select

from aso_runtime.bacnet import InvalidInput, Priority, PropertyShape, ascii_int, check_write_value, life_safety_confirmed

from .dialog import Dialog


@dataclass(frozen=True)
class PropertyWrite:
    value: Any
    priority: int | None = None
    index: int | None = None


@dataclass(frozen=True)
class PropertyToWrite:
    """What the dialog needs: the property, what it holds, its value now."""

    object_id: str
    name: str  # the object's name (typed to confirm a life-safety slot)
    property: str
    shape: PropertyShape
    current: str  # the value now, as shown in the inspector
    commandable: bool = False  # a present-value with a priority array: written at a priority


class PropertyWriteScreen(Dialog[PropertyWrite | None]):
    DEFAULT_CSS = """
    PropertyWriteScreen { align: center middle; }
    PropertyWriteScreen > Vertical { width: 70; height: auto; max-height: 100%; border: thick $primary;
                                     background: $surface; padding: 0 1; }
    PropertyWriteScreen Label { width: 100%; }
    PropertyWriteScreen Label.title { text-style: bold; }
    PropertyWriteScreen #error { color: $error; height: auto; }
    PropertyWriteScreen Horizontal { height: auto; }
    PropertyWriteScreen #index, PropertyWriteScreen #priority { width: 14; }
    PropertyWriteScreen Button { margin: 0 1 0 0; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, target: PropertyToWrite) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        t = self.target
        with Vertical():
            yield Label(f"Write {t.property} of {t.name} ({t.object_id})", classes="title")
            yield Label(f"Now: {t.current}")
            yield Label(self._what_it_holds())
            if t.shape.kind in ("enumerated", "boolean"):
                choices = ("true", "false") if t.shape.kind == "boolean" else t.shape.choices
                yield Select([(c, c) for c in choices], id="value", allow_blank=False,
                             value=t.current if t.current in choices else choices[0])
            else:
                yield Input(placeholder=self._placeholder(), id="value")
            with Horizontal():
                if t.shape.array:
                    yield Input(placeholder="index (1..)", id="index", type="integer")
                if t.commandable:
                    yield Input(value="8", placeholder="priority", id="priority", type="integer")
            yield Label("", id="error")
            with Horizontal():
                yield Button("Write", variant="primary", id="write")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#value").focus()

    def _what_it_holds(self) -> str:
        shape = self.target.shape
        words = {"real": "a number", "whole": "a whole number >= 0", "signed": "a whole number",
                 "boolean": "true or false", "enumerated": f"one of {len(shape.choices)} names",
                 "text": "text (empty is allowed)", "object-id": "an object id such as av,3"}
        held = words.get(shape.kind, "a value of a type this dialog cannot build (use F2: write ... --property)")
        return f"Holds {held}" + (" in each element of an array" if shape.array else "")

    def _placeholder(self) -> str:
        return {"real": "e.g. 21.5", "whole": "e.g. 300", "signed": "e.g. -5", "text": "text",
                "object-id": "e.g. analog-value,3"}.get(self.target.shape.kind, "value")

    def _value(self) -> Any:
        widget = self.query_one("#value")
        value = widget.value if isinstance(widget, (Input, Select)) else None
        if self.target.shape.kind == "boolean":
            return value == "true"
        return value

    def _number(self, widget_id: str) -> int | None:
        found = self.query(f"#{widget_id}")
        if not found:
            return None
        text = found.first(Input).value.strip()
        if not text:
            return None
        if not (text.isascii() and text.isdigit()):
            raise InvalidInput(f"{widget_id} must be a whole number, got {text!r}")
        return ascii_int(text)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#write")
    @on(Input.Submitted)
    def _write(self) -> None:
        error = self.query_one("#error", Label)
        try:
            index = self._number("index")
            priority = self._number("priority")
            if priority is not None:
                priority = int(Priority(priority))
            value = self._value()
            check_write_value(self.target.object_id, self.target.property, value, index=index, priority=priority)
        except (InvalidInput, ValueError) as exc:
            error.update(str(exc))
            return
        if priority is not None and Priority(priority).life_safety:
            confirm = self._number_text("confirm")
            if confirm is None:
                self.query_one(Vertical).mount(
                    Input(placeholder=f"type {self.target.name} to write at life-safety priority {priority}",
                          id="confirm"), before=error)
                self.query_one("#confirm").focus()
                return
            if not life_safety_confirmed(confirm, self.target.name):
                error.update(f"type the point's name ({self.target.name}) to write at priority {priority}")
                return
        self.dismiss(PropertyWrite(value, priority, index))

    def _number_text(self, widget_id: str) -> str | None:
        found = self.query(f"#{widget_id}")
        return found.first(Input).value if found else None
