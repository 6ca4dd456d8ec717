#!/usr/bin/env python3
"""A 10,000-record trend log read with ReadRange over UDP loopback: how long until every record is in.

The simulated building runs in its own process on 127.0.0.1 (its router/BBMD on one port) with a
VAV's trend log and trend-log-multiple filled with 10,000 records; a client in this
process, on another loopback port, registered with the BBMD as a foreign device, reads the whole
log with ``read_range`` by sequence, by time and by position. Aim (issue 13): under 1 s.
The medians, the machine's load and the pages asked go to ``results-trend.json``.

    .venv/bin/python benchmarks/trend.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aso_runtime.bacnet import open_client, read_range  # noqa: E402

SIM = "127.0.0.1/8:50480"  # loopback only, in the 50400-50499 block
CLIENT = "127.0.0.1/8:50482"
RECORDS = 10_000
LOGS = (("trend-log,1", 2001), ("trend-log-multiple,1", 2001))  # (object, device)


async def serve(address: str, records: int, start: float) -> None:
    """The building process: serve, fill the logs, say "ready", and run until stdin closes."""
    from aso_runtime.sim import SimulatedBuilding
    from aso_runtime.sim.trends import fill, fill_multiple

    building = await SimulatedBuilding.start(address=address, devices=8, step=3600.0)  # the model stays put
    try:
        fill(building.point(2001, "trend-log,1"), records, start=start)
        fill_multiple(building.point(2001, "trend-log-multiple,1"), records, start=start)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    finally:
        await building.stop()


async def main(runs: int) -> int:
    start = time.time() - RECORDS - 60
    sim = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", SIM, "--start", str(start), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE)
    failed = False
    results: dict = {"date": date.today().isoformat(), "python": platform.python_version(),
                     "load_average": list(os.getloadavg()), "records": RECORDS, "runs": runs, "rows": []}
    try:
        line = await asyncio.wait_for(sim.stdout.readline(), 60)
        if line.strip() != b"ready":
            print("the building process did not start", file=sys.stderr)
            return 1
        client = await open_client(address=CLIENT, foreign=SIM.split("/")[0] + ":" + SIM.rsplit(":", 1)[1],
                                   timeout=5.0)
        try:
            for obj, device in LOGS:
                for by in ("sequence", "time", "position"):
                    times, got, sent = [], 0, 0
                    for _ in range(runs):
                        before = client.requests_sent
                        started = time.perf_counter()
                        since = start - 1 if by == "time" else None
                        records = await read_range(client, device, obj, by=by, since=since)
                        times.append(time.perf_counter() - started)
                        got, sent = len(records), client.requests_sent - before
                    failed |= got != RECORDS
                    row = {"object": obj, "by": by, "records": got, "requests": sent,
                           "median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
                           "max_s": round(max(times), 3)}
                    results["rows"].append(row)
                    print(f"{obj:22} by {by:8}: {got} records in {sent} requests, median {row['median_s']:.3f} s "
                          f"(min {row['min_s']:.3f}, max {row['max_s']:.3f}, {runs} runs)")
        finally:
            await client.close()
    finally:
        sim.stdin.close()
        await asyncio.wait_for(sim.wait(), 30)
    Path(__file__).with_name("results-trend.json").write_text(json.dumps(results, indent=1) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--serve", metavar="ADDRESS", help=argparse.SUPPRESS)  # the building process
    parser.add_argument("--start", type=float, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        asyncio.run(serve(options.serve, RECORDS, options.start))
    else:
        sys.exit(asyncio.run(main(options.runs)))
