#!/usr/bin/env python3
"""A 10,000-record trend log read with ReadRange over UDP loopback: how long until every record is in.

The simulated building is served on 127.0.0.1 (its router/BBMD on one port); a VAV's trend log is
filled with 10,000 records; a client on another loopback port, registered with the BBMD as a
foreign device, reads the whole log with ``read_range`` (by sequence, by time, by position). The
building and the client share this process and its loop (the pessimistic case: the loop also
serves every request). Aim (issue 13): under 1 s.

    .venv/bin/python benchmarks/trend.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aso_runtime.bacnet import open_client, read_range  # noqa: E402
from aso_runtime.sim import SimulatedBuilding  # noqa: E402
from aso_runtime.sim.trends import fill  # noqa: E402

SIM = "127.0.0.1/8:48880"  # loopback only
CLIENT = "127.0.0.1/8:48882"
RECORDS = 10_000


async def main(runs: int) -> None:
    building = await SimulatedBuilding.start(address=SIM, devices=8, step=3600.0)
    client = await open_client(address=CLIENT, foreign="127.0.0.1:48880", timeout=5.0)
    try:
        log = building.point(2001, "trend-log,1")
        fill(log, RECORDS, start=time.time() - RECORDS, interval=1.0)
        for by in ("sequence", "time", "position"):
            times, got = [], 0
            for _ in range(runs):
                started = time.perf_counter()
                since = time.time() - RECORDS - 10 if by == "time" else None
                records = await read_range(client, 2001, "trend-log,1", by=by, since=since)
                times.append(time.perf_counter() - started)
                got = len(records)
            print(f"by {by:8}: {got} records, median {statistics.median(times):.3f} s "
                  f"(min {min(times):.3f}, max {max(times):.3f}, {runs} runs)")
    finally:
        await client.close()
        await building.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
