"""Every property of every object of an independent stack's device (rusty-bacnet), decoded.

rusty serves one object of each of 59 types (tests/rusty_peer.py::rusty_zoo),
over UDP on loopback only. Each object's properties are read as ``aso props``
reads them: every one must come back decoded or with the device's own error,
never a placeholder, never missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

rb = pytest.importorskip("rusty_bacnet")

from aso_runtime.bacnet import open_client, read_all_properties  # noqa: E402

from .rusty_peer import free_port, rusty_zoo  # noqa: E402

ZOO = 3001
# What the standard says a device refuses by design: a log buffer is read with ReadRange.
REFUSED_BY_DESIGN = {("log-buffer", "property:read-access-denied")}


@pytest.fixture
async def zoo():
    port = free_port()
    server, served = rusty_zoo(ZOO, port)
    await server.start()
    try:
        yield f"127.0.0.1:{port}", served
    finally:
        await server.stop()


@pytest.fixture
async def ours():
    client = await open_client(address=f"127.0.0.1/8:{free_port()}", timeout=2.0)
    yield client
    await client.close()


def placeholder(value) -> bool:
    if isinstance(value, str):
        return "undecodable" in value or value.startswith("-no ")
    if isinstance(value, list):
        return any(placeholder(v) for v in value)
    if isinstance(value, dict):
        return any(placeholder(v) for v in value.values())
    return False


async def test_every_property_of_every_object_is_decoded_or_the_devices_own_error(zoo, ours):
    address, served = zoo
    objects = await ours.read(address, f"device,{ZOO}", "object-list")
    assert len(objects) == len(served) + 1
    totals = {"properties": 0, "errors": 0}
    for oid in objects:
        values = await read_all_properties(ours, address, oid)
        names = [v.property for v in values]
        assert names[:3] == ["object-identifier", "object-name", "object-type"], (oid, names[:4])
        assert values[0].value == oid
        assert isinstance(values[2].value, str) and not values[2].value.isdigit(), (oid, values[2].value)
        for v in values:
            assert not placeholder(v.value), (oid, v.property, v.value)
            if not v.ok:
                assert (v.property, v.error) in REFUSED_BY_DESIGN, (oid, v.property, v.error)
        totals["properties"] += len(values)
        totals["errors"] += sum(not v.ok for v in values)
    assert totals["properties"] > 900, totals  # 1,134 with rusty-bacnet 0.14


async def test_color_and_lighting_output_values_as_rusty_holds_them(zoo, ours):
    address, _ = zoo
    color = {v.property: v.value for v in await read_all_properties(ours, address, "63,1")}
    assert color["object-type"] == "color" and color["object-name"] == "Color 1"
    assert color["present-value"] == [0.3127, 0.329]  # the CIE 1931 x,y of rusty's default white
    lighting = {v.property: v.value for v in await read_all_properties(ours, address, "lighting-output,1")}
    assert lighting["lighting-command"] == {"operation": "none"}
    assert lighting["priority-array"] == [None] * 16


async def test_out_of_service_and_description_are_written_and_read_back(zoo, ours):
    address, _ = zoo
    await ours.write(address, "analog-input,1", True, property="out-of-service")
    await ours.write(address, "analog-input,1", 12.5)  # an input's value, while out of service (a sensor simulated)
    await ours.write(address, "analog-input,1", "Zone 3 supply temp, moved 2026-11", property="description")
    after = {v.property: v.value for v in await read_all_properties(ours, address, "analog-input,1")}
    assert after["out-of-service"] is True and after["present-value"] == 12.5
    assert after["description"] == "Zone 3 supply temp, moved 2026-11"
    assert "out-of-service" in after["status-flags"]
    await ours.write(address, "analog-input,1", False, property="out-of-service")


def test_aso_props_prints_every_property_and_json(zoo):
    address, _ = zoo
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    base = [sys.executable, "-m", "aso_runtime.cli.main", "--address", f"127.0.0.1/8:{free_port()}"]
    shown = subprocess.run([*base, "props", address, "lo,1"], capture_output=True, text=True, env=env, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "lighting-output,1 on" in shown.stdout and "priority-array" in shown.stdout
    assert "(all 16 slots empty)" in shown.stdout
    as_json = subprocess.run([*base, "--json", "props", address, "63,1"], capture_output=True, text=True, env=env,
                             timeout=60)
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    by_name = {p["property"]: p for p in document["properties"]}
    assert document["object_id"] == "color,1" and by_name["object-type"]["value"] == "color"


def test_aso_write_names_any_property_and_parses_it_for_its_datatype(zoo):
    address, _ = zoo
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    base = [sys.executable, "-m", "aso_runtime.cli.main", "--address", f"127.0.0.1/8:{free_port()}"]

    def aso(*words: str) -> subprocess.CompletedProcess:
        return subprocess.run([*base, *words], capture_output=True, text=True, env=env, timeout=60)

    for words in (("out-of-service", "true"), ("12.5",), ("reliability", "no-sensor"), ("description", "Zone 3")):
        done = aso("write", address, "ai,1", *words)
        assert done.returncode == 0, (words, done.stderr)
    refused = aso("write", address, "ai,1", "reliability", "bogus")
    assert refused.returncode == 2 and refused.stderr.startswith("aso: error: ") and "expected one of" in refused.stderr
    after = json.loads(aso("--json", "props", address, "ai,1").stdout)
    got = {p["property"]: p["value"] for p in after["properties"]}
    assert (got["out-of-service"], got["present-value"], got["reliability"], got["description"]) == \
        (True, 12.5, "no-sensor", "Zone 3")
    assert aso("write", address, "ai,1", "out-of-service", "false").returncode == 0
