"""The async BACnet client: read, write, release, RPM, WPM, priority arrays, COV, served points.

One :class:`BacnetClient` wraps one bacpypes3 application. Every request goes
through the boundary in ``boundary.py`` (error translation, timeouts,
per-device limits).

Layers, each importing only those below it: ``encode``/``decode`` (request
and answer conversion), ``directory`` (which station a device reference
means) and ``routes``, then ``boundary`` and this client, then
``discovery`` (Who-Is, Who-Has) and ``points`` (point lists), then
``session`` (``open_client``). Finding a device by instance needs a Who-Is,
so ``open_client`` hands the client that lookup from above.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from bacpypes3.apdu import ReadPropertyACK, ReadPropertyMultipleACK

from .boundary import (  # noqa: F401 (re-exported: the constants' old home)
    CLOSE_WAIT,
    DEFAULT_IN_FLIGHT_LIMIT,
    DEFAULT_PER_DEVICE_LIMIT,
    DEFAULT_TIMEOUT,
    STALL_RETRIES,
    ClientCore,
    Device,
)
from .cov import DEFAULT_LIFETIME, CovSubscription
from .decode import decode_rpm, priority_slots
from .directory import label
from .encode import (
    address_text,
    bacnet_object_id,
    bacnet_property,
    encode_value,
    read_multiple_request,
    read_request,
    write_element,
    write_multiple_request,
    write_request,
)
from .errors import BacnetAbort, BacnetError, BacnetReject, BacnetRemoteError, BacnetTimeout, InvalidInput
from .hosted import ServedPoint
from .ids import ObjectId, parse_object_id, parse_property
from .types import PriorityArray, PropertyValue
from .values import decode_property

__all__ = ["BacnetClient", "address_text", "bacnet_object_id", "bacnet_property", "check_priority"]

log = logging.getLogger("aso.bacnet")

Requests = Sequence[tuple["str | ObjectId", Sequence[str]]]

# Aborts that mean "the answer would not fit": an array is then read index by index.
_TOO_BIG = ("segmentation-not-supported", "buffer-overflow", "apdu-too-long")

# Refusals after which a device gets single reads from then on.
_NO_RPM = ("unrecognized-service", "service-request-denied")


def check_priority(priority: int | None, *, allow_none: bool = True) -> int | None:
    """1..16 as a plain int, else :class:`InvalidInput`: a thin alias of the one check, ``priority.Priority``.

    Text must be ASCII digits: ``int()`` would also take '１５', ' 8 ' and '1_6'.
    """
    from .priority import parse_priority  # the one priority check (names, life safety) lives there

    checked = parse_priority(priority, allow_none=allow_none)
    return None if checked is None else int(checked)


class BacnetClient(ClientCore):
    """Async client over one bacpypes3 application. See module docstring.

    Construct with :func:`aso_runtime.bacnet.open_client`, which builds the
    local application and gives the client its Who-Is lookup by instance.
    """

    # ----- read ------------------------------------------------------------

    async def read(
        self,
        device: Device,
        object_id: "str | ObjectId",
        property: str = "present-value",
        index: int | None = None,
        *,
        timeout: float | None = None,
    ) -> Any:
        """Read one property and return it as plain Python.

        Raises :class:`BacnetTimeout`, :class:`BacnetRemoteError` (e.g.
        unknown-object), :class:`InvalidInput` for a malformed id or property.
        """
        oid = parse_object_id(object_id)
        prop, parsed_index = parse_property(property)
        index = parsed_index if index is None else index
        address, name = await self.resolve(device)
        where = f"{name} {oid} {prop}{f'[{index}]' if index is not None else ''}"

        async def request() -> Any:
            ack = await self.app.request(read_request(address, oid, prop, index))
            if not isinstance(ack, ReadPropertyACK):
                raise BacnetError(f"{where}: unexpected answer {type(ack).__name__}")
            return decode_property(oid.type_number, bacnet_property(prop), ack.propertyValue, index)

        try:
            return await self._call(where, address, request, timeout)
        except BacnetAbort as exc:
            if index is not None or exc.reason not in _TOO_BIG:
                raise
            log.info("%s: too big for one answer (%s); reading it index by index", where, exc.reason)
        return await self.read_by_index(device, oid, prop, timeout=timeout)

    async def read_by_index(self, device: Device, oid: ObjectId, prop: str, *, timeout: float | None) -> list:
        """An array the device cannot send whole: its length (index 0), then each element.

        The elements are read concurrently; the per-device limit keeps a small
        controller from being flooded.
        """
        count = await self.read(device, oid, prop, 0, timeout=timeout)
        if not isinstance(count, int) or isinstance(count, bool):
            raise BacnetError(f"{oid} {prop}[0]: expected the array's length, got {count!r}")
        return list(await asyncio.gather(*(self.read(device, oid, prop, i, timeout=timeout)
                                           for i in range(1, count + 1))))

    async def read_multiple(self, device: Device, requests: Requests, *, timeout: float | None = None) -> list[PropertyValue]:
        """ReadPropertyMultiple. ``requests`` is ``[(object_id, [property, ...]), ...]``.

        Per-property errors come back in :attr:`PropertyValue.error`, not
        raised. If the whole request fails (device rejects RPM, aborts for
        size), the exception is raised; :meth:`read_many` adds fallbacks.
        """
        specs = [(oid, [parse_property(p) for p in props]) for oid, props in _parsed(requests)]
        if not specs:
            return []
        address, name = await self.resolve(device)
        where = f"{name} RPM of {len(specs)} object(s)"

        async def request() -> list[PropertyValue]:
            ack = await self.app.request(read_multiple_request(address, specs))
            if not isinstance(ack, ReadPropertyMultipleACK):
                raise BacnetError(f"{where}: unexpected answer {type(ack).__name__}")
            return decode_rpm(ack)

        return await self._call(where, address, request, timeout)

    async def read_many(self, device: Device, requests: Requests, *, timeout: float | None = None) -> list[PropertyValue]:
        """RPM with fallbacks: single reads if the device rejects RPM or the batch fails.

        Never raises for one bad property; raises only if the device is not
        answering at all (timeout) or the input is invalid.
        """
        address, _ = await self.resolve(device)
        key = str(address)
        if key not in self.no_rpm:
            try:
                return await self.read_multiple(device, requests, timeout=timeout)
            except (BacnetTimeout, InvalidInput):
                raise
            except BacnetReject as exc:
                if exc.reason in _NO_RPM:
                    self.no_rpm.add(key)
            except BacnetRemoteError as exc:
                if exc.error_code in _NO_RPM:
                    self.no_rpm.add(key)
            except (BacnetAbort, BacnetError):
                pass  # e.g. an answer too big for the device: one property at a time
        return await self.read_singly(device, requests, timeout=timeout)

    async def read_singly(self, device: Device, requests: Requests, *, timeout: float | None = None) -> list[PropertyValue]:
        """One ReadProperty per property, concurrently (bounded by the device limit)."""

        async def one(oid: ObjectId, prop_text: str) -> PropertyValue:
            prop, index = parse_property(prop_text)
            try:
                value = await self.read(device, oid, prop, index, timeout=timeout)
            except BacnetTimeout:
                raise
            except BacnetRemoteError as exc:
                return PropertyValue(str(oid), prop, index, None, f"{exc.error_class}:{exc.error_code}")
            except BacnetError as exc:
                return PropertyValue(str(oid), prop, index, None, str(exc))
            return PropertyValue(str(oid), prop, index, value)

        return list(await asyncio.gather(*(one(oid, prop) for oid, props in _parsed(requests) for prop in props)))

    # ----- write -----------------------------------------------------------

    async def write(
        self,
        device: Device,
        object_id: "str | ObjectId",
        value: Any,
        priority: int | None = None,
        property: str = "present-value",
        index: int | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        """Write a value (cast to the property's type) at a priority 1..16.

        ``value`` of None or ``'null'`` writes Null, which at a priority is a
        release. A wrong-typed value raises :class:`InvalidInput` before
        anything is sent.
        """
        oid = parse_object_id(object_id)
        prop, parsed_index = parse_property(property)
        index = parsed_index if index is None else index
        priority = check_priority(priority)
        at = f" @{priority}" if priority else ""
        # Check the value before any network traffic (even the device lookup).
        encoded = encode_value(oid, prop, index, value, f"{label(device)} {oid} {prop}{at}", priority)
        address, name = await self.resolve(device)
        where = f"{name} {oid} {prop}{at}"

        async def request() -> None:
            self.writes_sent += 1
            await self.app.request(write_request(address, oid, prop, index, encoded, priority))

        await self._call(where, address, request, timeout)
        log.info("write %s = %r", where, value)

    async def release(
        self,
        device: Device,
        object_id: "str | ObjectId",
        priority: int,
        property: str = "present-value",
        *,
        timeout: float | None = None,
    ) -> None:
        """Relinquish: write Null at ``priority`` (required: a release has a slot)."""
        if priority is None:
            raise InvalidInput("release needs a priority 1..16: it relinquishes that slot of the priority array")
        await self.write(device, object_id, None, priority, property, timeout=timeout)

    async def write_multiple(
        self,
        device: Device,
        writes: Sequence[tuple["str | ObjectId", str, Any, int | None]],
        *,
        timeout: float | None = None,
    ) -> None:
        """WritePropertyMultiple: ``[(object_id, property, value, priority), ...]``.

        Every value is checked before anything is sent. The device applies
        writes in order and stops at the first failure, which is raised
        naming that object and property.
        """
        if not writes:
            return
        named = label(device)
        grouped: dict[ObjectId, tuple[ObjectId, list]] = {}
        for object_id, property, value, priority in writes:
            oid = parse_object_id(object_id)
            prop, index = parse_property(property)
            priority = check_priority(priority)
            encoded = encode_value(oid, prop, index, value, f"{named} {oid} {prop}", priority)
            grouped.setdefault(oid, (oid, []))[1].append(write_element(prop, index, encoded, priority))
        address, name = await self.resolve(device)
        where = f"{name} WPM of {len(writes)} value(s)"

        async def request() -> None:
            self.writes_sent += 1
            await self.app.request(write_multiple_request(address, list(grouped.values())))

        await self._call(where, address, request, timeout)
        log.info("wpm %s", where)

    # ----- priority array --------------------------------------------------

    async def priority_array(self, device: Device, object_id: "str | ObjectId", *,
                             timeout: float | None = None) -> PriorityArray:
        """The 16 slots decoded to plain values, relinquish-default and current-command-priority.

        Uses one RPM; falls back to single reads for devices without RPM.
        Raises :class:`BacnetRemoteError` if the object is not commandable.
        """
        oid = parse_object_id(object_id)
        props = ["priority-array", "relinquish-default", "present-value", "current-command-priority"]
        values = await self.read_many(device, [(oid, props)], timeout=timeout)
        by_name = {v.property: v for v in values}
        array = by_name.get("priority-array")
        if array is None or not array.ok:
            _, name = await self.resolve(device)
            error = (array.error if array else None) or "property:unknown-property"
            error_class, _, error_code = error.partition(":")
            raise BacnetRemoteError(
                f"{name} {oid} priority-array: {error_class}: {error_code} "
                "(not a commandable point: only outputs and commandable values have a priority array)",
                error_class,
                error_code,
            )
        slots = priority_slots(oid, array.value)
        ccp = by_name.get("current-command-priority")
        ccp_value = ccp.value if ccp is not None and ccp.ok else None
        if not isinstance(ccp_value, int):
            ccp_value = next((s.priority for s in slots if s.active), None)
        relinquish = by_name.get("relinquish-default")
        present = by_name.get("present-value")
        return PriorityArray(
            object_id=str(oid),
            slots=slots,
            relinquish_default=relinquish.value if relinquish and relinquish.ok else None,
            current_command_priority=ccp_value,
            present_value=present.value if present and present.ok else None,
        )

    # ----- COV -------------------------------------------------------------

    def cov(self, device: Device, object_id: "str | ObjectId", *, lifetime: int = DEFAULT_LIFETIME,
            confirmed: bool = False) -> CovSubscription:
        """Subscribe to changes of one object: ``async with client.cov(1001, "av,1") as changes``.

        Iterating yields :class:`CovChange` (object id, property, plain value).
        Every way out of the block cancels the subscription on the device;
        ``lifetime`` seconds (0: until cancelled) are renewed before they run out.
        """
        return CovSubscription(self, device, object_id, lifetime=lifetime, confirmed=confirmed)

    # ----- our own served points -------------------------------------------

    def serve(self, *points: ServedPoint) -> None:
        """Serve these points on our own device (see ``hosted.py``).

        Raises :class:`InvalidInput` if an object with the same name or id is
        already served; nothing of the batch is then served.
        """
        added = []
        try:
            for point in points:
                try:
                    self.app.add_object(point.stack_object)
                except RuntimeError as exc:  # bacpypes3: "already an object with name ..."
                    raise InvalidInput(f"cannot serve {point.object_id} ({point.name}): {exc}") from None
                added.append(point)
        except InvalidInput:
            self.withdraw(*added)
            raise

    def withdraw(self, *points: ServedPoint) -> None:
        """Stop serving these points (those not served are skipped)."""
        for point in points:
            try:
                self.app.delete_object(point.stack_object)
            except (KeyError, RuntimeError):
                pass


def _parsed(requests: Requests) -> list[tuple[ObjectId, list[str]]]:
    """``[(object_id, [property, ...]), ...]`` with ids parsed; a lone property name is a list of one."""
    return [(parse_object_id(object_id), [props] if isinstance(props, str) else list(props))
            for object_id, props in requests]
