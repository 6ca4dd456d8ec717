"""Manage one device (``m`` in the Explore tree): time sync, DeviceCommunicationControl, ReinitializeDevice.

Each service affects the whole controller, so each is behind a confirmation
that names the device (instance, name, address) and says what the
controller will do. The service runs in a worker; a refusal ("device 2001
refused warmstart: password-failure (security)") is one line, inline here,
in a toast and in the status bar. Every action sent, refused or not, goes into the audit
journal (``property`` is the service, ``object_id`` the device object; no
value "before" is kept, so ``aso undo`` leaves them alone).

Time synchronization is unconfirmed: the device's clock (local-date,
local-time, utc-offset) is read before and after, so the technician sees
it took. Broadcasting it to the device's network is a second, explicit
choice (a checkbox), and the confirmation then says "every device of
network N". A DCC disable the device acknowledged is kept on the site's
device (``communication``), so the tree shows it while it lasts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from aso_runtime.bacnet import (
    BacnetClient,
    BacnetError,
    BacnetRemoteError,
    InvalidInput,
    device_communication_control,
    reinitialize_device,
    time_synchronize,
)
from aso_runtime.closeout.audit import AuditError, AuditJournal
from aso_runtime.closeout.audited import one_line

from ..messages import ReportsFailedWork
from ..site import SiteDevice
from ..widgets.key_bar import KeyBar
from .bbmd_tables import BbmdTablesScreen
from .confirm import ConfirmScreen
from .dialog import Dialog

CLOCK_PROPERTIES = ("local-date", "local-time", "utc-offset")
# TimeSynchronization has no answer: give the device a moment to apply it before reading its clock back.
READ_BACK_DELAY = 0.5  # s
MAX_MINUTES = 65535

DCC_EFFECT = {
    "disable": "It will answer nothing but DCC and ReinitializeDevice: no reads, writes, COV or alarms from it",
    "disable-initiation": "It will still answer, but send nothing of its own (no alarms, no COV notifications)",
    "enable": "It answers and reports again",
}
REINIT_EFFECT = {
    "warmstart": "The whole controller restarts (warm start): it does not answer while it restarts",
    "coldstart": "The whole controller restarts from scratch (cold start): it does not answer while it "
                 "restarts, and commands in its priority arrays are usually lost",
}


def parse_minutes(text: str) -> int | None:
    """A DCC duration as typed: blank means indefinite (None), else 1..65535 minutes."""
    text = text.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_MINUTES:
        raise InvalidInput(f"duration: whole minutes 1..{MAX_MINUTES}, or blank for indefinite (got {text!r})")
    return int(text)


def refusal(exc: BacnetError, instance: int, what: str) -> BacnetError:
    """A device's Error answer as the status bar can show it at 80 columns: ``device 2001 refused warmstart:
    password-failure``; other failures (no answer, bad input) keep their own one line."""
    if isinstance(exc, BacnetRemoteError):
        return BacnetRemoteError(f"device {instance} refused {what}: {exc.error_code} ({exc.error_class})",
                                 exc.error_class, exc.error_code)
    return exc


def clock_text(values: dict[str, object]) -> str:
    """``2026-11-29 sun 20:10:03.00, utc-offset 0 min`` ('?' for what the device did not give)."""
    date, clock, offset = (values.get(p) for p in CLOCK_PROPERTIES)
    return f"{date if date is not None else '?'} {clock if clock is not None else '?'}, " \
           f"utc-offset {offset if offset is not None else '?'} min"


class DeviceActionsScreen(ReportsFailedWork, Dialog[None]):
    DEFAULT_CSS = """
    DeviceActionsScreen { align: center middle; }
    DeviceActionsScreen > Vertical {
        width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    DeviceActionsScreen #device-title { text-style: bold; }
    DeviceActionsScreen .row { height: 1; margin-top: 1; }
    DeviceActionsScreen .row Label { width: 15; }
    DeviceActionsScreen .row Checkbox { margin-right: 1; }
    DeviceActionsScreen .row Button { margin-left: 1; min-width: 12; }
    DeviceActionsScreen #dcc-state { width: 22; }
    DeviceActionsScreen #dcc-minutes { width: 24; }
    DeviceActionsScreen #reinit-state { width: 16; }
    DeviceActionsScreen #password { width: 24; }
    DeviceActionsScreen #result { margin-top: 1; height: auto; }
    DeviceActionsScreen #result.-error { color: $error; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close", id="device_actions.close"),
        Binding("t", "time_sync", "Time sync", id="device_actions.time_sync"),
        Binding("d", "dcc", "DCC", id="device_actions.dcc"),
        Binding("r", "reinitialize", "Reinitialize", id="device_actions.reinitialize"),
        Binding("b", "bbmd", "BBMD tables", id="device_actions.bbmd"),
    ]

    def __init__(self, client: BacnetClient, device: SiteDevice, audit: AuditJournal, *, read_only: bool = False,
                 changed: Callable[[int], None] | None = None, bbmd: str | None = None) -> None:
        """``changed(instance)`` is called when the device's communication state changed (the tree redraws)."""
        super().__init__()
        self.client = client
        self.device = device
        self.audit = audit
        self.read_only = read_only
        self.changed = changed
        self.bbmd = bbmd
        self.clock_before: str | None = None
        self.clock_after: str | None = None

    @property
    def named(self) -> str:
        """How every question and line names the device: ``device 2001 VAV-1-01 (2:3)``."""
        name = f" {self.device.name}" if self.device.name else ""
        return f"device {self.device.instance}{name} ({self.device.info.address})"

    @property
    def network(self) -> int | None:
        return self.device.info.network

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Manage {self.named}: each action affects the whole controller", id="device-title")
            yield Static("clock: reading...", id="clock")
            with Horizontal(classes="row"):
                yield Label("Time sync")
                yield Checkbox("UTC", id="utc", compact=True)
                network = self.network
                yield Checkbox(f"broadcast to network {network}" if network else "broadcast (no network number)",
                               id="broadcast", compact=True, disabled=network is None)
                yield Button("Sync t", id="time-sync", compact=True)
            with Horizontal(classes="row"):
                yield Label("Communication")
                yield Select([(s, s) for s in DCC_EFFECT], value="disable", allow_blank=False, id="dcc-state",
                             compact=True)
                yield Input(placeholder="minutes (blank: no end)", id="dcc-minutes", compact=True, restrict=r"[0-9]*")
                yield Button("Send d", id="dcc", compact=True)
            with Horizontal(classes="row"):
                yield Label("Reinitialize")
                yield Select([(s, s) for s in REINIT_EFFECT], value="warmstart", allow_blank=False,
                             id="reinit-state", compact=True)
                yield Button("Restart r", id="reinit", compact=True)
            with Horizontal(classes="row"):
                yield Label("Password")
                yield Input(placeholder="DCC / reinitialize", password=True, id="password", compact=True)
                yield Button("BBMD tables b", id="bbmd", compact=True)
            yield Static("", id="result")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#time-sync", Button).focus()
        self.read_clock_before()

    # ----- the clock ------------------------------------------------------------------------------

    async def read_clock(self) -> str:
        """The device's clock as one line; a property it does not give (or no answer) shows '?'."""
        instance = self.device.instance

        async def one(prop: str) -> object:
            try:
                return await self.client.read(self.device.info, f"device,{instance}", prop)
            except BacnetError:
                return None

        values = await asyncio.gather(*(one(p) for p in CLOCK_PROPERTIES))
        return clock_text(dict(zip(CLOCK_PROPERTIES, values)))

    @work(exclusive=True, group="device-clock", exit_on_error=False, name="Read clock")
    async def read_clock_before(self) -> None:
        self.clock_before = await self.read_clock()
        self.query_one("#clock", Static).update(f"clock: {self.clock_before}")

    # ----- what the technician asks --------------------------------------------------------------

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        action = {"time-sync": self.action_time_sync, "dcc": self.action_dcc, "reinit": self.action_reinitialize,
                  "bbmd": self.action_bbmd}.get(event.button.id or "")
        if action is not None:
            action()

    def _refused_read_only(self) -> bool:
        if self.read_only:
            self.notify("Read-only mode (--read-only): device management is disabled.", severity="warning",
                        title="Refused")
        return self.read_only

    def action_time_sync(self) -> None:
        if not self._refused_read_only():
            self.time_sync(self.query_one("#utc", Checkbox).value, self.query_one("#broadcast", Checkbox).value)

    def action_dcc(self) -> None:
        if self._refused_read_only():
            return
        try:
            minutes = parse_minutes(self.query_one("#dcc-minutes", Input).value)
        except InvalidInput as exc:
            self.say(str(exc), error=True)
            return
        self.communication(str(self.query_one("#dcc-state", Select).value), minutes, self._password())

    def action_reinitialize(self) -> None:
        if not self._refused_read_only():
            self.reinitialize(str(self.query_one("#reinit-state", Select).value), self._password())

    def action_bbmd(self) -> None:
        self.app.push_screen(BbmdTablesScreen(self.client, self.bbmd))

    def action_close(self) -> None:
        self.dismiss(None)

    def _password(self) -> str | None:
        return self.query_one("#password", Input).value or None

    # ----- the services (workers: the loop never waits on a device) ---------------------------------

    @work(exclusive=True, group="device-action", exit_on_error=False, name="Time sync")
    async def time_sync(self, utc: bool, broadcast: bool) -> None:
        kind = "UTC" if utc else "local time"
        now = dt.datetime.now(dt.UTC) if utc else dt.datetime.now()
        if broadcast:
            question = (f"BROADCAST {kind} to every device of network {self.network} (not only {self.named})?\n"
                        f"Every controller on network {self.network} sets its clock to this host's "
                        f"{kind} ({now:%Y-%m-%d %H:%M:%S}); their schedules and trend logs follow it.")
        else:
            question = (f"Set the clock of {self.named} to this host's {kind} ({now:%Y-%m-%d %H:%M:%S})?\n"
                        "The controller's schedules, trend logs and alarm time stamps follow its clock.")
        if not await self.app.push_screen_wait(ConfirmScreen(question)):
            self.say("time sync not sent: nothing was changed")
            return
        target = f"network {self.network} (broadcast)" if broadcast else self.named
        try:
            if broadcast:
                sent = await time_synchronize(self.client, utc=utc, broadcast_network=self.network)
            else:
                sent = await time_synchronize(self.client, self.device.info, utc=utc)
        except BacnetError as exc:
            self._record("time-synchronization", f"{kind} to {target}", one_line(exc))
            error = refusal(exc, self.device.instance, "time sync")
            self.say(str(error), error=True)
            raise error from None
        self._record("time-synchronization", f"{sent:%Y-%m-%d %H:%M:%S} {kind} to {target}", "ok")
        self.say(f"time sync sent to {target}: {sent:%Y-%m-%d %H:%M:%S} {kind}; reading the clock back...")
        await asyncio.sleep(READ_BACK_DELAY)
        self.clock_after = await self.read_clock()
        self.query_one("#clock", Static).update(f"clock before: {self.clock_before}\nclock now:    {self.clock_after}")
        self.say(f"time sync sent to {target} ({sent:%H:%M:%S} {kind}); {self.device.instance} reads "
                 f"{self.clock_after}")

    @work(exclusive=True, group="device-action", exit_on_error=False, name="DeviceCommunicationControl")
    async def communication(self, state: str, minutes: int | None, password: str | None) -> None:
        lasting = "" if state == "enable" else (f" for {minutes} min" if minutes else " until enabled again")
        question = f"{state} communication of {self.named}{lasting}?\n{DCC_EFFECT[state]}."
        if not await self.app.push_screen_wait(ConfirmScreen(question)):
            self.say("DCC not sent: nothing was changed")
            return
        try:
            await device_communication_control(self.client, self.device.info, state,
                                               minutes if state != "enable" else None, password)
        except BacnetError as exc:
            self._record("device-communication-control", f"{state}{lasting}", one_line(exc))
            error = refusal(exc, self.device.instance, f"DCC {state}")
            self.say(str(error), error=True)
            raise error from None
        self._record("device-communication-control", f"{state}{lasting}", "ok")
        self.device.communication = state
        self.device.communication_until = (time.monotonic() + minutes * 60) if minutes and state != "enable" else None
        if self.changed is not None:
            self.changed(self.device.instance)
        self.say(f"{self.named}: communication {state}{lasting} (acknowledged)")

    @work(exclusive=True, group="device-action", exit_on_error=False, name="Reinitialize")
    async def reinitialize(self, state: str, password: str | None) -> None:
        question = f"{state} {self.named}?\n{REINIT_EFFECT[state]}."
        if not await self.app.push_screen_wait(ConfirmScreen(question)):
            self.say("reinitialize not sent: nothing was changed")
            return
        try:
            await reinitialize_device(self.client, self.device.info, state, password)
        except BacnetError as exc:
            self._record("reinitialize-device", state, one_line(exc))
            error = refusal(exc, self.device.instance, state)
            self.say(str(error), error=True)
            raise error from None
        self._record("reinitialize-device", state, "ok")
        if self.device.communication != "enable":
            # A restart ends a DCC disable (clause 16.4): the device talks again.
            self.device.communication, self.device.communication_until = "enable", None
            if self.changed is not None:
                self.changed(self.device.instance)
        self.say(f"{self.named}: {state} acknowledged; the controller restarts")

    # ----- outcome --------------------------------------------------------------------------------

    def say(self, text: str, *, error: bool = False) -> None:
        result = self.query_one("#result", Static)
        result.update(text)
        result.set_class(error, "-error")

    def _record(self, service: str, what: str, outcome: str) -> None:
        """Into the audit journal, like every write this console makes (a full disk is told, not fatal)."""
        instance = self.device.instance
        record = self.audit.new_record(device=str(instance), device_instance=instance, object_id=f"device,{instance}",
                                       property=service, priority=None, index=None, before=None, before_known=False,
                                       after=what, outcome=outcome)
        try:
            self.audit.append(record)
        except AuditError as exc:
            self.notify(f"{exc}: the action was sent but is not recorded", severity="warning", title="Audit journal")
