"""What every verb gets: checked global options, the output, and a lazily opened client.

A verb checks its own arguments first and only then asks for the client, so
that bad input is refused (exit 2) before any socket is bound.
"""

from __future__ import annotations

import argparse
import os

from aso_runtime.bacnet import BacnetClient, open_client
from aso_runtime.bacnet.local import UdpAddress
from aso_runtime.bacnet.session import default_address

from .output import Output
from .syntax import bbmd_arg, device_arg, local_address_arg

ADDRESS_ENV = "ASO_ADDRESS"


class Context:
    """Global options plus the BACnet client, opened on first use and always closed."""

    def __init__(self, args: argparse.Namespace, out: Output) -> None:
        self.args = args
        self.out = out
        self.timeout: float = args.timeout
        self.instance: int | None = args.instance
        self.ttl: int = args.ttl
        # Given but blank is an error, never "no BBMD" or "the primary interface"
        # (which would bind the site network and broadcast there).
        self.foreign = bbmd_arg(args.foreign) if args.foreign is not None else None
        environment = os.environ.get(ADDRESS_ENV) or None  # an empty variable is an unset one
        self.explicit_address: str | None = args.address if args.address is not None else environment
        self.local: UdpAddress | None = None  # where we will bind, when known before binding
        if self.explicit_address is not None:
            option = "--address" if args.address is not None else f"${ADDRESS_ENV}"
            self.local = local_address_arg(self.explicit_address, option)
        # A DEVICE may be our own subnet's broadcast, which only the bind
        # address tells: check it here, before a verb binds anything. (With
        # the primary interface the client refuses it when bound, before sending.)
        device = getattr(args, "device", None)
        if device is not None:
            device_arg(device, self.local)
        self._client: BacnetClient | None = None

    @property
    def address(self) -> str:
        """Where we bind: --address, else $ASO_ADDRESS, else the host's primary interface."""
        return default_address() if self.explicit_address is None else self.explicit_address

    async def client(self) -> BacnetClient:
        if self._client is None:
            self._client = await open_client(
                address=self.address,
                instance=self.instance,
                foreign=self.foreign,
                ttl=self.ttl,
                timeout=self.timeout,
            )
        return self._client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()
