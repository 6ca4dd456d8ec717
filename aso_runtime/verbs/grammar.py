"""ONE grammar for the verbs, shared by ``aso`` and the console's F2 line.

Each verb is a :class:`Verb`: its arguments (added to an argparse parser),
its help, and ``build``, which turns the parsed words into a typed request
(:mod:`.requests`), checking every word on the way. The CLI adds each verb
as a subcommand beside its connection options; F2 parses a line with the
very same arguments (:func:`parse_command`). Nothing here touches the
network or imports a UI library.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from aso_runtime.bacnet import InvalidInput, UdpAddress, is_null, parse_object_id, parse_property
from aso_runtime.bacnet.priority import parse_priority

from . import requests as rq
from .argtypes import Parser, UsageError, instance_arg, seconds_arg, whole_arg
from .help import HELP
from .items import rpm_specs, wpm_specs
from .words import device_arg, network_arg

Build = Callable[[argparse.Namespace, "UdpAddress | None"], rq.Request]


@dataclass(frozen=True)
class Verb:
    name: str
    arguments: str  # usage after the verb's name
    summary: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    build: Build
    aliases: tuple[str, ...] = ()
    writes: bool = False

    @property
    def usage(self) -> str:
        return f"{self.name} {self.arguments}"

    @property
    def examples(self) -> list[tuple[str, str]]:
        return HELP[self.name].examples

    @property
    def epilog(self) -> str:
        """The CLI's ``--help`` epilog: examples with ``aso``, notes, the JSON keys."""
        return HELP[self.name].epilog()


# ----- shared argument groups -----------------------------------------------------


def _device(p: argparse.ArgumentParser) -> None:
    p.add_argument("device", metavar="DEVICE", help="address, NETWORK:MAC or device instance")


def _life_safety(p: argparse.ArgumentParser) -> None:
    p.add_argument("--life-safety", nargs="*", action="append", metavar="NAME",
                   help="confirm a write or release at priority 1 or 2 (life safety); the console also needs the "
                        "point's name after it; put it last")


def _priorities(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("priority", nargs="?", type=whole_arg, metavar="PRIORITY", help=f"{what} (same as --priority)")
    p.add_argument("--priority", "-p", type=whole_arg, dest="priority_option", metavar="P",
                   help="priority 1..16 (8 = manual operator)")


def _search(p: argparse.ArgumentParser, *, max_wait: float = 3.0) -> None:
    p.add_argument("--target", metavar="ADDR",
                   help="send to one address instead of broadcasting (e.g. a device across a router or NAT)")
    p.add_argument("--network", type=whole_arg, metavar="N", help="broadcast on remote network N through its router")
    _listening(p, max_wait=max_wait)


def _listening(p: argparse.ArgumentParser, *, max_wait: float) -> None:
    """How long a broadcast search listens: until quiet, never past --max-wait (whois, whohas, routers...)."""
    p.add_argument("--quiet", type=seconds_arg, default=0.3, metavar="S",
                   help="stop after S seconds with no new answer (default 0.3)")
    p.add_argument("--max-wait", type=seconds_arg, default=max_wait, metavar="S",
                   help=f"never wait longer than S seconds (default {max_wait:g})")


def _consent(ns: argparse.Namespace) -> rq.LifeSafety | None:
    given = ns.life_safety
    if given is None:
        return None
    return rq.LifeSafety(tuple(" ".join(words) for words in given if words))


def _one_priority(ns: argparse.Namespace):
    if ns.priority is not None and ns.priority_option is not None and ns.priority != ns.priority_option:
        raise InvalidInput(f"two priorities given ({ns.priority} and --priority {ns.priority_option}); give one")
    return parse_priority(ns.priority if ns.priority is not None else ns.priority_option)


def _search_of(ns: argparse.Namespace, local: UdpAddress | None) -> rq.Search:
    target = device_arg(ns.target, local) if ns.target else None
    if target is not None and ns.network is not None:
        raise InvalidInput("give either --target or --network, not both")
    return rq.Search(target, network_arg(ns.network), ns.quiet, ns.max_wait)


# ----- the verbs ------------------------------------------------------------------------


def _read_args(p: argparse.ArgumentParser) -> None:
    _device(p)
    p.add_argument("object", metavar="OBJECT", help="object id, e.g. ai,1 or analog-input,1")
    p.add_argument("property", nargs="?", default="present-value", metavar="PROPERTY[index]",
                   help="property name, optionally with an array index (default present-value)")


def _read(ns: argparse.Namespace, local: UdpAddress | None) -> rq.Request:
    device = device_arg(ns.device, local)
    oid = parse_object_id(ns.object)
    prop, index = parse_property(ns.property)
    return rq.Read(device, oid, prop, index)


def _props_args(p: argparse.ArgumentParser) -> None:
    _device(p)
    p.add_argument("object", metavar="OBJECT", help="object id, e.g. ai,1, lo,3 or 63,1")


def _props(ns: argparse.Namespace, local: UdpAddress | None) -> rq.Request:
    return rq.ReadAllProperties(device_arg(ns.device, local), parse_object_id(ns.object))


def _write_args(p: argparse.ArgumentParser) -> None:
    _device(p)
    p.add_argument("object", metavar="OBJECT", help="object id, e.g. av,3")
    p.add_argument("words", nargs="+", metavar="[PROPERTY] VALUE [PRIORITY]",
                   help="the property (default present-value), then a number, active/inactive, state number, "
                        "name, text, or null to release, then the priority 1..16")
    p.add_argument("--priority", "-p", type=whole_arg, dest="priority_option", metavar="P",
                   help="priority 1..16 (8 = manual operator)")
    p.add_argument("--property", metavar="PROP", help="property to write (default present-value)")
    _life_safety(p)


def _write_words(ns: argparse.Namespace) -> tuple[str, str, int | None]:
    """(property, value, priority) from ``[PROPERTY] VALUE [PRIORITY]``.

    Two words are PROPERTY VALUE when the first names a property (``out-of-service true``),
    else VALUE PRIORITY (``active 8``): no value a technician writes is a property's name.
    """
    words = list(ns.words)
    if len(words) > 3:
        raise InvalidInput(f"write takes [PROPERTY] VALUE [PRIORITY]; got {len(words)} words: {' '.join(words)}")
    prop = None
    if len(words) == 3 or (len(words) == 2 and _names_a_property(words[0])):
        prop = words.pop(0)
    if ns.property is not None and prop is not None and ns.property != prop:
        raise InvalidInput(f"two properties given ({prop} and --property {ns.property}); give one")
    priority = None
    if len(words) == 2:
        try:
            priority = whole_arg(words[1])
        except argparse.ArgumentTypeError as exc:
            raise InvalidInput(f"cannot read priority {words[1]!r}: {exc}") from None
    if prop is None:
        prop = ns.property if ns.property is not None else "present-value"  # '' is refused by parse_property
    return prop, words[0], priority


def _names_a_property(word: str) -> bool:
    if not word[:1].isalpha():
        return False  # numbers are values here; a proprietary property is named with --property
    try:
        parse_property(word)
    except InvalidInput:
        return False
    return True


def _write(ns: argparse.Namespace, local: UdpAddress | None) -> rq.Request:
    device = device_arg(ns.device, local)
    oid = parse_object_id(ns.object)
    prop_text, ns.value, ns.priority = _write_words(ns)
    prop, index = parse_property(prop_text)
    priority = _one_priority(ns)
    released = is_null(ns.value)
    if released and priority is None:
        raise InvalidInput("writing null releases one slot of the priority array: give --priority 1..16")
    return rq.Write(device, oid, None if released else ns.value, priority, prop, index, _consent(ns))


def _release_args(p: argparse.ArgumentParser) -> None:
    _device(p)
    p.add_argument("object", metavar="OBJECT", help="object id, e.g. av,3")
    _priorities(p, "the priority slot to release, 1..16")
    p.add_argument("--property", default="present-value", metavar="PROP", help="property (default present-value)")
    _life_safety(p)


def _release(ns: argparse.Namespace, local: UdpAddress | None) -> rq.Request:
    device = device_arg(ns.device, local)
    oid = parse_object_id(ns.object)
    prop, index = parse_property(ns.property)
    priority = _one_priority(ns)
    if priority is None:
        raise InvalidInput(f"release of {oid} needs the priority slot to relinquish, 1..16 (e.g. --priority 8)")
    return rq.Write(device, oid, None, priority, prop, index, _consent(ns))


def _rpm_args(p: argparse.ArgumentParser) -> None:
    _device(p)
    p.add_argument("items", nargs="+", metavar="OBJECT PROPS", help="object id then comma-separated properties, repeated")


def _rpm(ns: argparse.Namespace, local: UdpAddress | None) -> rq.Request:
    return rq.ReadMultiple(device_arg(ns.device, local), tuple(rpm_specs(ns.items)))


def _wpm_args(p: argparse.ArgumentParser) -> None:
    _device(p)
    p.add_argument("items", nargs="+", metavar="OBJECT PROP=VALUE[@P]", help="object id then its writes, repeated")
    p.add_argument("--priority", "-p", type=whole_arg, metavar="P", help="priority for writes without @P")
    _life_safety(p)


def _wpm(ns: argparse.Namespace, local: UdpAddress | None) -> rq.Request:
    device = device_arg(ns.device, local)
    default = parse_priority(ns.priority)
    return rq.WriteMultiple(device, tuple(wpm_specs(ns.items, default)), _consent(ns))


def _pa_args(p: argparse.ArgumentParser) -> None:
    _device(p)
    p.add_argument("object", metavar="OBJECT", help="a commandable object, e.g. av,3 or bo,1")


def _pa(ns: argparse.Namespace, local: UdpAddress | None) -> rq.Request:
    return rq.ShowPriorityArray(device_arg(ns.device, local), parse_object_id(ns.object))


def _whois_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("low", nargs="?", type=instance_arg, metavar="LOW", help="lowest device instance (alone: exactly this one)")
    p.add_argument("high", nargs="?", type=instance_arg, metavar="HIGH", help="highest device instance")
    _search(p)


def _whois(ns: argparse.Namespace, local: UdpAddress | None) -> rq.Request:
    low, high = ns.low, ns.high
    if low is not None and high is None:
        high = low  # `whois 1001`: one device, ends on its I-Am
    if low is not None and low > high:
        raise InvalidInput(f"device-instance range {low}..{high} is backwards: give LOW then HIGH")
    return rq.WhoIs(low, high, _search_of(ns, local))


def _whohas_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("object", nargs="?", metavar="OBJECT", help="object id, e.g. av,3")
    p.add_argument("--name", nargs="+", metavar="NAME", help="object name to look for (exact; quotes optional)")
    _search(p)


def _whohas(ns: argparse.Namespace, local: UdpAddress | None) -> rq.Request:
    if (ns.object is None) == (ns.name is None):
        raise InvalidInput("whohas needs an object id or --name NAME (one of them)")
    oid = parse_object_id(ns.object) if ns.object is not None else None
    name = " ".join(ns.name) if ns.name is not None else None
    return rq.WhoHas(oid, name, _search_of(ns, local))


def _routers_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("network", nargs="?", type=whole_arg, metavar="NETWORK", help="only routers to this network")
    p.add_argument("--target", metavar="ADDR", help="ask one address instead of broadcasting")
    _listening(p, max_wait=2.0)


def _routers(ns: argparse.Namespace, local: UdpAddress | None) -> rq.Request:
    network = network_arg(ns.network)
    target = device_arg(ns.target, local) if ns.target else None
    return rq.FindRouters(network, target, ns.max_wait, ns.quiet)


def _discover_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("device", nargs="?", metavar="DEVICE", help="address, NETWORK:MAC or device instance")
    p.add_argument("--all", action="store_true", help="every device that answers a Who-Is")
    p.add_argument("--csv", action="store_true", help="CSV on stdout (the aso command only)")
    _search(p)


def _discover(ns: argparse.Namespace, local: UdpAddress | None) -> rq.Request:
    if (ns.device is None) == (not ns.all):
        raise InvalidInput("discover needs a DEVICE or --all (one of them)")
    device = device_arg(ns.device, local) if ns.device is not None else None
    search = _search_of(ns, local) if ns.all else rq.Search()
    return rq.Discover(device, search, ns.csv)


VERBS: dict[str, Verb] = {verb.name: verb for verb in [
    Verb("read", "DEVICE OBJECT [PROPERTY[index]]", "read one property (default present-value)", _read_args, _read),
    Verb("props", "DEVICE OBJECT", "every property of an object, decoded",
         _props_args, _props, aliases=("properties",)),
    Verb("write", "DEVICE OBJECT [PROPERTY] VALUE [PRIORITY] [--life-safety NAME]",
         "write one property at a priority (value null releases)", _write_args, _write, writes=True),
    Verb("release", "DEVICE OBJECT PRIORITY [--property PROP] [--life-safety NAME]",
         "relinquish a point's slot in its priority array (write null)", _release_args, _release, writes=True),
    Verb("rpm", "DEVICE OBJECT PROP[,PROP...] [OBJECT PROP[,PROP...] ...]",
         "read several properties of several objects at once (ReadPropertyMultiple)", _rpm_args, _rpm),
    Verb("wpm", "DEVICE OBJECT PROP=VALUE[@PRIORITY] [PROP=VALUE ...] [OBJECT ...] [--priority P]",
         "write several values in one request (WritePropertyMultiple)", _wpm_args, _wpm, writes=True),
    Verb("priority-array", "DEVICE OBJECT", "show the 16 command priorities of a point and which one wins",
         _pa_args, _pa, aliases=("pa",)),
    Verb("whois", "[LOW [HIGH]] [--target ADDR | --network N]",
         "find devices (Who-Is); ends once answers stop coming", _whois_args, _whois, aliases=("who-is",)),
    Verb("whohas", "OBJECT | --name NAME", "find which devices hold an object id or an object name (Who-Has)",
         _whohas_args, _whohas, aliases=("who-has",)),
    Verb("routers", "[NETWORK] [--target ADDR]", "find BACnet routers and the networks they reach", _routers_args,
         _routers),
    Verb("discover", "DEVICE | --all", "list a device's points: name, present value, units, status",
         _discover_args, _discover),
]}

ALIASES: dict[str, str] = {alias: verb.name for verb in VERBS.values() for alias in verb.aliases}


def find_verb(word: str) -> Verb | None:
    """The verb a word names (its name or an alias, any case), or None."""
    word = word.lower()
    return VERBS.get(ALIASES.get(word, word))


def build_request(verb: Verb, ns: argparse.Namespace, local: UdpAddress | None = None) -> rq.Request:
    """The typed request of parsed arguments; ``local`` (our bind address) refuses our own broadcast."""
    return verb.build(ns, local)


@lru_cache(maxsize=None)
def _line_parser(name: str) -> Parser:
    verb = VERBS[name]
    parser = Parser(prog=name, usage=verb.usage, add_help=False, hint=f"type `help {name}` for usage")
    verb.add_arguments(parser)
    return parser


def parse_command(words: list[str]) -> rq.Request:
    """One F2 line, split into words, as a typed request. Raises InvalidInput with one line."""
    if not words:
        raise InvalidInput("empty command")
    verb = find_verb(words[0])
    if verb is None:
        raise InvalidInput(f"unknown command {words[0]!r}; verbs: {', '.join(VERBS)} (help VERB for usage)")
    try:
        ns = _line_parser(verb.name).parse_args(words[1:])
    except UsageError as exc:
        raise InvalidInput(str(exc)) from None
    request = verb.build(ns, None)
    if isinstance(request, rq.Discover) and request.csv:
        raise InvalidInput("--csv writes a file: run `aso discover ... --csv > points.csv` in a terminal")
    return request
