"""Device management from the client: time sync, DCC, ReinitializeDevice, BBMD tables.

Each of these affects a whole controller; the callers (CLI, console) ask a
confirmation naming the device first. Errors are the runtime's own:
:class:`BacnetRemoteError` (e.g. ``security`` / ``password-failure``),
:class:`BacnetReject`, :class:`BacnetTimeout`, :class:`InvalidInput`.

Time synchronization is unconfirmed: nothing comes back, read the device's
local-time to see it took. It goes to one device, or to a whole remote
network only when the caller names it (``broadcast_network=N``); never a
global broadcast.

BBMD tables are BVLL messages (Annex J), not APDUs: they need a BACnet/IP
client, and a station that is not a BBMD answers with a BVLC-Result NAK
that bacpypes3 does not hand up, so it shows as a timeout.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

from bacpypes3.apdu import (
    DeviceCommunicationControlRequest,
    ReinitializeDeviceRequest,
    TimeSynchronizationRequest,
    UTCTimeSynchronizationRequest,
)
from bacpypes3.basetypes import DateTime
from bacpypes3.comm import ApplicationServiceElement, bind
from bacpypes3.ipv4.bvll import (
    ReadBroadcastDistributionTable,
    ReadBroadcastDistributionTableAck,
    ReadForeignDeviceTable,
    ReadForeignDeviceTableAck,
)
from bacpypes3.ipv4.service import BVLLServiceAccessPoint
from bacpypes3.pdu import Address, IPv4Address, RemoteBroadcast
from bacpypes3.primitivedata import Date, Time

from .errors import BacnetError, BacnetTimeout, InvalidInput
from .ids import ascii_int

__all__ = [
    "COMMUNICATION_STATES",
    "REINITIALIZE_STATES",
    "BdtEntry",
    "FdtEntry",
    "device_communication_control",
    "read_bdt",
    "read_fdt",
    "reinitialize_device",
    "time_synchronize",
]

# What the user types -> bacpypes3's enumeration names.
COMMUNICATION_STATES = {"enable": "enable", "disable": "disable", "disable-initiation": "disableInitiation"}
REINITIALIZE_STATES = {"coldstart": "coldstart", "warmstart": "warmstart"}
MAX_PASSWORD = 20  # characters (clause 16.1.1.1.3 / 16.4.1.1.2)
MAX_MINUTES = 65535  # Unsigned16
BVLL_TIMEOUT = 3.0  # s to wait for a BBMD's table


@dataclass(frozen=True)
class BdtEntry:
    """One broadcast-distribution-table entry: a peer BBMD ``ip:port`` and its broadcast mask."""

    address: str
    mask: str


@dataclass(frozen=True)
class FdtEntry:
    """One foreign-device-table entry: who registered, the TTL it asked (s) and the seconds left."""

    address: str
    ttl: int
    remaining: int


# ----- time synchronization ---------------------------------------------------------------


def _date_time(when: dt.datetime) -> DateTime:
    return DateTime(
        date=Date((when.year - 1900, when.month, when.day, when.isoweekday())),
        time=Time((when.hour, when.minute, when.second, when.microsecond // 10000)),
    )


async def time_synchronize(
    client: Any,
    device: Any = None,
    *,
    utc: bool = False,
    when: dt.datetime | None = None,
    broadcast_network: int | None = None,
) -> dt.datetime:
    """Send TimeSynchronization (local time) or, with ``utc=True``, UTCTimeSynchronization.

    To ``device`` (address, instance or DeviceInfo), or to every device of
    network ``broadcast_network`` (1..65534) when given instead: never a
    global broadcast. ``when`` defaults to now (this host's clock: local
    time, or UTC with ``utc``); an aware ``when`` is converted. Returns the
    time sent (naive). Unconfirmed: there is no answer to wait for.
    """
    if (device is None) == (broadcast_network is None):
        raise InvalidInput("give exactly one of a device or broadcast_network=N (time sync is never broadcast globally)")
    if when is None:
        when = dt.datetime.now(dt.UTC) if utc else dt.datetime.now()
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC if utc else None)
    when = when.replace(tzinfo=None)
    if broadcast_network is not None:
        network = _network_number(broadcast_network)
        address: Address = RemoteBroadcast(network)
        where = f"network {network} (broadcast)"
    else:
        address, where = await client.resolve(device)
    request_class = UTCTimeSynchronizationRequest if utc else TimeSynchronizationRequest
    request = request_class(time=_date_time(when), destination=address)

    async def send() -> None:
        await client.app.request(request)

    await client._call(f"{where} {'utc-' if utc else ''}time-synchronization", address, send)
    return when


def _network_number(value: Any) -> int:
    number = ascii_int(value) if isinstance(value, str) else value
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 65534:
        raise InvalidInput(f"network number must be 1..65534, got {value!r}")
    return number


# ----- DeviceCommunicationControl and ReinitializeDevice -------------------------------------


def _password(password: str | None) -> str | None:
    if password is None:
        return None
    if not password or len(password) > MAX_PASSWORD:
        raise InvalidInput(f"a password is 1..{MAX_PASSWORD} characters")
    return password


async def device_communication_control(
    client: Any, device: Any, state: str, minutes: int | None = None, password: str | None = None,
) -> None:
    """DeviceCommunicationControl: ``state`` is enable, disable or disable-initiation.

    ``minutes`` (1..65535) limits a disable; without it the device stays
    disabled until enabled (or reinitialized). While disabled the device
    answers nothing but DCC and ReinitializeDevice. Raises
    :class:`BacnetRemoteError` (``security``/``password-failure`` for a wrong
    password), :class:`BacnetTimeout`, :class:`InvalidInput`.
    """
    choice = COMMUNICATION_STATES.get(str(state).strip().lower())
    if choice is None:
        raise InvalidInput(f"communication state must be one of {', '.join(COMMUNICATION_STATES)}, got {state!r}")
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)
                                or not 1 <= minutes <= MAX_MINUTES):
        raise InvalidInput(f"duration must be 1..{MAX_MINUTES} minutes, got {minutes!r}")
    password = _password(password)
    address, where = await client.resolve(device)
    fields: dict[str, Any] = {"enableDisable": choice}
    if minutes is not None:
        fields["timeDuration"] = minutes
    if password is not None:
        fields["password"] = password

    async def send() -> None:
        await client.app.request(DeviceCommunicationControlRequest(destination=address, **fields))

    await client._call(f"{where} device-communication-control {state}", address, send)


async def reinitialize_device(client: Any, device: Any, state: str, password: str | None = None) -> None:
    """ReinitializeDevice: ``state`` is coldstart or warmstart.

    The device acknowledges, then restarts (it may not answer for a while).
    Raises :class:`BacnetRemoteError` (``security``/``password-failure``),
    :class:`BacnetTimeout`, :class:`InvalidInput`.
    """
    choice = REINITIALIZE_STATES.get(str(state).strip().lower())
    if choice is None:
        raise InvalidInput(f"reinitialize state must be one of {', '.join(REINITIALIZE_STATES)}, got {state!r}")
    password = _password(password)
    address, where = await client.resolve(device)
    fields: dict[str, Any] = {"reinitializedStateOfDevice": choice}
    if password is not None:
        fields["password"] = password

    async def send() -> None:
        await client.app.request(ReinitializeDeviceRequest(destination=address, **fields))

    await client._call(f"{where} reinitialize-device {state}", address, send)


# ----- BBMD tables ----------------------------------------------------------------------------


class _BvllReader(ApplicationServiceElement):
    """Bound above our BACnet/IP link layer: hands BDT / FDT acks to the waiting read.

    bacpypes3's BVLLServiceElement does this too, but sets a BVLC-Result
    (not an exception) as a future's exception and takes one read at a time.
    """

    def __init__(self) -> None:
        super().__init__()
        self.waiting: list[tuple[type, Any, asyncio.Future]] = []

    async def confirmation(self, lpdu: Any) -> None:
        for entry in list(self.waiting):
            ack_class, source, future = entry
            if isinstance(lpdu, ack_class) and lpdu.pduSource == source and not future.done():
                future.set_result(lpdu)
                self.waiting.remove(entry)
                return

    async def indication(self, lpdu: Any) -> None:
        pass  # nothing is asked of us


def _bvll_reader(client: Any) -> _BvllReader:
    for link_layer in list(getattr(client.app, "link_layers", {}).values()):
        if isinstance(link_layer, BVLLServiceAccessPoint):
            reader = link_layer.serviceElement
            if isinstance(reader, _BvllReader):
                return reader
            if reader is not None:
                raise BacnetError("the BACnet/IP link layer already has a service element bound")
            reader = _BvllReader()
            bind(reader, link_layer)
            return reader
    raise InvalidInput("BBMD tables are read over BACnet/IP: open the client with a UDP address")


def _bbmd_address(text: str) -> IPv4Address:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(f"BBMD address must be IP[:PORT], got {text!r}")
    value = text.strip()
    try:
        return IPv4Address(value if ":" in value else f"{value}:47808")
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"bad BBMD address {text!r}: {exc}") from None


async def _read_table(client: Any, bbmd: str, request_class: type, ack_class: type, what: str,
                      timeout: float | None) -> Any:
    address = _bbmd_address(bbmd)
    reader = _bvll_reader(client)
    future = asyncio.get_running_loop().create_future()
    entry = (ack_class, address, future)
    reader.waiting.append(entry)
    try:
        await reader.request(request_class(destination=address))
        return await asyncio.wait_for(future, BVLL_TIMEOUT if timeout is None else timeout)
    except TimeoutError:
        raise BacnetTimeout(f"{address}: no {what} within {BVLL_TIMEOUT if timeout is None else timeout:g} s "
                            "(not a BBMD, or unreachable?)") from None
    finally:
        if entry in reader.waiting:
            reader.waiting.remove(entry)


async def read_bdt(client: Any, bbmd_address: str, *, timeout: float | None = None) -> list[BdtEntry]:
    """Read-Broadcast-Distribution-Table from the BBMD at ``ip[:port]`` (port 47808 by default)."""
    ack = await _read_table(client, bbmd_address, ReadBroadcastDistributionTable,
                            ReadBroadcastDistributionTableAck, "broadcast-distribution table", timeout)
    return [BdtEntry(f"{e.addrTuple[0]}:{e.addrTuple[1]}", str(e.netmask)) for e in ack.bvlciBDT]


async def read_fdt(client: Any, bbmd_address: str, *, timeout: float | None = None) -> list[FdtEntry]:
    """Read-Foreign-Device-Table from the BBMD at ``ip[:port]``: who is registered and for how long."""
    ack = await _read_table(client, bbmd_address, ReadForeignDeviceTable,
                            ReadForeignDeviceTableAck, "foreign-device table", timeout)
    return [FdtEntry(f"{e.fdAddress.addrTuple[0]}:{e.fdAddress.addrTuple[1]}", int(e.fdTTL), int(e.fdRemain))
            for e in ack.bvlciFDT]
