"""COV subscriptions: changes arrive the moment a device reports them, as plain values.

    async with client.cov(1001, "av,1", lifetime=300) as changes:
        async for change in changes:          # CovChange(object_id, property, value)
            print(change.property, change.value)

The bacpypes3 0.0.110 pitfalls (measured) are handled here:

- the monitored id is built as an ObjectIdentifier from (type number,
  instance); a string subscribes but every notification is then dropped;
- leaving bacpypes3's context by an exception or a cancel abandons the
  subscription on the device. Here every way out (the end of the block, an
  error, a cancelled task) cancels it: a clean exit waits for the device's
  answer, an error or a cancel sends the cancellation in the background
  (:meth:`BacnetClient.close` waits for those);
- the subscription is renewed before its lifetime runs out, through the
  client's boundary; a renewal the device refuses ends the iteration with
  the runtime's error instead of a stray task traceback.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from bacpypes3.apdu import SubscribeCOVRequest
from bacpypes3.pdu import Address

from .encode import bacnet_object_id
from .errors import BacnetError, InvalidInput
from .ids import ObjectId, parse_object_id
from .types import CovChange
from .values import decode_property

if TYPE_CHECKING:
    from .client import BacnetClient

log = logging.getLogger("aso.bacnet")

DEFAULT_LIFETIME = 300  # s; renewed before it runs out
RENEW_AT = 0.8  # of the lifetime: room for a slow answer before the device drops us


class CovSubscription:
    """One SubscribeCOV to one object of one device. Use ``async with client.cov(...)``.

    Inside the block, iterate (``async for change in subscription``) or
    ``await subscription.get()``. Entering raises the runtime's errors: a
    device that does not do COV answers :class:`BacnetReject`
    (unrecognized-service) or :class:`BacnetRemoteError`
    (e.g. ``services: cov-subscription-failed`` for an object without COV).
    """

    def __init__(self, client: "BacnetClient", device: Any, object_id: "str | ObjectId", *,
                 lifetime: int = DEFAULT_LIFETIME, confirmed: bool = False) -> None:
        if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime < 0:
            raise InvalidInput(f"COV lifetime must be whole seconds >= 0 (0: until cancelled), got {lifetime!r}")
        self.client = client
        self.device = device
        self.oid = parse_object_id(object_id)
        self.lifetime = lifetime
        self.confirmed = confirmed
        self.where = f"{device} {self.oid} COV"
        self._address: Address | None = None
        self._context: Any = None  # bacpypes3's SubscriptionContextManager
        self._renewer: asyncio.Task | None = None
        self._failed: asyncio.Future | None = None
        self._cancelled = False

    @property
    def object_id(self) -> str:
        return str(self.oid)

    # ----- entering and leaving ------------------------------------------------

    async def __aenter__(self) -> "CovSubscription":
        self._address, label = await self.client.resolve(self.device)
        self.where = f"{label} {self.oid} COV"
        app = self.client.app
        self._context = app.change_of_value(
            self._address, bacnet_object_id(self.oid),
            issue_confirmed_notifications=self.confirmed, lifetime=self.lifetime,
        )
        await self.client._call(self.where, self._address, self._context.__aenter__)
        # bacpypes3 renews on its own timer and loses a refusal in a task; we renew ourselves.
        self._stop_stack_renewal()
        self._failed = asyncio.get_running_loop().create_future()
        if self.lifetime:
            self._renewer = asyncio.create_task(self._renew(), name=f"cov-renew:{self.where}")
        self.client._subscriptions.add(self)
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
        if self._failed.done() and not self._failed.cancelled():
            self._failed.exception()  # seen: a refused renewal the block never asked about is not "unretrieved"
        # The cancellation runs as its own task, kept by the client (which waits for it
        # on close): after an error or a cancel it goes on without us.
        cancel = asyncio.ensure_future(self._cancel())
        self.client._track(cancel)
        if exc_type is None:
            await asyncio.shield(cancel)

    async def _cancel(self) -> None:
        """Forget the subscription locally, then ask the device to drop it (errors only logged). Once."""
        if self._cancelled:
            return
        self._cancelled = True
        self.client._subscriptions.discard(self)
        self._stop_stack_renewal()
        context = self._context
        self.client.app._cov_contexts.pop((context.address, context.subscriber_process_identifier), None)

        def request():  # a new request per attempt: bacpypes3 stamps each one as it is sent
            return self.client.app.request(SubscribeCOVRequest(
                subscriberProcessIdentifier=context.subscriber_process_identifier,
                monitoredObjectIdentifier=context.monitored_object_identifier,
                destination=self._address,
            ))

        try:
            await self.client._call(f"{self.where} cancel", self._address, request)
        except BacnetError as exc:  # the device may be gone; its subscription then expires on its own
            log.debug("%s: cancelling the subscription failed: %s", self.where, exc)

    def _stop_stack_renewal(self) -> None:
        for attribute in ("refresh_subscription_handle", "refresh_subscription_task"):
            pending = getattr(self._context, attribute, None)
            if pending is not None:
                pending.cancel()

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(max(1.0, self.lifetime * RENEW_AT))
            try:
                await self.client._call(f"{self.where} renewal", self._address, self._context.refresh_subscription)
            except BacnetError as exc:
                if not self._failed.done():
                    self._failed.set_exception(exc)
                return
            finally:
                self._stop_stack_renewal()

    # ----- changes -----------------------------------------------------------

    async def get(self) -> CovChange:
        """The next reported property; raises the runtime's error if a renewal was refused."""
        if self._context is None:
            raise RuntimeError("use the subscription inside `async with client.cov(...)`")
        getter = asyncio.ensure_future(self._context.get())
        try:
            await asyncio.wait({getter, self._failed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not getter.done():
                getter.cancel()
        if not getter.done() or getter.cancelled():
            self._failed.result()  # raises the renewal's error
        return self._decode(getter.result())

    def __aiter__(self) -> "CovSubscription":
        return self

    async def __anext__(self) -> CovChange:
        return await self.get()

    def _decode(self, element: Any) -> CovChange:
        prop = element.propertyIdentifier
        name = str(prop) or str(int(prop))
        try:
            value = decode_property(self.oid.type_number, prop, element.value, element.propertyArrayIndex)
        except Exception:  # an odd value must not end the subscription
            value = None
        return CovChange(str(self.oid), name, value)
