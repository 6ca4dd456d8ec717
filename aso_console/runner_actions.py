"""The runner pane's actions: load, start, stop, release, override checks, quit.

A mixin of AsoConsoleApp (handlers use Textual's on_<widget>_<message>
names, which work from a mixin; ``@on`` does not).
"""

from __future__ import annotations

from textual import work

from aso_runtime.aso import RestartPolicy
from aso_runtime.bacnet import BacnetError

from .profile import load_profile
from .screens.confirm import ConfirmScreen
from .screens.load_modal import LoadRequest, LoadScreen
from .widgets.runner_pane import InstanceTable, OverrideTable


class RunnerActions:
    def apply_profile(self, path: str) -> None:
        """Load (and optionally start) the ASOs a profile file lists."""
        try:
            entries = load_profile(path)
        except Exception as exc:
            self.notify(str(exc), severity="error", title="Profile")
            return
        for entry in entries:
            self._load_aso(entry)

    def _load_aso(self, request: LoadRequest) -> None:
        runner = self.runtime.runner
        try:
            # A technician is watching: a fault stays on screen instead of restarting by itself.
            instance = runner.load(request.source, name=request.name, restart=RestartPolicy(retries=0),
                                   **request.params)
        except Exception as exc:
            self.notify(f"{request.source}: {exc}", severity="error", title="Load refused")
            return
        if request.start:
            if self._refuse_if_read_only():
                return
            instance.start()
        self.runner_pane.refresh_instances()
        self.notify(f"Loaded {instance.name} ({instance.class_name})" + (" and started" if request.start else ""))

    def on_instance_table_action(self, message: InstanceTable.Action) -> None:
        pane = self.runner_pane
        if message.action == "load":
            self.push_screen(LoadScreen(), lambda request: self._load_aso(request) if request else None)
        elif message.action == "combined":
            pane.show_log(None)
        elif message.name is None:
            self.notify("Load an ASO first (l)", severity="warning")
        elif message.action == "start":
            if not self._refuse_if_read_only():
                self.runtime.runner.start(message.name)
        elif message.action in ("stop", "restart"):
            self.stop_aso(message.name, restart=message.action == "restart")

    @work(group="runner", exit_on_error=False)
    async def stop_aso(self, name: str, restart: bool = False) -> None:
        results = await self.runtime.runner.stop(name)
        failed = [r for r in results if not r.ok]
        summary = f"{name} stopped; {len(results) - len(failed)} override(s) released and verified"
        if failed:
            self.notify(summary + f"; {len(failed)} NOT verified: " + "; ".join(map(str, failed)),
                        severity="error", title="Release failed", timeout=15)
        else:
            self.notify(summary, title="Stopped")
        if restart and not self._refuse_if_read_only():
            self.runtime.runner.start(name)
        self.runner_pane.refresh_instances()

    def on_override_table_release(self, message: OverrideTable.Release) -> None:
        name = self.runner_pane.selected()
        if name is not None:
            self.release_overrides(name, message.key)

    @work(group="runner", exit_on_error=False)
    async def release_overrides(self, name: str, key: str | None) -> None:
        runner = self.runtime.runner
        if key is None:
            results = await runner.release_held(name)
        else:
            _, device, object_id, priority = key.split("|")
            result = await runner.release_one(name, device, object_id, int(priority))
            results = [result] if result else []
        for result in results:
            self.notify(str(result), severity="information" if result.ok else "error", title="Release")
        self.runner_pane.refresh_instances()

    @work(exclusive=True, group="override-check", exit_on_error=False)
    async def check_overrides(self) -> None:
        """Is each held override of the selected ASO winning, or beaten by someone above it?"""
        pane = self.runner_pane
        if self.tabs.active != "runner" or pane.selected() is None:
            return
        for override in self.runtime.runner.ledger.held(pane.selected()):
            key = f"{override.aso}|{override.device}|{override.object_id}|{override.priority}"
            try:
                array = await self.runtime.client.priority_array(override.device, override.object_id)
            except BacnetError as exc:
                pane.override_status[key] = f"unreadable: {exc}"[:60]
                continue
            winning = array.winning
            if winning is not None and winning.priority < override.priority:
                pane.override_status[key] = f"conflict: @{winning.priority} holds {winning.value}"
            elif winning is not None and winning.priority == override.priority:
                pane.override_status[key] = "winning"
            else:
                pane.override_status[key] = "not in array"
        pane.refresh_overrides()

    def action_quit(self) -> None:
        """Quit; with ASOs running or overrides still held, ask first (they are released on exit)."""
        runner = self.runtime.runner
        running = [i.name for i in runner.instances.values() if i.running]
        held = runner.ledger.held()
        if not running and not held:
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
        parts.append(f"Quit, stopping every ASO and releasing every override (retried for "
                     f"{self.runtime.options.release_grace:g} s; what is still held is printed on exit)?")
        self.push_screen(ConfirmScreen(" ".join(parts)), lambda yes: self.exit() if yes else None)
