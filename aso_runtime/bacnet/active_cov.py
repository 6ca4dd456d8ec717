"""The device's active-cov-subscriptions, as every device we serve reports it.

bacpypes3's device object asks its application for the list and gets an
empty one unless the application provides ``get_active_cov_subscriptions``:
a technician (or an EPICS review) could not see who is subscribed, and a
test could not see a subscription cancelled. This builds the list from the
subscriptions bacpypes3 keeps per monitored object.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bacpypes3.basetypes import (
    COVSubscription,
    DeviceAddress,
    ListOfCOVSubscription,
    ObjectPropertyReference,
    Recipient,
    RecipientProcess,
)


def active_cov_subscriptions(app: Any) -> ListOfCOVSubscription:
    """One entry per live SubscribeCOV: who, which object, confirmed or not, seconds left."""
    now = asyncio.get_running_loop().time()
    entries = []
    for detection in list(getattr(app, "_cov_detections", {}).values()):
        for sub in list(getattr(detection, "cov_subscriptions", [])):
            handle = sub.cancel_handle
            remaining = max(0, int(handle.when() - now)) if handle is not None else 0
            entry = COVSubscription(
                recipient=RecipientProcess(recipient=Recipient(address=DeviceAddress(sub.client_addr)),
                                           processIdentifier=sub.proc_id),
                monitoredPropertyReference=ObjectPropertyReference(objectIdentifier=sub.obj_id,
                                                                   propertyIdentifier="present-value"),
                issueConfirmedNotifications=bool(sub.confirmed),
                timeRemaining=remaining,
            )
            if sub.covIncrement is not None:
                entry.covIncrement = sub.covIncrement
            entries.append(entry)
    return ListOfCOVSubscription(entries)


def report_active_cov_subscriptions(app: Any) -> None:
    """Give the application the method its device object asks for."""
    app.get_active_cov_subscriptions = lambda: active_cov_subscriptions(app)
