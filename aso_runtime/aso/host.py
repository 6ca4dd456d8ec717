"""The headless host behind ``aso run``: one or more ASOs for months, released on exit.

SIGINT, SIGTERM and SIGHUP all lead to the same clean path: stop every ASO,
run its ``on_stop``, release and verify every override, close the ledger
and the BACnet application, and only then exit. A host that is killed
harder leaves its journal behind, and the next start releases it.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field
from typing import Any

from ..bacnet import open_client
from .instance import RestartPolicy
from .runner import AsoRunner

log = logging.getLogger("aso.runtime")

HOST_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass
class HostOptions:
    address: str | None = None
    instance: int = 4194300
    device_name: str = "aso-host"
    foreign: str | None = None
    ttl: int = 300
    timeout: float = 3.0


@dataclass
class AsoSpec:
    """One ASO to host: where its class comes from and its parameters."""

    source: str
    name: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    retries: int = 0


async def run_host(specs: list[AsoSpec], options: HostOptions, stop: asyncio.Event | None = None) -> int:
    """Host the ASOs until a signal (or ``stop``); returns the process exit code.

    0 after a clean stop with everything released; 1 if a release could not
    be verified (the journal stays, the next start retries) or every ASO
    faulted for good.
    """
    from .loader import load_aso_class

    classes = [load_aso_class(spec.source) for spec in specs]  # refuse bad scripts before touching the network
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in HOST_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    client = await open_client(address=options.address, instance=options.instance, name=options.device_name,
                               foreign=options.foreign, ttl=options.ttl, timeout=options.timeout)
    runner = AsoRunner(client)
    ok = True
    try:
        await runner.open()
        for result in runner.orphan_results:
            log.warning("released orphan of a previous run: %s", result)
        instances = []
        for spec, cls in zip(specs, classes):
            instance = runner.load(cls, name=spec.name, restart=RestartPolicy(retries=spec.retries), **spec.params)
            instance.source = spec.source
            instance.start()
            instances.append(instance)
            log.info("hosting ASO %s (%s) on %s", instance.name, spec.source, client.local_address)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except (asyncio.TimeoutError, TimeoutError):
                pass
            if instances and all(i.state == "faulted" and i.faults > i.restart.retries for i in instances):
                log.error("every ASO has faulted; exiting so a supervisor can restart the host")
                ok = False
                break
        log.info("stopping: releasing every override")
    finally:
        results = await runner.stop_all()
        failed = [r for r in results if not r.ok]
        for result in results:
            (log.info if result.ok else log.error)("release: %s", result)
        if failed:
            ok = False
            log.error("%d override(s) could not be verified released; the journal keeps them for the next start",
                      len(failed))
        await runner.close()
        await client.close()
        for sig in HOST_SIGNALS:
            loop.remove_signal_handler(sig)
    return 0 if ok else 1
