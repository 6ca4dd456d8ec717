"""The command-line pane: an input with history and completion over a scrollback."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, RichLog

from ..commands import CommandRunner


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


class CommandPane(Vertical):
    DEFAULT_CSS = """
    CommandPane RichLog { height: 1fr; }
    CommandPane CommandInput { dock: bottom; }
    """

    def __init__(self, runner: CommandRunner, **kwargs) -> None:
        super().__init__(**kwargs)
        self.runner = runner

    def compose(self) -> ComposeResult:
        yield RichLog(id="scrollback", wrap=True, markup=False, highlight=False, max_lines=5000)
        yield CommandInput(self.runner, id="command-input")

    def on_mount(self) -> None:
        self.query_one(RichLog).write(Text("Type a command (help lists them). Results appear here.", style="dim"))

    def focus_input(self) -> None:
        self.query_one(CommandInput).focus()

    @on(Input.Submitted, "#command-input")
    def _submitted(self, event: Input.Submitted) -> None:
        line = event.value.strip()
        box = self.query_one(CommandInput)
        box.remember(line)
        box.value = ""
        if not line:
            return
        if line == "clear":
            self.query_one(RichLog).clear()
            return
        self.query_one(RichLog).write(Text.assemble(("> ", "bold cyan"), line))
        self.execute(line)

    @work(group="command", exit_on_error=False)
    async def execute(self, line: str) -> None:
        output = await self.runner.run(line)
        scrollback = self.query_one(RichLog)
        for renderable in output:
            scrollback.write(renderable)
