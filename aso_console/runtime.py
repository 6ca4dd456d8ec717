"""What the console drives: the BACnet client, the ASO runner, and (demo) the simulator.

The runtime owns the BACnet application and its lifetime; the Textual app is
only a view over it. ``open_runtime`` builds it inside
the running loop, ``ConsoleRuntime.close`` stops ASOs (releasing their
overrides) before closing the application.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from aso_runtime.aso import AsoRunner
from aso_runtime.bacnet import BacnetClient, LocalNetworkError, open_client
from aso_runtime.bacnet.identity import CLIENT_DESCRIPTION, HOST_DESCRIPTION
from aso_runtime.closeout.audit import AuditJournal

log = logging.getLogger("aso.console")

DEMO_DEVICES = 8
# The demo building listens on loopback (never a real interface) so that
# `aso` in another terminal can reach it and the console's own device:
# the simulator's BBMD/router at DEMO_PORT, the console at DEMO_PORT + 1.
DEMO_HOST = "127.0.0.1"
DEMO_PORT = 47808


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
    demo_port: int = DEMO_PORT
    vlan: str | None = None  # tests: join an in-process virtual network
    serve_points: bool = True
    release_orphans: bool = True
    profile: str | None = None  # TOML file of ASOs to load (and start) at launch
    release_grace: float = 10.0  # s of retrying failed releases on exit before saying what is still held


@dataclass
class ConsoleRuntime:
    client: BacnetClient
    runner: AsoRunner
    options: ConsoleOptions
    building: Any = None  # SimulatedBuilding in demo mode
    # Every write and release of this console session is recorded here (tool "console"; undo, quit).
    audit: AuditJournal = field(default_factory=lambda: AuditJournal(tool="console"))

    @property
    def read_only(self) -> bool:
        return self.options.read_only

    async def close(self) -> list:
        """Stop ASOs and release their overrides first, then the network.

        Returns the overrides still held after ``options.release_grace``
        seconds of retries (the journal keeps them for the next start or
        `aso release-orphans`).
        """
        try:
            return await self.runner.close(grace=self.options.release_grace)
        finally:
            await self.client.close()
            if self.building is not None:
                await self.building.stop()


def demo_help(options: ConsoleOptions) -> str:
    """How to reach the demo from another terminal (shown in the console and the log)."""
    sim, console, other = options.demo_port, options.demo_port + 1, options.demo_port + 2
    return (f"Demo building behind BBMD {DEMO_HOST}:{sim}; this console is device {options.instance} "
            f"at {DEMO_HOST}:{console}.\nFrom another terminal:\n"
            f"  aso --address {DEMO_HOST}/8:{other} --foreign {DEMO_HOST}:{sim} whois\n"
            f"  aso --address {DEMO_HOST}/8:{other} write {DEMO_HOST}:{console} binary-value,1 inactive -p 8"
            f"   (optimization-enabled off)")


async def open_runtime(options: ConsoleOptions) -> ConsoleRuntime:
    """Start the client (and the demo building) inside the running loop.

    Demo: the simulated building serves on loopback UDP behind its BBMD and
    the console registers with it as a foreign device, exactly as on a real
    remote subnet. Tests pass ``vlan`` instead: everything in-process.
    """
    building = None
    address, foreign, vlan = options.address, options.foreign, options.vlan
    if options.demo:
        from aso_runtime.sim import SimulatedBuilding

        if vlan is not None:
            building = await SimulatedBuilding.start(vlan=vlan, devices=options.demo_devices, step=options.demo_step)
        else:
            sim = f"{DEMO_HOST}/8:{options.demo_port}"
            try:
                building = await SimulatedBuilding.start(address=sim, devices=options.demo_devices,
                                                         step=options.demo_step)
            except LocalNetworkError as exc:
                raise LocalNetworkError(f"{exc}; another demo running? try --demo-port {options.demo_port + 10}") from None
            address = address or f"{DEMO_HOST}/8:{options.demo_port + 1}"
            foreign = f"{DEMO_HOST}:{options.demo_port}"
    # Our device says what it serves: the kill switch and ASO status, or nothing.
    description = HOST_DESCRIPTION if options.serve_points else CLIENT_DESCRIPTION
    try:
        if vlan is not None:
            client = await open_client(vlan=vlan, mac=1, instance=options.instance, name="aso-console",
                                       description=description, timeout=options.timeout)
        else:
            client = await open_client(address=address, instance=options.instance, name="aso-console",
                                       description=description, foreign=foreign, ttl=options.ttl, timeout=options.timeout)
    except BaseException:
        if building is not None:
            await building.stop()
        raise
    runner = AsoRunner(client, serve_points=options.serve_points, release_orphans=options.release_orphans,
                       capture_prints=False)
    await runner.open()
    if options.demo and vlan is None:
        for line in demo_help(options).splitlines():
            log.info(line)
    return ConsoleRuntime(client, runner, options, building)
