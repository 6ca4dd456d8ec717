#!/usr/bin/env python3
"""Full-site discovery benchmark: aso_runtime.bacnet vs a sequential bacpypes3 script vs BAC0.

Discovery = who-is, every device's object-list, then name, present value
and units of every object. One simulated building (``aso sim``, its own
process, loopback only) is discovered in ONE run by each client, each in its
own subprocess so that wall time, requests and client CPU are attributable:

- ``aso``        our client: ``open_client`` + ``who_is`` (streams, ends on
                 quiet) + ``discover_objects`` for every device concurrently.
- ``aso-stream`` the same client, but each device's ``discover_objects``
                 starts the moment its I-Am arrives (``who_is_stream``).
- ``baseline``   a sequential script on bacpypes3 directly: fixed 3 s who-is
                 window, then per device: object-list (index by index if it
                 aborts), one ReadProperty per object and property.
- ``bac0``       BAC0 (PyPI ``bac0``): ``BAC0.start`` as a foreign device, its
                 3 s ``who_is``, then ``BAC0.device(address, id, bacnet)`` per
                 device. Runs in a separate venv (see benchmarks/README.md).

Usage::

    .venv/bin/python benchmarks/discovery.py [--devices 50] [--runs 3] [--skip-bac0]

Prints a markdown table and writes benchmarks/results-discovery.json.

Network safety: everything binds 127.0.0.1 on ports 47500..47599 (the
simulator 47500 and its loopback broadcast address 127.255.255.255:47500,
clients 47510..47513). Each worker lists its own UDP sockets with ``ss`` and
the run is refused if anything is bound off loopback. Every wait is bounded.

The worker side of this file (``--worker NAME``) must not import aso_runtime
at module level: the BAC0 worker runs in a venv that does not have it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import select
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BAC0_VENV = HERE / ".venv-bac0"
RESULTS = HERE / "results-discovery.json"

LOOPBACK = "127.0.0.1"
SIM_PORT = 47500
PORTS = {"aso": 47510, "aso-stream": 47511, "baseline": 47512, "bac0": 47513}
CLIENTS = ["aso", "aso-stream", "baseline", "bac0"]
RESULT_MARK = "@@RESULT@@ "

WORKER_TIMEOUT = 150.0  # s: a worker that takes longer is killed
SIM_START_TIMEOUT = 30.0


# =============================================================================
# Helpers shared by every worker (standard library only)
# =============================================================================


def own_udp_sockets() -> list[str]:
    """Local addresses of this process's UDP sockets, from ``ss -uanp``."""
    try:
        out = subprocess.run(["ss", "-uanpH"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ["<ss unavailable>"]
    mine = f"pid={os.getpid()},"
    return sorted({line.split()[3] for line in out.splitlines() if mine in line and len(line.split()) > 3})


def check_loopback(sockets: list[str], who: str) -> None:
    bad = [s for s in sockets if not s.startswith("127.")]
    if bad:
        raise SystemExit(f"{who}: UDP socket(s) bound off loopback: {bad}; refusing to go on")


def count_requests(app) -> list[int]:
    """Count every APDU the application sends (confirmed requests and who-is).

    Wraps the instance's ``request``: bacpypes3's own helpers (read_property,
    who_is, ...) call ``self.request`` so they are counted too.
    """
    counter = [0]
    original = app.request

    def request(apdu, *args, **kwargs):
        counter[0] += 1
        return original(apdu, *args, **kwargs)

    app.request = request
    return counter


def is_stack_error(exc: BaseException) -> bool:
    """bacpypes3 Error/Reject/Abort are BaseException: catch them, not Ctrl-C."""
    return not isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit, asyncio.CancelledError))


def oid_text(oid) -> str:
    """``analog-input,1`` for a bacpypes3 ObjectIdentifier / (type, instance) tuple."""
    object_type, instance = oid[0], oid[1]
    text = str(object_type)
    if not text or text[0].isdigit():
        text = str(int(object_type))
    return f"{text},{int(instance)}"


def plain(value):
    """JSON-friendly form of a read value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "value") and isinstance(getattr(value, "value"), (int, float, str)):
        return value.value
    return str(value)


def emit(result: dict) -> None:
    sys.stdout.write(RESULT_MARK + json.dumps(result) + "\n")
    sys.stdout.flush()


class Collector:
    """What a client found, in one comparable shape."""

    def __init__(self) -> None:
        self.object_lists: dict[int, list[str]] = {}
        self.names: dict[str, str] = {}
        self.units: dict[str, str] = {}
        self.values: dict[str, object] = {}
        self.errors: list[str] = []

    def add(self, instance: int, oid: str, name=None, value=None, units=None, has_value=False) -> None:
        key = f"{instance}/{oid}"
        if name is not None:
            self.names[key] = str(name)
        if units is not None:
            self.units[key] = str(units)
        if has_value:
            self.values[key] = plain(value)

    def result(self) -> dict:
        return {
            "devices": len(self.object_lists),
            "objects": sum(len(v) for v in self.object_lists.values()),
            "object_lists": {str(k): v for k, v in sorted(self.object_lists.items())},
            "names": self.names,
            "units": self.units,
            "values": self.values,
            "errors": self.errors[:20],
            "error_count": len(self.errors),
        }


# =============================================================================
# Worker: our client
# =============================================================================


async def worker_aso(args, stream: bool) -> dict:
    from aso_runtime.bacnet import discover_objects, open_client, who_is, who_is_stream

    client = await open_client(
        address=f"{LOOPBACK}/8:{args.port}", foreign=args.sim, per_device_limit=args.per_device_limit
    )
    try:
        sent = count_requests(client.app)
        sockets = own_udp_sockets()
        check_loopback(sockets, "aso worker")
        found = Collector()
        iam_times: list[float] = []
        device_times: dict[int, float] = {}
        limit = asyncio.Semaphore(args.device_concurrency) if args.device_concurrency > 0 else None
        client.app.i_am_listeners.append(lambda apdu: iam_times.append(time.perf_counter()))

        device_done: dict[int, float] = {}
        discovered: dict[int, list] = {}

        async def one(device) -> None:
            if limit is not None:
                await limit.acquire()
            started = time.perf_counter()
            try:
                points = await discover_objects(client, device)
            except Exception as exc:  # our client raises Exception subclasses only
                found.errors.append(f"device {device.instance}: {exc}")
                return
            finally:
                if limit is not None:
                    limit.release()
            device_done[device.instance] = time.perf_counter() - t0
            device_times[device.instance] = time.perf_counter() - started
            discovered[device.instance] = points  # looked at after the clock stops

        cpu0, t0 = time.process_time(), time.perf_counter()
        if stream:
            tasks = []
            async for device in who_is_stream(client):
                tasks.append(asyncio.create_task(one(device)))
            t1 = time.perf_counter()
            await asyncio.gather(*tasks)
        else:
            devices = await who_is(client)
            t1 = time.perf_counter()
            await asyncio.gather(*(one(d) for d in devices))
        t2, cpu1 = time.perf_counter(), time.process_time()
        for instance, points in discovered.items():
            found.object_lists[instance] = [p.object_id for p in points]
            for p in points:
                has_value = "present-value" in _aso_props(p.object_id)
                found.add(instance, p.object_id, p.name, p.present_value, p.units, has_value)
                found.errors.extend(f"{instance}/{p.object_id} {k}: {v}" for k, v in p.errors.items())
        slowest = max(device_times.items(), key=lambda kv: kv[1]) if device_times else (None, 0.0)
        return {
            "whois_s": t1 - t0,
            "reads_s": t2 - t1,
            "total_s": t2 - t0,
            "cpu_s": cpu1 - cpu0,
            "requests": sent[0],
            "requests_client_counter": client.requests_sent,
            "last_iam_s": (max(iam_times) - t0) if iam_times else None,
            "first_iam_s": (min(iam_times) - t0) if iam_times else None,
            "slowest_device": {"instance": slowest[0], "seconds": slowest[1]},
            "device_seconds_median": statistics.median(device_times.values()) if device_times else None,
            "last_device_done": max(device_done.items(), key=lambda kv: kv[1]) if device_done else None,
            "settings": {
                "per_device_limit": args.per_device_limit,
                "device_concurrency": args.device_concurrency or "all",
                "who_is": "who_is_stream, reads start per I-Am" if stream else "who_is (quiet 0.3 s, max 3 s)",
            },
            "sockets": sockets,
            **found.result(),
        }
    finally:
        await client.close()


def _aso_props(oid: str) -> list[str]:
    from aso_runtime.bacnet.points import properties_for

    return properties_for(oid.split(",")[0])


# =============================================================================
# Worker: sequential bacpypes3 baseline
# =============================================================================

# What a careful script asks each type for: name always; present value for
# value objects; units for analog ones (the same knowledge our client has,
# without status-flags / out-of-service).
_PV_TYPES = ("analog-", "binary-", "multi-state-", "integer-value", "positive-integer-value",
             "large-analog-value", "characterstring-value", "accumulator", "pulse-converter", "loop")
_UNIT_TYPES = ("analog-", "large-analog-value", "integer-value", "positive-integer-value",
               "accumulator", "pulse-converter", "loop")


def baseline_properties(object_type: str) -> list[str]:
    props = ["object-name"]
    if object_type.startswith(_PV_TYPES):
        props.append("present-value")
    if object_type.startswith(_UNIT_TYPES):
        props.append("units")
    return props


async def worker_baseline(args) -> dict:
    from bacpypes3.app import Application
    from bacpypes3.pdu import Address
    from bacpypes3.primitivedata import ObjectIdentifier

    from aso_runtime.bacnet.local import (
        LocalDevice,
        build_application,
        close_application,
        device_object,
        parse_local_address,
        udp_port,
        wait_until_bound,
        wait_until_registered,
    )

    local = parse_local_address(f"{LOOPBACK}/8:{args.port}")
    me = LocalDevice(instance=4194302, name="baseline", apdu_timeout_ms=3000, apdu_retries=1)
    app = build_application(Application, [device_object(me), udp_port(local, foreign=args.sim)])
    try:
        await wait_until_bound(app)
        await wait_until_registered(app, args.sim, 5.0)
        sent = count_requests(app)
        sockets = own_udp_sockets()
        check_loopback(sockets, "baseline worker")
        found = Collector()

        cpu0, t0 = time.process_time(), time.perf_counter()
        i_ams = await app.who_is(timeout=3)  # bacpypes3's default fixed window
        t1 = time.perf_counter()
        for i_am in sorted(i_ams, key=lambda a: a.iAmDeviceIdentifier[1]):
            address: Address = i_am.pduSource
            instance = int(i_am.iAmDeviceIdentifier[1])
            device_id = ObjectIdentifier(("device", instance))
            try:
                try:
                    object_list = list(await app.read_property(address, device_id, "object-list"))
                except BaseException as exc:
                    if not is_stack_error(exc):
                        raise
                    count = int(await app.read_property(address, device_id, "object-list", 0))
                    object_list = [await app.read_property(address, device_id, "object-list", i) for i in range(1, count + 1)]
            except BaseException as exc:
                if not is_stack_error(exc):
                    raise
                found.errors.append(f"device {instance} object-list: {exc!r}")
                continue
            oids = [oid_text(o) for o in object_list]
            found.object_lists[instance] = oids
            for raw, oid in zip(object_list, oids):
                values = {}
                for prop in baseline_properties(oid.split(",")[0]):
                    try:
                        values[prop] = await app.read_property(address, raw, prop)
                    except BaseException as exc:
                        if not is_stack_error(exc):
                            raise
                        found.errors.append(f"{instance}/{oid} {prop}: {exc!r}")
                found.add(instance, oid, values.get("object-name"), values.get("present-value"), values.get("units"),
                          has_value="present-value" in values)
        t2, cpu1 = time.perf_counter(), time.process_time()
        return {
            "whois_s": t1 - t0,
            "reads_s": t2 - t1,
            "total_s": t2 - t0,
            "cpu_s": cpu1 - cpu0,
            "requests": sent[0],
            "settings": {"who_is": "app.who_is(timeout=3)", "reads": "sequential ReadProperty, one per property"},
            "sockets": sockets,
            **found.result(),
        }
    finally:
        await close_application(app)


# =============================================================================
# Worker: BAC0 (runs in benchmarks/.venv-bac0)
# =============================================================================


async def worker_bac0(args) -> dict:
    import BAC0
    from BAC0.core.devices import Points

    BAC0.log_level("silence")

    # BAC0 reads each point's present value while creating it but does not keep
    # it (the history starts empty); record it for the cross-check.
    seen_values: dict[tuple, object] = {}
    original_init = Points.Point.__init__

    def recording_init(self, *a, **kw):
        original_init(self, *a, **kw)
        device = kw.get("device")
        if device is not None:
            key = (device.properties.device_id, str(kw.get("pointType")), str(kw.get("pointAddress")))
            seen_values[key] = kw.get("presentValue")

    Points.Point.__init__ = recording_init

    bacnet = BAC0.start(
        ip=f"{LOOPBACK}/8:{args.port}", bbmdAddress=args.sim, bbmdTTL=300, ping=False, deviceId=4194303
    )
    app = bacnet.this_application.app
    link_layers = list(app.link_layers.values())
    try:
        for link_layer in link_layers:  # wait for the BBMD to accept us (bounded)
            event = getattr(link_layer, "_registration_event", None)
            if event is not None:
                await asyncio.wait_for(event.wait(), 5.0)
        sent = count_requests(app)
        sockets = own_udp_sockets()
        check_loopback(sockets, "bac0 worker")
        found = Collector()

        cpu0, t0 = time.process_time(), time.perf_counter()
        i_ams = await bacnet.who_is()  # global who-is, BAC0's default 3 s window
        t1 = time.perf_counter()
        devices = []
        for i_am in sorted(i_ams, key=lambda a: a.iAmDeviceIdentifier[1]):
            address = str(i_am.pduSource)
            instance = int(i_am.iAmDeviceIdentifier[1])
            try:
                # poll=-1: no background polling (poll=0 re-reads every point once
                # more, the default poll=10 keeps polling): discovery only.
                device = await BAC0.device(address, instance, bacnet, poll=-1)
            except Exception as exc:
                found.errors.append(f"device {instance}: {exc!r}")
                continue
            devices.append(device)
        t2, cpu1 = time.perf_counter(), time.process_time()

        for device in devices:
            instance = int(device.properties.device_id)
            object_list = device.properties.objects_list or []
            found.object_lists[instance] = [oid_text(o) for o in object_list]
            for point in device.points:
                oid = oid_text((point.properties.type, point.properties.address))
                units = point.properties.units_state
                units = units if oid.startswith("analog") else None
                key = (device.properties.device_id, str(point.properties.type), str(point.properties.address))
                found.add(instance, oid, point.properties.name, seen_values.get(key), units, has_value=key in seen_values)
        return {
            "whois_s": t1 - t0,
            "reads_s": t2 - t1,
            "total_s": t2 - t0,
            "cpu_s": cpu1 - cpu0,
            "requests": sent[0],
            "settings": {
                "bac0": _dist_version("bac0"),  # BAC0.version lags the release (2026.04.02 in 2026.7.25)
                "bacpypes3": _dist_version("bacpypes3"),
                "who_is": "bacnet.who_is() (3 s)",
                "reads": "BAC0.device(addr, id, bacnet, poll=-1), devices one after another",
            },
            "points": sum(len(d.points) for d in devices),
            "sockets": sockets,
            **found.result(),
        }
    finally:
        for link_layer in link_layers:
            if hasattr(link_layer, "unregister"):
                try:
                    link_layer.unregister()
                except Exception:
                    pass
        await bacnet._disconnect()


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def run_worker(args) -> None:
    """Entry of a worker subprocess: one discovery, one RESULT line on stdout."""
    cpu_start = time.process_time()

    async def main() -> dict:
        if args.worker == "aso":
            return await worker_aso(args, stream=False)
        if args.worker == "aso-stream":
            return await worker_aso(args, stream=True)
        if args.worker == "baseline":
            return await worker_baseline(args)
        if args.worker == "bac0":
            return await worker_bac0(args)
        raise SystemExit(f"unknown worker {args.worker}")

    if args.profile:  # cProfile of the whole worker (startup included), for "where does time go"
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(asyncio.run, asyncio.wait_for(main(), WORKER_TIMEOUT - 10))
        profiler.dump_stats(args.profile)
    else:
        result = asyncio.run(asyncio.wait_for(main(), WORKER_TIMEOUT - 10))
    result["cpu_process_s"] = time.process_time() - cpu_start  # includes imports and startup
    result["client"] = args.worker
    emit(result)


# =============================================================================
# The simulated building, served by this script in its own process
# =============================================================================

SIM_MAX_LIFETIME = 900.0  # s: the simulator stops by itself even if the driver vanished


def extra_points(instance: int, count: int, name: str) -> list:
    """``count`` more points for one device, a typical mix (for a bigger site)."""
    from aso_runtime.sim import points as p

    made = []
    for n in range(count):
        number = 100 + n  # far above the instances the building uses
        kind = n % 10
        if kind < 4:
            made.append(p.analog_input(number, f"{name} Sensor {n:03d}", "degrees-fahrenheit", 70.0 + n % 7))
        elif kind < 7:
            made.append(p.analog_value(number, f"{name} Setpoint {n:03d}", "percent", float(n % 50)))
        elif kind < 9:
            made.append(p.binary_value(number, f"{name} Flag {n:03d}", bool(n % 2)))
        else:
            made.append(p.multistate_value(number, f"{name} Mode {n:03d}", ["auto", "on", "off"], 1))
    return made


async def serve_sim(args) -> None:
    """Serve the building like ``aso sim --json`` (same code), optionally with extra points."""
    from aso_runtime.sim import SimulatedBuilding

    building = await SimulatedBuilding.start(address=f"{LOOPBACK}/8:{args.port}", devices=args.devices)
    try:
        if args.extra_points:
            for device in building.devices:
                app = building.application(device.instance)
                for obj in extra_points(device.instance, args.extra_points, device.name):
                    app.add_object(obj)
        table = {
            "address": building.address,
            "devices": [{"instance": d.instance, "name": d.name, "address": d.address, "kind": d.kind}
                        for d in building.devices],
            "extra_points_per_device": args.extra_points,
        }
        sys.stdout.write(json.dumps(table) + "\n")
        sys.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await asyncio.wait_for(stop.wait(), SIM_MAX_LIFETIME)
        except (asyncio.TimeoutError, TimeoutError):
            pass
    finally:
        await building.stop()


def die_with_parent() -> None:
    """preexec_fn: SIGTERM this child if the benchmark driver dies (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


# =============================================================================
# Driver
# =============================================================================


def proc_cpu(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def udp_sockets_of(pid: int) -> list[str]:
    out = subprocess.run(["ss", "-uanpH"], capture_output=True, text=True, timeout=5).stdout
    mark = f"pid={pid},"
    return sorted({line.split()[3] for line in out.splitlines() if mark in line})


def start_sim(args) -> tuple[subprocess.Popen, dict]:
    command = [sys.executable, str(Path(__file__).resolve()), "--serve-sim", "--port", str(SIM_PORT),
               "--devices", str(args.devices), "--extra-points", str(args.extra_points)]
    sim = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                           preexec_fn=die_with_parent)
    return sim, device_table(sim, SIM_START_TIMEOUT, stop_process)


def device_table(sim: subprocess.Popen, timeout: float, stop: Callable[[subprocess.Popen], None]) -> dict:
    """The JSON device table a simulator prints once every device is served (``aso sim --json``)."""
    data, deadline = b"", time.monotonic() + timeout
    fd = sim.stdout.fileno()
    while time.monotonic() < deadline:
        if sim.poll() is not None:
            raise SystemExit(f"simulator exited ({sim.returncode}): {sim.stderr.read().decode()[-2000:]}")
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        data += os.read(fd, 65536)
        try:
            return json.loads(data)
        except json.JSONDecodeError:
            continue
    stop(sim)
    raise SystemExit(f"simulator did not print its device table within {timeout:g} s")


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def worker_command(name: str, args) -> list[str]:
    python = str(BAC0_VENV / "bin" / "python") if name == "bac0" else sys.executable
    return [
        python, str(Path(__file__).resolve()), "--worker", name,
        "--port", str(PORTS[name]), "--sim", f"{LOOPBACK}:{SIM_PORT}",
        "--per-device-limit", str(args.per_device_limit), "--device-concurrency", str(args.device_concurrency),
    ]


def run_one(name: str, args, sim: subprocess.Popen) -> dict:
    load = os.getloadavg()[0]  # other work on this machine shows up as noise: keep it on record
    sim_cpu0 = proc_cpu(sim.pid)
    started = time.perf_counter()
    try:
        done = subprocess.run(worker_command(name, args), capture_output=True, text=True, timeout=WORKER_TIMEOUT,
                              cwd=ROOT, preexec_fn=die_with_parent)
    except subprocess.TimeoutExpired:
        return {"client": name, "failed": f"timed out after {WORKER_TIMEOUT:g} s"}
    wall = time.perf_counter() - started
    sim_cpu = proc_cpu(sim.pid) - sim_cpu0
    line = next((l for l in reversed(done.stdout.splitlines()) if l.startswith(RESULT_MARK)), None)
    if line is None:
        tail = (done.stderr or done.stdout)[-3000:]
        return {"client": name, "failed": f"exit {done.returncode}: {tail}"}
    result = json.loads(line[len(RESULT_MARK):])
    result["sim_cpu_s"] = sim_cpu  # simulator CPU during the whole worker (incl. its startup)
    result["process_wall_s"] = wall
    result["loadavg_1min_before"] = load
    check_loopback(result.get("sockets", []), f"{name} worker")
    return result


def median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def cross_check(runs: dict[str, list[dict]]) -> dict:
    """Objects must match across clients; names / units / values compared on common keys."""
    reference_name = "aso"
    ref = next((r for r in runs.get(reference_name, []) if "failed" not in r), None)
    report: dict = {"reference": reference_name}
    if ref is None:
        report["error"] = "no successful run of our client"
        return report
    ref_objects = {f"{d}/{o}" for d, oids in ref["object_lists"].items() for o in oids}
    for name, results in runs.items():
        for index, result in enumerate(results):
            if "failed" in result:
                continue
            objects = {f"{d}/{o}" for d, oids in result["object_lists"].items() for o in oids}
            entry = {
                "objects": len(objects),
                "objects_match": objects == ref_objects,
                "missing": sorted(ref_objects - objects)[:10],
                "extra": sorted(objects - ref_objects)[:10],
            }
            for field in ("names", "units"):
                common = set(ref[field]) & set(result[field])
                bad = sorted(k for k in common if ref[field][k] != result[field][k])
                entry[f"{field}_compared"] = len(common)
                entry[f"{field}_mismatch"] = [(k, ref[field][k], result[field][k]) for k in bad[:10]]
                entry[f"{field}_mismatch_count"] = len(bad)
            entry["values_read"] = sum(1 for v in result["values"].values() if v is not None)
            # Present values of setpoints (analog-value) do not move by themselves.
            # (The VAVs' airflow setpoint is written by the model's box program: skip it.)
            common = [k for k in set(ref["values"]) & set(result["values"])
                      if "/analog-value," in k and "Airflow" not in ref["names"].get(k, "")]
            agree = sum(1 for k in common if _same_value(ref["values"][k], result["values"][k]))
            entry["setpoint_values_agree"] = f"{agree}/{len(common)}"
            report.setdefault(name, []).append(entry)
    return report


def _same_value(a, b) -> bool:
    try:
        return abs(float(a) - float(b)) < 1e-3
    except (TypeError, ValueError):
        return a == b


def summarize(runs: dict[str, list[dict]]) -> dict:
    summary = {}
    for name, results in runs.items():
        ok = [r for r in results if "failed" not in r]
        if not ok:
            summary[name] = {"failed": [r.get("failed") for r in results]}
            continue
        summary[name] = {
            key: median([r.get(key) for r in ok])
            for key in ("whois_s", "reads_s", "total_s", "cpu_s", "cpu_process_s", "requests", "sim_cpu_s",
                        "devices", "objects", "last_iam_s", "error_count")
        }
        summary[name]["runs_ok"] = len(ok)
        summary[name]["runs_failed"] = len(results) - len(ok)
        summary[name]["settings"] = ok[0].get("settings")
        if "slowest_device" in ok[0]:
            summary[name]["slowest_device"] = [r["slowest_device"] for r in ok]
    for other in ("bac0", "baseline"):
        reference = summary.get(other, {}).get("total_s")
        for name, s in summary.items():
            if reference and s.get("total_s"):
                s[f"faster_than_{other}"] = reference / s["total_s"]
    return summary


LABELS = {
    "aso": "aso_runtime.bacnet (who_is + discover_objects)",
    "aso-stream": "aso_runtime.bacnet, reads start per I-Am (who_is_stream)",
    "baseline": "sequential bacpypes3 (3 s who-is, one ReadProperty per property)",
    "bac0": "BAC0 (3 s who_is, BAC0.device per device)",
}


def markdown(summary: dict, meta: dict) -> str:
    def f(value, digits=2):
        return "–" if value is None else f"{value:.{digits}f}"

    lines = [
        f"Site: simulated building, {meta['sim_devices']} devices"
        + (f" with {meta['extra_points_per_device']} extra points each" if meta.get("extra_points_per_device") else "")
        + " + the simulator's router device "
        f"({meta['objects']} objects in all object-lists), BACnet/IP over loopback through a BBMD/router. "
        f"Median of {meta['runs']} run(s); times in seconds.",
        "",
        "| Client | who-is | reads | total | requests | client CPU | sim CPU | devices | objects | vs BAC0 | vs baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in CLIENTS:
        s = summary.get(name)
        if s is None:
            continue
        if "failed" in s:
            lines.append(f"| {LABELS[name]} | failed: {str(s['failed'][0])[:80]} ||||||||||")
            continue
        speeds = [f"{s[k]:.1f}x" if s.get(k) else "–" for k in ("faster_than_bac0", "faster_than_baseline")]
        lines.append(
            f"| {LABELS[name]} | {f(s['whois_s'])} | {f(s['reads_s'])} | {f(s['total_s'])} | {int(s['requests'])} "
            f"| {f(s['cpu_s'])} | {f(s['sim_cpu_s'])} | {int(s['devices'])} | {int(s['objects'])} | {speeds[0]} | {speeds[1]} |"
        )
    for name in CLIENTS:
        s = summary.get(name) or {}
        if s.get("error_count"):
            lines.append(f"\n{LABELS[name]}: median {int(s['error_count'])} read errors per run (see the JSON).")
    return "\n".join(lines)


def run_driver(args) -> int:
    clients = [c for c in CLIENTS if not (c == "bac0" and args.skip_bac0)]
    if args.clients:
        clients = [c for c in clients if c in args.clients.split(",")]
    if "bac0" in clients and not (BAC0_VENV / "bin" / "python").exists():
        print(f"BAC0 venv {BAC0_VENV} missing: see benchmarks/README.md (or pass --skip-bac0)", file=sys.stderr)
        return 2
    sim, table = start_sim(args)
    runs: dict[str, list[dict]] = {c: [] for c in clients}
    try:
        sim_sockets = udp_sockets_of(sim.pid)
        check_loopback(sim_sockets, "simulator")
        print(f"simulator pid {sim.pid} on {table['address']} ({len(table['devices'])} devices), sockets {sim_sockets}",
              file=sys.stderr)
        time.sleep(1.0)  # let the model take its first steps
        for run in range(args.runs):
            for name in clients:
                result = run_one(name, args, sim)
                runs[name].append(result)
                if "failed" in result:
                    print(f"run {run + 1} {name}: FAILED {result['failed'][:400]}", file=sys.stderr)
                else:
                    print(
                        f"run {run + 1} {name:10s} who-is {result['whois_s']:.3f} reads {result['reads_s']:.3f} "
                        f"total {result['total_s']:.3f} s, {result['requests']} requests, cpu {result['cpu_s']:.3f} s, "
                        f"sim cpu {result['sim_cpu_s']:.2f} s, {result['devices']} devices, {result['objects']} objects, "
                        f"{result['error_count']} errors",
                        file=sys.stderr,
                    )
                time.sleep(0.3)
    finally:
        stop_process(sim)

    summary = summarize(runs)
    checks = cross_check(runs)
    objects = summary.get("aso", {}).get("objects") or next(
        (s.get("objects") for s in summary.values() if s.get("objects")), 0)
    meta = {
        "sim_devices": args.devices,
        "extra_points_per_device": args.extra_points,
        "loadavg_at_end": os.getloadavg(),
        "runs": args.runs,
        "objects": int(objects or 0),
        "host": platform.node(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "per_device_limit": args.per_device_limit,
        "device_concurrency": args.device_concurrency or "all",
    }
    table_md = markdown(summary, meta)
    print(table_md)
    print()
    for name, entries in checks.items():
        if name == "reference" or not isinstance(entries, list):
            continue
        e = entries[0]
        print(f"cross-check {name}: objects {e['objects']} match={e['objects_match']}, names {e['names_compared']} "
              f"compared / {e['names_mismatch_count']} differ, units {e['units_compared']} / "
              f"{e['units_mismatch_count']} differ, setpoint values agree {e['setpoint_values_agree']}")
    for name, runs_of in runs.items():  # bulky per-object maps stay out of the JSON
        for r in runs_of:
            for key in ("names", "units", "values", "object_lists"):
                r.pop(key, None)
    args.output.write_text(json.dumps({"meta": meta, "summary": summary, "cross_check": checks, "runs": runs,
                                   "table_markdown": table_md}, indent=2, default=str) + "\n")
    print(f"\nwrote {args.output}", file=sys.stderr)
    failed = any("failed" in r for rs in runs.values() for r in rs)
    mismatch = any(not e["objects_match"] or e["names_mismatch_count"] or e["units_mismatch_count"]
                   for k, es in checks.items() if isinstance(es, list) for e in es)
    return 1 if failed or mismatch else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=50, help="devices in the simulated building (default 50)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each client; the table shows medians (default 3)")
    parser.add_argument("--skip-bac0", action="store_true", help="do not run BAC0 (no separate venv needed)")
    parser.add_argument("--clients", help="comma-separated subset of: " + ",".join(CLIENTS))
    parser.add_argument("--per-device-limit", type=int, default=8,
                        help="our client: requests in flight per device (open_client per_device_limit, default 8)")
    parser.add_argument("--device-concurrency", type=int, default=16,
                        help="our client: devices discovered at once (default 16; 0 = all at once, which "
                             "overloads the simulator's router on a big site: see README)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"results file (default {RESULTS.relative_to(ROOT)})")
    parser.add_argument("--extra-points", type=int, default=0,
                        help="add N points to every simulated device (a bigger site; default 0 = the stock building)")
    parser.add_argument("--worker", choices=CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--serve-sim", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sim", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_sim:
        asyncio.run(serve_sim(args))
        return 0
    if args.worker:
        if not (47500 <= args.port <= 47599):
            raise SystemExit("workers bind loopback ports 47500..47599 only")
        run_worker(args)
        return 0
    return run_driver(args)


if __name__ == "__main__":
    sys.exit(main())
