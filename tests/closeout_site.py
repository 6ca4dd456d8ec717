"""The simulated building for the closeout tests: in-process, or served on loopback for `aso` processes.

``site`` (a fixture; import it into a test module): 8 devices on their own
virtual network, our client at MAC 1 and an operator (another tool on the
site, like a BAS front end) at MAC 200. ``loopback_ports`` finds three
consecutive free loopback ports in 48300-48399 (the simulator, its
independent checker, and the `aso` process); nothing binds anything else.
"""

from __future__ import annotations

import itertools
import os
import sys
from dataclasses import dataclass

import pytest

from aso_runtime.bacnet import BacnetClient, LocalNetworkError, open_client
from aso_runtime.bacnet.local import check_can_bind, drop_virtual_network, parse_local_address
from aso_runtime.sim import SimulatedBuilding

_names = itertools.count(1)
PORTS = range(48300, 48400)


@dataclass
class Site:
    building: SimulatedBuilding
    client: BacnetClient
    operator: BacnetClient


@pytest.fixture
async def site():
    name = f"test-closeout-{os.getpid()}-{next(_names)}"
    building = await SimulatedBuilding.start(vlan=name, devices=8, step=0.05, speed=60.0)
    client = await open_client(vlan=name, mac=1, timeout=2.0)
    operator = await open_client(vlan=name, mac=200, instance=777, name="operator", timeout=2.0)
    try:
        yield Site(building, client, operator)
    finally:
        await operator.close()
        await client.close()
        await building.stop()
        drop_virtual_network(name)


def loopback_ports(count: int = 3) -> int:
    """The first of ``count`` consecutive free ports on 127.0.0.1 in 48300-48399 (skip if none)."""
    for first in range(PORTS.start, PORTS.stop - count + 1, count):
        try:
            for port in range(first, first + count):
                check_can_bind(parse_local_address(f"127.0.0.1/8:{port}"))
        except LocalNetworkError:
            continue
        return first
    pytest.skip("no free loopback ports in 48300-48399")


def aso_command(port: int, sim_port: int, *args: str) -> list[str]:
    """`aso` bound to 127.0.0.1:port, registered as a foreign device with the simulator on loopback."""
    return [sys.executable, "-m", "aso_runtime.cli.main", "--address", f"127.0.0.1/8:{port}",
            "--foreign", f"127.0.0.1:{sim_port}", "--timeout", "1", *args]


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


async def run_aso(command: list[str], env: dict[str, str], timeout: float = 60.0) -> Ran:
    """Run one `aso` process to its end while this loop keeps serving the building."""
    import asyncio

    assert "--address" in command and command[command.index("--address") + 1].startswith("127."), "loopback only"
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE, env=env)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    return Ran(process.returncode, stdout.decode(), stderr.decode())
