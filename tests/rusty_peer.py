"""rusty-bacnet (the independent Rust stack) as a peer for interop tests.

Everything stays on loopback: rusty-bacnet defaults to interface 0.0.0.0
and broadcast 255.255.255.255, so every constructor here passes loopback
values for both. Even then rusty binds the wildcard 0.0.0.0:port unless
``share_port_by_address=True``; with it, it binds 127.0.0.1:port,
127.255.255.255:port and a receive-only 255.255.255.255:port (it sends
nothing there). Ports come from 47600-47699 and are probed before use.
"""

from __future__ import annotations

import asyncio
import itertools
import socket

import pytest
import rusty_bacnet as rb

from aso_runtime.bacnet import open_client

LOOPBACK = "127.0.0.1"
LOOPBACK_BROADCAST = "127.255.255.255"

_ports = itertools.cycle(range(47600, 47700))


def free_port() -> int:
    """A UDP port of 47600-47699 that nobody holds on 127.0.0.1 right now.

    bacpypes3 binds with SO_REUSEPORT, so a plain bind (without it) fails on
    a port a leftover application still holds: that is the probe we want.
    """
    for _ in range(100):
        port = next(_ports)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            continue
        finally:
            sock.close()
        return port
    raise RuntimeError("no free UDP port in 47600-47699 on 127.0.0.1")


def rusty_server(instance: int, name: str, port: int) -> rb.BACnetServer:
    """A rusty-bacnet device on loopback (objects are added by the caller, then start())."""
    return rb.BACnetServer(
        device_instance=instance,
        device_name=name,
        interface=LOOPBACK,
        port=port,
        broadcast_address=LOOPBACK_BROADCAST,
        # Without this rusty binds the wildcard 0.0.0.0:port whatever the interface.
        share_port_by_address=True,
    )


def rusty_client(port: int, apdu_timeout_ms: int = 2000, bbmd: str | None = None) -> rb.BACnetClient:
    """A rusty-bacnet client on loopback (enter it with ``async with`` or ``__aenter__``).

    ``bbmd`` (``ip:port``) registers it as a foreign device there, so its
    broadcasts reach that BBMD's network (and through a router, beyond).
    """
    return rb.BACnetClient(
        interface=LOOPBACK,
        port=port,
        broadcast_address=LOOPBACK_BROADCAST,
        apdu_timeout_ms=apdu_timeout_ms,
        share_port_by_address=True,
        foreign_device=rb.ForeignDevice(bbmd, ttl=60) if bbmd else None,
    )


_TYPES = {
    "analog-input": rb.ObjectType.ANALOG_INPUT,
    "analog-output": rb.ObjectType.ANALOG_OUTPUT,
    "analog-value": rb.ObjectType.ANALOG_VALUE,
    "binary-input": rb.ObjectType.BINARY_INPUT,
    "binary-output": rb.ObjectType.BINARY_OUTPUT,
    "binary-value": rb.ObjectType.BINARY_VALUE,
    "multi-state-input": rb.ObjectType.MULTI_STATE_INPUT,
    "multi-state-output": rb.ObjectType.MULTI_STATE_OUTPUT,
    "multi-state-value": rb.ObjectType.MULTI_STATE_VALUE,
    "device": rb.ObjectType.DEVICE,
}


def rusty_oid(text: str) -> rb.ObjectIdentifier:
    """``"analog-value,1"`` -> rusty's ObjectIdentifier."""
    object_type, _, instance = text.partition(",")
    return rb.ObjectIdentifier(_TYPES[object_type], int(instance))


def rusty_prop(text: str) -> rb.PropertyIdentifier:
    """``"present-value"`` -> ``PropertyIdentifier.PRESENT_VALUE``."""
    return getattr(rb.PropertyIdentifier, text.upper().replace("-", "_"))


async def local_value(server: rb.BACnetServer, object_id: str, prop: str = "present-value"):
    """What the rusty device itself holds (its own evaluator, not the network)."""
    return (await server.read_property(rusty_oid(object_id), rusty_prop(prop))).value


async def wait_for_device(client: rb.BACnetClient, instance: int, wait: float = 3.0) -> rb.DiscoveredDevice | None:
    """Poll rusty's device table until ``instance`` shows up (I-Am heard) or ``wait`` passes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        device = await client.get_device(instance)
        if device is not None or loop.time() >= deadline:
            return device
        await asyncio.sleep(0.02)


# Object types the zoo device serves with only (instance, name): every kind rusty offers that
# needs no more set-up. Others need arguments (below) or storage (audit-log) and are left out.
_ZOO_SIMPLE = (
    "access_credential", "access_door", "access_point", "access_rights", "access_user", "access_zone",
    "accumulator", "analog_input", "analog_output", "analog_value", "audit_reporter", "averaging",
    "binary_input", "binary_lighting_output", "binary_output", "binary_value", "bit_string_value",
    "calendar", "character_string_value", "color", "color_temperature", "command", "credential_data_input",
    "date_pattern_value", "date_time_pattern_value", "date_time_value", "date_value", "elevator_group",
    "escalator", "event_enrollment", "event_log", "file", "global_group", "group", "integer_value",
    "large_analog_value", "life_safety_point", "life_safety_zone", "lighting_output", "load_control", "loop",
    "notification_class", "notification_forwarder", "octet_string_value", "positive_integer_value", "program",
    "pulse_converter", "schedule", "structured_view", "time_pattern_value", "time_value", "timer", "trend_log",
    "trend_log_multiple",
)


def rusty_zoo(instance: int, port: int) -> tuple[rb.BACnetServer, list[str]]:
    """A rusty device serving one object of every type it can (instance 1 each), not started.

    Returns the server and the kinds served (rusty's names, e.g. ``"color_temperature"``).
    """
    server = rusty_server(instance, f"Zoo-{instance}", port)
    served = []
    for kind in _ZOO_SIMPLE:
        getattr(server, f"add_{kind}")(1, f"{kind.replace('_', ' ').title()} 1")
        served.append(kind)
    for kind in ("multistate_input", "multistate_output", "multistate_value"):
        getattr(server, f"add_{kind}")(1, f"{kind.replace('_', ' ').title()} 1", 3)
        served.append(kind)
    server.add_channel(1, "Channel 1", 1)
    server.add_lift(1, "Lift 1", 4)
    served += ["channel", "lift"]
    return server, served


@pytest.fixture
async def ours():
    """Our client (bacpypes3 underneath) on its own loopback port (import it into a test module to use it)."""
    client = await open_client(address=f"127.0.0.1/8:{free_port()}", timeout=2.0)
    try:
        yield client
    finally:
        await client.close()
