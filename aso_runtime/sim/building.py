"""Start and stop a simulated building: one bacpypes3 Application per device.

Two topologies (see the package docstring for how a client finds them):

- ``vlan="name"``: every device sits directly on an in-process
  VirtualNetwork at MAC 2, 3, ...; a client joins with
  ``open_client(vlan="name", mac=1)``. No sockets: the unit tests' world.
- ``address="127.0.0.1/8:47808"``: one router application bound there (a
  BBMD that accepts foreign-device registrations, network ``udp_network``)
  routes to an internal VirtualNetwork (network ``vlan_network``) holding
  every device at MAC 2, 3, ...; the router itself is MAC 1 there. It
  announces its routes when it starts and answers as a BACnet router does
  (``router.py``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any

from bacpypes3.app import Application
from bacpypes3.pdu import LocalStation, RemoteStation
from bacpypes3.primitivedata import ObjectIdentifier

from ..bacnet.application import AsoApplication
from ..bacnet.client import address_text
from ..bacnet.errors import LocalNetworkError
from ..bacnet.identity import SIM_ROUTER_DESCRIPTION, sim_description, sim_model_name
from ..bacnet.ids import parse_object_id
from ..bacnet.local import (
    LocalDevice,
    UdpAddress,
    build_application,
    check_can_bind,
    close_application,
    device_object,
    drop_virtual_network,
    parse_local_address,
    udp_port,
    virtual_port,
)
from .devices import DeviceSpec, SimDevice, building_specs
from .router import announce_routes, install_network_layer
from .model import BuildingModel

log = logging.getLogger("aso.sim")

ROUTER_INSTANCE = 100
ROUTER_NAME = "aso-sim-router"
FIRST_DEVICE_MAC = 2  # MAC 1 is the client (vlan topology) or the router (UDP topology)
BIND_TIMEOUT = 5.0  # s to get the router's UDP socket; bacpypes3 alone would retry forever
_internal_vlans = itertools.count(1)


LOCATION = "Simulated building"


def _mac_bytes(mac: int) -> bytes:
    return bytes([mac])  # one-byte MACs: the device count is capped to fit (devices.MAX_DEVICES)


class SimulatedBuilding:
    """A running simulated building. Create with :meth:`start`, end with :meth:`stop`.

    ``devices`` lists what a client will find (instance, name, address as the
    client sees it, kind); ``model`` is the dynamics (``model.step(dt)`` can
    be called directly to advance time in tests).
    """

    def __init__(self) -> None:
        self.devices: list[SimDevice] = []
        self.model: BuildingModel | None = None
        self.vlan: str | None = None
        self.address: str | None = None  # the router's UDP address, UDP topology only
        self.router_address: str | None = None  # "127.0.0.1:47808" as clients see the router
        self.step = 1.0
        self.speed = 1.0
        self._apps: dict[int, Application] = {}
        self._silenced: dict[int, tuple] = {}  # devices cut off by silence_device: (node, its network)
        self._router: Application | None = None
        self._owns_vlan = False
        self._task: asyncio.Task | None = None
        self._stopped = False

    # ----- lifecycle ---------------------------------------------------------

    @classmethod
    async def start(
        cls,
        *,
        address: str | None = None,
        vlan: str | None = None,
        devices: int = 8,
        step: float = 1.0,
        speed: float = 1.0,
        udp_network: int = 1,
        vlan_network: int = 2,
        router_instance: int = ROUTER_INSTANCE,
    ) -> "SimulatedBuilding":
        """Serve AHU + plant + meter + (``devices`` - 3) VAV boxes; run the model every ``step`` s.

        Give exactly one of ``vlan`` (an in-process virtual network name;
        created if needed and dropped by :meth:`stop` if we created it) or
        ``address`` (``IP/MASK:PORT``, e.g. ``127.0.0.1/8:47808``). Each
        model step advances ``step * speed`` simulated seconds (speed > 1
        for tests). Raises ValueError for a bad device count or topology,
        :class:`LocalNetworkError` when the UDP port is busy or the address
        is not on this host.
        """
        if (address is None) == (vlan is None):
            raise ValueError("give exactly one of address= (UDP, through a router) or vlan= (in-process virtual network)")
        if step <= 0 or speed <= 0:
            raise ValueError("step and speed must be positive")
        if address is not None and udp_network == vlan_network:
            raise ValueError("udp_network and vlan_network must differ: the router joins two networks")
        specs = building_specs(devices)
        local = None
        if address is not None:
            local = parse_local_address(address)
            check_can_bind(local)  # before building anything: a clear error, nothing to undo

        building = cls()
        building.step, building.speed = step, speed
        try:
            building._serve(specs, vlan, local, udp_network, vlan_network, router_instance)
            if building._router is not None:
                await building._wait_bound()
                await announce_routes(building._router)  # a router's start-up I-Am-Router-To-Network
        except BaseException:
            await building.stop()
            raise
        building.model = BuildingModel(specs)
        building.model.step(step * speed)  # programs write their outputs before anyone reads
        building._task = asyncio.create_task(building._run(), name="aso-sim-model")
        log.info("simulated building: %d devices on %s", len(building.devices), building.address or f"vlan {building.vlan}")
        return building

    def _serve(
        self,
        specs: list[DeviceSpec],
        vlan: str | None,
        local: UdpAddress | None,
        udp_network: int,
        vlan_network: int,
        router_instance: int,
    ) -> None:
        from bacpypes3.vlan import VirtualNetwork

        if vlan is None:
            # A private virtual network behind the router; never reuse a live name.
            vlan = f"aso-sim-{next(_internal_vlans)}"
            while vlan in VirtualNetwork._networks:
                vlan = f"aso-sim-{next(_internal_vlans)}"
        self.vlan = vlan
        if vlan not in VirtualNetwork._networks:
            VirtualNetwork(vlan)
            self._owns_vlan = True
        network = vlan_network if local is not None else None

        if local is not None:
            self.address = str(local)
            self.router_address = f"{local.ip}:{local.port}"
            router_device = LocalDevice(instance=router_instance, name=ROUTER_NAME, model_name=sim_model_name("router"),
                                        description=SIM_ROUTER_DESCRIPTION)
            self._router = install_network_layer(build_application(
                AsoApplication,  # claims only the services it answers (bacpypes3's Application claims others)
                [
                    device_object(router_device, location=LOCATION),
                    udp_port(local, network=udp_network, bbmd=True),
                    virtual_port(vlan, 1, port_instance=2, network=vlan_network),
                ],
            ), router=True)  # routes as the standard says (router.py)

        for mac, spec in enumerate(specs, start=FIRST_DEVICE_MAC):
            device = LocalDevice(
                instance=spec.instance, name=spec.name, max_apdu=spec.max_apdu, segmentation=spec.segmentation,
                model_name=sim_model_name(spec.kind), description=sim_description(spec.kind, spec.description),
            )
            port = virtual_port(vlan, mac, network=network, apdu_length=spec.max_apdu)
            objects = [device_object(device, location=LOCATION), port, *spec.objects]
            self._apps[spec.instance] = install_network_layer(build_application(spec.application_class, objects), router=False)
            seen_as = RemoteStation(network, _mac_bytes(mac)) if network else LocalStation(_mac_bytes(mac))
            self.devices.append(SimDevice(spec.instance, spec.name, address_text(seen_as), spec.kind))

    async def _wait_bound(self) -> None:
        tasks = []
        for link_layer in self._router.link_layers.values():
            tasks.extend(getattr(getattr(link_layer, "server", None), "_transport_tasks", None) or [])
        if not tasks:
            return
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.gather(*tasks)), BIND_TIMEOUT)
        except (asyncio.TimeoutError, TimeoutError):
            raise LocalNetworkError(f"could not bind {self.address} within {BIND_TIMEOUT:g} s") from None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(self.step)
            now = loop.time()
            try:
                self.model.step((now - last) * self.speed)
            except Exception:  # a model bug must not silently stop the building
                log.exception("simulation step failed")
            last = now

    async def stop(self) -> None:
        """Stop the model, close every application and socket, forget the virtual network."""
        if self._stopped:
            return
        self._stopped = True
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        apps = list(self._apps.values()) + ([self._router] if self._router is not None else [])
        for app in apps:
            await close_application(app)
        self._apps.clear()
        self._router = None
        if self._owns_vlan and self.vlan is not None:
            drop_virtual_network(self.vlan)
        log.info("simulated building stopped")

    async def stop_device(self, instance: int) -> None:
        """Take one device off the network (it stops answering), like a tripped breaker."""
        app = self._apps.pop(instance)
        await close_application(app)
        log.info("simulated device %s taken offline", instance)

    def silence_device(self, instance: int) -> None:
        """Cut one device off the network for a while (a pulled cable): it stops answering.

        Unlike :meth:`stop_device` it keeps its state and :meth:`revive_device`
        puts it back, so a client's offline and recovery handling can be tried.
        """
        for link_layer in self._apps[instance].link_layers.values():
            node = getattr(link_layer, "node", None)
            if node is not None and node.lan is not None:
                self._silenced[instance] = (node, node.lan)
                node.lan.remove_node(node)
        log.info("simulated device %s silenced", instance)

    def revive_device(self, instance: int) -> None:
        node, lan = self._silenced.pop(instance)
        lan.add_node(node)
        log.info("simulated device %s answers again", instance)

    async def __aenter__(self) -> "SimulatedBuilding":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ----- access for tests and the CLI ------------------------------------------

    def device(self, instance: int) -> SimDevice:
        """The device with this instance; KeyError if the building has none."""
        for device in self.devices:
            if device.instance == instance:
                return device
        raise KeyError(f"no simulated device {instance}")

    def application(self, instance: int) -> Application:
        """The bacpypes3 Application serving one device; KeyError if none."""
        return self._apps[instance]

    def point(self, instance: int, object_id: str) -> Any:
        """The local bacpypes3 object, e.g. ``point(2001, "analog-output,1")`` or ``"ao 1"``.

        Raises KeyError for an unknown device or object.
        """
        app = self._apps[instance]
        oid = parse_object_id(object_id)
        obj = app.get_object_id(ObjectIdentifier(str(oid)))
        if obj is None:
            raise KeyError(f"device {instance} has no {oid}")
        return obj

    def advance(self, seconds: float, dt: float = 1.0) -> None:
        """Advance the model ``seconds`` of simulated time now, in ``dt`` steps (tests)."""
        remaining = seconds
        while remaining > 1e-9:
            self.model.step(min(dt, remaining))
            remaining -= dt
