"""Our bacpypes3 Application: the stock one plus hooks for streaming I-Am / I-Have.

bacpypes3's ``who_is()`` only resolves a future after a fixed window. To show
devices the moment they answer (and stop waiting when the network goes
quiet) we need every I-Am as it arrives, so the application hands each one to
listeners registered by the client. Its WriteProperty and
WritePropertyMultiple answer as a field controller does (``writes.py``:
unknown-property, write-access-denied before the datatype is looked at,
invalid-data-type, and a WritePropertyMultiple error that is actually sent).
And it bounds COV: at most MAX_COV_SUBSCRIPTIONS, and confirmed notifications
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
    confirmed_request_types,
    unconfirmed_request_types,
)
from bacpypes3.app import Application
from bacpypes3.basetypes import ServicesSupported
from bacpypes3.errors import ExecutionError

from .writes import WriteServices

log = logging.getLogger("aso.bacnet")

Listener = Callable[[object], None]

MAX_COV_SUBSCRIPTIONS = 128  # what bacnet-stack devices keep; beyond: Error(resources, ...)
MAX_NOTIFICATIONS_IN_FLIGHT = 8  # unacknowledged confirmed COV notifications to one subscriber


class AsoApplication(WriteServices, Application):
    """Application that publishes I-Am and I-Have to listeners.

    It claims in protocol-services-supported exactly the services it
    executes (:meth:`get_services_supported`). A service set to None here is
    not executed: a request for it is answered Reject(unrecognized-service)
    and it is not claimed.
    """

    # bacpypes3 0.0.110's ReadRange raises NotImplementedError (operational-problem and a
    # traceback). Not claimed until trend logs implement it.
    do_ReadRangeRequest = None
    # TimeSynchronization / UTCTimeSynchronization: not claimed and ignored (they are
    # unconfirmed). We do not set the host's clock, and a device claims only what it executes.

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
        """protocol-services-supported: every service with a handler, and only those.

        bacpypes3 0.0.110 looks up unconfirmed services with the *confirmed*
        enumeration, so every device claimed acknowledge-alarm,
        atomic-write-file... instead of who-is, i-am, who-has; and it claims a
        handler set to None (refused) as if it were there.
        """
        supported = ServicesSupported([])
        for choices, request_types in (
            (ConfirmedServiceChoice, confirmed_request_types),
            (UnconfirmedServiceChoice, unconfirmed_request_types),
        ):
            for choice, request_class in request_types.items():
                if getattr(self, "do_" + request_class.__name__, None) is not None:
                    bit = getattr(supported, choices(choice).attr, None)
                    if bit is not None:
                        supported[bit] = 1
        return supported
