"""What every verb gets: checked connection options, the output, and a lazily opened client.

A verb checks its own arguments first and only then asks for the client, so
that bad input is refused (exit 2) before any socket is bound.
"""

from __future__ import annotations

import argparse
import os

from aso_runtime.bacnet import BacnetClient, UdpAddress, default_address, open_client

from .connection import ADDRESS_ENV, check_connection  # noqa: F401  (ADDRESS_ENV re-exported)
from .output import Output


class Context:
    """Connection options plus the BACnet client, opened on first use and always closed."""

    def __init__(self, args: argparse.Namespace, out: Output) -> None:
        self.args = args
        self.out = out
        self.connection = check_connection(args, os.environ)
        self.timeout: float = self.connection.timeout
        self.instance: int | None = self.connection.instance
        self.ttl: int = self.connection.ttl
        self.foreign: str | None = self.connection.foreign
        self.explicit_address: str | None = self.connection.address
        # Where we will bind, when known before binding: a DEVICE that is our
        # own subnet's broadcast is refused with it. (With the primary
        # interface the client refuses it once bound, before sending.)
        self.local: UdpAddress | None = self.connection.local
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
