"""The console's messages: what to show in the status line, failed work, and live data.

Data flows down (the app hands each pane its runtime and site; panes keep
their own state as reactives); events flow up as these messages: the status
line and failed work are handled in one place by the app, live data by the
pane whose workers received it (one handler redraws, whatever the source).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker, WorkerState


@dataclass
class Status(Message):
    """Show ``text`` in the status line; ``busy`` spins the spinner."""

    text: str
    busy: bool | None = None
    style: str = ""


@dataclass
class WorkFailed(Message):
    """A worker ended with an error: ``title`` is the worker's name (what the technician asked for)."""

    title: str
    error: BaseException


@dataclass
class PointsChanged(Message):
    """Live values arrived (a poll, a COV notification, a priority array read) for these points.

    The values are already in the site's live state; the message says which
    rows to redraw.
    """

    points: list[tuple[int, str]]


@dataclass
class DevicesChanged(Message):
    """These devices went offline or came back (their ``offline`` flag in the site says which)."""

    instances: list[int]


class ReportsFailedWork:
    """Mixin for panes and screens: forwards failed workers to the app's one handler.

    ``Worker.StateChanged`` does not bubble, so each pane (or screen) turns
    its own failures into a :class:`WorkFailed` that does. Workers therefore
    just raise; nobody writes ``except BacnetError: notify`` again.
    """

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.post_message(WorkFailed(event.worker.name or "Error", event.worker.error))  # type: ignore[attr-defined]


class Pane(ReportsFailedWork, Widget):
    """Base of the console's panes (see :class:`ReportsFailedWork`)."""

    def status(self, text: str, *, busy: bool | None = None, style: str = "") -> None:
        self.post_message(Status(text, busy, style))
