"""The simulated building for tests: in process on its own virtual network, or `aso sim` as a process.

One place for what test_alarms, test_trend and test_management each did: start the
building, open a client beside it, and drop the virtual network afterwards; read the
device table `aso sim --json` prints once every device is served.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import subprocess
from collections.abc import AsyncIterator

from aso_runtime.bacnet import BacnetClient, open_client
from aso_runtime.bacnet.local import drop_virtual_network
from aso_runtime.sim import SimulatedBuilding

_names = itertools.count(1)


@contextlib.asynccontextmanager
async def sim_site(tag: str, *, timeout: float = 2.0,
                   **building) -> AsyncIterator[tuple[SimulatedBuilding, BacnetClient]]:
    """A building (``building``: SimulatedBuilding.start's options) and a client, on a fresh virtual network."""
    name = f"test-{tag}-{os.getpid()}-{next(_names)}"
    started = await SimulatedBuilding.start(vlan=name, **building)
    client = await open_client(vlan=name, mac=1, timeout=timeout)
    try:
        yield started, client
    finally:
        await client.close()
        await started.stop()
        drop_virtual_network(name)


def device_table(sim: subprocess.Popen) -> dict:
    """The JSON table `aso --json sim` prints (text mode) once every device is served."""
    lines: list[str] = []
    while not lines or lines[-1] != "}\n":
        line = sim.stdout.readline()
        assert line, sim.stderr.read()
        lines.append(line)
    return json.loads("".join(lines))
