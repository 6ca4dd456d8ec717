"""Starting our own BACnet application: addresses, busy ports, foreign devices."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from aso_runtime.bacnet import InvalidInput, LocalNetworkError, discover_objects, open_client, who_is
from aso_runtime.bacnet.application import AsoApplication
from aso_runtime.bacnet.local import (
    LocalDevice,
    build_application,
    close_application,
    device_object,
    parse_local_address,
    udp_port,
)

from .peers import field_objects


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("10.0.0.5/24", "10.0.0.5/24:47808"),
        ("10.0.0.5/16:47809", "10.0.0.5/16:47809"),
        ("127.0.0.1:47809", "127.0.0.1/8:47809"),
        ("lo", "127.0.0.1/8:47808"),
        ("lo:47811", "127.0.0.1/8:47811"),
    ],
)
def test_local_address_forms(typed, expected):
    assert str(parse_local_address(typed)) == expected


@pytest.mark.parametrize(("typed", "message"), [("nosuchif0", "interface"), ("10.0.0.5/40", "mask"), ("10.0.0.5:port", "port")])
def test_bad_local_addresses(typed, message):
    with pytest.raises(InvalidInput, match=message):
        parse_local_address(typed)


async def test_busy_port_is_refused_not_shared():
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", 47561))
    try:
        with pytest.raises(LocalNetworkError, match="already in use"):
            await open_client(address="127.0.0.1/8:47561")
    finally:
        holder.close()


async def test_a_second_bacnet_application_on_the_same_port_is_refused():
    first = await open_client(address="127.0.0.1/8:47562")
    try:
        with pytest.raises(LocalNetworkError, match="already in use"):
            await open_client(address="127.0.0.1/8:47562")
    finally:
        await first.close()


async def test_address_not_on_this_host_is_refused():
    # TEST-NET-3 (RFC 5737) is never assigned to this machine; nothing is sent.
    with pytest.raises(LocalNetworkError, match="not assigned"):
        await open_client(address="203.0.113.77/24:47563")


async def test_port_is_free_again_after_close():
    client = await open_client(address="127.0.0.1/8:47564")
    await client.close()
    again = await open_client(address="127.0.0.1/8:47564")
    await again.close()


async def test_udp_loopback_directed_who_is_read_write():
    server = build_application(
        AsoApplication,
        [device_object(LocalDevice(instance=1001, name="FC-1001")), udp_port(parse_local_address("127.0.0.1/8:47565")),
         *field_objects()],
    )
    client = await open_client(address="127.0.0.1/8:47566", timeout=1.0)
    try:
        # Point discovery by bare address, before any Who-Is (no broadcast crosses loopback ports).
        points = await discover_objects(client, "127.0.0.1:47565")
        assert {p.name for p in points} >= {"Zone Temperature", "Cooling Setpoint"}
        devices = await who_is(client, address="127.0.0.1:47565")
        assert [(d.instance, d.address) for d in devices] == [(1001, "127.0.0.1:47565")]
        assert await client.read(1001, "ai,1") == 72.5
        await client.write("127.0.0.1:47565", "av,1", 66.5, priority=8)
        array = await client.priority_array(1001, "av,1")
        assert array.winning.priority == 8 and array.present_value == 66.5
        await client.release(1001, "av,1", 8)
        assert await client.read(1001, "av,1") == 74.0
    finally:
        await client.close()
        await close_application(server)


async def test_foreign_device_registration_reaches_devices_behind_a_bbmd():
    """Our client registers with a BBMD; its global Who-Is is distributed."""
    bbmd = build_application(
        AsoApplication,
        [device_object(LocalDevice(instance=1001, name="BBMD-1001")),
         udp_port(parse_local_address("127.0.0.1/8:47567"), bbmd=True), *field_objects()],
    )
    client = await open_client(address="127.0.0.1/8:47568", foreign="127.0.0.1:47567", ttl=30, timeout=1.0)
    try:
        devices = await who_is(client, max_wait=2.0)
        assert 1001 in [d.instance for d in devices]
        assert await client.read(1001, "ai,1") == 72.5
    finally:
        await client.close()
        await close_application(bbmd)


def test_core_runtime_imports_without_textual_or_rich():
    code = (
        "import sys, aso_runtime, aso_runtime.bacnet, aso_runtime.bacnet.client, aso_runtime.bacnet.discovery\n"
        "bad = [m for m in ('textual', 'rich') if m in sys.modules]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
