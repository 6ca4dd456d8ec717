#!/usr/bin/env python3
"""Property sweep: every property of every object of a device, read as `aso props` reads it.

For each object in a device's object-list this calls the product's
``read_all_properties(client, device, object_id)`` (RPM of ``all``, then the
property-list, then the standard's properties) and sorts what came back:

- **decoded**: a value, not a placeholder;
- **device errors**: the device answered with an error for that property
  (its text is kept, e.g. ``property:read-access-denied``);
- **placeholders**: a value (or any string inside a list/dict value) that
  contains ``undecodable`` or starts with ``-no ``: the client got bytes it
  could not turn into a value;
- **lost**: a property that should have come back and did not come back at
  all, not even as an error. "Should" means: one of the four every object
  has (object-identifier, object-name, object-type, property-list; clause
  12.1.1.4.1), an entry of the object's own property-list (the value the
  sweep returned, or read on its own if the sweep did not return it), or,
  for the vendor peer, a property of ``tests.vendor_peer.EXPECTED``;
- **mismatches** (vendor peer only): the value differs from
  ``EXPECTED[(device, object_id, property)].expected``. ``prop[N]`` entries
  of EXPECTED are checked against the whole array when that is what came
  back (``[0]`` is its length).

Three targets, each started by this script, each on loopback or the
in-process virtual network only:

1. ``rusty``: the independent rusty-bacnet stack serving one object of each
   of 59 types (``tests/rusty_peer.py::rusty_zoo``, device 3001), on
   127.0.0.1 (ports 47600-47699, probed with ``free_port``); our client on
   another of those ports.
2. ``sim``: our simulated building (``aso_runtime.sim.SimulatedBuilding``,
   the code behind ``aso sim``) on a virtual network; every device of it
   (the first 5 if it has more than 10).
3. ``vendor``: the vendor-like bacpypes3 peer (``tests/vendor_peer.py``:
   device 2201 with proprietary properties and object types bacpypes3 has no
   class for, device 2202 with max APDU 480 and no segmentation) on a
   virtual network.

Objects are read one after another (one device at a time), as the inspector
does. The wall time of a target is from its first object-list read to its
last property, start-up and shutdown excluded.

Usage::

    .venv/bin/python benchmarks/sweep.py [--only rusty,sim,vendor] [--sim-devices 8]
                                         [--output benchmarks/results-sweep.json]

Prints a markdown table per target (and every problem found) and writes
benchmarks/results-sweep.json. Exits 1 if a target could not be swept at
all. Method and figures: benchmarks/README.md, "Property sweep".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # for tests.rusty_peer and tests.vendor_peer

from aso_runtime.bacnet import open_client, read_all_properties
from aso_runtime.bacnet.local import drop_virtual_network, ensure_virtual_network

RESULTS = HERE / "results-sweep.json"
TARGETS = ("rusty", "sim", "vendor")
ALWAYS = ("object-identifier", "object-name", "object-type", "property-list")
RUSTY_DEVICE = 3001
SIM_SWEEP_ALL_UP_TO = 10  # devices; a bigger building is swept on its first SIM_SWEEP_FIRST devices
SIM_SWEEP_FIRST = 5
OBJECT_TIMEOUT = 30.0  # s, one object's read_all_properties (the client's own timeout is per request)
COLUMNS = ("objects", "properties", "decoded", "device_errors", "placeholders", "lost", "mismatches")


# ----- classifying what came back ----------------------------------------------------------


def placeholder(value: Any) -> bool:
    """A value the client could not decode: 'undecodable' inside or '-no ...', at any depth."""
    if isinstance(value, str):
        return "undecodable" in value or value.startswith("-no ")
    if isinstance(value, list | tuple):
        return any(placeholder(v) for v in value)
    if isinstance(value, dict):
        return any(placeholder(v) for v in value.values())
    return False


def property_text(item: Any) -> str:
    """A property-list entry as PropertyValue.property spells it: the name, or the number if proprietary."""
    from bacpypes3.basetypes import PropertyIdentifier

    if isinstance(item, int) and not isinstance(item, bool) or (isinstance(item, str) and item.isdigit()):
        try:
            return str(PropertyIdentifier(int(item)))  # a number bacpypes3 has no name for stays a number
        except (ValueError, TypeError):
            return str(int(item))
    return str(item)


def short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def key_text(prop: str, index: int | None) -> str:
    return prop if index is None else f"{prop}[{index}]"


def indexed(value: Any, index: int) -> Any:
    """Element ``index`` of a whole array as read (0: its length); KeyError if it has none."""
    if not isinstance(value, list):
        raise KeyError(index)
    if index == 0:
        return len(value)
    if index > len(value):
        raise KeyError(index)
    return value[index - 1]


class Tally:
    """Counts per object type, and the list of every problem with its object, property and text."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
        self.problems: list[dict[str, Any]] = []
        self.object_failures: list[dict[str, Any]] = []
        self.object_lists: list[dict[str, Any]] = []
        self.checked = {"should_come_back": 0, "from_property_list": 0, "compared_with_expected": 0,
                        "property_list_read_apart": 0, "no_property_list": 0}

    def problem(self, kind: str, device: Any, oid: str, prop: str, **detail: Any) -> None:
        self.problems.append({"kind": kind, "device": device, "object": oid, "property": prop, **detail})

    def totals(self) -> dict[str, int]:
        return {c: sum(row[c] for row in self.rows.values()) for c in COLUMNS}


async def sweep_object(client, device: Any, instance: int, oid: str, tally: Tally,
                       expected: dict | None) -> None:
    """One object: read every property, classify each, look for the ones that never came back."""
    otype = oid.rsplit(",", 1)[0]
    row = tally.rows[otype]
    row["objects"] += 1
    try:
        values = await asyncio.wait_for(read_all_properties(client, device, oid), OBJECT_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 (a benchmark records every failure and goes on)
        tally.object_failures.append({"device": instance, "object": oid, "error": f"{type(exc).__name__}: {exc}"})
        return
    got: dict[str, Any] = {}
    for v in values:
        row["properties"] += 1
        name = key_text(v.property, v.index)
        got[name] = v
        if not v.ok:
            row["device_errors"] += 1
            tally.problem("device-error", instance, oid, name, error=v.error)
        elif placeholder(v.value):
            row["placeholders"] += 1
            tally.problem("placeholder", instance, oid, name, value=short(v.value))
        else:
            row["decoded"] += 1
    returned = {v.property for v in values}

    # What should have come back: the four always there, the property-list's entries, EXPECTED's.
    should: dict[str, str] = {name: "always present" for name in ALWAYS}
    plist = got.get("property-list")
    listed: Any = None
    if plist is not None and plist.ok:
        listed = plist.value
    elif plist is None:
        tally.checked["property_list_read_apart"] += 1
        try:
            listed = await client.read(device, oid, "property-list")
        except Exception:  # noqa: BLE001 (no property-list: nothing more to check against)
            listed = None
    if listed is None:
        tally.checked["no_property_list"] += 1
    else:
        for item in listed if isinstance(listed, list) else [listed]:
            should.setdefault(property_text(item), "in its property-list")
            tally.checked["from_property_list"] += 1
    if expected is not None:
        for (dev, eoid, eprop), served in expected.items():
            if dev != instance or eoid != oid:
                continue
            if "[" not in eprop:
                should.setdefault(eprop, "in the peer's expected table")
            compare_expected(tally, row, instance, oid, eprop, served.expected, got)
    tally.checked["should_come_back"] += len(should)
    for name, why in should.items():
        if name not in returned:
            row["lost"] += 1
            tally.problem("lost", instance, oid, name, why=why)


def compare_expected(tally: Tally, row: dict, instance: int, oid: str, eprop: str, want: Any,
                     got: dict[str, Any]) -> None:
    if eprop in got:
        v = got[eprop]
        if not v.ok:
            return  # counted as a device error already
        value = v.value
    elif "[" in eprop:
        prop, _, rest = eprop.partition("[")
        whole = got.get(prop)
        if whole is None or not whole.ok:
            return
        try:
            value = indexed(whole.value, int(rest.rstrip("]")))
        except KeyError:
            value = "<no such element in the array read>"
    else:
        return  # lost: counted by the caller
    tally.checked["compared_with_expected"] += 1
    if value != want:
        row["mismatches"] += 1
        tally.problem("mismatch", instance, oid, eprop, got=short(value), expected=short(want))


async def sweep_device(client, device: Any, instance: int, tally: Tally, expected: dict | None = None,
                       objects_expected: list[str] | None = None) -> None:
    try:
        objects = await client.read(device, f"device,{instance}", "object-list")
    except Exception as exc:  # noqa: BLE001
        tally.object_failures.append({"device": instance, "object": f"device,{instance}",
                                      "error": f"object-list: {type(exc).__name__}: {exc}"})
        return
    entry: dict[str, Any] = {"device": instance, "address": str(device), "objects": len(objects)}
    if objects_expected is not None:
        entry["missing_from_object_list"] = [o for o in objects_expected if o not in objects]
        entry["not_expected"] = [o for o in objects if o not in objects_expected]
    tally.object_lists.append(entry)
    for oid in objects:
        await sweep_object(client, device, instance, str(oid), tally, expected)


# ----- the three targets -------------------------------------------------------------------


async def target_rusty(args: argparse.Namespace) -> tuple[Tally, dict]:
    from tests.rusty_peer import free_port, rusty_zoo

    tally = Tally()
    port = free_port()
    server, served = rusty_zoo(RUSTY_DEVICE, port)
    await server.start()
    try:
        client_port = free_port()
        client = await open_client(address=f"127.0.0.1/8:{client_port}", timeout=2.0)
        try:
            start = time.perf_counter()
            await sweep_device(client, f"127.0.0.1:{port}", RUSTY_DEVICE, tally)
            wall = time.perf_counter() - start
            requests = getattr(client, "requests_sent", None)
        finally:
            await client.close()
    finally:
        await server.stop()
    import importlib.metadata as md

    return tally, {"wall_s": wall, "requests": requests, "types_served": len(served) + 1,
                   "device": RUSTY_DEVICE, "server": f"127.0.0.1:{port}", "client": f"127.0.0.1:{client_port}",
                   "rusty_bacnet": md.version("rusty-bacnet")}


async def target_sim(args: argparse.Namespace) -> tuple[Tally, dict]:
    from aso_runtime.sim import SimulatedBuilding

    tally = Tally()
    vlan = f"bench-sweep-sim-{os.getpid()}"
    building = await SimulatedBuilding.start(vlan=vlan, devices=args.sim_devices)
    try:
        client = await open_client(vlan=vlan, mac=1, timeout=2.0)
        try:
            devices = building.devices
            if len(devices) > SIM_SWEEP_ALL_UP_TO:
                devices = devices[:SIM_SWEEP_FIRST]
            start = time.perf_counter()
            for device in devices:
                await sweep_device(client, device.address, device.instance, tally)
            wall = time.perf_counter() - start
            requests = getattr(client, "requests_sent", None)
        finally:
            await client.close()
    finally:
        await building.stop()
        drop_virtual_network(vlan)
    return tally, {"wall_s": wall, "requests": requests, "vlan": vlan, "building_devices": len(building.devices),
                   "swept": [f"{d.instance} {d.name} ({d.kind})" for d in devices]}


async def target_vendor(args: argparse.Namespace) -> tuple[Tally, dict]:
    from tests.vendor_peer import (
        EXPECTED,
        SMALL_DEVICE,
        SMALL_OBJECTS,
        VENDOR_DEVICE,
        VENDOR_OBJECTS,
        vendor_site,
    )

    tally = Tally()
    vlan = f"bench-sweep-vendor-{os.getpid()}"
    ensure_virtual_network(vlan)
    try:
        async with vendor_site(vlan) as site:
            client = await open_client(vlan=vlan, mac=1, timeout=1.0)
            try:
                start = time.perf_counter()
                await sweep_device(client, site.vendor_address, VENDOR_DEVICE, tally, EXPECTED, VENDOR_OBJECTS)
                await sweep_device(client, site.small_address, SMALL_DEVICE, tally, EXPECTED, SMALL_OBJECTS)
                wall = time.perf_counter() - start
                requests = getattr(client, "requests_sent", None)
            finally:
                await client.close()
    finally:
        drop_virtual_network(vlan)
    pending = sorted(f"{d} {o} {p}: {v.pending}" for (d, o, p), v in EXPECTED.items() if v.pending)
    return tally, {"wall_s": wall, "requests": requests, "vlan": vlan, "expected_entries": len(EXPECTED),
                   "expected_pending": pending}


RUNNERS = {"rusty": target_rusty, "sim": target_sim, "vendor": target_vendor}
TITLES = {
    "rusty": "rusty-bacnet zoo (device 3001, one object of each of 59 types, loopback UDP)",
    "sim": "simulated building (aso_runtime.sim, virtual network)",
    "vendor": "vendor-like bacpypes3 peer (devices 2201 and 2202, virtual network)",
}


# ----- output ------------------------------------------------------------------------------


def table(tally: Tally, wall: float) -> str:
    lines = ["| type | objects | properties | decoded | device errors | placeholders | lost | mismatches |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for otype in sorted(tally.rows):
        row = tally.rows[otype]
        lines.append(f"| {otype} | " + " | ".join(str(row[c]) for c in COLUMNS) + " |")
    totals = tally.totals()
    lines.append("| **total** | " + " | ".join(f"**{totals[c]}**" for c in COLUMNS) + " |")
    lines.append("")
    lines.append(f"wall time {wall:.2f} s")
    return "\n".join(lines)


def problems_text(tally: Tally) -> str:
    out = []
    for failure in tally.object_failures:
        out.append(f"- OBJECT FAILED device {failure['device']} {failure['object']}: {failure['error']}")
    for p in tally.problems:
        where = f"device {p['device']} {p['object']} {p['property']}"
        if p["kind"] == "device-error":
            out.append(f"- device error: {where}: {p['error']}")
        elif p["kind"] == "placeholder":
            out.append(f"- placeholder: {where}: {p['value']}")
        elif p["kind"] == "lost":
            out.append(f"- lost: {where} ({p['why']})")
        else:
            out.append(f"- mismatch: {where}: got {p['got']}, expected {p['expected']}")
    for entry in tally.object_lists:
        if entry.get("missing_from_object_list") or entry.get("not_expected"):
            out.append(f"- object-list of device {entry['device']}: missing {entry['missing_from_object_list']}, "
                       f"not expected {entry['not_expected']}")
    return "\n".join(out) if out else "(no problems)"


async def main(args: argparse.Namespace) -> int:
    only = [t.strip() for t in args.only.split(",") if t.strip()]
    unknown = [t for t in only if t not in RUNNERS]
    if unknown:
        raise SystemExit(f"unknown target(s) {unknown}; choose from {', '.join(TARGETS)}")
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"), "python": platform.python_version(),
        "load_average": os.getloadavg(), "targets": {}}
    status = 0
    for name in only:
        print(f"\n## {name}: {TITLES[name]}\n", flush=True)
        try:
            tally, info = await RUNNERS[name](args)
        except Exception as exc:  # noqa: BLE001
            print(f"TARGET FAILED: {type(exc).__name__}: {exc}")
            results["targets"][name] = {"failed": f"{type(exc).__name__}: {exc}"}
            status = 1
            continue
        print(table(tally, info["wall_s"]))
        print(f"checked: {', '.join(f'{k} {v}' for k, v in tally.checked.items())}")
        print()
        print(problems_text(tally))
        if not tally.rows:
            status = 1
        results["targets"][name] = {
            **{k: (round(v, 3) if k == "wall_s" else v) for k, v in info.items()},
            "totals": tally.totals(),
            "checked": tally.checked,
            "by_type": {t: tally.rows[t] for t in sorted(tally.rows)},
            "object_failures": tally.object_failures,
            "object_lists": tally.object_lists,
            "problems": tally.problems,
        }
    Path(args.output).write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(f"\nwrote {args.output}")
    return status


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(TARGETS), help="targets to sweep: rusty,sim,vendor")
    parser.add_argument("--sim-devices", type=int, default=8, help="devices in the simulated building (8-250)")
    parser.add_argument("--output", default=str(RESULTS))
    sys.exit(asyncio.run(main(parser.parse_args())))
