#!/usr/bin/env python3
"""`aso discover --all` from the command line, start-up included, against `aso sim` in another process.

What a technician waits for: from pressing Enter to the last point on the
screen. Each run starts a fresh ``aso`` process (interpreter, imports,
bind, foreign-device registration, Who-Is, every device's points, close)
against a simulated building served by ``aso sim --devices N`` in its own
process, over UDP on loopback. Recorded per run:

- **wall**: spawn to exit of the ``aso`` process (``time.perf_counter``);
- **CPU**: the ``aso`` process's user+sys (``RUSAGE_CHILDREN`` of this
  driver; the simulator is reaped only at the end, so it is not in it);
- **sim CPU**: the simulator's user+sys over the same run (``/proc``);
- **points / devices / errors**: from ``aso --json`` (every run must find
  the whole building).

Then one *counted* run per verb goes through a launcher that adds an audit
hook (``socket.sendto``) to the ``aso`` process and writes when each
datagram left: **datagrams sent** (requests, Who-Is, the foreign-device
registration) and **first send**, the start-up before anything goes on
the wire. Timed runs do not carry the hook.

``--verbs`` also times ``aso whois`` and ``aso routers`` (each ends on
quiet). ``--in-process`` adds a run of ``discover_site`` inside one
process that records when the last I-Am arrived and when the Who-Is ended
(the quiet timer must not be starved by the reads it started).
``--baseline-tree DIR`` runs every measurement a second time, interleaved,
with ``aso_runtime`` imported from DIR (e.g. ``git archive HEAD aso_runtime
| tar -x -C DIR``): before/after under the same load, against the same
simulator.

Python's bytecode cache is on for the ``aso`` processes (in a private
``PYTHONPYCACHEPREFIX``, after one warm-up run), whatever
``PYTHONDONTWRITEBYTECODE`` says: an installed ``aso`` does not compile
itself at every start (``--no-bytecode-cache`` measures that case).

Usage::

    .venv/bin/python benchmarks/discovery_speed.py [--devices 50] [--runs 5] [--verbs] [--in-process] \
        [--baseline-tree DIR]

Network safety: everything binds 127.0.0.1 on ports 47900..47909 (the
simulator on 47900 with bacpypes3's loopback broadcast socket, clients on
47901..47904), every command passes an explicit loopback ``--address``,
and the run stops if any process holds a UDP socket off loopback. Every
wait is bounded; children die with the driver (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The process helpers of the older discovery benchmark (this folder is on sys.path when run).
from discovery import device_table, die_with_parent, proc_cpu, udp_sockets_of  # noqa: E402,F401

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ASO = ROOT / ".venv" / "bin" / "aso"
RESULTS = HERE / "discovery_speed_results.json"

LOOPBACK = "127.0.0.1"
SIM_PORT = 47900
CLIENT_PORT = {"discover": 47901, "whois": 47902, "routers": 47903, "in-process": 47904}
RUN_TIMEOUT = 60.0  # s: one `aso` run
SIM_START_TIMEOUT = 60.0

# The counted run: `aso` with an audit hook that records when each datagram is sent.
LAUNCHER = """
import atexit, json, os, sys, time
sends = []
def _hook(event, args):
    if event == "socket.sendto":
        sends.append(time.monotonic())
sys.addaudithook(_hook)
atexit.register(lambda: open(os.environ["ASO_BENCH_SENDS"], "w").write(json.dumps(sends)))
sys.argv = ["aso", *sys.argv[1:]]
from aso_runtime.cli.main import main
sys.exit(main())
"""


def check_loopback(sockets: list[str], who: str) -> None:
    bad = [s for s in sockets if not s.startswith("127.")]
    if bad:
        raise SystemExit(f"{who}: UDP socket(s) bound off loopback: {bad}; refusing to go on")


def start_sim(devices: int) -> tuple[subprocess.Popen, dict]:
    command = [str(ASO), "--json", "--address", f"{LOOPBACK}/8:{SIM_PORT}", "sim", "--devices", str(devices)]
    sim = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                           preexec_fn=die_with_parent)
    return sim, device_table(sim, SIM_START_TIMEOUT, stop)  # `aso sim --json`: once every device is served


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def client_env(tree: Path | None, bytecode_cache: bool) -> dict[str, str]:
    """The environment of an ``aso`` client: loopback only, its aso_runtime from ``tree`` (None: this checkout)."""
    env = {k: v for k, v in os.environ.items() if k not in ("ASO_ADDRESS", "COLUMNS", "PYTHONPATH")}
    if tree is not None:
        env["PYTHONPATH"] = str(tree)  # sys.path comes before the editable install's finder
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        cache = Path(tempfile.gettempdir()) / "aso-bench-pycache" / (tree.name if tree else "current")
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def verb_args(verb: str) -> list[str]:
    connection = ["--json", "--address", f"{LOOPBACK}/8:{CLIENT_PORT[verb]}", "--foreign", f"{LOOPBACK}:{SIM_PORT}"]
    return connection + {"discover": ["discover", "--all"], "whois": ["whois"], "routers": ["routers"]}[verb]


def run_aso(verb: str, sim: subprocess.Popen, env: dict[str, str], *, counted: bool = False) -> dict:
    """One `aso` process from spawn to exit: wall, its CPU, the simulator's CPU, what it found."""
    sends_file = None
    env = dict(env)
    if counted:
        handle, sends_file = tempfile.mkstemp(prefix="aso-sends-", suffix=".json")
        os.close(handle)
        env["ASO_BENCH_SENDS"] = sends_file
        command = [str(ROOT / ".venv" / "bin" / "python"), "-c", LAUNCHER, *verb_args(verb)]
    else:
        command = [str(ASO), *verb_args(verb)]
    load = os.getloadavg()[0]
    sim_cpu0 = proc_cpu(sim.pid)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    spawned_monotonic = time.monotonic()
    started = time.perf_counter()
    try:
        # Not from the checkout's directory: `python -c` puts the working directory first on
        # sys.path, which would shadow the tree under test.
        done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=tempfile.gettempdir(),
                              env=env, preexec_fn=die_with_parent)
    except subprocess.TimeoutExpired:
        return {"verb": verb, "failed": f"timed out after {RUN_TIMEOUT:g} s"}
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict = {
        "verb": verb,
        "counted": counted,
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "sim_cpu_s": proc_cpu(sim.pid) - sim_cpu0,
        "loadavg_1min_before": load,
        "exit": done.returncode,
    }
    if done.returncode != 0:
        result["failed"] = f"exit {done.returncode}: {done.stderr[-1500:]}"
        return result
    document = json.loads(done.stdout)
    if verb == "discover":
        result["points"] = document["count"]
        result["devices"] = len({p["device_instance"] for p in document["points"]})
        result["errors"] = len(document["errors"])
    elif verb == "whois":
        result["devices"] = document["count"]
        result["whois_elapsed_ms"] = document["elapsed_ms"]
    else:
        result["routers"] = document["count"]
    if sends_file is not None:
        sends = json.loads(Path(sends_file).read_text() or "[]")
        os.unlink(sends_file)
        result["datagrams_sent"] = len(sends)
        result["first_send_s"] = sends[0] - spawned_monotonic if sends else None
        result["last_send_s"] = sends[-1] - spawned_monotonic if sends else None
    return result


# ----- in one process: when did the last I-Am come, when did the Who-Is end? -----------------


async def in_process(devices: int) -> dict:
    """``discover_site`` as ``aso discover --all`` runs it, with the Who-Is's end recorded."""
    import asyncio

    from aso_runtime.bacnet import open_client, points
    from aso_runtime.verbs.execute import DISCOVER_CONCURRENCY

    client = await open_client(address=f"{LOOPBACK}/8:{CLIENT_PORT['in-process']}", foreign=f"{LOOPBACK}:{SIM_PORT}")
    try:
        check_loopback(udp_sockets_of(os.getpid()), "in-process client")
        i_ams: list[float] = []
        client.app.i_am_listeners.append(lambda apdu: i_ams.append(time.monotonic()))
        ended: list[float] = []
        original = points.who_is_stream

        async def recorded(*args, **kwargs):
            async for device in original(*args, **kwargs):
                yield device
            ended.append(time.monotonic())

        points.who_is_stream = recorded  # measurement only: note when the stream ends
        try:
            cpu0, t0 = time.process_time(), time.monotonic()
            found = [d async for d in points.discover_site(client, concurrency=DISCOVER_CONCURRENCY)]
            t1, cpu1 = time.monotonic(), time.process_time()
        finally:
            points.who_is_stream = original
        await asyncio.sleep(0)
        return {
            "devices": len(found),
            "points": sum(len(d.points) for d in found),
            "errors": sum(1 for d in found if d.error),
            "last_iam_s": max(i_ams) - t0 if i_ams else None,
            "whois_end_s": ended[0] - t0 if ended else None,
            "total_s": t1 - t0,
            "cpu_s": cpu1 - cpu0,
            "requests": client.requests_sent,
        }
    finally:
        await client.close()


def run_in_process(devices: int, env: dict[str, str]) -> dict:
    command = [str(ROOT / ".venv" / "bin" / "python"), str(Path(__file__).resolve()), "--in-process-worker",
               "--devices", str(devices)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=ROOT, env=env,
                          preexec_fn=die_with_parent)
    if done.returncode != 0:
        return {"failed": done.stderr[-1500:]}
    return json.loads(done.stdout.splitlines()[-1])


# ----- driver ----------------------------------------------------------------------------------


def median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(runs: list[dict]) -> dict:
    ok = [r for r in runs if "failed" not in r]
    keys = sorted({k for r in ok for k, v in r.items() if isinstance(v, (int, float)) and not isinstance(v, bool)})
    summary = {k: median([r.get(k) for r in ok]) for k in keys}
    summary.update(runs_ok=len(ok), runs_failed=len(runs) - len(ok))
    if ok and "wall_s" in ok[0]:
        summary["wall_s_min"] = min(r["wall_s"] for r in ok)
        summary["wall_s_max"] = max(r["wall_s"] for r in ok)
    return summary


def report(label: str, summary: dict, counted: dict) -> None:
    for verb, s in summary.items():
        if verb == "in_process":
            print(f"{label:8s} in-process discover_site: last I-Am {s.get('last_iam_s') or 0:.3f} s, Who-Is ended "
                  f"{s.get('whois_end_s') or 0:.3f} s, total {s.get('total_s') or 0:.3f} s, "
                  f"CPU {s.get('cpu_s') or 0:.3f} s, {s.get('requests')} requests")
            continue
        c = counted.get(verb, {})
        found = f", {int(s['points'])} points, {int(s['errors'])} errors" if s.get("points") else ""
        print(f"{label:8s} aso {verb:8s}: wall median {s.get('wall_s') or 0:.3f} s "
              f"(min {s.get('wall_s_min') or 0:.3f}, max {s.get('wall_s_max') or 0:.3f}), "
              f"CPU {s.get('cpu_s') or 0:.3f} s, sim CPU {s.get('sim_cpu_s') or 0:.3f} s{found}; "
              f"datagrams sent {c.get('datagrams_sent')}, first send after {c.get('first_send_s') or 0:.3f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=50, help="devices in `aso sim` (default 50)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each verb (default 5)")
    parser.add_argument("--verbs", action="store_true", help="also time `aso whois` and `aso routers`")
    parser.add_argument("--in-process", action="store_true", help="also time discover_site in one process "
                        "(last I-Am vs end of the Who-Is)")
    parser.add_argument("--baseline-tree", type=Path, help="also measure, interleaved, aso_runtime from this "
                        "directory (e.g. an export of HEAD): before/after in one run")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="leave PYTHONDONTWRITEBYTECODE as it is (aso compiles its modules at every start)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"results file (default {RESULTS.name})")
    parser.add_argument("--in-process-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process_worker:
        import asyncio

        print(json.dumps(asyncio.run(asyncio.wait_for(in_process(args.devices), RUN_TIMEOUT - 5))))
        return 0

    verbs = ["discover"] + (["whois", "routers"] if args.verbs else [])
    trees: dict[str, Path | None] = {"current": None}
    if args.baseline_tree is not None:
        if not (args.baseline_tree / "aso_runtime" / "cli" / "main.py").exists():
            raise SystemExit(f"{args.baseline_tree}: no aso_runtime/cli/main.py there")
        trees["baseline"] = args.baseline_tree.resolve()
    envs = {label: client_env(tree, not args.no_bytecode_cache) for label, tree in trees.items()}
    sim, table = start_sim(args.devices)
    results: dict = {label: {"runs": {verb: [] for verb in verbs}, "counted": {}, "in_process": []} for label in trees}
    try:
        sim_sockets = udp_sockets_of(sim.pid)
        check_loopback(sim_sockets, "aso sim")
        print(f"aso sim pid {sim.pid} on {table['address']}, {len(table['devices'])} devices, sockets {sim_sockets}",
              file=sys.stderr)
        for label in trees:  # warm-up: the bytecode cache, the simulator's first model steps
            warm = run_aso("discover", sim, envs[label])
            if "failed" in warm:
                raise SystemExit(f"{label}: warm-up run failed: {warm['failed']}")
        for run in range(args.runs):
            for verb in verbs:
                for label in trees:
                    result = run_aso(verb, sim, envs[label])
                    results[label]["runs"][verb].append(result)
                    shown = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in result.items()
                             if k not in ("verb", "counted", "exit")}
                    print(f"run {run + 1} {label:8s} {verb:8s} {shown}", file=sys.stderr)
                    time.sleep(0.3)
        for verb in verbs:
            for label in trees:
                result = run_aso(verb, sim, envs[label], counted=True)
                results[label]["counted"][verb] = result
                print(f"counted {label:8s} {verb:8s} {result}", file=sys.stderr)
        if args.in_process:
            for run in range(args.runs):
                for label in trees:
                    result = run_in_process(args.devices, envs[label])
                    results[label]["in_process"].append(result)
                    print(f"in-process {run + 1} {label:8s} {result}", file=sys.stderr)
    finally:
        stop(sim)

    summary = {}
    for label in trees:
        summary[label] = {verb: summarize(runs) for verb, runs in results[label]["runs"].items()}
        if results[label]["in_process"]:
            summary[label]["in_process"] = summarize(results[label]["in_process"])
    meta = {"devices": args.devices, "runs": args.runs, "trees": {k: str(v) if v else "this checkout"
                                                                   for k, v in trees.items()},
            "bytecode_cache": not args.no_bytecode_cache, "host": platform.node(),
            "python": platform.python_version(), "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "loadavg_at_end": os.getloadavg(), "sim_address": table["address"],
            "commands": {verb: f"aso {' '.join(verb_args(verb))}" for verb in verbs}}
    for label in trees:
        report(label, summary[label], results[label]["counted"])
    args.output.write_text(json.dumps({"meta": meta, "summary": summary, "results": results}, indent=2) + "\n")
    print(f"wrote {args.output}", file=sys.stderr)
    failed = any("failed" in r for label in trees for runs in results[label]["runs"].values() for r in runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
