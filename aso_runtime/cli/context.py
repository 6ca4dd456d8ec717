"""What every verb gets: checked global options, the output, and a lazily opened client.

A verb checks its own arguments first and only then asks for the client, so
that bad input is refused (exit 2) before any socket is bound.
"""

from __future__ import annotations

import argparse
import os

from aso_runtime.bacnet import BacnetClient, open_client
from aso_runtime.bacnet.session import default_address

from .output import Output
from .syntax import bbmd_arg, local_address_arg

ADDRESS_ENV = "ASO_ADDRESS"


class Context:
    """Global options plus the BACnet client, opened on first use and always closed."""

    def __init__(self, args: argparse.Namespace, out: Output) -> None:
        self.args = args
        self.out = out
        self.timeout: float = args.timeout
        self.instance: int | None = args.instance
        self.ttl: int = args.ttl
        self.foreign = bbmd_arg(args.foreign) if args.foreign else None
        self.explicit_address: str | None = args.address or os.environ.get(ADDRESS_ENV) or None
        if self.explicit_address:
            local_address_arg(self.explicit_address)
        self._client: BacnetClient | None = None

    @property
    def address(self) -> str:
        """Where we bind: --address, else $ASO_ADDRESS, else the host's primary interface."""
        return self.explicit_address or default_address()

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
