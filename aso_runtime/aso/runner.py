"""The runner: hosts ASOs on one BACnet application and guarantees their release.

One process, one BACnet application, one UDP port for every ASO (the old
easy-aso needed a port per script and fought over 47808). The runner owns
the override ledger, serves the kill switch and per-ASO points, releases
orphans of a host that died, and on shutdown stops every ASO, releasing and
verifying each override it holds.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..bacnet import BacnetClient, InvalidInput
from .base import Aso, AsoNotRunning
from .capture import BusHandler, install_print_router
from .events import AsoEvent, EventBus
from .instance import AsoInstance, RestartPolicy
from .ledger import Ledger, orphan_journals
from .loader import load_aso_class
from .release import ReleaseResult, release_override
from .served import FIRST_ASO_INSTANCE, AsoPoints, kill_switch

log = logging.getLogger("aso.runtime")


class AsoContext:
    """What an ASO's helpers use: the shared client, gated and journaled writes."""

    def __init__(self, runner: "AsoRunner", instance: AsoInstance) -> None:
        self.runner = runner
        self.instance = instance
        self.client: BacnetClient = runner.client

    @property
    def name(self) -> str:
        return self.instance.name

    def _check_may_write(self, what: str) -> None:
        if self.instance.state in ("disabled", "stopping", "stopped", "faulted") or not self.instance.should_run():
            raise AsoNotRunning(f"ASO {self.name} is {self.instance.state}: refused to {what}")

    async def write(self, device: Any, object_id: str, property: str, value: Any, priority: int) -> None:
        from ..bacnet import BacnetRemoteError, BacnetReject, parse_object_id, parse_property

        self._check_may_write(f"write {object_id}")
        oid = str(parse_object_id(object_id))
        prop, _ = parse_property(property)
        device_key = str(device).strip()
        ledger = self.runner.ledger
        # Journal first: if we die between here and the wire, the orphan
        # release finds an entry and verifies the slot before touching it.
        ledger.record_write(self.name, device_key, oid, prop, priority, value)
        try:
            await self.client.write(device, oid, value, priority, prop)
        except (InvalidInput, BacnetRemoteError, BacnetReject):
            # Certainly not applied: the point is not ours.
            ledger.record_release(self.name, device_key, oid, prop, priority, how="write-failed")
            raise
        shown = f"{value:.6g}" if isinstance(value, float) else repr(value)
        self.runner.events.publish(AsoEvent("override", self.name, f"write {device_key} {oid} @{priority} = {shown}",
                                            data={"device": device_key, "object_id": oid, "priority": priority,
                                                  "value": value}))

    async def release(self, device: Any, object_id: str, property: str, priority: int) -> None:
        from ..bacnet import parse_object_id, parse_property

        oid = str(parse_object_id(object_id))
        prop, _ = parse_property(property)
        await self.client.release(device, oid, priority, prop)
        self.runner.ledger.record_release(self.name, str(device).strip(), oid, prop, priority)
        self.runner.events.publish(AsoEvent("release", self.name, f"{device} {oid} @{priority}: released by script"))

    async def write_multiple(self, device: Any, writes: list[tuple]) -> None:
        from ..bacnet import parse_object_id, parse_property
        from ..bacnet.values import is_null

        self._check_may_write("write multiple")
        device_key = str(device).strip()
        for object_id, property, value, priority in writes:
            oid, prop = str(parse_object_id(object_id)), parse_property(property)[0]
            if is_null(value):
                continue
            self.runner.ledger.record_write(self.name, device_key, oid, prop, priority, value)
        await self.client.write_multiple(device, writes)
        for object_id, property, value, priority in writes:
            if is_null(value):
                self.runner.ledger.record_release(self.name, device_key, str(parse_object_id(object_id)),
                                                  parse_property(property)[0], priority)


class AsoRunner:
    """Hosts ASO instances. Use ``async with AsoRunner(client) as runner``."""

    def __init__(
        self,
        client: BacnetClient,
        *,
        ledger: Ledger | None = None,
        serve_points: bool = True,
        release_orphans: bool = True,
        block_warning: float = 0.5,
        capture_prints: bool = True,
    ) -> None:
        self.client = client
        self.ledger = ledger or Ledger.open()
        self.events = EventBus()
        self.instances: dict[str, AsoInstance] = {}
        self.enabled = True
        self.block_warning = block_warning
        self._serve_points = serve_points
        self._release_orphans = release_orphans
        self._capture_prints = capture_prints
        self._names: set[str] = set()
        self._handler = BusHandler(self.events, self._names)
        self._kill_switch = None
        self._next_point = FIRST_ASO_INSTANCE
        self._restarts: set[asyncio.Task] = set()
        self.orphan_results: list[ReleaseResult] = []

    # ----- host lifecycle ----------------------------------------------------

    async def __aenter__(self) -> "AsoRunner":
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> None:
        logging.getLogger("aso").addHandler(self._handler)
        if logging.getLogger("aso").level == logging.NOTSET:
            logging.getLogger("aso").setLevel(logging.INFO)
        if self._capture_prints:
            install_print_router()
        if self._serve_points and self._kill_switch is None:
            self._kill_switch = kill_switch(self._kill_switch_changed)
            self.client.app.add_object(self._kill_switch)
        if self._release_orphans:
            self.orphan_results = await release_orphans(self.client)

    async def close(self) -> None:
        """Stop every ASO (releasing its overrides), then close the ledger."""
        for task in list(self._restarts):
            task.cancel()
        await self.stop_all()
        logging.getLogger("aso").removeHandler(self._handler)
        self.ledger.close()

    # ----- loading and control -------------------------------------------------

    def load(self, aso: "str | type[Aso] | Aso", name: str | None = None, *, restart: RestartPolicy | None = None,
             **params: Any) -> AsoInstance:
        """Load a script (spec string, class or instance) as a new named instance."""
        source = aso if isinstance(aso, str) else f"{type(aso).__module__ if isinstance(aso, Aso) else aso.__module__}"
        if isinstance(aso, str):
            aso = load_aso_class(aso)
        obj = aso if isinstance(aso, Aso) else aso(name=name, **params)
        if name and obj.name != name:
            obj.name = name
            obj.log = logging.getLogger(f"aso.{name}")
        if obj.name in self.instances:
            raise InvalidInput(f"an ASO named {obj.name!r} is already loaded; pass another name")
        instance = AsoInstance(self, obj, source, restart or RestartPolicy())
        obj._context = AsoContext(self, instance)
        if self._serve_points:
            instance.points = AsoPoints(self.client.app, obj.name, self._next_point, lambda _on: instance.wake())
            self._next_point += 1
        self.instances[obj.name] = instance
        self._names.add(obj.name)
        self.events.publish(AsoEvent("state", obj.name, "loaded", state="loaded"))
        return instance

    def get(self, name: str) -> AsoInstance:
        try:
            return self.instances[name]
        except KeyError:
            raise InvalidInput(f"no ASO named {name!r} (loaded: {', '.join(self.instances) or 'none'})") from None

    def start(self, name: str) -> AsoInstance:
        instance = self.get(name)
        instance.start()
        return instance

    async def stop(self, name: str) -> list[ReleaseResult]:
        return await self.get(name).stop()

    async def restart(self, name: str) -> AsoInstance:
        await self.stop(name)
        return self.start(name)

    async def unload(self, name: str) -> None:
        instance = self.get(name)
        await instance.stop()
        if instance.points is not None:
            instance.points.remove()
        del self.instances[name]

    async def stop_all(self) -> list[ReleaseResult]:
        results = await asyncio.gather(*(i.stop() for i in self.instances.values()))
        leftovers = await self.release_held(None)  # anything journaled by no running ASO
        return [r for batch in results for r in batch] + leftovers

    def schedule_restart(self, instance: AsoInstance, delay: float) -> None:
        async def later() -> None:
            await asyncio.sleep(delay)
            if instance.state == "faulted":
                instance.start()

        task = asyncio.create_task(later())
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)

    # ----- kill switch ---------------------------------------------------------

    def _kill_switch_changed(self, active: bool) -> None:
        if active == self.enabled:
            return
        self.enabled = active
        log.warning("optimization-enabled is now %s: %s every ASO", "active" if active else "inactive",
                    "resuming" if active else "disabling")
        self.events.publish(AsoEvent("state", "", f"optimization-enabled {'active' if active else 'inactive'}",
                                     level=logging.WARNING))
        for instance in self.instances.values():
            instance.wake()

    def set_enabled(self, active: bool) -> None:
        """Local equivalent of writing optimization-enabled (tests, console)."""
        self._kill_switch_changed(active)

    # ----- releasing -------------------------------------------------------------

    async def release_held(self, aso: str | None) -> list[ReleaseResult]:
        """Release (and verify) every override held by one ASO, or by all."""
        held = self.ledger.held(aso)
        return list(await asyncio.gather(*(release_override(self.client, o, ledger=self.ledger) for o in held)))

    async def release_one(self, aso: str, device: str, object_id: str, priority: int) -> ReleaseResult | None:
        for override in self.ledger.held(aso):
            if (override.device, override.object_id, override.priority) == (device, object_id, priority):
                return await release_override(self.client, override, ledger=self.ledger)
        return None


async def release_orphans(client: BacnetClient, directory=None) -> list[ReleaseResult]:
    """Release what hosts that died (kill -9, power loss) left in their journals."""
    results: list[ReleaseResult] = []
    for journal in orphan_journals(directory):
        outcomes = list(await asyncio.gather(*(release_override(client, o) for o in journal.overrides)))
        for outcome in outcomes:
            (log.info if outcome.ok else log.error)("orphan %s: %s", outcome.override.aso, outcome)
        journal.settle([r.override for r in outcomes if r.ok])
        results.extend(outcomes)
    return results
