"""Writing from the Explore pane (F1): a point's write modal, a slot written or released, this session's writes.

A base of :class:`~aso_console.panes.explore.ExplorePane`, kept apart because
it is the one part of exploring that changes the building: every write and
release goes through the audit journal, refuses in read-only mode, asks for
the point's name at life-safety slots, and reads the priority array back.
The pane sets ``client``, ``runtime``, ``site``, ``read_only``, ``loader``
and ``panel``, and gives ``show_priority_array`` / ``_show_array``.
"""

from __future__ import annotations

import logging

from textual import on, work

from aso_runtime.bacnet import Priority, is_commandable, parse_object_id
from aso_runtime.closeout.audited import Audited, audited_write

from ..messages import Pane
from ..screens.confirm import TypeToConfirm
from ..screens.session_writes import SessionWritesScreen, names_from
from ..screens.write_modal import WriteRequest, WriteScreen
from ..widgets.point_table import PointTable
from ..widgets.priority_panel import SlotTable

log = logging.getLogger("aso.console")


class ExploreWriting(Pane):
    def refuse_if_read_only(self) -> bool:
        if self.read_only:
            self.notify("Read-only mode (--read-only): writes and releases are disabled.", severity="warning",
                        title="Refused")
        return self.read_only

    @on(PointTable.WriteRequested)
    def _write_point(self, message: PointTable.WriteRequested) -> None:
        self.request_write(message.instance, message.object_id, 8)

    @on(SlotTable.WriteSlot)
    def _write_slot(self, message: SlotTable.WriteSlot) -> None:
        if self.panel.object_id is not None:
            self.request_write(self.panel.instance, self.panel.object_id, message.priority)

    @on(SlotTable.ReleaseSlot)
    def _release_slot(self, message: SlotTable.ReleaseSlot) -> None:
        if self.panel.object_id is not None and not self.refuse_if_read_only():
            self.release(self.panel.instance, self.panel.object_id, message.priority)

    @work(exclusive=True, group="write", exit_on_error=False, name="Write")
    async def request_write(self, instance: int, object_id: str, priority: int) -> None:
        """Ask for the value in the write modal, write it, read the array back."""
        if self.refuse_if_read_only():
            return
        if not is_commandable(parse_object_id(object_id)):
            self.notify(f"{object_id} is not commandable: no priority to write at", severity="warning")
            return
        point = await self.loader.point_for_write(instance, object_id)
        request: WriteRequest | None = await self.app.push_screen_wait(WriteScreen(point, priority))
        if request is None:
            return
        device = self.site.devices[instance].info
        self._unrecorded(await audited_write(self.client, self.runtime.audit, device, object_id, request.value,
                                             request.priority))
        log.warning("operator wrote %r to device %s %s at priority %d", request.value, instance, object_id,
                    request.priority)
        self.notify(f"Wrote {request.value} to {object_id} at priority {request.priority}", title="Written")
        self._show_array(instance, object_id, await self.client.priority_array(device, object_id))

    @work(exclusive=True, group="write", exit_on_error=False, name="Release")
    async def release(self, instance: int, object_id: str, priority: int) -> None:
        if Priority(priority).life_safety:
            # The same rule as writing there, F2 and the CLI: the point's name, typed.
            name = self.panel.point_name or object_id
            typed = await self.app.push_screen_wait(TypeToConfirm(
                f"Release life-safety priority {priority} of {name}?", name))
            if typed is None:
                return
        device = self.site.devices[instance].info
        self._unrecorded(await audited_write(self.client, self.runtime.audit, device, object_id, None, priority))
        log.warning("operator released device %s %s at priority %d", instance, object_id, priority)
        self.notify(f"Released {object_id} at priority {priority}", title="Released")
        self._show_array(instance, object_id, await self.client.priority_array(device, object_id))

    def _unrecorded(self, audited: Audited) -> None:
        if audited.warning:
            self.notify(audited.warning, severity="warning", title="Audit journal")

    # ----- this session's writes ---------------------------------------------------------------------

    def action_session_writes(self) -> None:
        """This session's writes and releases; u undoes one (the shown priority array is read again after)."""
        def refresh(_: None) -> None:
            if self.panel.object_id is not None:
                self.show_priority_array(self.panel.instance, self.panel.object_id)

        self.app.push_screen(SessionWritesScreen(self.client, self.runtime.audit, read_only=self.read_only,
                                                 name_of=names_from(self.site)), refresh)
