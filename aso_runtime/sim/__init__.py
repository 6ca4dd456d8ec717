"""A simulated building of genuine BACnet devices, served by bacpypes3.

Every device is a real bacpypes3 Application with real objects: commandable
outputs and setpoints with 16-slot priority arrays and relinquish defaults,
sensors driven by a small physical model (zone temperatures, duct static,
supply air, chilled water, kW and kWh). A write at priority 8 shows up in the
priority array and, a step later, in the physics.

Contents (``devices=N`` in total, 8..250):

- AHU-1, device 1001: supply fan start/stop, speed, status; heating and
  cooling valves; OA / RA / mixed-air dampers; duct static and its setpoint;
  supply / mixed / return / outside air temperatures; SAT setpoint;
  occupancy mode (occupied / unoccupied / standby).
- N-3 VAV boxes, devices 2001.. (``VAV-<floor>-<box>``): zone temperature,
  cooling and heating setpoints, damper, airflow and airflow setpoint,
  discharge air temperature, reheat valve, occupancy.
- PLANT-1, device 3001: four heat pumps (enable, status, kW) and chilled
  water supply / return / setpoint. Max APDU 1476, no segmentation.
- METER-1, device 4001: kW, kWh, demand limit. Max APDU 480, no
  segmentation, and it answers ReadPropertyMultiple with
  Reject(unrecognized-service), like many small field controllers.

In-process (tests)::

    building = await SimulatedBuilding.start(vlan="site", devices=8, step=0.05, speed=60)
    client = await open_client(vlan="site", mac=1)
    devices = await who_is(client)          # addresses "0x02", "0x03", ...
    ...
    await client.close(); await building.stop()

On this machine over UDP, without root
--------------------------------------
The simulator binds ONE UDP port on loopback: a router that is also a BBMD
accepting foreign-device registrations (BACnet network 1), in front of an
internal virtual network (network 2) holding every device::

    aso sim --address 127.0.0.1/8:47808
    aso whois --address 127.0.0.1/8:47809 --foreign 127.0.0.1:47808

The client must use a *different* port (47809) on loopback and register as
a foreign device with the simulator (``--foreign 127.0.0.1:47808``). A plain
global Who-Is then goes to the BBMD as Distribute-Broadcast-To-Network; the
router forwards it onto network 2, and every I-Am comes back as a Forwarded
NPDU from ``127.0.0.1:47808`` with the device's source ``2:<mac>``. Reads,
writes and priority arrays then go to addresses like ``2:5`` through the
router: the client learns the route from the I-Ams, and a registered client
that reads ``2:5`` before any Who-Is finds the router itself with
Who-Is-Router-To-Network (also distributed by the BBMD). The same in Python::

    building = await SimulatedBuilding.start(address="127.0.0.1/8:47808")
    client = await open_client(address="127.0.0.1/8:47809", foreign="127.0.0.1:47808")
    devices = await who_is(client)          # router 100 at 127.0.0.1:47808, then 2:2, 2:3, ...

Without ``--foreign`` a global Who-Is finds nothing: on loopback a
broadcast goes only to the sender's own port (bacpypes3 0.0.110), and a
directed Who-Is to 127.0.0.1:47808 reaches only the router's own device.
Ports below 1024 are not needed; 47808 must simply be free (the simulator
refuses a busy port with a clear LocalNetworkError).
"""

from .building import SimulatedBuilding
from .devices import SimDevice

__all__ = ["SimDevice", "SimulatedBuilding"]
