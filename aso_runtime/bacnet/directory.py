"""Which devices a client knows, and the one station a device reference means.

A device reaches the client as an address (``10.0.0.5``, ``127.0.0.1:47810``,
``2:7``), a device instance (``1001``, ``device,1001``) or a
:class:`DeviceInfo` from an I-Am. Every request comes through
:meth:`DeviceDirectory.resolve`, so a broadcast or malformed address is
refused before anything is sent. Parsed addresses are kept: the poller and
the ASOs ask for the same few devices many times a second.

Looking a device up by instance needs a Who-Is, which lives in the layer
above (``discovery.py``): the client is given that lookup when it is opened
(``open_client``), so this module knows nothing of discovery.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from bacpypes3.pdu import Address

from .addresses import device_address
from .encode import address_text
from .errors import InvalidInput
from .ids import MAX_INSTANCE, ascii_int, parse_object_id
from .local import UdpAddress
from .types import DeviceInfo

DeviceFinder = Callable[[int], Awaitable[DeviceInfo]]

_DIGITS = re.compile(r"[0-9]+")  # only ASCII digits are numbers (\d and isdigit() take '１', '١')
_PARSED_KEPT = 4096  # distinct address texts kept parsed; typed input could otherwise grow it forever


class DeviceDirectory:
    """Devices by instance and by address, and the parse of every address text seen."""

    def __init__(self, udp_address: UdpAddress | None = None, find_device: DeviceFinder | None = None) -> None:
        # Where we are bound (None on a virtual network): its subnet's
        # broadcast address is refused as a device (see device_address).
        self.udp_address = udp_address
        self.find_device = find_device
        self.devices: dict[int, DeviceInfo] = {}
        self._by_address: dict[str, DeviceInfo] = {}
        self._parsed: dict[str, Address] = {}

    def remember(self, device: DeviceInfo) -> None:
        old = self.devices.get(device.instance)
        if old is not None and self._by_address.get(old.address) is old:
            del self._by_address[old.address]
        self.devices[device.instance] = device
        self._by_address[device.address] = device

    def device_at(self, address: str) -> DeviceInfo | None:
        """The known device at an address in :func:`address_text` form, if any."""
        return self._by_address.get(address)

    def address(self, text: str) -> Address:
        """One station's Address (parsed once per distinct text); :class:`InvalidInput` otherwise."""
        parsed = self._parsed.get(text)
        if parsed is None:
            parsed = device_address(text, self.udp_address)
            if len(self._parsed) >= _PARSED_KEPT:
                self._parsed.clear()
            self._parsed[text] = parsed
        return parsed

    async def resolve(self, device: "str | int | DeviceInfo") -> tuple[Address, str]:
        """The Address of ONE device and a label naming it for messages.

        Accepts an address, a device instance (found by a directed Who-Is if
        not yet known) or a :class:`DeviceInfo`. Raises :class:`InvalidInput`
        for anything that is not one station, :class:`BacnetTimeout` when an
        instance does not answer.
        """
        if isinstance(device, DeviceInfo):
            return self.address(device.address), f"device {device.instance} ({device.address})"
        if isinstance(device, int) and not isinstance(device, bool):
            known = await self.by_instance(device)
            return self.address(known.address), f"device {device} ({known.address})"
        if isinstance(device, str):
            text = device.strip()
            if text.lower().startswith("device"):  # `device,1001`: no address starts so
                return await self.resolve(parse_object_id(text).instance)
            # Bare ASCII digits are a device instance (`aso read 1001 ai,1`).
            if _DIGITS.fullmatch(text):
                if ascii_int(text) > MAX_INSTANCE:
                    raise InvalidInput(f"device instance {text} is above the BACnet maximum {MAX_INSTANCE}")
                return await self.resolve(ascii_int(text))
            address = self.address(text)
            shown = address_text(address)
            known = self.device_at(shown)
            return address, f"device {known.instance} ({shown})" if known else shown
        raise InvalidInput(f"device must be an address, a device instance or DeviceInfo, got {device!r}")

    async def by_instance(self, instance: int) -> DeviceInfo:
        """The known device with this instance, or the one a Who-Is finds."""
        if not 0 <= instance <= MAX_INSTANCE:
            raise InvalidInput(f"device instance {instance} is outside 0..{MAX_INSTANCE}")
        known = self.devices.get(instance)
        if known is not None:
            return known
        if self.find_device is None:
            raise InvalidInput(f"device {instance} is not known to this client and it has no Who-Is lookup "
                               "(open it with open_client, or give it an address)")
        return await self.find_device(instance)


def label(device: object) -> str:
    """How to name a device in a message before we know its address."""
    if isinstance(device, DeviceInfo):
        return f"device {device.instance} ({device.address})"
    if isinstance(device, int) or (isinstance(device, str) and _DIGITS.fullmatch(device.strip())):
        return f"device {device.strip() if isinstance(device, str) else device}"
    return str(device)
