"""Shared fixtures: genuine bacpypes3 devices on the in-process virtual network.

No mock stands in for BACnet: every client test talks to a real bacpypes3
Application. Paths from platformdirs are pointed at the test's tmp dir.
"""

from __future__ import annotations

import itertools
import os

import pytest

from aso_runtime.aso import AsoRunner, Ledger
from aso_runtime.bacnet import open_client
from aso_runtime.bacnet.local import (
    close_application,
    drop_virtual_network,
    ensure_virtual_network,
)

from .fault_site import open_checker, serve_device, start_relay
from .peers import serve_field_device

_names = itertools.count(1)


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path, monkeypatch):
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    yield


@pytest.fixture
def vlan_name():
    name = f"test-vlan-{os.getpid()}-{next(_names)}"
    ensure_virtual_network(name)
    yield name
    drop_virtual_network(name)


@pytest.fixture
def cleanup_vlans():
    """Console apps append themselves; their demo virtual networks are dropped after."""
    apps = []
    yield apps
    for app in apps:
        drop_virtual_network(app.test_vlan)


@pytest.fixture
async def field_device(vlan_name):
    """A device like a field controller: instance 1001 at MAC 2, commandable points."""
    app = serve_field_device(vlan_name, 2, 1001)
    yield app
    await close_application(app)


@pytest.fixture
async def host(vlan_name, field_device, tmp_path):
    """An ASO host: our client at MAC 1 (device 599) with its runner, its journal in tmp."""
    client = await open_client(vlan=vlan_name, mac=1, instance=599, name="aso-host", timeout=1.0)
    runner = AsoRunner(client, ledger=Ledger.open(tmp_path / "ledger"), capture_prints=True)
    await runner.open()
    yield runner
    await runner.close()
    await client.close()


@pytest.fixture
async def operator(vlan_name, field_device):
    """A separate BACnet client, like a BAS front end or a technician's tool."""
    client = await open_client(vlan=vlan_name, mac=9, instance=777, name="operator", timeout=1.0)
    yield client
    await client.close()


@pytest.fixture
async def client(vlan_name, field_device):
    client = await open_client(vlan=vlan_name, mac=1, timeout=1.0)
    yield client
    await client.close()


# ----- the fault tests' site: a field controller on loopback UDP behind a relay ----------------


@pytest.fixture
async def loopback_device():
    app = serve_device()
    yield app
    await close_application(app)


@pytest.fixture
async def relay(loopback_device):
    relay = await start_relay()
    yield relay
    relay.close()


@pytest.fixture
async def loopback_checker(loopback_device):
    client = await open_checker()
    yield client
    await client.close()
