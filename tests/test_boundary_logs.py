"""An ASO's log is its own: one named like a part of the framework never gets the framework's lines.

The framework logs to ``aso.bacnet``, ``aso.runtime``, ``aso.console`` and
``aso.sim``; scripts log under ``aso.script.<name>``. What the runner
publishes as an ASO's log lines (what the console's runner pane shows) is the
check.
"""

from __future__ import annotations

import logging

import pytest

from aso_runtime import Aso

from .test_aso import DEVICE
from .waiting import until


class Chatty(Aso):
    """Logs and writes (the client logs every write on aso.bacnet)."""

    step_interval = 0.05

    async def on_step(self):
        self.log.info("own log line")
        await self.bacnet_write(DEVICE, "av,1", 70.0)


@pytest.mark.parametrize("name", ["bacnet", "runtime", "console", "sim"])
async def test_an_aso_named_like_the_framework_sees_only_its_own_lines(host, name):
    lines: list[str] = []
    host.events.on_event(lambda e: lines.append(e.message) if e.kind == "log" and e.aso == name else None)
    instance = host.load(Chatty, name=name)
    instance.start()
    await until(lambda: instance.steps >= 2, what="two steps, each with a write")
    logging.getLogger(f"aso.{name}").warning("a line of the framework's own %s logger", name)
    await instance.stop()

    assert "own log line" in lines and "release (stopped): 0x02 analog-value,1 @13: released" in lines
    foreign = [line for line in lines if "framework" in line or line.startswith("write ")]
    assert foreign == [], foreign
    assert instance.log.name == f"aso.script.{name}"
