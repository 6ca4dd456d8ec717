"""The command line inside the console: the old tester.py verbs, one line each.

Each verb parses its words, runs against the runtime's client and returns
Rich renderables for the scrollback. Errors come back as one red line; no
verb can raise into the UI.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from aso_runtime.bacnet import (
    BacnetError,
    BacnetRemoteError,
    InvalidInput,
    discover_objects,
    read_many,
    who_has,
    who_is,
    who_is_router_to_network,
)
from aso_runtime.bacnet.client import check_priority

from .runtime import ConsoleRuntime
from .site import Site


@dataclass(frozen=True)
class Verb:
    name: str
    usage: str
    summary: str
    writes: bool = False


VERBS: dict[str, Verb] = {v.name: v for v in [
    Verb("read", "read DEVICE OBJECT [PROPERTY]", "read one property (default present-value)"),
    Verb("write", "write DEVICE OBJECT VALUE [PRIORITY]", "write at a priority (default 8); null releases", True),
    Verb("release", "release DEVICE OBJECT PRIORITY", "relinquish one slot of the priority array", True),
    Verb("rpm", "rpm DEVICE OBJECT PROP[,PROP..] [OBJECT PROP[,PROP..] ...]", "read property multiple"),
    Verb("wpm", "wpm DEVICE OBJECT PROP VALUE PRIORITY [, OBJECT PROP VALUE PRIORITY ...]",
         "write property multiple (comma between writes)", True),
    Verb("pa", "pa DEVICE OBJECT", "priority array: 16 slots, relinquish default, command priority"),
    Verb("whois", "whois [LOW HIGH] [ADDRESS | net N]", "discover devices (streams, ends on quiet)"),
    Verb("whohas", "whohas OBJECT | whohas name NAME", "which devices hold an object"),
    Verb("routers", "routers [NETWORK]", "who-is-router-to-network"),
    Verb("discover", "discover DEVICE", "every point of a device: name, value, units, flags"),
    Verb("help", "help [VERB]", "this list"),
    Verb("clear", "clear", "clear the scrollback"),
]}

DEVICE_HELP = "DEVICE is an instance (1001) or an address (10.0.0.5, 10.0.0.5:47809, 2:7, 0x02)"


def _error(message: str) -> Text:
    return Text(message, style="bold red")


def _table(*columns: str) -> Table:
    table = Table(*columns, box=None, header_style="bold", pad_edge=False, show_edge=False)
    return table


class CommandRunner:
    """Parses and runs command lines; also offers completions."""

    def __init__(self, runtime: ConsoleRuntime, site: Site) -> None:
        self.runtime = runtime
        self.site = site
        self.client = runtime.client
        self._handlers: dict[str, Callable[[list[str]], Awaitable[list[RenderableType]]]] = {
            "read": self._read, "write": self._write, "release": self._release, "rpm": self._rpm,
            "wpm": self._wpm, "pa": self._pa, "whois": self._whois, "whohas": self._whohas,
            "routers": self._routers, "discover": self._discover, "help": self._help,
        }

    # ----- running ------------------------------------------------------------------

    async def run(self, line: str) -> list[RenderableType]:
        try:
            words = shlex.split(line)
        except ValueError as exc:
            return [_error(f"cannot split the line: {exc}")]
        if not words:
            return []
        verb, args = words[0].lower(), words[1:]
        aliases = {"priority-array": "pa", "who-is": "whois", "who-has": "whohas", "?": "help"}
        verb = aliases.get(verb, verb)
        handler = self._handlers.get(verb)
        if handler is None:
            return [_error(f"unknown command {words[0]!r}; verbs: {', '.join(VERBS)} (help VERB for usage)")]
        if VERBS[verb].writes and self.runtime.read_only:
            return [_error(f"{verb} refused: the console is in read-only mode (--read-only)")]
        try:
            return await handler(args)
        except InvalidInput as exc:
            return [_error(f"{exc}"), Text(f"usage: {VERBS[verb].usage}", style="dim")]
        except BacnetError as exc:
            return [_error(str(exc))]

    def _need(self, args: list[str], count: int, verb: str) -> None:
        if len(args) < count:
            raise InvalidInput(f"{verb} needs {count} argument(s); {DEVICE_HELP}")

    # ----- verbs ---------------------------------------------------------------------

    async def _read(self, args: list[str]) -> list[RenderableType]:
        self._need(args, 2, "read")
        prop = args[2] if len(args) > 2 else "present-value"
        value = await self.client.read(args[0], args[1], prop)
        return [Text.assemble((f"{args[1]} {prop} = ", "dim"), (repr(value) if isinstance(value, str) else str(value), "bold"))]

    async def _write(self, args: list[str]) -> list[RenderableType]:
        self._need(args, 3, "write")
        priority = check_priority(args[3] if len(args) > 3 else 8, allow_none=False)
        await self.client.write(args[0], args[1], args[2], priority)
        done = Text(f"wrote {args[2]} to {args[1]} at priority {priority} (acknowledged by the device)", style="green")
        return [done, await self._read_back(args[0], args[1])]

    async def _release(self, args: list[str]) -> list[RenderableType]:
        self._need(args, 3, "release")
        priority = check_priority(args[2], allow_none=False)
        await self.client.release(args[0], args[1], priority)
        done = Text(f"released {args[1]} at priority {priority} (acknowledged by the device)", style="green")
        return [done, await self._read_back(args[0], args[1])]

    async def _read_back(self, device: str, object_id: str) -> RenderableType:
        """What the point holds after a write that succeeded; a read-back failure is not a write failure.

        Commandable points show their priority array; others (an input put
        out of service) have none, so their present value is shown instead.
        """
        try:
            return self._array(await self.client.priority_array(device, object_id))
        except BacnetRemoteError:
            pass  # not commandable
        except BacnetError as exc:
            return Text(f"read-back failed: {exc}", style="yellow")
        try:
            value = await self.client.read(device, object_id, "present-value")
        except BacnetError as exc:
            return Text(f"read-back failed: {exc}", style="yellow")
        return Text.assemble((f"{object_id} present-value is now ", "dim"), (str(value), "bold"))

    async def _rpm(self, args: list[str]) -> list[RenderableType]:
        if len(args) < 3 or len(args[1:]) % 2:
            raise InvalidInput("rpm needs DEVICE then OBJECT PROP[,PROP] pairs")
        pairs = [(args[i], args[i + 1].split(",")) for i in range(1, len(args), 2)]
        values = await read_many(self.client, args[0], pairs)
        table = _table("Object", "Property", "Value")
        for item in values:
            shown = Text(str(item.value)) if item.ok else _error(item.error or "error")
            table.add_row(item.object_id, item.property, shown)
        return [table]

    async def _wpm(self, args: list[str]) -> list[RenderableType]:
        self._need(args, 5, "wpm")
        groups, current = [], []
        for word in [*args[1:], ","]:
            if word == ",":
                if current:
                    groups.append(current)
                current = []
            else:
                current.append(word.rstrip(","))
                if word.endswith(","):
                    groups.append(current)
                    current = []
        writes = []
        for group in groups:
            if len(group) != 4:
                raise InvalidInput(f"each write needs OBJECT PROP VALUE PRIORITY, got {' '.join(group)!r}")
            writes.append((group[0], group[1], group[2], check_priority(group[3], allow_none=False)))
        await self.client.write_multiple(args[0], writes)
        return [Text(f"wrote {len(writes)} value(s) in one WritePropertyMultiple", style="green")]

    async def _pa(self, args: list[str]) -> list[RenderableType]:
        self._need(args, 2, "pa")
        return [self._array(await self.client.priority_array(args[0], args[1]))]

    def _array(self, array) -> Group:
        table = _table("P", "Level", "Value")
        winning = array.winning
        for slot in array.slots:
            if slot.active or slot.priority in (8, 16):
                style = "bold reverse" if winning and slot.priority == winning.priority else ""
                table.add_row(str(slot.priority), slot.name, "null" if not slot.active else str(slot.value), style=style)
        summary = Text(f"{array.object_id}: present value {array.present_value}, relinquish default "
                       f"{array.relinquish_default}, command priority {array.current_command_priority or '-'}",
                       style="dim")
        return Group(table, summary)

    async def _whois(self, args: list[str]) -> list[RenderableType]:
        low = high = network = None
        address = None
        words = list(args)
        if len(words) >= 2 and _number(words[0]) and _number(words[1]):
            low, high = int(words[0]), int(words[1])
            words = words[2:]
        if words[:1] == ["net"]:
            if len(words) < 2 or not _number(words[1]):
                raise InvalidInput("whois net needs a network number")
            network = int(words[1])
        elif words:
            address = words[0]
        devices = await who_is(self.client, low, high, address=address, network=network)
        table = _table("Instance", "Address", "Vendor", "Max APDU", "Segmentation")
        for device in devices:
            self.site.add(device)
            table.add_row(str(device.instance), device.address, str(device.vendor_id), str(device.max_apdu),
                          device.segmentation)
        return [table, Text(f"{len(devices)} device(s)", style="dim")]

    async def _whohas(self, args: list[str]) -> list[RenderableType]:
        self._need(args, 1, "whohas")
        if args[0] == "name":
            holders = await who_has(self.client, name=" ".join(args[1:]))
        else:
            holders = await who_has(self.client, args[0])
        table = _table("Device", "Address", "Object", "Name")
        for holder in holders:
            table.add_row(str(holder.device_instance), holder.address, holder.object_id, holder.object_name)
        return [table, Text(f"{len(holders)} answer(s)", style="dim")]

    async def _routers(self, args: list[str]) -> list[RenderableType]:
        network = int(args[0]) if args and _number(args[0]) else None
        routers = await who_is_router_to_network(self.client, network)
        table = _table("Router", "Networks")
        for router in routers:
            table.add_row(router.address, ", ".join(str(n) for n in router.networks))
        return [table, Text(f"{len(routers)} router(s)", style="dim")]

    async def _discover(self, args: list[str]) -> list[RenderableType]:
        self._need(args, 1, "discover")
        points = await discover_objects(self.client, args[0])
        table = _table("Object", "Name", "Value", "Units")
        for point in points:
            table.add_row(point.object_id, point.name or "", "" if point.present_value is None else str(point.present_value),
                          point.units or "")
        return [table, Text(f"{len(points)} point(s)", style="dim")]

    async def _help(self, args: list[str]) -> list[RenderableType]:
        if args and args[0] in VERBS:
            verb = VERBS[args[0]]
            return [Text(verb.usage, style="bold"), Text(verb.summary), Text(DEVICE_HELP, style="dim")]
        table = _table("Command", "What it does")
        for verb in VERBS.values():
            table.add_row(verb.usage, verb.summary + (" [writes]" if verb.writes else ""))
        return [table, Text(DEVICE_HELP, style="dim"), Text("Up/Down: history   Tab: complete", style="dim")]

    # ----- completion -------------------------------------------------------------

    def complete(self, line: str) -> list[str]:
        """Candidates for the last word: verbs first, then devices, then object ids."""
        words = line.split(" ")
        prefix = words[-1]
        if len(words) == 1:
            options = list(VERBS)
        elif len(words) == 2:
            options = [str(i) for i in sorted(self.site.devices)]
            options += [d.info.address for d in self.site.devices.values()]
        elif len(words) == 3 and _number(words[1]) and int(words[1]) in self.site.devices:
            options = sorted((self.site.devices[int(words[1])].points or {}).keys())
        else:
            options = []
        return [option for option in options if option.startswith(prefix)]


def _number(word: str) -> bool:
    """ASCII digits only, and not absurdly long: '１' and '١' are not numbers on a site."""
    return word.isascii() and word.isdigit() and len(word) <= 8
