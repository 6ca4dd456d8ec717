"""Fault figures for the README: `kill -9` of a host writing back-to-back, many times over.

Each cycle starts `aso run` (a real process) with an ASO that writes two
points as fast as the devices answer, waits until its overrides are in the
building, waits a random 0-300 ms more, and kills it with SIGKILL. Then,
alternately, either `aso release-orphans` runs or the host is started again
(it releases the orphans before anything else) and stopped with SIGTERM.
An independent client then reads the priority arrays straight from the
devices and counts every slot 9..15 still held on the two points.

    .venv/bin/python benchmarks/faults.py --cycles 50

The simulated building runs in this process over loopback UDP
(127.0.0.1:47340, a BBMD); nothing binds any other address. Results go to
benchmarks/results-faults.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

from aso_runtime.bacnet import open_client
from aso_runtime.sim import SimulatedBuilding

SIM, BBMD = "127.0.0.1/8:47340", "127.0.0.1:47340"
HOST, CLEANER, CHECKER = "127.0.0.1/8:47341", "127.0.0.1/8:47343", "127.0.0.1/8:47342"
HOST_DEVICE = "127.0.0.1:47341"
POINTS = [(2001, "analog-value,1"), (1001, "analog-output,2")]

SCRIPT = '''
from aso_runtime import Aso

class BackToBack(Aso):
    step_interval = 0

    def __init__(self, **params):
        super().__init__(**params)
        self.n = 0

    async def on_step(self):
        self.n += 1
        await self.bacnet_write("2001", "analog-value,1", 70.0 + self.n % 10)
        await self.bacnet_write("1001", "analog-output,2", float(self.n % 50))
'''


async def aso(env: dict, address: str, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aso_runtime.cli.main", "--address", address, "--foreign", BBMD, "--timeout", "1",
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, env=env)


async def held(checker) -> list[str]:
    found = []
    for device, point in POINTS:
        array = await checker.priority_array(device, point)
        found += [f"{device} {point} @{s.priority}" for s in array.slots if s.active and 9 <= s.priority <= 15]
    return found


async def wait_until(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.02)


async def main(cycles: int, seed: int) -> dict:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="aso-faults-"))
    (work / "back_to_back.py").write_text(SCRIPT)
    env = {**os.environ, "XDG_DATA_HOME": str(work / "data"), "XDG_STATE_HOME": str(work / "state")}
    sim = await SimulatedBuilding.start(address=SIM, devices=8, step=0.5)
    checker = await open_client(address=CHECKER, foreign=BBMD, ttl=300, timeout=1.0)
    results = []
    try:
        for cycle in range(cycles):
            host = await aso(env, HOST, "run", str(work / "back_to_back.py"))
            await wait_until(lambda: _held_at_13(checker))
            delay = rng.uniform(0.0, 0.3)
            await asyncio.sleep(delay)
            host.send_signal(signal.SIGKILL)
            await host.wait()
            left_by_kill = len(await held(checker))
            started = time.monotonic()
            if cycle % 2:
                cleaner = await aso(env, CLEANER, "release-orphans")
                code = await cleaner.wait()
                how = "release-orphans"
            else:
                again = await aso(env, HOST, "run", str(work / "back_to_back.py"))
                await wait_until(lambda: _running(checker))  # orphans released, the ASO writing again
                again.send_signal(signal.SIGTERM)
                code = await again.wait()
                how = "restart + SIGTERM"
            left = await held(checker)
            results.append({"cycle": cycle, "kill_after_s": round(delay, 3), "held_after_kill": left_by_kill,
                            "cleanup": how, "exit_code": code, "cleanup_s": round(time.monotonic() - started, 2),
                            "left": left})
            print(f"cycle {cycle:2d}: killed after {delay * 1000:3.0f} ms holding {left_by_kill}; "
                  f"{how}: exit {code}, left {len(left)}", flush=True)
    finally:
        await checker.close()
        await sim.stop()
    left_total = sum(len(r["left"]) for r in results)
    summary = {"cycles": cycles, "seed": seed, "overrides_left": left_total,
               "nonzero_exits": sum(1 for r in results if r["exit_code"] != 0),
               "held_at_kill": sum(r["held_after_kill"] for r in results),
               "date": time.strftime("%Y-%m-%d"), "python": platform.python_version(),
               "load_average": os.getloadavg(), "runs": results}
    print(f"kill -9 x{cycles}: {left_total} override(s) left; {summary['held_at_kill']} were held at the kills; "
          f"{summary['nonzero_exits']} cleanup(s) exited non-zero")
    return summary


async def _running(checker) -> bool:
    """The restarted host's ASO state point says running (3)."""
    try:
        return await checker.read(HOST_DEVICE, "multi-state-value,11") == 3
    except Exception:
        return False


async def _held_at_13(checker) -> bool:
    return (await checker.priority_array(*POINTS[0])).at(13).active


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    summary = asyncio.run(main(args.cycles, args.seed))
    out = Path(__file__).with_name("results-faults.json")
    out.write_text(json.dumps(summary, indent=1) + "\n")
    sys.exit(1 if summary["overrides_left"] or summary["nonzero_exits"] else 0)
