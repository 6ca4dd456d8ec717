"""Load an ASO: a path with completion, or one of the packaged examples, plus parameters.

A script with a syntax error, no ASO class or a missing hook is refused
here, inline, with the loader's one-line reason; nothing is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.suggester import Suggester
from textual.widgets import Button, DirectoryTree, Input, Label, OptionList
from textual.widgets.option_list import Option

from aso_runtime.aso.loader import LoadedAso, example_names, load_aso
from aso_runtime.aso.params import parse_params
from aso_runtime.bacnet import InvalidInput

from .dialog import Dialog


@dataclass(frozen=True)
class LoadRequest:
    """A script the modal has already imported and checked (once), and whether to start it."""

    loaded: LoadedAso
    start: bool = False


class ScriptTree(DirectoryTree):
    """A file picker that shows folders and Python files only."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if not p.name.startswith(".") and (p.is_dir() or p.suffix == ".py")]


class PathSuggester(Suggester):
    """Completes file system paths (and ``examples:``) as the technician types."""

    def __init__(self, examples: list[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.examples = examples

    async def get_suggestion(self, value: str) -> str | None:
        if value.startswith("examples:"):
            prefix = value[len("examples:"):]
            match = next((name for name in self.examples if name.startswith(prefix)), None)
            return f"examples:{match}" if match else None
        if not value or ":" in value:
            return None
        path = Path(value).expanduser()
        folder, stem = (path, "") if value.endswith("/") else (path.parent, path.name)
        try:
            candidates = sorted(p for p in folder.iterdir() if p.name.startswith(stem)
                                and (p.is_dir() or p.suffix == ".py") and not p.name.startswith("."))
        except OSError:
            return None
        if not candidates:
            return None
        best = candidates[0]
        suffix = "/" if best.is_dir() else ""
        return value[: len(value) - len(stem)] + best.name + suffix


class LoadScreen(Dialog[LoadRequest | None]):
    DEFAULT_CSS = """
    LoadScreen { align: center middle; }
    LoadScreen > Vertical { width: 76; height: auto; max-height: 100%; border: thick $primary; background: $surface; padding: 0 1; }
    /* Fits 80x24 with the file browser open: the browser takes the examples' place. */
    LoadScreen OptionList { height: 4; }
    LoadScreen ScriptTree { height: 6; }
    LoadScreen #error { color: $error; height: auto; }
    LoadScreen Horizontal { height: auto; }
    LoadScreen Horizontal Input { width: 1fr; }
    LoadScreen Button { margin: 0 1 0 0; }
    LoadScreen Label.title { text-style: bold; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="load.cancel"),
        Binding("ctrl+s", "submit(False)", "Load", id="load.submit"),
        Binding("ctrl+r", "submit(True)", "Load and start", id="load.start"),
        Binding("ctrl+o", "browse", "Browse files", id="load.browse"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.examples = example_names()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Load an ASO script", classes="title")
            yield Label("Script (path.py[:Class], → completes, Ctrl+O browses) or an example:")
            yield Input(placeholder="~/asos/my_aso.py", id="source", suggester=PathSuggester(self.examples))
            yield ScriptTree(Path.cwd(), id="browser", classes="hidden")
            yield OptionList(*[Option(f"examples:{name}", id=name) for name in self.examples], id="examples")
            with Horizontal():
                yield Input(placeholder="name (default: class name)", id="name")
                yield Input(placeholder="step s", id="step", restrict=r"[0-9.]*")
                yield Input(placeholder="priority", id="priority", restrict=r"[0-9]{0,2}")
            yield Input(placeholder="parameters: kw_limit=40 meter=4001", id="params")
            yield Label("", id="error")
            with Horizontal():
                yield Button("Load", variant="primary", id="load")
                yield Button("Load and start", id="load-start")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#source").focus()

    @on(OptionList.OptionHighlighted, "#examples")
    @on(OptionList.OptionSelected, "#examples")
    def _example_chosen(self, event) -> None:
        # Only when the technician is in the list (it highlights on mount too).
        if event.option_list.has_focus:
            self.query_one("#source", Input).value = str(event.option.prompt)

    def action_browse(self) -> None:
        browser = self.query_one(ScriptTree)
        browser.toggle_class("hidden")
        browsing = not browser.has_class("hidden")
        self.query_one("#examples").set_class(browsing, "hidden")
        if browsing:
            browser.focus()

    @on(DirectoryTree.FileSelected, "#browser")
    def _file_chosen(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#source", Input).value = str(event.path)
        self.query_one(ScriptTree).add_class("hidden")
        self.query_one("#examples").remove_class("hidden")
        self.query_one("#source").focus()

    @on(Button.Pressed, "#load")
    def _load(self) -> None:
        self.action_submit(False)

    @on(Button.Pressed, "#load-start")
    def _load_start(self) -> None:
        self.action_submit(True)

    @on(Input.Submitted)
    def _entered(self) -> None:
        self.action_submit(False)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_submit(self, start: bool) -> None:
        request, error = self.validate(start)
        if error:
            self.query_one("#error", Label).update(error)
            return
        self.dismiss(request)

    def validate(self, start: bool = False) -> tuple[LoadRequest | None, str | None]:
        """Import and check the script now (the one time it is imported), so a broken one is refused here."""
        source = self.query_one("#source", Input).value.strip()
        if not source:
            return None, "give a script path or pick an example"
        try:
            params = parse_params(self.query_one("#params", Input).value.split())
            step = self.query_one("#step", Input).value.strip()
            if step:
                params["step_interval"] = float(step)
            priority = self.query_one("#priority", Input).value.strip()
            if priority:
                params["priority"] = int(priority)
            name = self.query_one("#name", Input).value.strip() or None
            loaded = load_aso(source, name=name, params=params)
        except InvalidInput as exc:  # ScriptError is one too: syntax error, no class, bad parameter
            return None, str(exc)
        except ValueError as exc:  # a step that is not a number
            return None, f"step: {exc}"
        return LoadRequest(loaded, start), None
