"""The ASO base class: ``on_start`` / ``on_step`` / ``on_stop`` and BACnet helpers.

Scripts written for the old easy-aso run unchanged apart from the import::

    from aso_runtime import EasyASO

    class CustomHvacAso(EasyASO):
        async def on_step(self):
            sensor = await self.bacnet_read("192.168.0.122", "analog-input,1")
            await self.bacnet_write("192.168.0.122", "analog-output,2", sensor + 5.0)
            await asyncio.sleep(60)

The runner owns the lifecycle and the step interval, journals every write in
the override ledger before it is sent, and releases whatever the script still
holds when it stops, faults or is disabled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..bacnet import (
    BacnetError,
    BacnetRemoteError,
    BacnetTimeout,
    DeviceInfo,
    InvalidInput,
    ObjectHolder,
    PriorityArray,
    parse_object_id,
    parse_property,
    who_has,
    who_is,
)
from ..bacnet.priority import Priority
from ..bacnet.values import is_null
from .capture import script_logger

if TYPE_CHECKING:
    from .runner import AsoContext


class AsoNotRunning(BacnetError):
    """A write was attempted while the ASO is disabled or stopping."""


class Aso:
    """Base class for Automated Supervisory Optimization scripts.

    Class attributes a script may override (or pass as parameters when loading):

    - ``step_interval``: seconds from the start of one step to the start of
      the next (a step that takes longer simply runs back to back).
    - ``priority``: default BACnet priority of writes (13: below the manual
      operator at 8, above schedules and defaults).
    - ``allow_life_safety``: writes at priority 1 or 2 are refused unless True.
    - ``quiet_read_errors``: old easy-aso behaviour, a failed read logs and
      returns None instead of raising. Off by default: a silent None in a
      control calculation is how buildings get hurt.
    """

    step_interval: float = 1.0
    priority: int = 13
    allow_life_safety: bool = False
    quiet_read_errors: bool = False

    def __init__(self, name: str | None = None, **params: Any) -> None:
        self.name = name or type(self).__name__
        self.params = dict(params)
        for key, value in params.items():
            if key.startswith("_") or not hasattr(type(self), key) or callable(getattr(type(self), key)):
                raise InvalidInput(f"{type(self).__name__} has no parameter {key!r}")
            setattr(self, key, value)
        self.log = script_logger(self.name)  # aso.script.<name>: never the framework's own loggers
        self._context: AsoContext | None = None

    # ----- hooks a script overrides ---------------------------------------

    async def on_start(self) -> None:
        """Called once before the first step."""

    async def on_step(self) -> None:
        """Called every ``step_interval`` seconds while enabled."""

    async def on_stop(self) -> None:
        """Called exactly once when the ASO stops, whatever stopped it."""

    async def on_disable(self) -> None:
        """Called after the kill switch disabled this ASO and its overrides were released."""

    async def on_enable(self) -> None:
        """Called when the ASO is enabled again after ``on_disable``."""

    # ----- helpers ----------------------------------------------------------

    @property
    def context(self) -> "AsoContext":
        if self._context is None:
            raise RuntimeError(f"ASO {self.name} is not running under a runner (use `aso run` or AsoRunner)")
        return self._context

    async def bacnet_read(self, address: str | int, object_id: str, property: str = "present-value") -> Any:
        """Read one property; raises the runtime's BacnetError on failure."""
        try:
            return await self.context.client.read(address, object_id, property)
        except BacnetError as exc:
            if self.quiet_read_errors and not isinstance(exc, InvalidInput):
                self.log.warning("read failed: %s", exc)
                return None
            raise

    async def bacnet_write(
        self,
        address: str | int,
        object_id: str,
        value: Any,
        priority: int | None = None,
        property: str = "present-value",
    ) -> None:
        """Write at ``priority`` (default the class's). None or 'null' releases."""
        priority = self._priority(priority)
        if is_null(value):
            await self.context.release(address, object_id, property, priority)
        else:
            await self.context.write(address, object_id, property, value, priority)

    async def bacnet_release(self, address: str | int, object_id: str, priority: int | None = None,
                             property: str = "present-value") -> None:
        await self.bacnet_write(address, object_id, None, priority, property)

    async def bacnet_rpm(self, address: str | int, *requests: Any) -> dict[tuple[str, str], Any]:
        """Read several properties in one request.

        ``requests``: ``("ai,1", ["present-value", "units"]), ("av,2", "present-value")``
        or the bacpypes3 flat form ``"ai,1", ["present-value"], "av,2", [...]``.
        Returns ``{(object_id, property): value}``; raises if any property failed
        (unless ``quiet_read_errors``, where failed ones are None).
        """
        from ..bacnet import read_many

        pairs = _pairs(requests)
        values = await read_many(self.context.client, address, pairs)
        result: dict[tuple[str, str], Any] = {}
        for item in values:
            if not item.ok and not self.quiet_read_errors:
                error_class, _, error_code = (item.error or "").partition(":")
                raise BacnetRemoteError(f"{address} {item.object_id} {item.property}: {item.error}",
                                        error_class, error_code)
            result[(item.object_id, item.property)] = item.value
        return result

    async def bacnet_wpm(self, address: str | int, writes: Sequence[tuple]) -> None:
        """Write several values: ``[(object_id, property, value, priority|None), ...]``."""
        normalized = []
        for entry in writes:
            object_id, property, value, *rest = entry
            normalized.append((object_id, property, value, self._priority(rest[0] if rest else None)))
        await self.context.write_multiple(address, normalized)

    async def bacnet_priority_array(self, address: str | int, object_id: str) -> PriorityArray:
        return await self.context.client.priority_array(address, object_id)

    async def bacnet_whois(self, low: int | None = None, high: int | None = None, **kwargs: Any) -> list[DeviceInfo]:
        return await who_is(self.context.client, low, high, **kwargs)

    async def bacnet_whohas(self, object_id: str | None = None, name: str | None = None, **kwargs: Any) -> list[ObjectHolder]:
        return await who_has(self.context.client, object_id, name, **kwargs)

    # ----- internals ----------------------------------------------------------

    def _priority(self, priority: int | None) -> Priority:
        # The same checked type as the CLI and the console; 1 and 2 need the class's explicit consent.
        priority = Priority(self.priority if priority is None else priority)
        if priority.life_safety and not self.allow_life_safety:
            raise InvalidInput(
                f"ASO {self.name}: {priority.describe()} is reserved for life safety; "
                "set allow_life_safety = True on the class if this is truly intended"
            )
        return priority


def _pairs(requests: Sequence[Any]) -> list[tuple[str, list[str]]]:
    if len(requests) == 1 and isinstance(requests[0], list):
        requests = tuple(requests[0])
    pairs: list[tuple[str, list[str]]] = []
    items = list(requests)
    while items:
        head = items.pop(0)
        if isinstance(head, tuple):
            object_id, props = head
        else:
            if not items:
                raise InvalidInput(f"bacnet_rpm: object {head!r} has no property list")
            object_id, props = head, items.pop(0)
        pairs.append((object_id, [props] if isinstance(props, str) else list(props)))
    return pairs


# The name the old easy-aso scripts import.
EasyASO = Aso

__all__ = ["Aso", "AsoNotRunning", "EasyASO", "BacnetTimeout", "parse_object_id", "parse_property"]
