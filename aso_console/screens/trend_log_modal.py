"""Which trend log to read into the Trends tab: ``DEV OBJ`` and how far back (``2h``, default 24 h).

A trend-log or a trend-log-multiple (``2001 tlm 1``: one series per logged property).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from aso_runtime.bacnet import MAX_INSTANCE, InvalidInput, parse_object_id

from .dialog import FormDialog

DEFAULT_WINDOW = "24h"
MAX_WINDOW_SECONDS = 7 * 24 * 3600  # a week: a 10,000-record log at one a minute
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400, "day": 86400}
_WINDOW = re.compile(r"^(\d+(?:\.\d+)?)\s*([a-z]*)$")


@dataclass(frozen=True)
class TrendLogRequest:
    """A trend log to read: ``object_id`` like "trend-log,1" or "trend-log-multiple,1", records of the last
    ``window_seconds``."""

    device: int
    object_id: str
    window_seconds: float


def parse_window(text: str) -> float:
    """``90s``, ``30m``, ``2h``, ``1d`` (a bare number is hours) as seconds; InvalidInput otherwise."""
    match = _WINDOW.match(text.strip().lower())
    if not match or match.group(2) not in ("", *_UNITS):
        raise InvalidInput(f"window {text!r}: a number with s, m, h or d (e.g. 2h, 30m, 1d)")
    seconds = float(match.group(1)) * _UNITS.get(match.group(2), 3600)
    if not 0 < seconds <= MAX_WINDOW_SECONDS:
        raise InvalidInput(f"window {text!r}: between 1 s and {MAX_WINDOW_SECONDS // 86400} days")
    return seconds


def parse_request(target: str, window: str) -> TrendLogRequest:
    """``"2001 trend-log,1"`` (``2001 tl 1``, ``2001 tlm 1``) and ``"2h"``; InvalidInput saying what to type."""
    parts = target.strip().split(maxsplit=1)
    if len(parts) != 2 or not (parts[0].isascii() and parts[0].isdigit()):
        raise InvalidInput(f"{target.strip()!r}: type the device instance and the trend log, e.g. 2001 trend-log,1")
    device = int(parts[0])
    if device > MAX_INSTANCE:
        raise InvalidInput(f"device {device} is above the BACnet maximum {MAX_INSTANCE}")
    oid = parse_object_id(parts[1])
    if oid.type not in ("trend-log", "trend-log-multiple"):
        raise InvalidInput(f"{oid} is not a trend log: type a trend-log or a trend-log-multiple, e.g. 2001 tlm 1")
    return TrendLogRequest(device, str(oid), parse_window(window or DEFAULT_WINDOW))


class TrendLogScreen(FormDialog[TrendLogRequest | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="trend_log.cancel")]

    def __init__(self, target: str = "") -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Read a trend log's buffer into the plot (ReadRange)", classes="title")
            with Horizontal(classes="row"):
                yield Label("DEV OBJ")
                yield Input(self.target, placeholder="2001 trend-log,1", id="target")
            with Horizontal(classes="row"):
                yield Label("Last")
                yield Input(DEFAULT_WINDOW, placeholder="2h, 30m, 1d", id="window")
            yield Label("", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Read", variant="primary", id="read")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#target").focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#read")
    def _read(self) -> None:
        try:
            request = parse_request(self.query_one("#target", Input).value, self.query_one("#window", Input).value)
        except InvalidInput as error:
            self.query_one("#error", Label).update(str(error))
            return
        self.dismiss(request)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
