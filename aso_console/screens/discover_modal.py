"""Discovery options: a device-instance range, one address, a remote network, or routers."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from aso_runtime.bacnet import MAX_INSTANCE

from .dialog import FormDialog


@dataclass(frozen=True)
class DiscoverRequest:
    kind: str  # 'whois' or 'routers'
    low: int | None = None
    high: int | None = None
    address: str | None = None
    network: int | None = None


class DiscoverScreen(FormDialog[DiscoverRequest | None]):
    DEFAULT_CSS = "DiscoverScreen .row Label { width: 16; }"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="discover.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Discover: leave everything empty for a global Who-Is", classes="title")
            with Horizontal(classes="row"):
                yield Label("Instances")
                yield Input(placeholder="low", id="low", restrict=r"[0-9]*")
                yield Input(placeholder="high", id="high", restrict=r"[0-9]*")
            with Horizontal(classes="row"):
                yield Label("Only address")
                yield Input(placeholder="10.0.0.20 or 2:7", id="address")
            with Horizontal(classes="row"):
                yield Label("Remote network")
                yield Input(placeholder="network number", id="network", restrict=r"[0-9]*")
            yield Label("", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Who-Is", variant="primary", id="whois")
                yield Button("Routers", id="routers")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#low").focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#whois")
    def _whois(self) -> None:
        self._submit("whois")

    @on(Button.Pressed, "#routers")
    def _routers(self) -> None:
        self._submit("routers")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def _submit(self, kind: str) -> None:
        request, error = self.validate(kind)
        if error:
            self.query_one("#error", Label).update(error)
            return
        self.dismiss(request)

    def validate(self, kind: str) -> tuple[DiscoverRequest | None, str | None]:
        value = {name: self.query_one(f"#{name}", Input).value.strip() for name in ("low", "high", "address", "network")}
        for name in ("low", "high", "network"):
            if value[name] and not (value[name].isascii() and value[name].isdigit() and len(value[name]) <= 8):
                return None, f"{name} {value[name]!r} is not a whole number (digits 0-9)"
        low = int(value["low"]) if value["low"] else None
        high = int(value["high"]) if value["high"] else None
        if low is not None and high is None:
            high = low  # one device
        if high is not None and low is None:
            return None, "give the low end of the range too"
        if low is not None and not 0 <= low <= high <= MAX_INSTANCE:
            return None, f"range {low}..{high} must satisfy 0 <= low <= high <= {MAX_INSTANCE}"
        network = int(value["network"]) if value["network"] else None
        if network is not None and not 1 <= network <= 65534:
            return None, f"network {network} is out of range 1..65534"
        address = value["address"] or None
        if address and network is not None:
            return None, "give an address or a network, not both"
        return DiscoverRequest(kind, low, high, address, network), None
