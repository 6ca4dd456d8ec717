"""``aso sim``: serve a simulated building until Ctrl-C / SIGTERM, then stop cleanly.

The simulator defaults to loopback (127.0.0.1/8:47808), never the host's
real interface: a simulated building must not appear on a site network
unless someone asks for it with --address. $ASO_ADDRESS is ignored here for
the same reason.
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

from aso_runtime.bacnet import InvalidInput, check_can_bind
from aso_runtime.sim import SimulatedBuilding
from aso_runtime.sim.management import (
    DEFAULT_PASSWORD,
    PASSWORD_ENV,
    check_password,
    set_password,
)
from aso_runtime.verbs.words import local_address_arg

from .context import Context
from .parser import SIM_ADDRESS


async def cmd_sim(ctx: Context) -> int:
    args = ctx.args
    address_text = args.address or SIM_ADDRESS
    local = local_address_arg(address_text)
    if args.password is not None:
        try:
            check_password(args.password)
        except ValueError as exc:
            raise InvalidInput(f"--password: {exc}") from None
    check_can_bind(local)
    options: dict[str, Any] = {"address": address_text}
    if args.devices is not None:
        options["devices"] = args.devices
    if args.step is not None:
        options["step"] = args.step
    building = await SimulatedBuilding.start(**options)
    try:
        if args.password is not None:
            set_password(building, args.password)  # before anyone can ask: the building is not announced yet
        _announce(ctx, building, local)
        await _until_signalled()
    finally:
        await building.stop()
    if not ctx.out.json_mode:
        ctx.out.note("simulator stopped")
    return 0


def _announce(ctx: Context, building: Any, local: Any) -> None:
    devices = [
        {"instance": d.instance, "name": d.name, "address": d.address, "kind": d.kind}
        for d in building.devices
    ]
    client_port = local.port + 1 if local.port < 65535 else local.port - 1
    command = f"aso whois --address {local.ip}/{local.prefix}:{client_port} --foreign {local.ip}:{local.port}"
    if ctx.out.json_mode:
        ctx.out.json({"address": str(local), "devices": devices, "discover_command": command})
        return
    rows = [[d["instance"], d["name"], d["address"], d["kind"]] for d in devices]
    ctx.out.table([("Instance", "right"), "Name", "Address", "Kind"], rows, title=f"simulated building on {local}")
    ctx.out.line("discover it from another terminal with:")
    ctx.out.line(f"  {command}", style="bold")
    ctx.out.note(password_note(ctx.args.password))
    ctx.out.note("Ctrl-C stops the simulator")
    ctx.out.stdout.flush()


def password_note(password: str | None) -> str:
    """Which password DCC and ReinitializeDevice ask (the default is printed: it is no secret)."""
    if password == "":
        return "DCC / reinitialize: no password asked (--password \"\")"
    if password is not None:
        return "DCC / reinitialize password: the one given with --password"
    if os.environ.get(PASSWORD_ENV) is not None:
        return f"DCC / reinitialize password: the one in ${PASSWORD_ENV}"
    return f"DCC / reinitialize password: {DEFAULT_PASSWORD!r} (the default; change it with --password)"


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            pass
    try:
        await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
