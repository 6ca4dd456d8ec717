"""`aso` as a real process beside the test's own loop (which serves the building).

Processes are asyncio subprocesses: the simulated building lives in the
test's event loop and must keep answering while the test waits on them.
Every command line carries an explicit loopback ``--address``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

from aso_runtime.bacnet import BacnetClient, open_client
from aso_runtime.sim import SimulatedBuilding


@contextlib.asynccontextmanager
async def loopback_site(sim: str, bbmd: str, checker: str) -> AsyncIterator[BacnetClient]:
    """The 8-device building served at ``sim`` in this loop, and an independent reader of its priority arrays."""
    building = await SimulatedBuilding.start(address=sim, devices=8, step=0.5)
    try:
        client = await open_client(address=checker, foreign=bbmd, ttl=60, timeout=1.0)
        try:
            yield client
        finally:
            await client.close()
    finally:
        await building.stop()


def aso_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Journals and logs under the test's tmp dir, never the user's."""
    return {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state"),
            "PYTHONUNBUFFERED": "1", **extra}


class AsoProcess:
    """One ``python -m aso_runtime.cli.main ...`` whose output is collected as it runs."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, address: str, *args: str, env: dict[str, str], prefix: tuple[str, ...] = ()) -> "AsoProcess":
        if not address.startswith("127."):
            raise ValueError("tests bind loopback only")
        process = await asyncio.create_subprocess_exec(
            *prefix, sys.executable, "-m", "aso_runtime.cli.main", "--address", address, *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env)
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def saw(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    async def wait_for_line(self, text: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.saw(text):
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise AssertionError(f"never printed {text!r}:\n{self.output}")
            await asyncio.sleep(0.05)

    async def finish(self, sig: int | None = signal.SIGTERM, timeout: float = 60.0) -> int:
        """Send ``sig`` (None: just wait) and return the exit code once all output is read."""
        if sig is not None and self.process.returncode is None:
            self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), timeout)
        await asyncio.wait_for(self._reader, 10)
        return code

    async def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        await self.finish(signal.SIGKILL)
