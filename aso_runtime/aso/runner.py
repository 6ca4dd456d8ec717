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
from .base import Aso
from .capture import BusHandler, install_print_router, script_logger
from .context import AsoContext
from .events import AsoEvent, EventBus
from .instance import AsoInstance, RestartPolicy
from .ledger import Ledger
from .loader import load_aso_class
from .orphans import OrphanSweep, release_orphans
from .persist import CommandStore, commands_path
from .release import ReleaseResult
from .releaser import Releaser
from .served import FIRST_ASO_INSTANCE, AsoPoints, kill_switch

log = logging.getLogger("aso.runtime")


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
        block_limit: float = 2.0,
        capture_prints: bool = True,
    ) -> None:
        self.client = client
        self.ledger = ledger or Ledger.open()
        self.events = EventBus()
        self.releaser = Releaser(client, self.ledger, self.events)
        self.instances: dict[str, AsoInstance] = {}
        self.enabled = True
        self.block_warning = block_warning
        # A script that blocks the loop longer than this in one go is stopped:
        # every other ASO, the releases and the BACnet stack share the loop.
        self.block_limit = block_limit
        self._serve_points = serve_points
        self._release_orphans = release_orphans
        self._capture_prints = capture_prints
        self._names: set[str] = set()
        self._handler = BusHandler(self.events, self._names)
        self._kill_switch = None
        self.commands: CommandStore | None = None  # the enable points' saved commands
        self._next_point = FIRST_ASO_INSTANCE
        self._restarts: set[asyncio.Task] = set()
        self.orphans = OrphanSweep()

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
            self.commands = CommandStore(commands_path(self.client.device_instance))
            self._kill_switch = kill_switch(self._kill_switch_changed)
            # An operator's "off" from before a restart holds before any ASO starts.
            self.commands.track(self._kill_switch, fail_safe=True)
            self.client.serve(self._kill_switch)
        self.releaser.start()
        if self._release_orphans:
            self.orphans = await release_orphans(self.client, adopt=self.ledger.adopt)

    async def close(self, grace: float = 0.0) -> list:
        """Stop every ASO (releasing its overrides), retry failed releases for
        ``grace`` seconds, then close the ledger. Returns what is still held
        (the journal keeps it for the next start)."""
        for task in list(self._restarts):
            task.cancel()
        await self.stop_all()
        still_held = await self.releaser.drain(grace)
        await self.releaser.stop()
        logging.getLogger("aso").removeHandler(self._handler)
        self.ledger.close()
        return still_held

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
            obj.log = script_logger(name)
        if obj.name in self.instances:
            raise InvalidInput(f"an ASO named {obj.name!r} is already loaded; pass another name")
        instance = AsoInstance(self, obj, source, restart or RestartPolicy())
        obj._context = AsoContext(self, instance)
        if self._serve_points:
            instance.points = AsoPoints(self.client, obj.name, self._next_point, lambda _on: instance.wake())
            if self.commands is not None:
                self.commands.track(instance.points.enable)
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

    async def stop_all(self) -> list[ReleaseResult]:
        results = await asyncio.gather(*(i.stop() for i in self.instances.values()))
        leftovers = await self.release_held(None, "host stopping")  # held by no running ASO, or pending
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

    async def release_held(self, aso: str | None, why: str = "") -> list[ReleaseResult]:
        """Release (and verify) every override held by one ASO, or by all; failures are retried."""
        return await self.releaser.release_all(aso, why)

    async def release_one(self, aso: str, device: str, object_id: str, priority: int) -> ReleaseResult | None:
        for override in self.ledger.held(aso):
            if (override.device, override.object_id, override.priority) == (device, object_id, priority):
                return await self.releaser.release(override, "by hand")
        return None

    def health(self) -> str | None:
        """None while every ASO's lifecycle is alive and moving; else what is wrong (for the watchdog)."""
        for instance in self.instances.values():
            problem = instance.stuck()
            if problem:
                return problem
        return None

    def pending_releases(self) -> list:
        """Overrides whose release failed and is being retried (shown as "release pending")."""
        return self.ledger.pending()
