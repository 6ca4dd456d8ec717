"""What the console drives: the BACnet client, the ASO runner, and (demo) the simulator.

The runtime owns the BACnet application and its lifetime; the Textual app is
only a view over it (see shared/STYLE.md). ``open_runtime`` builds it inside
the running loop, ``ConsoleRuntime.close`` stops ASOs (releasing their
overrides) before closing the application.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from aso_runtime.aso import AsoRunner
from aso_runtime.bacnet import BacnetClient, open_client

log = logging.getLogger("aso.console")

DEMO_VLAN = "aso-demo"
DEMO_DEVICES = 8


@dataclass
class ConsoleOptions:
    address: str | None = None
    instance: int = 4194302
    foreign: str | None = None
    ttl: int = 300
    timeout: float = 3.0
    read_only: bool = False
    demo: bool = False
    demo_devices: int = DEMO_DEVICES
    demo_step: float = 1.0
    vlan: str | None = None  # tests: join an in-process virtual network
    serve_points: bool = True
    release_orphans: bool = True
    profile: str | None = None  # TOML file of ASOs to load (and start) at launch


@dataclass
class ConsoleRuntime:
    client: BacnetClient
    runner: AsoRunner
    options: ConsoleOptions
    building: Any = None  # SimulatedBuilding in demo mode
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def read_only(self) -> bool:
        return self.options.read_only

    async def close(self) -> None:
        """Stop ASOs and release their overrides first, then the network."""
        try:
            await self.runner.close()
        finally:
            await self.client.close()
            if self.building is not None:
                await self.building.stop()


async def open_runtime(options: ConsoleOptions) -> ConsoleRuntime:
    """Start the client (and the demo building) inside the running loop."""
    building = None
    vlan = options.vlan
    if options.demo:
        from aso_runtime.sim import SimulatedBuilding

        vlan = vlan or DEMO_VLAN
        building = await SimulatedBuilding.start(vlan=vlan, devices=options.demo_devices, step=options.demo_step)
    try:
        if vlan is not None:
            client = await open_client(vlan=vlan, mac=1, instance=options.instance, name="aso-console",
                                       timeout=options.timeout)
        else:
            client = await open_client(address=options.address, instance=options.instance, name="aso-console",
                                       foreign=options.foreign, ttl=options.ttl, timeout=options.timeout)
    except BaseException:
        if building is not None:
            await building.stop()
        raise
    runner = AsoRunner(client, serve_points=options.serve_points, release_orphans=options.release_orphans,
                       capture_prints=False)
    await runner.open()
    return ConsoleRuntime(client, runner, options, building)
