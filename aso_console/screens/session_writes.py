"""This console session's writes (``U`` in Explore, or the palette), undo (``u``), and the quit question.

The list is the session's audit records, newest first: what was written
where, what the slot held before, and whether it has been undone. ``u``
restores the highlighted one to its state before the write, after a
confirmation (the point's name typed for slots 1 and 2), and only while
the slot still holds what was written; otherwise the notice says what it
holds now and who changed it, and nothing is written.

:class:`ReleaseOnQuit` is the quit question when manual overrides of this
session are still held: release them and quit, quit leaving them, or stay.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Label, Static

from aso_runtime.bacnet import BacnetClient, short_id
from aso_runtime.closeout.audit import AuditError, AuditJournal
from aso_runtime.closeout.records import ACKNOWLEDGE_ALARM, AuditRecord
from aso_runtime.closeout.schedule_audit import short_property, short_value
from aso_runtime.closeout.undo import (
    HeldOverride,
    check_undo,
    describe,
    slot_text,
    undo,
    undone_by,
    value_words,
)

from ..messages import ReportsFailedWork
from ..site import Site
from ..widgets.key_bar import KeyBar
from .confirm import ConfirmScreen, TypeToConfirm
from .dialog import Dialog

NameOf = Callable[[AuditRecord], str]

def names_from(site: Site) -> NameOf:
    """A record's point name as the site knows it (its object id when unknown)."""

    def name_of(record: AuditRecord) -> str:
        instance = record.device_instance
        return site.object_name(instance, record.object_id) if instance in site.devices else record.object_id

    return name_of


def history(journal: AuditJournal) -> list[AuditRecord]:
    """The journal since this session began (another process's undo shows there), plus this session's
    records it lacks (a journal that could not be written)."""
    try:
        records = journal.read(since=journal.started).records
    except AuditError:
        records = []
    known = {r.id for r in records}
    return records + [r for r in journal.session_records() if r.id not in known]


class SessionWritesScreen(ReportsFailedWork, Dialog[None]):
    """The session's writes and releases; ``u`` undoes the highlighted one."""

    DEFAULT_CSS = """
    SessionWritesScreen { align: center middle; }
    SessionWritesScreen > Vertical { width: 100%; height: 100%; background: $surface; }
    SessionWritesScreen #title { height: 2; padding: 0 1; background: $boost; }
    SessionWritesScreen #writes { height: 1fr; }
    SessionWritesScreen #detail { height: auto; max-height: 4; padding: 0 1; border-top: solid $primary-darken-2; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="session_writes.close"),
        Binding("u", "undo", "Undo", id="session_writes.undo"),
        Binding("r", "reload", "Reload", id="session_writes.reload"),
    ]

    def __init__(self, client: BacnetClient, journal: AuditJournal, *, read_only: bool = False,
                 name_of: NameOf | None = None) -> None:
        super().__init__()
        self.client = client
        self.journal = journal
        self.read_only = read_only
        self.name_of = name_of or (lambda record: record.object_id)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="title")
            yield DataTable(id="writes", cursor_type="row", zebra_stripes=True)
            yield Static("", id="detail")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#writes", DataTable)
        # Narrow columns (80x24); the highlighted record is told in full below the table.
        for label, key, width in (("Id", "id", 8), ("Time", "time", 8), ("Point", "point", 16),
                                  ("Before", "before", 8), ("After", "after", 8), ("Outcome", "outcome", None)):
            table.add_column(label, key=key, width=width)
        table.focus()
        self.reload()

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Fill the table from the session's records, newest first (undone ones marked)."""
        records = self.journal.session_records()
        undone = undone_by(history(self.journal))
        table = self.query_one("#writes", DataTable)
        row = table.cursor_row
        table.clear()
        for record in reversed(records):
            table.add_row(*self._cells(record, undone.get(record.id)), key=record.id)
        if table.row_count:
            table.move_cursor(row=min(max(row, 0), table.row_count - 1))
        count = len(records)
        title = Text(f"This session's writes and releases: {count}", style="bold")
        hint = Text("u undoes the highlighted write, while its slot still holds it; Esc closes"
                    if count else "Nothing written in this session yet", style="dim")
        self.query_one("#title", Static).update(Text("\n").join([title, hint]))
        self._show_detail()

    @on(DataTable.RowHighlighted, "#writes")
    def _show_detail(self) -> None:
        record = self._current()
        detail = self.query_one("#detail", Static)
        if record is None:
            detail.update("")
            return
        name = self.name_of(record)
        detail.update(Text(("" if name == record.object_id else f"{name}: ") + describe(record)))

    def _cells(self, record: AuditRecord, undone: AuditRecord | None) -> list:
        at = f" @{record.priority}" if record.priority is not None else ""
        point = f"{record.device} {short_id(record.object_id)}{short_property(record)}{at}"
        before = short_value(record, record.before) if record.before_known else (
            "" if record.property == ACKNOWLEDGE_ALARM else "?")  # an acknowledgement has no before
        if before is None:
            before = value_words(record.before)
        after = short_value(record, record.after)
        if after is None:
            after = "released" if record.after is None else value_words(record.after)
        if record.outcome != "ok":
            outcome = Text(f"failed: {record.outcome}", style="red")
        elif undone is not None:
            outcome = Text(f"undone ({undone.id})", style="dim")
        elif record.undoes:
            outcome = Text(f"undo of {record.undoes}")
        else:
            outcome = Text("ok", style="green")
        return [record.id, time.strftime("%H:%M:%S", time.localtime(record.time)), point, before, after, outcome]

    def _current(self) -> AuditRecord | None:
        table = self.query_one("#writes", DataTable)
        if not table.row_count or table.cursor_row < 0:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return next((r for r in self.journal.session_records() if r.id == key), None)

    def action_undo(self) -> None:
        record = self._current()
        if record is None:
            return
        if self.read_only:
            self.notify("Read-only mode (--read-only): writes are disabled.", severity="warning", title="Refused")
            return
        self.undo_write(record)

    @work(exclusive=True, group="undo", exit_on_error=False, name="Undo")
    async def undo_write(self, record: AuditRecord) -> None:
        """Check the slot, ask, restore (checking again right before writing), then show the outcome."""
        past = history(self.journal)
        plan = await check_undo(self.client, record, past)
        if plan.refused:
            self.notify(plan.reason, severity="warning", title="Not undone", timeout=15)
            return
        question = f"Undo {record.id}: {plan.reason}?"
        if plan.life_safety:
            name = str(await self.client.read(record.device, record.object_id, "object-name"))
            if await self.app.push_screen_wait(TypeToConfirm(question, name)) is None:
                return
        elif not await self.app.push_screen_wait(ConfirmScreen(question)):
            return
        result = await undo(self.client, self.journal, record, past)
        if not result.done:
            self.notify(result.plan.reason, severity="warning", title="Not undone", timeout=15)
        else:
            done = "released" if result.plan.action == "release" else f"wrote {value_words(record.before)} back to"
            self.notify(f"Undone {record.id}: {done} {slot_text(record)}", title="Undone")
            if result.audited is not None and result.audited.warning:
                self.notify(result.audited.warning, severity="warning", title="Audit journal")
            if result.verified is False:
                self.notify(f"{slot_text(record)} does not read back as {value_words(record.before)}: check it",
                            severity="warning", title="Undo")
        self.reload()

    def action_close(self) -> None:
        self.dismiss(None)


class ReleaseOnQuit(Dialog[str | None]):
    """Quitting with manual overrides of this session still held: ``release``, ``leave``, or None (stay)."""

    DEFAULT_CSS = """
    ReleaseOnQuit { align: center middle; }
    ReleaseOnQuit > Vertical { width: 76; height: auto; max-height: 90%; border: thick $warning;
                               background: $surface; padding: 0 1; }
    ReleaseOnQuit Label { width: 100%; }
    ReleaseOnQuit #held { height: auto; max-height: 10; }
    ReleaseOnQuit Horizontal { height: auto; }
    ReleaseOnQuit Button { margin: 1 1 0 0; }
    """
    BINDINGS = [
        Binding("r", "answer('release')", "Release and quit", id="quit_release.release"),
        Binding("l", "answer('leave')", "Quit, leave them", id="quit_release.leave"),
        Binding("n,escape", "answer(None)", "Stay", id="quit_release.stay"),
    ]

    def __init__(self, question: str, held: list[HeldOverride], name_of: NameOf | None = None) -> None:
        super().__init__()
        self.question = question
        self.held = held
        self.name_of = name_of or (lambda record: record.object_id)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, id="question")
            yield Static(self._listing(), id="held")
            with Horizontal():
                yield Button("Release and quit (r)", variant="warning", id="release")
                yield Button("Quit, leave them (l)", id="leave")
                yield Button("Stay (n)", variant="primary", id="stay")

    def _listing(self) -> Text:
        lines = []
        for item in self.held:
            record = item.record
            name = self.name_of(record)
            named = "" if name == record.object_id else f"{name} "
            lines.append(f"  {named}{slot_text(record)} = {value_words(record.after)} (before: "
                         f"{value_words(record.before) if record.before_known else 'not read'})")
        return Text("\n".join(lines))

    def on_mount(self) -> None:
        self.query_one("#stay").focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "stay" else event.button.id)

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)
