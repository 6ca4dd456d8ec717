"""The simulator's router behaves as clause 6 of the standard says a BACnet router does.

bacpypes3 0.0.110's network layer, routing between the simulator's UDP
network and its devices' virtual network:

- announces nothing when it starts (``NetworkServiceElement.startup`` is
  never called, and would not await the announcement if it were);
- answers Who-Is-Router-To-Network with an I-Am-Router-To-Network sent back
  to the asker alone, where the standard broadcasts it on the network the
  question came from, so every node there learns the route at once;
- sends Network-Number-Is with its own NetworkNumberQuality as the flag (3
  for a configured number), where the flag is 0 learned, 1 configured;
- given a message for a network it has no route to, asks
  Who-Is-Router-To-Network for 2 s and then raises inside its own task: the
  sender hears nothing and times out.

:func:`install_network_layer` puts these right on one application, in
place: bacpypes3's ``from_object_list`` hard-codes its network classes, and
ours add no state of their own at construction, so the instances' classes are
swapped (as ``bacnet/hardening.py`` does). :func:`announce_routes` is the
start-up announcement. The simulator's devices get the Network-Number-Is
fix too (they answer What-Is-Network-Number on their configured network).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bacpypes3.basetypes import NetworkNumberQuality
from bacpypes3.netservice import (
    NetworkServiceAccessPoint,
    NetworkServiceElement,
    WhoIsRouterToNetworkFuture,
)
from bacpypes3.npdu import (
    IAmRouterToNetwork,
    NetworkNumberIs,
    RejectMessageToNetwork,
    WhoIsRouterToNetwork,
)
from bacpypes3.pdu import Address, LocalBroadcast

log = logging.getLogger("aso.sim")

# How long the router looks for another router to an unknown network before it
# rejects the message: bacnet-stack's router waits 400 ms, the test documents
# give 0.5 s as an example of a router's internal processing time.
ROUTE_SEARCH = 0.4
NO_ROUTE = 1  # Reject-Message-To-Network reason: not connected and no router found (clause 6.4.4)
FLAG_LEARNED, FLAG_CONFIGURED = 0, 1  # Network-Number-Is (clause 6.4.20)


class SimNetworkServiceElement(NetworkServiceElement):
    """Network-Number-Is with the standard's flag (any node of the simulator)."""

    async def network_number_is(self, adapter: Any = None) -> None:
        sap = self.elementService
        if adapter is not None:
            adapters = [adapter]
        else:  # unprompted: only the networks whose number we were configured with
            adapters = [a for a in sap.adapters.values() if a.adapterNetConfigured == NetworkNumberQuality.configured]
        for each in adapters:
            if each.adapterNet is None:
                continue  # nothing to tell
            configured = each.adapterNetConfigured == NetworkNumberQuality.configured
            flag = FLAG_CONFIGURED if configured else FLAG_LEARNED
            await self.request(each, NetworkNumberIs(net=each.adapterNet, flag=flag, destination=LocalBroadcast()))


class RouterServiceElement(SimNetworkServiceElement):
    """A router's answers: broadcast I-Am-Router-To-Network, start-up announcement."""

    def reachable_through_others(self, adapter: Any) -> list[int]:
        """Networks this router reaches through its ports other than ``adapter``'s.

        Its other directly connected networks, and the networks behind the
        routers it learned of on them.
        """
        sap = self.elementService
        asking = adapter.adapterNet
        networks = {net for net, other in sap.adapters.items() if other is not adapter and net is not None}
        for (snet, dnet) in list(sap.router_info_cache.path_info):
            if snet != asking and dnet != asking:
                networks.add(dnet)
        return sorted(networks)

    async def WhoIsRouterToNetwork(self, adapter: Any, npdu: Any) -> None:  # noqa: N802 (bacpypes3 name)
        sap = self.elementService
        if len(sap.adapters) < 2:
            return
        reachable = self.reachable_through_others(adapter)
        wanted = npdu.wirtnNetwork
        if wanted is None:
            networks = reachable
        elif wanted in reachable:
            networks = [wanted]
        else:
            # On the asker's own side, or unknown: bacpypes3 stays quiet or asks the
            # other ports for it (and relays any answer by broadcast).
            await super().WhoIsRouterToNetwork(adapter, npdu)
            return
        if networks:
            answer = IAmRouterToNetwork(networks, destination=LocalBroadcast(), user_data=npdu.pduUserData)
            await self.response(adapter, answer)


class RouterServiceAccessPoint(NetworkServiceAccessPoint):
    """Routing that answers a message for an unreachable network with Reject-Message-To-Network."""

    async def process_npdu(self, adapter: Any, npdu: Any) -> None:
        dnet = await self._unroutable(npdu)
        if dnet is not None and not await self._search(adapter, dnet):
            if not isinstance(npdu, RejectMessageToNetwork):  # a reject is never answered with a reject
                await self._reject(adapter, npdu, dnet)
            return
        await super().process_npdu(adapter, npdu)

    async def _unroutable(self, npdu: Any) -> int | None:
        """The destination network of ``npdu`` if it is to be routed and no route is known."""
        dadr = npdu.npduDADR
        if dadr is None or dadr.addrType not in (Address.remoteStationAddr, Address.remoteBroadcastAddr):
            return None  # local, or global broadcast
        dnet = dadr.addrNet
        if dnet in self.adapters or not npdu.npduHopCount:
            return None  # directly connected (bacpypes3 routes it) or out of hops (it drops it)
        for snet in list(self.adapters):
            if await self.router_info_cache.get_path_info(snet, dnet):
                return None
        return dnet

    async def _search(self, adapter: Any, dnet: int) -> bool:
        """Ask the other ports for a router to ``dnet`` (one search at a time per network); True if one answered."""
        searches: dict = self.__dict__.setdefault("_aso_searches", {})
        key = (adapter.adapterNet, dnet)
        task = searches.get(key)
        if task is None:
            task = searches[key] = asyncio.ensure_future(self._ask_routers(adapter, dnet))
            task.add_done_callback(lambda _done: searches.pop(key, None))
        return await asyncio.shield(task)

    async def _ask_routers(self, adapter: Any, dnet: int) -> bool:
        nse = self.serviceElement
        search = WhoIsRouterToNetworkFuture(nse, network=dnet)
        nse.who_is_router_to_network_futures.append(search)
        try:
            for other in list(self.adapters.values()):
                if other is not adapter:
                    question = WhoIsRouterToNetwork(dnet, destination=LocalBroadcast())
                    question.npduHopCount = 255
                    await nse.request(other, question)
            try:
                await asyncio.wait_for(asyncio.shield(search.future), ROUTE_SEARCH)
            except (asyncio.TimeoutError, TimeoutError):
                return False
            return bool(search.future.result())
        finally:
            if not search.future.done():
                search.future.cancel()  # its done-callback forgets it and stops its own 2 s timer

    async def _reject(self, adapter: Any, npdu: Any, dnet: int) -> None:
        """Reject-Message-To-Network (no route) to whoever sent ``npdu``, through its router if it came through one."""
        reject = RejectMessageToNetwork(NO_ROUTE, dnet, user_data=npdu.pduUserData)
        reject.pduDestination = npdu.pduSource
        sadr = npdu.npduSADR
        if sadr is not None and sadr.addrType == Address.remoteStationAddr:
            reject.npduDADR = sadr
            reject.npduHopCount = 255
        log.debug("no route to network %s: rejecting a message from %s", dnet, sadr or npdu.pduSource)
        await adapter.process_npdu(reject)


def install_network_layer(app: Any, *, router: bool) -> Any:
    """Give ``app`` (a bacpypes3 Application) the simulator's network layer; returns it.

    ``router``: the router's own answers and routing as well, not only the
    Network-Number-Is flag.
    """
    if type(app.nse) is NetworkServiceElement:
        app.nse.__class__ = RouterServiceElement if router else SimNetworkServiceElement
    if router and type(app.nsap) is NetworkServiceAccessPoint:
        app.nsap.__class__ = RouterServiceAccessPoint
    return app


async def announce_routes(app: Any) -> None:
    """Broadcast I-Am-Router-To-Network on each port, naming the networks behind the others.

    What a router does when it starts, so the devices on each
    side learn the route without asking. Needs the sockets bound. A port
    that cannot broadcast (a /32 address) is skipped with a warning: the
    router still answers when asked.
    """
    nse = app.nse
    for adapter in list(nse.elementService.adapters.values()):
        try:
            await nse.i_am_router_to_network(adapter=adapter)
        except Exception as exc:  # noqa: BLE001 (bacpypes3: RuntimeError("no broadcast"), ...)
            log.warning("router: could not announce its routes on network %s: %s", adapter.adapterNet, exc)
