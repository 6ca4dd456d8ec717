"""Routers to remote BACnet networks: ask for them, and check one is known before sending.

bacpypes3 looks for a router itself, but a failure is raised inside its send
task: a request to an unreachable network would just time out with a stray
traceback. The client asks first (:meth:`Routes.check`) and gives a clear error.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bacpypes3.pdu import Address

from .encode import address_text
from .errors import BacnetError, BacnetTimeout, InvalidInput
from .types import RouterInfo

ROUTER_WAIT = 2.0  # s: bacpypes3's own Who-Is-Router-To-Network waits a fixed 2 s


async def ask_routers(app: Any, network: int | None = None, destination: Address | None = None,
                      wait: float = ROUTER_WAIT) -> list[RouterInfo]:
    """Routers that answer Who-Is-Router-To-Network (optionally for one network), within ``wait`` s."""
    if network is not None and not 1 <= network <= 65534:
        raise InvalidInput(f"network number {network} is out of range 1..65534")
    future = app.nse.who_is_router_to_network(destination=destination, network=network)
    try:
        results = await asyncio.wait_for(asyncio.shield(future), wait)
    except (asyncio.TimeoutError, TimeoutError):
        results = []
        if future.done() and not future.cancelled():
            results = future.result()
    except BaseException as exc:  # bacpypes3 errors are BaseException
        if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt, SystemExit)):
            raise
        raise BacnetError(f"who-is-router-to-network: {exc}") from None
    routers: dict[str, set[int]] = {}
    for _adapter, npdu in results or []:
        routers.setdefault(address_text(npdu.pduSource), set()).update(int(n) for n in npdu.iartnNetworkList)
    return [RouterInfo(address, sorted(nets)) for address, nets in sorted(routers.items())]


class Routes:
    """The remote networks one application knows a router for."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._known: set[int] = set()

    async def check(self, address: Address, wait: float) -> bool:
        """Make sure the network of ``address`` is reachable; True if a router had to be asked for.

        Raises :class:`BacnetTimeout` naming the network when no router answers.
        """
        network = address.addrNet
        if network is None or address.addrType not in (Address.remoteStationAddr, Address.remoteBroadcastAddr):
            return False
        if network in self._known:
            return False
        nsap = self._app.nsap
        for snet in list(nsap.adapters):
            if await nsap.router_info_cache.get_path_info(snet, network):
                self._known.add(network)
                return False
        if not await ask_routers(self._app, network, wait=wait):
            raise BacnetTimeout(
                f"no route to network {network}: no router answered Who-Is-Router-To-Network "
                "(on another subnet? register with its BBMD using --foreign)"
            )
        self._known.add(network)
        return True
