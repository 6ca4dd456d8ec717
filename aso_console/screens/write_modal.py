"""Write a value at one priority slot: the input fits the point.

Analog: a number, shown with its units and checked against the point's
min/max-pres-value where the device has them (NaN and infinity refused);
binary: active/inactive with the point's own words (``active (Running)``);
multi-state: a state with its state text. Slots 1 and 2 (life safety) need
the point's name typed to confirm, the same rule as F2 and the CLI. A value
that does not fit is refused here, with nothing sent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select

from aso_runtime.bacnet import InvalidInput, ValueKind, parse_object_id, value_kind
from aso_runtime.bacnet import Priority, life_safety_confirmed, priority_name
from aso_runtime.verbs.text import PointLabels, format_value, units_symbol

from .dialog import Dialog


@dataclass(frozen=True)
class WriteRequest:
    priority: int
    value: Any


@dataclass(frozen=True)
class PointForWrite:
    """What the modal needs to know of the point (read before it opens)."""

    instance: int
    object_id: str
    name: str
    present_value: Any = None
    labels: PointLabels = PointLabels()
    low: float | None = None  # min-pres-value, where the device has it
    high: float | None = None  # max-pres-value

    @property
    def kind(self) -> ValueKind:
        return value_kind(parse_object_id(self.object_id))


class WriteScreen(Dialog[WriteRequest | None]):
    """Modal: choose the slot and a value; returns a WriteRequest or None."""

    DEFAULT_CSS = """
    WriteScreen { align: center middle; }
    WriteScreen > Vertical { width: 66; height: auto; max-height: 100%; border: thick $primary; background: $surface; padding: 0 1; }
    WriteScreen Label { width: 100%; }
    WriteScreen Label.title { text-style: bold; }
    WriteScreen .row { height: 3; }
    WriteScreen .row Label.field { width: 10; padding: 1 0 0 0; }
    WriteScreen #priority { width: 10; }  /* two digits and the cursor inside the border and padding */
    WriteScreen #priority-name { width: 1fr; padding: 1 0 0 1; }
    WriteScreen #value { width: 1fr; }
    WriteScreen #units { width: auto; padding: 1 0 0 1; }
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
        self.choices: list[tuple[str, Any]] = []  # what a binary or multi-state point offers: (words, value)

    def compose(self) -> ComposeResult:
        point = self.point
        present = format_value(point.present_value, point.labels) if point.present_value is not None else "unknown"
        with Vertical():
            yield Label(f"Write {point.name}", classes="title")
            yield Label(f"{point.object_id} on device {point.instance}; present value {present}", classes="dim")
            with Horizontal(classes="row"):
                yield Label("Priority", classes="field")
                yield Input(str(self.priority), id="priority", restrict=r"[0-9]{0,2}")
                yield Label(priority_name(self.priority), id="priority-name")
            with Horizontal(classes="row"):
                yield Label("Value", classes="field")
                yield self._value_widget()
                yield Label(self._units_and_range(), id="units")
            yield Input(placeholder=f"type {point.name!r} to confirm life-safety priority", id="confirm",
                        classes="hidden" if self.priority > 2 else "")
            yield Label("", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Write", variant="primary", id="write")
                yield Button("Cancel", id="cancel")

    def _value_widget(self):
        point, labels = self.point, self.point.labels
        if point.kind is ValueKind.BINARY:
            current = point.present_value if point.present_value in ("active", "inactive") else "active"
            self.choices = [(format_value(state, labels), state) for state in ("active", "inactive")]
            return Select(self.choices, value=current, allow_blank=False, id="value")
        if point.kind is ValueKind.MULTI_STATE and labels.state_texts:
            self.choices = [(f"{n} {text}", n) for n, text in enumerate(labels.state_texts, start=1)]
            current = point.present_value if isinstance(point.present_value, int) else 1
            return Select(self.choices, value=current, allow_blank=False, id="value")
        placeholder = "state number" if point.kind is ValueKind.MULTI_STATE else "number"
        return Input(placeholder=placeholder, id="value")

    def _units_and_range(self) -> str:
        point = self.point
        if point.kind is not ValueKind.ANALOG:
            return ""
        symbol = units_symbol(point.labels.units)
        if point.low is not None and point.high is not None:
            return f"{symbol} ({format_value(point.low)}..{format_value(point.high)})".strip()
        return symbol

    def on_mount(self) -> None:
        self.query_one("#value").focus()

    @on(Input.Changed, "#priority")
    def _priority_changed(self, event: Input.Changed) -> None:
        try:
            priority = Priority(event.value)
        except InvalidInput:
            self.query_one("#priority-name", Label).update("?")
            return
        self.query_one("#priority-name", Label).update(priority.name)
        self.query_one("#confirm").set_class(not priority.life_safety, "hidden")

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
        point = self.point
        try:
            priority = Priority(self.query_one("#priority", Input).value.strip())
        except InvalidInput as exc:
            return None, str(exc)
        if priority.life_safety and not life_safety_confirmed(self.query_one("#confirm", Input).value, point.name):
            return None, f"priority {priority} is life safety: type the point name {point.name!r} to confirm"
        widget = self.query_one("#value")
        if isinstance(widget, Select):
            return WriteRequest(priority, widget.value), None
        raw = widget.value.strip()
        if point.kind is ValueKind.MULTI_STATE:
            if not (raw.isascii() and raw.isdigit()) or len(raw) > 8 or int(raw) < 1:
                return None, f"{raw!r} is not a state number (1, 2, 3...)"
            return WriteRequest(priority, int(raw)), None
        try:
            if not raw.isascii() or "_" in raw:
                raise ValueError  # float() also takes '１５' and '1_0'
            value = float(raw)
        except ValueError:
            return None, f"{raw or '(empty)'!r} is not a number: {point.object_id} takes a numeric value"
        if not math.isfinite(value):
            return None, f"{raw!r} is not a number a controller can hold: give a finite value"
        if (point.low is not None and value < point.low) or (point.high is not None and value > point.high):
            return None, (f"{format_value(value)} is outside the point's range "
                          f"{format_value(point.low)}..{format_value(point.high)} (min/max-pres-value)")
        return WriteRequest(priority, value), None
