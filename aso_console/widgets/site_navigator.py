"""The left side of Explore: the filter box above the site tree.

``/`` opens the filter; every keystroke filters the whole site at once (a
keystroke over 20,000 points costs a few milliseconds: see the site
outline); keystrokes that arrive together filter once. Enter goes back to
the tree; Esc clears it. What matched goes up as a status line.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input

from ..messages import Status
from ..site import Site
from .device_tree import DeviceTree


class SiteNavigator(Vertical):
    def __init__(self, site: Site, **kwargs) -> None:
        super().__init__(**kwargs)
        self.site = site
        self._typed: str | None = None  # the filter text waiting to be applied

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: name or id (esc to clear)", id="filter", classes="hidden")
        yield DeviceTree(self.site, id="tree")

    def on_mount(self) -> None:
        self.filter_box = self.query_one("#filter", Input)
        self.device_tree = self.query_one(DeviceTree)

    def open_filter(self) -> None:
        self.filter_box.remove_class("hidden")
        self.filter_box.focus()

    @on(Input.Changed, "#filter")
    def _changed(self, event: Input.Changed) -> None:
        if self._typed is None:
            self.call_later(self._apply)
        self._typed = event.value

    def _apply(self) -> None:
        text, self._typed = self._typed, None
        if text is None:
            return
        matches = self.device_tree.apply_filter(text)
        if text.strip():
            self.post_message(Status(f"filter {text.strip()!r}: {matches} point(s)"))

    @on(Input.Submitted, "#filter")
    def _submitted(self) -> None:
        self.device_tree.focus()

    def close_filter(self) -> bool:
        """Esc: clear and hide the filter; False if it was not open."""
        if self.filter_box.has_class("hidden"):
            return False
        self._typed = None
        self.filter_box.value = ""
        self.filter_box.add_class("hidden")
        self.device_tree.apply_filter("")
        self.device_tree.focus()
        return True
