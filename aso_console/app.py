"""The ASO Console app: runtime lifetime, tabs, quit, the palette, and the one place failures are shown.

Each tab is a pane that owns its state, timers and actions (``panes/``);
the app hands them the runtime and the site model and shows what they send
up: status lines (:class:`~aso_console.messages.Status`) and failed work
(:class:`~aso_console.messages.WorkFailed`, handled once here).
"""

from __future__ import annotations

import asyncio
import collections
import gc
import logging
import queue
from collections.abc import Iterable
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import TabbedContent, TabPane

from aso_runtime.bacnet import BacnetError
from aso_runtime.closeout.undo import (
    HeldOverride,
    release_held,
    session_held,
    session_overrides,
    slot_text,
)

from .commands import CommandRunner
from .messages import Status, WorkFailed
from .panes.alarms import REMOVE_ON_EXIT_SECONDS, AlarmsPane
from .panes.explore import ExplorePane
from .panes.overrides import OverridesPane
from .panes.trends import TrendsPane
from .panes.runner import RunnerPane
from .runtime import ConsoleOptions, ConsoleRuntime, demo_help, open_runtime
from .screens.bbmd_tables import BbmdTablesScreen, default_bbmd
from .screens.confirm import ConfirmScreen
from .screens.discover_modal import DiscoverRequest, DiscoverScreen
from .screens.help import HelpScreen
from .screens.session_writes import ReleaseOnQuit, names_from
from .site import Site
from .widgets.command_pane import CommandPane
from .widgets.key_bar import KeyBar
from .widgets.log_pane import LogPane
from .widgets.runner_tables import InstanceTable
from .widgets.status_bar import StatusBar

log = logging.getLogger("aso.console")

NOTICES_KEPT = 200


class AsoConsoleApp(App[None]):
    """Commission a BACnet site from the keyboard."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "ASO Console"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        # The tab bar shows F1-F4 already: the footer keeps its room for the rest (80 columns).
        Binding("f1", "show_tab('explore')", "Explore", show=False, id="app.explore"),
        Binding("f2", "show_tab('command')", "Command", show=False, id="app.command"),
        Binding("f3", "show_tab('runner')", "Runner", show=False, id="app.runner"),
        Binding("f4", "show_tab('log')", "Log", show=False, id="app.log"),
        Binding("f7", "show_tab('overrides')", "Overrides", show=False, id="app.overrides"),
        Binding("f8", "show_tab('trends')", "Trends", show=False, id="app.trends"),
        Binding("f9", "show_tab('alarms')", "Alarms", show=False, id="app.alarms"),
        Binding("f5", "discover", "Who-Is", id="app.discover"),
        Binding("f6", "discover_options", "Discover", id="app.discover_options"),
        Binding("slash", "filter", "Filter", id="app.filter"),
        Binding("question_mark,f10", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
        # Ctrl+C means "get me out" to every technician: same path as q (asks if ASOs run).
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.ctrl_c"),
        Binding("escape", "close_filter", "Close filter", show=False, id="app.close_filter"),
    ]

    def __init__(self, runtime: ConsoleRuntime | None = None, *, options: ConsoleOptions | None = None,
                 log_records: queue.SimpleQueue | None = None, discover_on_start: bool = True,
                 poll_interval: float = 2.0) -> None:
        """Give a running ``runtime`` (the composition root does), or ``options`` and
        the app opens the runtime on load and closes it on exit (tests, snapshots)."""
        super().__init__()
        if runtime is None and options is None:
            raise ValueError("AsoConsoleApp needs a runtime or options")
        self.runtime = runtime
        self.options = options
        self.owns_runtime = runtime is None
        self.site = Site()
        self.log_records = log_records
        self.discover_on_start = discover_on_start
        self.poll_interval = poll_interval
        self.notices: collections.deque[str] = collections.deque(maxlen=NOTICES_KEPT)

    async def on_load(self) -> None:
        if self.runtime is None:
            self.runtime = await open_runtime(self.options)
        self.commands = CommandRunner(self.runtime, self.site)

    async def on_unmount(self) -> None:
        await self._remove_recipient_entries()
        if self.owns_runtime and self.runtime is not None:
            await self.runtime.close()

    async def _remove_recipient_entries(self) -> None:
        """Take this console out of every recipient list it joined (F9, n): a controller must not keep
        notifying a workstation that has left the site."""
        alarms = getattr(self, "alarms", None)
        if alarms is None or not alarms.enrollments or self.runtime is None:
            return
        try:
            failed = await asyncio.wait_for(alarms.remove_all(), REMOVE_ON_EXIT_SECONDS)
        except Exception as exc:  # noqa: BLE001 (a timeout too: quitting must not hang on a silent controller)
            failed = [f"{type(exc).__name__}: {exc}"]
        for line in failed:
            log.warning("recipient entry not removed on exit: %s", line)

    # ----- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="explore", id="tabs"):
            with TabPane("Explore F1", id="explore"):
                yield ExplorePane(self.runtime, self.site, discover_on_start=self.discover_on_start,
                                  poll_interval=self.poll_interval, id="explore-pane")
            with TabPane("Command F2", id="command"):
                yield CommandPane(self.commands, id="command-pane")
            with TabPane("Runner F3", id="runner"):
                yield RunnerPane(self.runtime, self.site, id="runner-pane")
            with TabPane("Log F4", id="log"):
                yield LogPane(self.log_records, id="log-pane")
            with TabPane("Overrides F7", id="overrides"):
                yield OverridesPane(self.runtime, self.site, id="overrides-pane")
            with TabPane("Trends F8", id="trends"):
                yield TrendsPane(self.runtime, self.site, id="trends-pane")
            with TabPane("Alarms F9", id="alarms"):
                yield AlarmsPane(self.runtime, self.site, id="alarms-pane")
        yield StatusBar(self.runtime.read_only, id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        # Everything built so far lives as long as the app: keep it out of the
        # full collections that otherwise stall the screen for 100-200 ms.
        gc.freeze()
        # Kept: app.query_one searches the *active* screen, which is a modal while one is open.
        self.explore = self.query_one(ExplorePane)
        self.runner_pane = self.query_one(RunnerPane)
        self.trends = self.query_one(TrendsPane)
        self.alarms = self.query_one(AlarmsPane)
        self.tabs = self.query_one(TabbedContent)
        self.status_bar = self.query_one(StatusBar)
        self.explore.focus_main()
        options = self.runtime.options
        if options.demo and options.vlan is None:
            # Short: at 80x24 a long toast would cover the points. The commands to reach the
            # demo from another terminal are in the log (F4).
            first = demo_help(options).splitlines()[0]
            self.notify(f"{first} Commands for another terminal: F4.", title="Demo", timeout=10)
        profile = (self.options.profile if self.options is not None else None) or options.profile
        if profile:
            self.runner_pane.apply_profile(profile)
        self._tell_orphans()

    def _tell_orphans(self) -> None:
        """What the start-up released for a host that died: on screen, not only in the log."""
        sweep = self.runtime.runner.orphans
        if not sweep.results and not sweep.problems:
            return
        released = sum(1 for r in sweep.results if r.ok)
        parts = [f"Released {released} override(s) a previous run left in the building"]
        if sweep.failed:
            parts.append(f"{len(sweep.failed)} still held, release pending (see F3)")
        if sweep.problems:
            parts.append(f"{len(sweep.problems)} journal record(s) unreadable: check those points by hand (F4)")
        self.notify("; ".join(parts) + ".", title="Previous run", timeout=20,
                    severity="warning" if sweep.failed or sweep.problems else "information")

    @property
    def tree_complete(self):  # noqa: ANN201 (asyncio.Event)
        """Set when a discovery has read every device's points (tests and benchmarks wait on it)."""
        return self.explore.tree_complete

    # ----- what the panes send up ------------------------------------------------------------

    @on(Status)
    def _status(self, message: Status) -> None:
        self.status_bar.say(message.text, busy=message.busy, style=message.style)

    @on(WorkFailed)
    def _work_failed(self, message: WorkFailed) -> None:
        """Every failed worker ends here: one line on screen, the details in the log."""
        error = message.error
        if isinstance(error, BacnetError):
            text = str(error)
        else:
            log.error("%s failed", message.title, exc_info=error)
            text = f"internal error: {type(error).__name__}: {error} (details in the log, F4)"
        self.notify(text, severity="error", title=f"{message.title} failed")
        self.status_bar.say(f"{message.title} failed: {text}", busy=False, style="bold red")

    def notify(self, message: str, *, title: str = "", severity: str = "information", **kwargs) -> None:
        """Show a notification, and keep it: a toast that vanished is still in the log (F4)."""
        line = f"{title}: {message}" if title else message
        self.notices.append(line)
        log.log(logging.ERROR if severity == "error" else logging.WARNING if severity == "warning" else logging.INFO,
                "notice: %s", " ".join(line.split()))
        super().notify(message, title=title, severity=severity, **kwargs)

    # ----- actions ----------------------------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        """Switch tab and focus its main widget (focus left in a hidden tab pulls it back)."""
        self.tabs.active = tab
        if tab == "command":
            self.query_one(CommandPane).focus_input()
        elif tab == "runner":
            self.runner_pane.focus_main()
        elif tab == "log":
            self.query_one(LogPane).focus()
        elif tab == "overrides":
            self.query_one(OverridesPane).focus_main()
        elif tab == "trends":
            self.trends.focus_main()
        elif tab == "alarms":
            self.alarms.focus_main()
        else:
            self.explore.focus_main()

    def action_discover(self) -> None:
        self.explore.discover()

    def action_discover_options(self) -> None:
        self.push_screen(DiscoverScreen(), self._discover_chosen)

    def _discover_chosen(self, request: DiscoverRequest | None) -> None:
        if request is None:
            return
        if request.kind == "routers":
            self.explore.find_routers(request.network, request.address)
        else:
            self.explore.discover(request.low, request.high, address=request.address, network=request.network)

    def action_filter(self) -> None:
        self.action_show_tab("explore")
        self.explore.open_filter()

    def action_close_filter(self) -> None:
        if self.explore.close_filter():
            self.status_bar.say(self.explore.summary())

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_quit(self) -> None:
        """Quit; with ASOs running, overrides still held, or manual overrides of this session still in
        their slots, ask first (ASO overrides are released on exit; the manual ones on request)."""
        if session_overrides(self.runtime.audit.session_records()):
            self.check_session_overrides()  # their slots are read first
        else:
            self._ask_quit([])

    @work(exclusive=True, group="quit", exit_on_error=False, name="Quit")
    async def check_session_overrides(self) -> None:
        self.status_bar.say("Quit: reading the slots this session wrote...", busy=True)
        try:
            checked = await session_held(self.runtime.client, self.runtime.audit)
        except Exception:  # the question must still come: never a quit key that does nothing
            log.exception("could not check this session's overrides before quitting")
            checked = []
        self.status_bar.say(self.explore.summary(), busy=False)
        self._ask_quit(checked)

    def _ask_quit(self, mine: list[HeldOverride]) -> None:
        runner = self.runtime.runner
        running = [i.name for i in runner.instances.values() if i.running]
        held = runner.ledger.held()
        manual = [h for h in mine if h.held]
        unchecked = [h for h in mine if h.error]
        if not running and not held and not manual and not unchecked:
            self.exit()
            return
        parts = []
        if running:
            parts.append(f"{len(running)} ASO(s) running ({', '.join(running)}).")
        pending = [o for o in held if o.pending]
        if pending:
            owners = sorted({o.aso for o in pending})
            cause = pending[0].pending.split(" (attempt")[0]
            parts.append(f"{len(pending)} override(s) of {', '.join(owners)} still in the building, release "
                         f"pending: {cause}.")
        elif held and not running:
            parts.append(f"{len(held)} override(s) still held.")
        if unchecked:
            parts.append(f"{len(unchecked)} manual override(s) of this session could not be checked "
                         f"({', '.join(slot_text(h.record) for h in unchecked)}: {unchecked[0].error}).")
        if running or held:
            parts.append(f"Quit, stopping every ASO and releasing every override (retried for "
                         f"{self.runtime.options.release_grace:g} s; what is still held is printed on exit)?")
        if not manual:
            if not running and not held:
                parts.append("Quit?")
            self.push_screen(ConfirmScreen(" ".join(parts)), lambda yes: self.exit() if yes else None)
            return
        parts.append(f"{len(manual)} manual override(s) written in this session still hold their slot:")
        self.push_screen(ReleaseOnQuit(" ".join(parts), manual, names_from(self.site)),
                         lambda answer: self._quit_answer(answer, manual))

    def _quit_answer(self, answer: str | None, manual: list[HeldOverride]) -> None:
        if answer == "release":
            self.release_and_quit(manual)
        elif answer == "leave":
            for item in manual:
                log.warning("quit leaving manual override %s = %r (audit %s)", slot_text(item.record),
                            item.record.after, item.record.id)
            self.exit()

    @work(exclusive=True, group="quit", exit_on_error=False, name="Release and quit")
    async def release_and_quit(self, manual: list[HeldOverride]) -> None:
        """Release this session's overrides (each only if still ours), then quit; stay if one fails."""
        self.status_bar.say(f"Releasing {len(manual)} manual override(s)...", busy=True)
        client, audit = self.runtime.client, self.runtime.audit
        outcomes = await asyncio.gather(*(release_held(client, audit, h.record) for h in manual),
                                        return_exceptions=True)
        failed = [f"{slot_text(h.record)}: {o}" for h, o in zip(manual, outcomes) if isinstance(o, BaseException)]
        self.status_bar.say(self.explore.summary(), busy=False)
        if failed:
            self.notify(f"Not released: {'; '.join(failed)}. Quit again to leave them.", severity="error",
                        title="Release", timeout=20)
            return
        self.exit()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Who-Is: discover the site", "Global Who-Is, then every device's points",
                            self.action_discover)
        yield SystemCommand("Discover with options", "Instance range, one address, a remote network, routers",
                            self.action_discover_options)
        yield SystemCommand("Filter points", "Filter the tree by point name or id", self.action_filter)
        yield SystemCommand("Command line", "read, write, release, rpm, wpm, pa, whois, whohas, routers",
                            lambda: self.action_show_tab("command"))
        yield SystemCommand("Show log", "Runtime and BACnet events", lambda: self.action_show_tab("log"))
        yield SystemCommand("Alarms", "Active and unacknowledged alarms site-wide, live; acknowledge (F9)",
                            lambda: self.action_show_tab("alarms"))
        yield SystemCommand("Runner: load an ASO", "Load a script or a packaged example",
                            lambda: self.runner_pane.post_message(InstanceTable.Action("load", None)))
        yield SystemCommand("This session's writes", "What this console wrote and released; u undoes one",
                            self.explore.action_session_writes)
        yield SystemCommand("Manage device", "Time sync, DCC, reinitialize for the device under the cursor (m)",
                            self.explore.manage_device)
        yield SystemCommand("BBMD tables", "Read a BBMD's broadcast-distribution and foreign-device tables",
                            lambda: self.push_screen(BbmdTablesScreen(self.runtime.client, default_bbmd(self.runtime))))
        yield SystemCommand("Keys and help", "What every key does", self.action_help)
