"""A notification class's recipient list: read it, add this client to it, take exactly that entry out.

A technician who wants to hear a controller's alarms live adds the
workstation to the recipient-list of the alarm's notification class, and
takes it out again when leaving the site. :func:`add_this_client` names this
client by its device instance (and sends the device a directed I-Am so it
can find us without a broadcast), or by its address when it serves no
device; valid every day, all day, for every transition; confirmed or not as
asked. The list is read, the entry appended, the list written back whole
(WriteProperty of recipient-list: BACnet has no "add one entry") and read
back. :func:`remove_entry` takes out the first entry equal to ours and leaves
every other entry as it was.

A controller that refuses the write (write-access-denied: many lock their
recipient lists) raises :class:`RecipientsRefused`, one line naming the
device and the class.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bacpypes3.apdu import ReadPropertyACK, WritePropertyRequest
from bacpypes3.basetypes import (
    Destination,
    DeviceAddress,
    EventTransitionBits,
    Recipient,
)
from bacpypes3.constructeddata import Any as AnyValue
from bacpypes3.constructeddata import ListOf
from bacpypes3.pdu import Address
from bacpypes3.primitivedata import ObjectIdentifier, Time

from .boundary import Device
from .client import BacnetClient, bacnet_object_id
from .encode import read_request
from .errors import BacnetError, BacnetRemoteError
from .ids import ObjectId, parse_object_id

log = logging.getLogger("aso.bacnet")

DestinationList = ListOf(Destination)
ALL_DAYS = (True,) * 7
ALL_TRANSITIONS = (True, True, True)  # to-offnormal, to-fault, to-normal
DAY_START, DAY_END = "00:00:00.00", "23:59:59.99"
_REFUSED = ("write-access-denied", "not-cov-property", "unknown-property")


class RecipientsRefused(BacnetError):
    """The device will not let us change this recipient list (its error code is kept)."""

    def __init__(self, message: str, error_code: str) -> None:
        super().__init__(message)
        self.error_code = error_code


@dataclass(frozen=True)
class RecipientEntry:
    """One recipient-list entry (plain data). A device recipient, or an address (network, MAC in hex)."""

    device_instance: int | None
    network: int | None
    mac: str | None
    process_id: int = 0
    confirmed: bool = False
    transitions: tuple[bool, bool, bool] = ALL_TRANSITIONS
    valid_days: tuple[bool, ...] = ALL_DAYS
    from_time: str = DAY_START
    to_time: str = DAY_END

    def text(self) -> str:
        """``device 4194302, process 0, confirmed, every day 00:00-23:59, every transition``."""
        who = (f"device {self.device_instance}" if self.device_instance is not None
               else "local broadcast" if not self.mac and not self.network
               else f"address {self.network or 0}:{self.mac or 'broadcast'}")
        days = "every day" if all(self.valid_days) else "days " + "".join(
            d if on else "-" for d, on in zip("MTWTFSS", self.valid_days))
        changes = "every transition" if all(self.transitions) else ", ".join(
            n for n, on in zip(("to-offnormal", "to-fault", "to-normal"), self.transitions) if on) or "no transition"
        return (f"{who}, process {self.process_id}, {'confirmed' if self.confirmed else 'unconfirmed'}, "
                f"{days} {self.from_time[:5]}-{self.to_time[:5]}, {changes}")


@dataclass(frozen=True)
class Enrollment:
    """What :func:`add_this_client` did: ``added`` False when an equal entry was there already (kept on removal)."""

    device: str
    notification_class: str
    entry: RecipientEntry
    added: bool
    before: tuple[str, ...]  # the list as read first (text of each entry)
    after: tuple[str, ...]  # the list as read back


# ----- plain data <-> bacpypes3 ----------------------------------------------------------------------


def _time_text(t: Time) -> str:
    h, m, s, hs = tuple(t)
    return f"{h:02d}:{m:02d}:{s:02d}.{0 if hs == 255 else hs:02d}"


def _time(text: str) -> Time:
    clock, _, hundredths = text.partition(".")
    h, m, s = (int(part) for part in clock.split(":"))
    return Time((h, m, s, int(hundredths or 0)))


def entry_from(destination: Destination) -> RecipientEntry:
    recipient = destination.recipient
    if recipient.device is not None:
        device, network, mac = int(recipient.device[1]), None, None
    else:
        device, network, mac = None, int(recipient.address.networkNumber), bytes(recipient.address.macAddress).hex()
    return RecipientEntry(
        device_instance=device, network=network, mac=mac, process_id=int(destination.processIdentifier),
        confirmed=bool(destination.issueConfirmedNotifications),
        transitions=tuple(bool(b) for b in list(destination.transitions)[:3]),
        valid_days=tuple(bool(b) for b in list(destination.validDays)[:7]),
        from_time=_time_text(destination.fromTime), to_time=_time_text(destination.toTime))


def destination_from(entry: RecipientEntry) -> Destination:
    recipient = (Recipient(device=ObjectIdentifier(("device", entry.device_instance)))
                 if entry.device_instance is not None
                 else Recipient(address=DeviceAddress(networkNumber=entry.network or 0,
                                                      macAddress=bytes.fromhex(entry.mac or ""))))
    return Destination(
        validDays=[int(d) for d in entry.valid_days], fromTime=_time(entry.from_time), toTime=_time(entry.to_time),
        recipient=recipient, processIdentifier=entry.process_id, issueConfirmedNotifications=entry.confirmed,
        transitions=EventTransitionBits([int(t) for t in entry.transitions]))


def this_client(client: BacnetClient, *, confirmed: bool, process_id: int = 0) -> RecipientEntry:
    """The entry naming this client: its device instance, or its address when it serves no device."""
    if client.own_device is not None:
        return RecipientEntry(client.device_instance, None, None, process_id, confirmed)
    mac = Address(client.local_address).addrAddr if client.local_address else b""
    return RecipientEntry(None, 0, bytes(mac).hex(), process_id, confirmed)


# ----- the service calls ------------------------------------------------------------------------------


def _class_id(notification_class: int | str | ObjectId) -> ObjectId:
    if isinstance(notification_class, int):
        return parse_object_id(f"notification-class,{notification_class}")
    return parse_object_id(notification_class)


async def read_recipients(client: BacnetClient, device: Device, notification_class: int | str | ObjectId, *,
                          timeout: float | None = None) -> list[RecipientEntry]:
    """The recipient-list of ``notification-class,N`` (an int N, or the object id)."""
    return [entry_from(d) for d in await _read(client, device, _class_id(notification_class), timeout)]


async def _read(client: BacnetClient, device: Device, oid: ObjectId, timeout: float | None) -> list[Destination]:
    address, name = await client.resolve(device)
    where = f"{name} {oid} recipient-list"

    async def request() -> list[Destination]:
        ack = await client.app.request(read_request(address, oid, "recipient-list", None))
        if not isinstance(ack, ReadPropertyACK):
            raise BacnetError(f"{where}: unexpected answer {type(ack).__name__}")
        return list(ack.propertyValue.cast_out(DestinationList))

    return await client._call(where, address, request, timeout)


async def _write(client: BacnetClient, device: Device, oid: ObjectId, entries: list[Destination],
                 timeout: float | None) -> None:
    address, name = await client.resolve(device)
    where = f"{name} {oid} recipient-list"
    request = WritePropertyRequest(objectIdentifier=bacnet_object_id(oid), propertyIdentifier="recipient-list",
                                   propertyValue=AnyValue(DestinationList(entries)), destination=address)

    async def send() -> None:
        client.writes_sent += 1
        await client.app.request(request)

    try:
        await client._call(where, address, send, timeout)
    except BacnetRemoteError as exc:
        if exc.error_code in _REFUSED:
            raise RecipientsRefused(f"device {name} refuses changes to the recipient list of {oid} "
                                    f"({exc.error_code}): add this console at the controller itself",
                                    exc.error_code) from None
        raise
    log.info("wrote %s (%d entries)", where, len(entries))


async def add_this_client(client: BacnetClient, device: Device, notification_class: int | str | ObjectId, *,
                          confirmed: bool = True, process_id: int = 0,
                          timeout: float | None = None) -> Enrollment:
    """Append this client to the class's recipient list, then read it back.

    Raises RecipientsRefused (write-access-denied...), BacnetTimeout,
    BacnetError when the entry is not in the list read back.
    """
    oid = _class_id(notification_class)
    ours = this_client(client, confirmed=confirmed, process_id=process_id)
    current = await _read(client, device, oid, timeout)
    before = [entry_from(d) for d in current]
    added = ours not in before
    if added:
        await _write(client, device, oid, [*current, destination_from(ours)], timeout)
    if ours.device_instance is not None:
        await _announce(client, device)
    after = [entry_from(d) for d in await _read(client, device, oid, timeout)]
    if ours not in after:
        raise BacnetError(f"device {device} {oid}: the write was accepted but this console is not in the "
                          "recipient list read back")
    return Enrollment(str(device), str(oid), ours, added, tuple(e.text() for e in before),
                      tuple(e.text() for e in after))


async def _announce(client: BacnetClient, device: Device) -> None:
    """A directed I-Am, so the device knows where our instance is without a broadcast Who-Is."""
    address, _ = await client.resolve(device)
    try:
        client.app.i_am(address=address)
    except (OSError, RuntimeError, ValueError) as exc:  # the entry is in; the device may still Who-Is for us
        log.info("directed I-Am to %s failed: %s", address, exc)


async def remove_entry(client: BacnetClient, enrollment: Enrollment, *,
                       timeout: float | None = None) -> tuple[str, ...] | None:
    """Take our entry out again (the first equal entry only; the others untouched), then read back.

    Does nothing for an enrollment that found the entry already there
    (``added`` False). Returns the list read back (text of each entry) when
    an entry was removed, None when there was nothing of ours to remove.
    Raises RecipientsRefused, BacnetTimeout, BacnetError.
    """
    if not enrollment.added:
        return None
    oid = parse_object_id(enrollment.notification_class)
    device = int(enrollment.device) if enrollment.device.isdigit() else enrollment.device
    current = await _read(client, device, oid, timeout)
    entries = [entry_from(d) for d in current]
    if enrollment.entry not in entries:
        return None
    index = entries.index(enrollment.entry)
    await _write(client, device, oid, current[:index] + current[index + 1:], timeout)
    after = [entry_from(d) for d in await _read(client, device, oid, timeout)]
    if after.count(enrollment.entry) >= entries.count(enrollment.entry):
        raise BacnetError(f"device {device} {oid}: our entry is still in the recipient list after removing it")
    return tuple(e.text() for e in after)
