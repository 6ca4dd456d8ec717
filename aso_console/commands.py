"""The console's F2 command line: the ``aso`` verbs, typed one line at a time.

Grammar, executor and renderers are the runtime's (``aso_runtime.verbs``),
the very ones the ``aso`` CLI uses, so a line means the same here and in a
terminal (``write 1001 av,3 21.5 8``, ``wpm 1001 av,3 present-value=21@8``).
What is the console's own: ``help`` and ``clear``, read-only mode, life
safety asked by the point's name (as the write modal does), devices found
by ``whois`` added to the site, and completion. Errors come back as one red
line; no line can raise into the UI.
"""

from __future__ import annotations

import shlex

from rich.console import RenderableType
from rich.text import Text

from aso_runtime.bacnet import BacnetError, InvalidInput
from aso_runtime.closeout.audit import AuditJournal
from aso_runtime.verbs import ALIASES, VERBS, execute, find_verb, parse_command
from aso_runtime.verbs import results as rs
from aso_runtime.verbs.render import error_line, note, render, table

from .runtime import ConsoleRuntime
from .site import Site

# The console's own commands (not BACnet verbs): usage -> what it does.
CONSOLE_VERBS = {"help [VERB]": "the verbs, or one verb's usage and examples", "clear": "clear the output"}
CONSOLE_WORDS = [usage.split()[0] for usage in CONSOLE_VERBS]
DEVICE_HELP = "DEVICE is an instance (1001) or an address (10.0.0.5, 10.0.0.5:47809, 2:7, 0x02)"


class CommandRunner:
    """Parses and runs command lines; also offers completions."""

    def __init__(self, runtime: ConsoleRuntime, site: Site) -> None:
        self.runtime = runtime
        self.site = site
        self.client = runtime.client
        # The session's audit journal (tool "console"); a bare runtime (tests) gets one of its own.
        self.audit = getattr(runtime, "audit", None) or AuditJournal(tool="console")

    async def run(self, line: str) -> list[RenderableType]:
        """The output of one line, as renderables (never raises for what was typed or answered)."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            return [error_line(f"cannot split the line: {exc} (close the quote)")]
        if not words:
            return []
        if words[0].lower() == "clear":
            return []  # the pane clears its scrollback itself
        if words[0].lower() in ("help", "?"):
            return self.help(words[1:])
        verb = find_verb(words[0])
        if verb is None:
            known = ", ".join([*VERBS, *CONSOLE_WORDS])
            return [error_line(f"unknown command {words[0]!r}; commands: {known} (help VERB for usage)")]
        if any(word in ("-h", "--help") for word in words[1:]):
            return self.help([verb.name])
        if verb.writes and self.runtime.read_only:
            return [error_line(f"{verb.name} refused: the console is in read-only mode (--read-only)")]
        try:
            request = parse_command(words)
            # As in the write modal: priority 1 or 2 needs the point's name typed.
            result = await execute(request, self.client, confirm_by_name=True, audit=self.audit)
        except InvalidInput as exc:
            return [error_line(exc), note(f"usage: {verb.usage}")]
        except BacnetError as exc:
            return [error_line(exc)]
        self._learn(result)
        return [*render(result), *(Text(w, style="yellow") for w in result.warnings),
                *([error_line(result.problem)] if result.problem else [])]

    def _learn(self, result: rs.Result) -> None:
        """Devices that answered a who-is join the site (the tree shows them)."""
        if isinstance(result, rs.DevicesFound):
            for device in result.devices:
                self.site.add(device)

    def help(self, words: list[str]) -> list[RenderableType]:
        """All verbs, or one verb's usage, summary and examples."""
        verb = find_verb(words[0]) if words else None
        if verb is not None:
            examples = table(["Example", ""], verb.examples)
            return [Text(verb.usage, style="bold"), Text(verb.summary), examples, note(DEVICE_HELP)]
        rows = [[v.usage, v.summary + (" [writes]" if v.writes else "")] for v in VERBS.values()]
        rows += [[usage, summary] for usage, summary in CONSOLE_VERBS.items()]
        return [table(["Command", "What it does"], rows), note(DEVICE_HELP),
                note("the same verbs as the aso command; Up/Down: history   Tab: complete")]

    # ----- completion -------------------------------------------------------------

    def complete(self, line: str) -> list[str]:
        """Candidates for the last word: verbs first, then devices, then object ids."""
        words = line.split(" ")
        prefix = words[-1]
        if len(words) == 1:
            options = [*VERBS, *ALIASES, *CONSOLE_WORDS]
        elif len(words) == 2:
            options = [str(i) for i in sorted(self.site.devices)]
            options += [d.info.address for d in self.site.devices.values()]
        elif len(words) == 3 and _number(words[1]) and int(words[1]) in self.site.devices:
            options = sorted((self.site.devices[int(words[1])].points or {}).keys())
        else:
            options = []
        return [option for option in options if option.startswith(prefix)]


def _number(word: str) -> bool:
    """ASCII digits only, and not absurdly long: '１' and '١' are not numbers on a site."""
    return word.isascii() and word.isdigit() and len(word) <= 8
