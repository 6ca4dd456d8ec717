"""What an ASO's helpers go through: the shared client, gated and journaled writes.

Every write is journaled (fsynced) before it is sent, under the point's
lock. A write already on the wire is never abandoned: if the script is
cancelled (stop, disable) while waiting for the answer, the request is left
to finish or time out before anyone may release that point, so a late
retransmission cannot land after the release.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..bacnet import BacnetClient, BacnetError, parse_object_id, parse_property
from ..bacnet.values import is_null
from .base import AsoNotRunning
from .events import AsoEvent
from .journal import JournalError

if TYPE_CHECKING:
    from .instance import AsoInstance
    from .runner import AsoRunner


class JournalUnavailable(BacnetError):
    """The override journal cannot be written, so the write was refused (nothing was sent)."""


async def _finish_on_the_wire(request: "asyncio.Future[Any]") -> Any:
    """Await a request; if we are cancelled meanwhile, let it finish first, then re-raise."""
    try:
        return await asyncio.shield(request)
    except asyncio.CancelledError:
        await asyncio.wait({request})
        raise


class AsoContext:
    """The gateway between one ASO instance and the runner's client, ledger and releaser."""

    def __init__(self, runner: "AsoRunner", instance: "AsoInstance") -> None:
        self.runner = runner
        self.instance = instance
        self.client: BacnetClient = runner.client

    @property
    def name(self) -> str:
        return self.instance.name

    def _check_may_write(self, what: str) -> None:
        if self.instance.state in ("disabled", "stopping", "stopped", "faulted") or not self.instance.should_run():
            raise AsoNotRunning(f"ASO {self.name} is {self.instance.state}: refused to {what}")

    def _journal(self, device_key: str, oid: str, prop: str, priority: int, value: Any) -> None:
        try:
            self.runner.ledger.record_write(self.name, device_key, oid, prop, priority, value)
        except JournalError as exc:
            raise JournalUnavailable(f"write of {device_key} {oid} @{priority} refused, nothing sent: {exc}") from None

    async def write(self, device: Any, object_id: str, property: str, value: Any, priority: int) -> None:
        self._check_may_write(f"write {object_id}")
        oid = str(parse_object_id(object_id))
        prop, _ = parse_property(property)
        # A device that cannot be one device (a broadcast, a malformed address) is
        # refused before anything is journaled: it could never be released.
        await self.client.resolve(device)
        device_key = str(device).strip()
        key = (self.name, device_key, oid, prop, int(priority))
        async with self.runner.releaser.lock(key):
            self._check_may_write(f"write {object_id}")  # a disable may have come while we waited
            # Journal first: if we die between here and the wire, the orphan
            # release finds every value we may have left in the slot.
            self._journal(device_key, oid, prop, priority, value)
            request = asyncio.ensure_future(self.client.write(device, oid, value, priority, prop))
            await _finish_on_the_wire(request)
            self.runner.ledger.record_acknowledged(*key, value)
        shown = f"{value:.6g}" if isinstance(value, float) else repr(value)
        self.runner.events.publish(AsoEvent("override", self.name, f"write {device_key} {oid} @{priority} = {shown}",
                                            data={"device": device_key, "object_id": oid, "priority": priority,
                                                  "value": value}))

    async def release(self, device: Any, object_id: str, property: str, priority: int) -> None:
        oid = str(parse_object_id(object_id))
        prop, _ = parse_property(property)
        device_key = str(device).strip()
        key = (self.name, device_key, oid, prop, int(priority))
        async with self.runner.releaser.lock(key):
            request = asyncio.ensure_future(self.client.release(device, oid, priority, prop))
            await _finish_on_the_wire(request)
            self.runner.ledger.record_release(*key)
        self.runner.events.publish(AsoEvent("release", self.name, f"{device_key} {oid} @{priority}: released by script",
                                            data={"device": device_key, "object_id": oid, "priority": int(priority)}))

    async def write_multiple(self, device: Any, writes: list[tuple]) -> None:
        self._check_may_write("write multiple")
        await self.client.resolve(device)
        device_key = str(device).strip()
        keyed = []
        for object_id, property, value, priority in writes:
            key = (self.name, device_key, str(parse_object_id(object_id)), parse_property(property)[0], int(priority))
            keyed.append((key, value))
        locks = [self.runner.releaser.lock(key) for key in sorted({key for key, _ in keyed})]
        for lock in locks:  # in sorted order: two WPMs over the same points cannot deadlock
            await lock.acquire()
        try:
            for key, value in keyed:
                if not is_null(value):
                    self._journal(*key[1:], value)
            request = asyncio.ensure_future(self.client.write_multiple(device, writes))
            await _finish_on_the_wire(request)
            for key, value in keyed:
                if is_null(value):
                    self.runner.ledger.record_release(*key)
                else:
                    self.runner.ledger.record_acknowledged(*key, value)
        finally:
            for lock in locks:
                lock.release()
