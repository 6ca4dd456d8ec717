"""Writing and releasing points from the console: the modal, read-only, read-back.

A mixin of AsoConsoleApp (handlers use Textual's on_<widget>_<message>
names, which work from a mixin; ``@on`` does not).
"""

from __future__ import annotations

import logging

from textual import work

from aso_runtime.bacnet import BacnetError

from .screens.write_modal import PointForWrite, WriteRequest, WriteScreen
from .site import is_commandable_type
from .widgets.point_table import PointTable
from .widgets.priority_panel import SlotTable

log = logging.getLogger("aso.console")


class WriteActions:
    def _refuse_if_read_only(self) -> bool:
        if self.runtime.read_only:
            self.notify("Read-only mode (--read-only): writes and releases are disabled.", severity="warning",
                        title="Refused")
            return True
        return False

    def on_point_table_write_requested(self, message: PointTable.WriteRequested) -> None:
        self.request_write(message.instance, message.object_id, 8)

    def on_slot_table_write_slot(self, message: SlotTable.WriteSlot) -> None:
        panel = self.panel
        if panel.object_id is not None:
            self.request_write(panel.instance, panel.object_id, message.priority)

    def on_slot_table_release_slot(self, message: SlotTable.ReleaseSlot) -> None:
        panel = self.panel
        if panel.object_id is None or self._refuse_if_read_only():
            return
        self.release(panel.instance, panel.object_id, message.priority)

    @work(exclusive=True, group="write", exit_on_error=False)
    async def request_write(self, instance: int, object_id: str, priority: int) -> None:
        if self._refuse_if_read_only():
            return
        if not is_commandable_type(object_id):
            self.notify(f"{object_id} is not commandable: no priority to write at", severity="warning")
            return
        point = self.site.point(instance, object_id)
        device = self.site.devices[instance].info
        state_texts: tuple[str, ...] = ()
        present = self.site.live.get((instance, object_id), {}).get("present-value",
                                                                     point.present_value if point else None)
        if object_id.startswith("multi-state"):
            try:
                texts = await self.runtime.client.read(device, object_id, "state-text")
                state_texts = tuple(str(t) for t in texts or ())
            except BacnetError:
                state_texts = ()
        request: WriteRequest | None = await self.push_screen_wait(
            WriteScreen(PointForWrite(instance, object_id, (point.name if point else None) or object_id, present,
                                      state_texts), priority))
        if request is None:
            return
        try:
            await self.runtime.client.write(device, object_id, request.value, request.priority)
        except BacnetError as exc:
            self.notify(str(exc), severity="error", title="Write failed")
            return
        log.warning("operator wrote %r to device %s %s at priority %d", request.value, instance, object_id,
                    request.priority)
        self.notify(f"Wrote {request.value} to {object_id} at priority {request.priority}", title="Written")
        await self._refresh_point(instance, object_id)

    @work(exclusive=True, group="write", exit_on_error=False)
    async def release(self, instance: int, object_id: str, priority: int) -> None:
        device = self.site.devices[instance].info
        try:
            await self.runtime.client.release(device, object_id, priority)
        except BacnetError as exc:
            self.notify(str(exc), severity="error", title="Release failed")
            return
        log.warning("operator released device %s %s at priority %d", instance, object_id, priority)
        self.notify(f"Released {object_id} at priority {priority}", title="Released")
        await self._refresh_point(instance, object_id)

    async def _refresh_point(self, instance: int, object_id: str) -> None:
        """Read the array back after a write or release and show it everywhere."""
        try:
            array = await self.runtime.client.priority_array(self.site.devices[instance].info, object_id)
        except BacnetError as exc:
            self.notify(str(exc), severity="error", title="Read-back failed")
            return
        point = self.site.point(instance, object_id)
        self.panel.show(instance, object_id, (point.name if point else None) or object_id, array)
        state = self.site.live.setdefault((instance, object_id), {})
        state.update({"present-value": array.present_value, "ccp": array.current_command_priority})
        self.points.update_point(instance, object_id, state)
