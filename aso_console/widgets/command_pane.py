"""The command-line pane: an input with history and completion over the commands' output.

Output stays in command order: each command gets its place (an entry
showing the line and "running...") the moment it is entered, and its result
fills that place when it finishes. A slow ``whois`` therefore never prints
under a quick ``read`` typed after it, and every command runs at once, none
waits for another.
"""

from __future__ import annotations

import logging

from rich.console import Console, Group, RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Static

from ..commands import CommandRunner

log = logging.getLogger("aso.console")

MAX_ENTRIES = 300  # oldest commands leave the scrollback past this many


class CommandInput(Input):
    """Input with Up/Down history and Tab completion."""

    BINDINGS = [
        Binding("up", "history(-1)", "Previous", show=False, id="cmd.prev"),
        Binding("down", "history(1)", "Next", show=False, id="cmd.next"),
        Binding("tab", "complete", "Complete", show=False, priority=True, id="cmd.complete"),
    ]

    def __init__(self, runner: CommandRunner, **kwargs) -> None:
        super().__init__(placeholder="read 1001 ai,1   (help for verbs, Tab completes)", **kwargs)
        self.runner = runner
        self.history: list[str] = []
        self._position = 0

    def remember(self, line: str) -> None:
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
        self._position = len(self.history)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self._position = max(0, min(len(self.history), self._position + step))
        self.value = self.history[self._position] if self._position < len(self.history) else ""
        self.cursor_position = len(self.value)

    def action_complete(self) -> None:
        candidates = self.runner.complete(self.value)
        if not candidates:
            return
        words = self.value.split(" ")
        common = candidates[0]
        for candidate in candidates[1:]:
            while not candidate.startswith(common):
                common = common[:-1]
        if len(candidates) == 1:
            common += " "
        words[-1] = common if len(common) >= len(words[-1]) else words[-1]
        self.value = " ".join(words)
        self.cursor_position = len(self.value)
        if len(candidates) > 1:
            self.notify("  ".join(candidates[:12]) + (" ..." if len(candidates) > 12 else ""), timeout=3)


class CommandEntry(Static):
    """One command line and, once it finished, its output; placed when the line was entered."""

    DEFAULT_CSS = """
    CommandEntry { height: auto; margin: 0 0 1 0; }
    """

    def __init__(self, line: str, **kwargs) -> None:
        self.line = line
        self.output: list[RenderableType] | None = None  # None while the command runs
        super().__init__(self._content(), **kwargs)

    @property
    def running(self) -> bool:
        return self.output is None

    def fill(self, output: list[RenderableType]) -> None:
        """Show the command's result in this entry's place."""
        self.output = output
        self.update(self._content())

    def renderables(self) -> list[RenderableType]:
        prompt = Text.assemble(("> ", "bold cyan"), self.line)
        body = self.output if self.output is not None else [Text("running...", style="dim italic")]
        return [prompt, *body]

    def _content(self) -> Group:
        return Group(*self.renderables())


class CommandPane(Vertical):
    DEFAULT_CSS = """
    CommandPane #scrollback { height: 1fr; }
    CommandPane CommandInput { dock: bottom; }
    """

    def __init__(self, runner: CommandRunner, **kwargs) -> None:
        super().__init__(**kwargs)
        self.runner = runner

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="scrollback"):
            yield Static(Text("Type a command (help lists them). Results appear here, in the order typed.",
                              style="dim"), id="command-intro")
        yield CommandInput(self.runner, id="command-input")

    def focus_input(self) -> None:
        self.query_one(CommandInput).focus()

    @property
    def entries(self) -> list[CommandEntry]:
        """The commands in the scrollback, oldest first."""
        return list(self.query(CommandEntry))

    @property
    def running(self) -> int:
        """How many commands have not finished yet."""
        return sum(entry.running for entry in self.entries)

    def transcript(self, width: int = 120) -> str:
        """The scrollback as plain text, in order (what a technician would copy)."""
        console = Console(width=width, color_system=None, force_terminal=False, record=False)
        with console.capture() as capture:
            for entry in self.entries:
                for renderable in entry.renderables():
                    console.print(renderable)
        return capture.get()

    @on(Input.Submitted, "#command-input")
    def _submitted(self, event: Input.Submitted) -> None:
        line = event.value.strip()
        box = self.query_one(CommandInput)
        box.remember(line)
        box.value = ""
        if not line:
            return
        scrollback = self.query_one("#scrollback", VerticalScroll)
        if line == "clear":
            for entry in self.entries:
                entry.remove()
            return
        entry = CommandEntry(line)
        scrollback.mount(entry)
        for old in self.entries[:-MAX_ENTRIES]:
            old.remove()
        self.call_after_refresh(scrollback.scroll_end, animate=False)
        self.execute(entry)

    @work(group="command", exit_on_error=False)
    async def execute(self, entry: CommandEntry) -> None:
        try:
            output = await self.runner.run(entry.line)
        except Exception as exc:  # a bug must not leave the entry "running..." for ever
            log.exception("command %r failed", entry.line)
            output = [Text(f"internal error: {type(exc).__name__}: {exc} (details in the log file)", style="bold red")]
        if not entry.is_attached:  # cleared while it ran
            return
        scrollback = self.query_one("#scrollback", VerticalScroll)
        following = scrollback.scroll_y >= scrollback.max_scroll_y - 1  # the reader was at the bottom
        entry.fill(output)
        if following:  # once the filled entry has its new height
            self.call_after_refresh(scrollback.scroll_end, animate=False)
