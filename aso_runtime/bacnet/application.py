"""Our bacpypes3 Application: the stock one plus hooks for streaming I-Am / I-Have.

bacpypes3's ``who_is()`` only resolves a future after a fixed window. To show
devices the moment they answer (and stop waiting when the network goes
quiet) we need every I-Am as it arrives, so the application hands each one to
listeners registered by the client. It also answers two requests bacpypes3
gets wrong: a WriteProperty of a property the object does not have
(unknown-property, not operational-problem plus a traceback), and a failed
WritePropertyMultiple (bacpypes3 raises the error and never sends it). And
it bounds COV: at most MAX_COV_SUBSCRIPTIONS, and confirmed notifications
to a subscriber that does not acknowledge them stop at
MAX_NOTIFICATIONS_IN_FLIGHT (bacpypes3 spins forever looking for a free
invoke id once 256 requests to one peer are open: 40 SubscribeCOV packets
with confirmed notifications froze the host).

Hardening against hostile traffic (bounded server transactions, one log
line per bad packet source) is in ``hardening.py``, applied to every
application we build whatever its class.
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
    WritePropertyMultipleError,
    WritePropertyMultipleRequest,
    WritePropertyRequest,
    confirmed_request_types,
    unconfirmed_request_types,
)
from bacpypes3.app import Application
from bacpypes3.basetypes import ServicesSupported
from bacpypes3.errors import ExecutionError, PropertyError

log = logging.getLogger("aso.bacnet")

Listener = Callable[[object], None]

MAX_COV_SUBSCRIPTIONS = 128  # what bacnet-stack devices keep; beyond: Error(resources, ...)
MAX_NOTIFICATIONS_IN_FLIGHT = 8  # unacknowledged confirmed COV notifications to one subscriber


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

    async def do_WritePropertyRequest(self, apdu: WritePropertyRequest) -> None:  # noqa: N802
        # bacpypes3 crashes on a property the object does not have (issubclass(None, ...))
        # and answers operational-problem; a real device says unknown-property.
        obj = self.get_object_id(apdu.objectIdentifier)
        if obj is not None and obj.get_property_type(apdu.propertyIdentifier) is None:
            raise PropertyError("unknownProperty")
        await super().do_WritePropertyRequest(apdu)

    async def do_WritePropertyMultipleRequest(self, apdu: WritePropertyMultipleRequest) -> None:  # noqa: N802
        try:
            await super().do_WritePropertyMultipleRequest(apdu)
        except WritePropertyMultipleError as error:
            # bacpypes3 raises this error PDU but never sends it: the client heard nothing.
            error.set_context(apdu)
            await self.response(error)

    async def do_SubscribeCOVRequest(self, apdu) -> None:  # noqa: N802, ANN001
        cancel = apdu.issueConfirmedNotifications is None and apdu.lifetime is None
        if not cancel and self._cov_subscriptions() >= MAX_COV_SUBSCRIPTIONS and not self._renews(apdu):
            raise ExecutionError("resources", "noSpaceToAddListElement")
        await super().do_SubscribeCOVRequest(apdu)

    def _cov_subscriptions(self) -> int:
        return sum(len(detection.cov_subscriptions) for detection in self._cov_detections.values())

    def _renews(self, apdu) -> bool:  # noqa: ANN001
        detection = self._cov_detections.get(apdu.monitoredObjectIdentifier)
        return detection is not None and any(
            (cov.client_addr, cov.proc_id) == (apdu.pduSource, apdu.subscriberProcessIdentifier)
            for cov in detection.cov_subscriptions)

    def cov_notification(self, cov, apdu) -> None:  # noqa: ANN001 (bacpypes3 signature)
        if cov.confirmed and len(self._requests.get(apdu.pduDestination, ())) >= MAX_NOTIFICATIONS_IN_FLIGHT:
            return  # the subscriber is not acknowledging; it gets the next change
        super().cov_notification(cov, apdu)

    def cov_confirmation(self, cov, future) -> None:  # noqa: ANN001 (bacpypes3 signature)
        # bacpypes3 calls future.result() here: every Abort(no-response) of a silent
        # subscriber became an asyncio "Exception in callback" with a traceback.
        if not future.cancelled() and future.exception() is not None:
            log.debug("COV notification to %s not acknowledged: %r", cov.client_addr, future.exception())

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
