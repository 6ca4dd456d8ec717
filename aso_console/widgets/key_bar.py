"""The key bar at the bottom: the keys that work where the focus is, one line of text.

Textual's Footer recomposes a widget per key every time the focus moves: a
tab switch built and dropped a dozen widgets, and their garbage brought
full collections of 60-170 ms. This bar draws the same keys as one line of
text, repaints only when they change, and a click on a key presses it.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget


class KeyBar(Widget):
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    # (key, shown as, description) of every key shown; the palette's goes on the right.
    keys: reactive[tuple[tuple[str, str, str], ...]] = reactive((), layout=False)
    palette: reactive[tuple[str, str, str] | None] = reactive(None, layout=False)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        app = self.app
        shown: dict[str, tuple[str, str, str]] = {}  # one entry per action, as the Footer does
        palette = None
        for key, (_, binding, enabled, _) in screen.active_bindings.items():
            if not enabled:
                continue
            if app.ENABLE_COMMAND_PALETTE and key == app.COMMAND_PALETTE_BINDING:
                palette = (binding.key, app.get_key_display(binding), binding.description)
            elif binding.show and binding.action not in shown:
                shown[binding.action] = (binding.key, app.get_key_display(binding), binding.description)
        self.keys = tuple(shown.values())
        self.palette = palette

    def _item(self, key: str, display: str, description: str, compact: bool = False) -> Text:
        click = Style(meta={"key": key})  # not @click: Textual would draw the keys as links
        key_text, description_text = (display, f" {description}") if compact else (f" {display} ", f"{description} ")
        return Text.assemble(
            (key_text, self.get_component_rich_style("key-bar--key") + click),
            (description_text, self.get_component_rich_style("key-bar--description") + click),
        )

    def on_click(self, event: events.Click) -> None:
        key = event.style.meta.get("key")
        if key is not None:
            self.app.simulate_key(key)

    def render(self) -> Text:
        palette = Text()
        if self.palette is not None:
            palette = Text.assemble(("▏", "dim"), self._item(*self.palette))
        room = self.size.width - palette.cell_len
        # Roomy when it fits; else tighter; else whole keys are left out (never half a key).
        for compact in (False, True):
            items = [self._item(*item, compact=compact) for item in self.keys]
            if sum(item.cell_len for item in items) + len(items) * compact <= room:
                break
        text = Text(no_wrap=True, overflow="crop", end="")
        for item in items:
            if text.cell_len + item.cell_len + compact > room:
                break
            text.append_text(item)
            if compact:
                text.append(" ")
        text.pad_right(max(0, room - text.cell_len))
        text.append_text(palette)
        return text
