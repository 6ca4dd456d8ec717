"""Our bacpypes3 Application: the stock one plus hooks for streaming I-Am / I-Have.

bacpypes3's ``who_is()`` only resolves a future after a fixed window. To show
devices the moment they answer (and stop waiting when the network goes
quiet) we need every I-Am as it arrives, so the application hands each one to
listeners registered by the client.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from bacpypes3.apdu import (
    ConfirmedServiceChoice,
    IAmRequest,
    IHaveRequest,
    UnconfirmedServiceChoice,
    confirmed_request_types,
    unconfirmed_request_types,
)
from bacpypes3.app import Application
from bacpypes3.basetypes import ServicesSupported

log = logging.getLogger("aso.bacnet")

Listener = Callable[[object], None]


class AsoApplication(Application):
    """Application that publishes I-Am and I-Have to listeners."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.i_am_listeners: list[Listener] = []
        self.i_have_listeners: list[Listener] = []
        self._background: set[asyncio.Task] = set()

    async def do_IAmRequest(self, apdu: IAmRequest) -> None:  # noqa: N802 (bacpypes3 name)
        await super().do_IAmRequest(apdu)
        # Remember max APDU / segmentation so requests to it are sized right.
        await self.device_info_cache.set_device_info(apdu)
        for listener in list(self.i_am_listeners):
            listener(apdu)

    async def do_IHaveRequest(self, apdu: IHaveRequest) -> None:  # noqa: N802
        await super().do_IHaveRequest(apdu)
        for listener in list(self.i_have_listeners):
            listener(apdu)

    def get_services_supported(self) -> ServicesSupported:
        """protocol-services-supported, computed correctly.

        bacpypes3 0.0.110 looks up unconfirmed services with the *confirmed*
        enumeration, so every device claimed acknowledge-alarm,
        atomic-write-file... instead of who-is, i-am, who-has.
        """
        supported = ServicesSupported([])
        for choices, request_types in (
            (ConfirmedServiceChoice, confirmed_request_types),
            (UnconfirmedServiceChoice, unconfirmed_request_types),
        ):
            for choice, request_class in request_types.items():
                if hasattr(self, "do_" + request_class.__name__):
                    bit = getattr(supported, choices(choice).attr, None)
                    if bit is not None:
                        supported[bit] = 1
        return supported
