"""Device addresses: only one device's unicast address reaches a confirmed service.

Issue 8: `aso write '2:*' av,1 78 -p 15` wrote into every device of network 2
and then said "no answer"; nothing could undo it. A broadcast, a multicast
group, IPv6, a mask, a host name or a malformed address must be refused with
one line (exit 2) before any socket is bound, by the CLI, the client API (so
the ASO API and the console) alike. Empty --address/--foreign are refused the
same way instead of meaning "the primary interface" and "no BBMD".

Network safety: refused input never binds (see `refused` in test_cli.py: the
port `aso` is given is held by the test, so trying to bind would end in exit
1); the one client here that does bind takes a loopback port of 47500-47549.
"""

from __future__ import annotations

import asyncio

import pytest

from aso_runtime import Aso, AsoRunner
from aso_runtime.aso import Ledger
from aso_runtime.bacnet import BacnetClient, DeviceInfo, InvalidInput, open_client, read_many
from aso_runtime.bacnet.local import UdpAddress, parse_local_address
from aso_runtime.cli.syntax import device_arg

from .test_cli import assert_one_line_error, is_free, refused
from .waiting import until

CLIENT_PORTS = range(47540, 47550)  # the one test that binds (loopback); test_cli holds 47500-47539


# ----- what is one device's address --------------------------------------------------

REFUSED = [
    ("*", "broadcast"),
    ("2:*", "broadcast"),
    ("*:*", "broadcast"),
    ("65535:*", "65535"),
    ("65535:7", "65535"),
    ("255.255.255.255", "broadcast"),
    ("255.255.255.255:47809", "broadcast"),
    ("2:255.255.255.255", "broadcast"),
    ("0xffffffffbac0", "broadcast"),  # 255.255.255.255:47808 written as a hex MAC
    ("2:255", "broadcast"),  # MAC 255 is the MS/TP (and virtual network) broadcast
    ("0xff", "broadcast"),
    ("0.0.0.0", "0.0.0.0"),
    ("0.0.0.0:47808", "0.0.0.0"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250:1900", "multicast"),
    ("[::1]:47808", "IPv6"),
    ("::1", "IPv6"),
    ("fe80::1%eth0", "IPv6"),
    ("2:[::1]:47808", "IPv6"),
    ("2:", "no MAC"),
    ("0:5", "network number"),
    ("65536:5", "network number"),
    ("99999999999999999999:5", "network number"),
    ("10.0.0.5:0", "port"),
    ("10.0.0.5:65536", "port"),
    ("2:10.0.0.5:0", "port"),
    ("2:256", "MAC"),
    ("300.1.1.1", "not an IPv4 address"),
    ("10.0.0.05", "not an IPv4 address"),
    ("10.0.0.5/24", "mask"),
    ("lo", "host name"),
    ("ahu-1.example.com", "host name"),
    ("2:7@10.0.0.1", "cannot read device address"),
    ("0x", "cannot read device address"),
    ("２:７", "ASCII"),
    ("10.0.0.５", "ASCII"),
    ("2:١", "ASCII"),
]


@pytest.mark.parametrize(("typed", "fragment"), REFUSED)
def test_the_cli_refuses_what_is_not_one_device(typed, fragment):
    with pytest.raises(InvalidInput) as caught:
        device_arg(typed)
    message = str(caught.value)
    assert fragment in message and "\n" not in message
    assert repr(typed.strip()) in message or typed.strip() in message  # names what was typed


@pytest.mark.parametrize(("typed", "fragment"), REFUSED)
async def test_the_client_refuses_what_is_not_one_device(client, typed, fragment):
    with pytest.raises(InvalidInput) as caught:
        await client.resolve(typed)
    assert fragment in str(caught.value)
    assert client.requests_sent == 0


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("10.0.0.5", "10.0.0.5"),
        (" 10.0.0.5:47809 ", "10.0.0.5:47809"),
        ("127.0.0.1:47808", "127.0.0.1"),
        ("2:7", "2:7"),
        ("2:0", "2:0"),
        ("02:0x07", "2:7"),
        ("65534:254", "65534:254"),
        ("0x02", "0x02"),
        ("2:10.0.0.5:47809", "2:10.0.0.5:47809"),
        ("10.0.0.255", "10.0.0.255"),  # a host of a /16; only our own subnet's broadcast is known
    ],
)
async def test_unicast_addresses_still_resolve(client, typed, label):
    assert device_arg(typed) == typed.strip()
    _, resolved = await client.resolve(typed)
    assert resolved == label


# ----- the broadcast of our own subnet ---------------------------------------------------


@pytest.mark.parametrize(
    ("local", "typed", "refused_here"),
    [
        (UdpAddress("10.0.0.5", 24, 47808), "10.0.0.255", True),
        (UdpAddress("10.0.0.5", 24, 47808), "10.0.0.255:47809", True),
        (UdpAddress("10.0.0.5", 24, 47808), "0x0a0000ffbac0", True),
        (UdpAddress("10.0.0.5", 24, 47808), "10.0.1.255", False),
        (UdpAddress("10.0.0.5", 24, 47808), "2:10.0.0.255", False),  # behind a router: another network
        (UdpAddress("10.0.0.5", 16, 47808), "10.0.0.255", False),
        (UdpAddress("127.0.0.1", 8, 47809), "127.255.255.255", True),
        (UdpAddress("10.0.0.5", 32, 47808), "10.0.0.5", False),  # /32 has no broadcast address
    ],
)
async def test_the_broadcast_of_our_own_subnet_is_refused(client, local, typed, refused_here):
    ours = BacnetClient(client.app, udp_address=local)  # the same stack, seen from that subnet
    try:
        if refused_here:
            with pytest.raises(InvalidInput, match=f"broadcast address of our subnet {local.ip}/{local.prefix}"):
                await ours.resolve(typed)
            with pytest.raises(InvalidInput, match="broadcast address of our subnet"):
                device_arg(typed, local)
        else:
            await ours.resolve(typed)
            device_arg(typed, local)
    finally:
        await ours.close()  # leaves the application to the fixture: it only wraps it


async def test_open_client_tells_the_client_its_subnet():
    port = next(p for p in CLIENT_PORTS if is_free(p))
    bound = await open_client(address=f"127.0.0.1/8:{port}", timeout=0.5)
    try:
        with pytest.raises(InvalidInput, match="broadcast address of our subnet 127.0.0.1/8"):
            await bound.write("127.255.255.255", "av,1", 78, priority=15)
        assert bound.requests_sent == 0
    finally:
        await bound.close()


# ----- our own bind address -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("lo/99", "mask"),  # was accepted as /99
        ("lo/x", "mask"),  # was a ValueError: "internal error", exit 1
        ("127.0.0.1:４７８０９", "ASCII"),  # was port 47809
        ("127.0.0.1/２４", "ASCII"),  # was /24
        ("127.0.0.1:", "port ''"),  # was the default port
        ("   ", "empty"),
    ],
)
def test_local_addresses_are_ascii_and_complete(typed, fragment):
    with pytest.raises(InvalidInput, match=fragment) as caught:
        parse_local_address(typed)
    assert "\n" not in str(caught.value)


# ----- every confirmed service, through the client and the ASO API ------------------------


@pytest.mark.parametrize("device", ["2:*", "*", "255.255.255.255", DeviceInfo(1001, "*", 999, 1476, "segmented-both")])
async def test_no_confirmed_service_sends_to_a_broadcast(client, device):
    services = [
        client.read(device, "ai,1"),
        client.write(device, "av,1", 78, priority=15),
        client.release(device, "av,1", 15),
        client.read_multiple(device, [("ai,1", ["present-value"])]),
        client.write_multiple(device, [("av,1", "present-value", 78, 15)]),
        client.priority_array(device, "av,1"),
        read_many(client, device, [("ai,1", ["present-value"])]),
    ]
    for service in services:
        with pytest.raises(InvalidInput, match="broadcast"):
            await service
    assert (client.requests_sent, client.writes_sent) == (0, 0)


class Idle(Aso):
    async def on_step(self):
        await asyncio.sleep(0.05)


async def test_an_aso_cannot_address_a_broadcast(client, tmp_path):
    runner = AsoRunner(client, ledger=Ledger.open(tmp_path / "ledger"), capture_prints=True, serve_points=False)
    await runner.open()
    try:
        instance = runner.load(Idle)
        instance.start()
        await until(lambda: instance.state == "running")
        with pytest.raises(InvalidInput, match="broadcast"):
            await instance.aso.bacnet_read("2:*", "ai,1")
        with pytest.raises(InvalidInput, match="broadcast"):
            await instance.aso.bacnet_priority_array("*", "av,1")
        with pytest.raises(InvalidInput, match="broadcast"):
            await instance.aso.bacnet_write("2:*", "av,1", 78.0, priority=15)
        with pytest.raises(InvalidInput, match="broadcast"):
            await instance.aso.bacnet_wpm("255.255.255.255", [("av,1", "present-value", 78.0, 15)])
        assert client.requests_sent == 0
        assert runner.ledger.held() == []  # nothing journaled that could never be released
    finally:
        assert await runner.close() == []


# ----- the command line: refused before anything is bound -----------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["write", "2:*", "av,1", "78", "-p", "15"], "broadcast"),
        (["release", "*", "av,1", "-p", "15"], "broadcast"),
        (["read", "*:*", "ai,1"], "broadcast"),
        (["rpm", "255.255.255.255", "ai,1", "present-value"], "broadcast"),
        (["wpm", "2:255", "av,1", "present-value=78@15"], "broadcast"),
        (["pa", "224.0.0.1", "av,1"], "multicast"),
        (["read", "0.0.0.0", "ai,1"], "0.0.0.0"),
        (["read", "[::1]:47808", "ai,1"], "IPv6"),
        (["read", "2:", "ai,1"], "no MAC"),
        (["read", "127.255.255.255", "ai,1"], "broadcast address of our subnet 127.0.0.1/8"),
        (["discover", "10.0.0.5/24"], "mask"),
        (["read", "１００１", "ai,1"], "ASCII"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_cli_refuses_a_device_that_is_not_one_device(args, fragment):
    assert_one_line_error(refused(*args), 2, fragment)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--address", "", "read", "10.0.0.5", "ai,1"], "--address is empty"),
        (["--address", "  ", "read", "10.0.0.5", "ai,1"], "--address is empty"),
        (["read", "10.0.0.5", "ai,1", "--address", ""], "--address is empty"),
        (["--foreign", "", "read", "10.0.0.5", "ai,1"], "--foreign is empty"),
        (["--foreign", " \t", "whois"], "--foreign is empty"),
    ],
    ids=["address-empty", "address-blank", "address-after-verb", "foreign-empty", "foreign-blank"],
)
def test_cli_refuses_blank_local_and_bbmd_addresses(args, fragment):
    assert_one_line_error(refused(*args), 2, fragment)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--address", ""], "--address is empty"),
        (["--address", "   "], "--address is empty"),
        (["--foreign", ""], "--foreign is empty"),
        (["--address", "127.0.0.1/8:47809", "--foreign", " "], "--foreign is empty"),
        (["--address", "10.0.0.5/99"], "mask"),
        (["--foreign", "ahu 1"], "BBMD"),
    ],
)
def test_console_refuses_blank_addresses_before_opening_anything(argv, fragment, monkeypatch, capsys):
    import aso_console.__main__ as console_main

    opened = []

    async def open_nothing(options):  # stands in for the runtime: nothing may get this far
        opened.append(options)
        return 0

    monkeypatch.setattr(console_main, "run", open_nothing)
    assert console_main.main(argv) == 2
    assert opened == []
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("aso-console: error: ") and fragment in lines[0], lines
