#!/usr/bin/env python3
"""The site-wide override sweep against `aso sim` in another process: how long until every slot is known.

Two measures, each against a simulated building served by ``aso sim
--devices N`` in its own process over UDP on loopback (as
``discovery_speed.py`` does):

- **in-process sweep**: ``sweep_overrides(client)`` in a fresh Python
  process with the client already open, from the Who-Is to the last held
  slot (the figure the issue asks for: the whole sweep under 0.7 s for 50
  devices). Recorded: total, when the last device finished, when the
  Who-Is ended, client CPU, requests sent, slots and out-of-service points
  found.
- **`aso overrides --json`**: the command a technician types, spawn to exit
  (interpreter start-up, imports, bind, foreign-device registration, sweep,
  ledger and audit journal reading, close).

Before timing, a few overrides are placed (priority 8 and 1 and an input out
of service) by a separate client, so the sweep has something to find
besides the simulated programs' priority-16 slots; they are released at
the end.

Usage::

    .venv/bin/python benchmarks/overrides.py [--devices 50] [--runs 7] [--output FILE]

Network safety: everything binds 127.0.0.1 on ports 48100..48109 (the
simulator on 48100, clients on 48101..48104), every command passes an
explicit loopback ``--address``, and the run stops if any process holds a
UDP socket off loopback. Journals go to a temporary XDG_DATA_HOME.
Every wait is bounded; children die with the driver (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import discovery_speed
from discovery_speed import (
    check_loopback,
    die_with_parent,
    proc_cpu,
    stop,
    udp_sockets_of,
)

ASO = ROOT / ".venv" / "bin" / "aso"
PYTHON = ROOT / ".venv" / "bin" / "python"
RESULTS = HERE / "results-overrides.json"
LOOPBACK = "127.0.0.1"
SIM_PORT = 48100
PORT = {"in-process": 48101, "cli": 48102, "setup": 48103}
RUN_TIMEOUT = 60.0
SIM = f"{LOOPBACK}:{SIM_PORT}"

# What the setup client places (and releases at the end): device, object, property, value, priority.
PLACED = [
    (1001, "analog-output,1", "present-value", 55.0, 8),
    (2001, "analog-value,1", "present-value", 72.0, 8),
    (2002, "multi-state-value,1", "present-value", 2, 1),
    (3001, "binary-output,1", "present-value", "inactive", 5),
    (1001, "analog-input,2", "out-of-service", True, None),
]


async def setup(place: bool) -> None:
    from aso_runtime.bacnet import open_client

    client = await open_client(address=f"{LOOPBACK}/8:{PORT['setup']}", foreign=SIM, ttl=60, timeout=2.0)
    try:
        check_loopback(udp_sockets_of(os.getpid()), "setup client")
        for device, oid, prop, value, priority in PLACED:
            if place:
                await client.write(device, oid, value, priority, prop)
            elif priority is None:
                await client.write(device, oid, False, None, prop)
            else:
                await client.release(device, oid, priority)
    finally:
        await client.close()


async def in_process() -> dict:
    """One sweep in this process, the client opened first (not timed)."""
    from aso_runtime.bacnet import open_client
    from aso_runtime.closeout.attribution import load_holders
    from aso_runtime.closeout.records import HeldSlot
    from aso_runtime.closeout.sweep import sweep_overrides

    client = await open_client(address=f"{LOOPBACK}/8:{PORT['in-process']}", foreign=SIM, ttl=60)
    try:
        check_loopback(udp_sockets_of(os.getpid()), "in-process client")
        holders = load_holders()
        devices: list[float] = []
        requests0 = client.requests_sent
        cpu0, t0 = time.process_time(), time.monotonic()
        found = [item async for item in sweep_overrides(
            client, holders=holders, on_device=lambda summary: devices.append(time.monotonic()))]
        t1, cpu1 = time.monotonic(), time.process_time()
        return {
            "total_s": t1 - t0,
            "last_device_s": max(devices) - t0 if devices else None,
            "cpu_s": cpu1 - cpu0,
            "devices": len(devices),
            "requests": client.requests_sent - requests0,
            "held": sum(isinstance(item, HeldSlot) for item in found),
            "out_of_service": sum(not isinstance(item, HeldSlot) for item in found),
            "below_16": sum(isinstance(item, HeldSlot) and item.priority < 16 for item in found),
        }
    finally:
        await client.close()


def worker(kind: str, env: dict[str, str]) -> dict:
    command = [str(PYTHON), str(Path(__file__).resolve()), f"--{kind}-worker"]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=tempfile.gettempdir(),
                          env=env, preexec_fn=die_with_parent)
    if done.returncode != 0:
        return {"failed": done.stderr[-1500:]}
    return json.loads(done.stdout.splitlines()[-1])


def run_cli(env: dict[str, str], sim_pid: int) -> dict:
    command = [str(ASO), "--json", "--address", f"{LOOPBACK}/8:{PORT['cli']}", "--foreign", SIM, "overrides"]
    sim_cpu0 = proc_cpu(sim_pid)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=tempfile.gettempdir(),
                              env=env, preexec_fn=die_with_parent)
    except subprocess.TimeoutExpired:
        return {"failed": f"timed out after {RUN_TIMEOUT:g} s"}
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {"wall_s": wall, "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
              "sim_cpu_s": proc_cpu(sim_pid) - sim_cpu0, "exit": done.returncode}
    if done.returncode != 0:
        result["failed"] = done.stderr[-1500:]
        return result
    document = json.loads(done.stdout)
    result.update(held=len(document["held"]), out_of_service=len(document["out_of_service"]),
                  devices=len(document["devices"]), sweep_ms=document["elapsed_ms"])
    return result


def summarize(runs: list[dict]) -> dict:
    ok = [r for r in runs if "failed" not in r]
    keys = sorted({k for r in ok for k, v in r.items() if isinstance(v, (int, float)) and not isinstance(v, bool)})
    summary = {k: statistics.median([r[k] for r in ok if r.get(k) is not None]) for k in keys}
    for key in ("total_s", "wall_s"):
        if ok and key in ok[0]:
            summary[f"{key}_min"] = min(r[key] for r in ok)
            summary[f"{key}_max"] = max(r[key] for r in ok)
    summary.update(runs_ok=len(ok), runs_failed=len(runs) - len(ok))
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=50, help="devices in `aso sim` (default 50)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each measure (default 7)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"results file (default {RESULTS.name})")
    parser.add_argument("--in-process-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--setup-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--teardown-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process_worker:
        print(json.dumps(asyncio.run(asyncio.wait_for(in_process(), RUN_TIMEOUT - 5))))
        return 0
    if args.setup_worker or args.teardown_worker:
        asyncio.run(asyncio.wait_for(setup(args.setup_worker), RUN_TIMEOUT - 5))
        print("{}")
        return 0

    data_home = tempfile.mkdtemp(prefix="aso-bench-overrides-")
    env = discovery_speed.client_env(None, True)
    env.update(XDG_DATA_HOME=data_home, XDG_STATE_HOME=data_home)
    discovery_speed.SIM_PORT = SIM_PORT  # start_sim binds there
    sim, table = discovery_speed.start_sim(args.devices)
    runs: dict[str, list[dict]] = {"in_process": [], "cli": []}
    try:
        check_loopback(udp_sockets_of(sim.pid), "aso sim")
        print(f"aso sim pid {sim.pid} on {table['address']}, {len(table['devices'])} devices", file=sys.stderr)
        placed = worker("setup", env)
        if "failed" in placed:
            raise SystemExit(f"placing the overrides failed: {placed['failed']}")
        worker("in-process", env)  # warm-up: bytecode cache, the simulator's first steps
        for run in range(args.runs):
            for kind in ("in_process", "cli"):
                result = worker("in-process", env) if kind == "in_process" else run_cli(env, sim.pid)
                runs[kind].append(result)
                shown = {k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}
                print(f"run {run + 1} {kind:10s} {shown}", file=sys.stderr)
                time.sleep(0.3)
        worker("teardown", env)
    finally:
        stop(sim)
    summary = {kind: summarize(results) for kind, results in runs.items()}
    meta = {"devices": args.devices, "runs": args.runs, "host": platform.node(), "python": platform.python_version(),
            "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M:%S"), "loadavg_at_end": os.getloadavg(),
            "sim_address": table["address"], "placed": [list(p) for p in PLACED]}
    s, c = summary["in_process"], summary["cli"]
    print(f"in-process sweep: median {s.get('total_s', 0):.3f} s (min {s.get('total_s_min', 0):.3f}, max "
          f"{s.get('total_s_max', 0):.3f}), last device at {s.get('last_device_s', 0):.3f} s, CPU "
          f"{s.get('cpu_s', 0):.3f} s, {s.get('requests')} requests, {s.get('devices')} devices, "
          f"{s.get('held')} held slots ({s.get('below_16')} below 16), {s.get('out_of_service')} out of service")
    print(f"aso overrides --json: wall median {c.get('wall_s', 0):.3f} s (min {c.get('wall_s_min', 0):.3f}, max "
          f"{c.get('wall_s_max', 0):.3f}), CPU {c.get('cpu_s', 0):.3f} s, sweep {c.get('sweep_ms', 0):.0f} ms")
    args.output.write_text(json.dumps({"meta": meta, "summary": summary, "runs": runs}, indent=2) + "\n")
    print(f"wrote {args.output}", file=sys.stderr)
    return 1 if any("failed" in r for results in runs.values() for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
