"""The headless host behind ``aso run``: one or more ASOs for months, released on exit.

SIGINT, SIGTERM and SIGHUP all lead to the same clean path: stop every ASO,
run its ``on_stop``, release and verify every override (retrying failed
releases for a grace period), close the ledger and the BACnet application,
and only then exit. A host that is killed harder leaves its journal
behind, and the next start releases it.

A faulted ASO does not end the host: it is restarted with backoff (the
restart policy), the kill switch stays served and pending releases keep
being retried. Exiting when every ASO has faulted for good is an explicit
choice (``exit_when_faulted``). Under systemd (``Type=notify``) the host
reports READY/STOPPING and feeds the watchdog from its event loop.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field
from typing import Any

from ..bacnet import open_client
from ..bacnet.identity import HOST_DESCRIPTION
from .instance import RestartPolicy
from .loader import LoadedAso, load_aso
from .runner import AsoRunner
from .watchdog import SystemdNotifier

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
    release_grace: float = 30.0  # s to keep retrying failed releases on exit
    exit_when_faulted: bool = False
    block_limit: float = 2.0


@dataclass
class AsoSpec:
    """One ASO to host: where its class comes from and its parameters.

    ``loaded``: the result of the load step when the caller already ran it
    (``aso run`` does, to refuse a bad script before binding); the script is
    then not imported a second time.
    """

    source: str
    name: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    retries: int | None = None  # None: restart after every fault, with backoff
    loaded: LoadedAso | None = None

    def load(self) -> LoadedAso:
        """The load step, run once per spec."""
        if self.loaded is None:
            self.loaded = load_aso(self.source, name=self.name, params=self.params)
        return self.loaded


async def run_host(specs: list[AsoSpec], options: HostOptions, stop: asyncio.Event | None = None,
                   early_signals: list[int] | None = None) -> int:
    """Host the ASOs until a signal (or ``stop``); returns the process exit code.

    0 when every override was released (verified) on exit; 1 when some are
    still held in the building after the grace period (named in the log; the
    journal keeps them for the next start), when an orphaned journal could
    not be fully read, or when every ASO faulted for good and
    ``exit_when_faulted`` was asked for. ``early_signals`` lists signals
    that came before this function could handle them: the host then only
    releases orphans and exits.
    """
    loaded = [spec.load() for spec in specs]  # refuse bad scripts before touching the network
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in HOST_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    if early_signals:
        log.warning("%s arrived during start-up: releasing orphans only, then exiting",
                    signal.Signals(early_signals[0]).name)
        stop.set()
    notifier = SystemdNotifier()
    client = await open_client(address=options.address, instance=options.instance, name=options.device_name,
                               description=HOST_DESCRIPTION, foreign=options.foreign, ttl=options.ttl, timeout=options.timeout)
    runner = AsoRunner(client, block_limit=options.block_limit)
    ok = True
    try:
        await runner.open()
        ok = _report_orphans(runner) and ok
        instances = []
        for spec, script in zip(specs if not stop.is_set() else [], loaded):
            instance = runner.load(script.aso, restart=RestartPolicy(retries=spec.retries))
            instance.source = script.source
            instance.start()
            instances.append(instance)
            log.info("hosting ASO %s (%s) on %s", instance.name, spec.source, client.local_address)
        notifier.ready(f"hosting {', '.join(i.name for i in instances)} on {client.local_address}")
        notifier.start_watchdog(runner.health)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except (asyncio.TimeoutError, TimeoutError):
                pass
            if options.exit_when_faulted and instances and all(i.faulted_for_good for i in instances):
                log.error("every ASO has faulted for good; exiting as --exit-when-faulted asks")
                ok = False
                break
        log.info("stopping: releasing every override")
    finally:
        notifier.stopping("stopping: releasing every override")
        still_held = await runner.close(grace=options.release_grace)
        notifier.stop_watchdog()
        if still_held:
            ok = False
            for override in still_held:
                log.error("still held in the building: %s %s @%s = %r (%s)", override.device, override.object_id,
                          override.priority, override.value, override.pending or "release not verified")
            log.error("%d override(s) are still held after %g s of retries; the journal %s keeps them and the "
                      "next `aso run` or `aso release-orphans` releases them", len(still_held),
                      options.release_grace, runner.ledger.path)
        else:
            log.info("every override released and verified")
        await client.close()
        for sig in HOST_SIGNALS:
            loop.remove_signal_handler(sig)
    return 0 if ok else 1


def _report_orphans(runner: AsoRunner) -> bool:
    """Log what the start-up sweep of dead hosts' journals did; False if something is left."""
    sweep = runner.orphans  # each result was logged as it was released
    if sweep.failed:
        log.error("%d orphaned override(s) could not be released yet: release pending, retried while this host "
                  "runs", len(sweep.failed))
    if sweep.problems:
        log.error("%d orphaned journal record(s) could not be read (listed above): what they held is unknown; "
                  "check those points by hand with `aso priority-array`", len(sweep.problems))
    return not sweep.problems and not sweep.left_behind
