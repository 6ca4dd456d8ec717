"""Device management against the simulated building: time sync, DCC, ReinitializeDevice, BBMD tables.

Services are tried on the in-process virtual network; the BBMD tables and
the CLI over loopback UDP (127.0.0.1, ports 49100-49199 leased), the client
registered with the simulator's router/BBMD as a foreign device.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import os
import signal
import subprocess
import sys

import pytest

from aso_runtime.bacnet import (
    BacnetRemoteError,
    BacnetTimeout,
    InvalidInput,
    device_communication_control,
    open_client,
    read_bdt,
    read_fdt,
    reinitialize_device,
    time_synchronize,
)
from aso_runtime.bacnet.local import drop_virtual_network
from aso_runtime.sim import SimulatedBuilding
from aso_runtime.sim.management import DEFAULT_PASSWORD

from .ports import lease_many
from .sim_site import device_table
from .waiting import until

PORTS = range(49100, 49200)
VAV = 2001
ZONE_TEMP, COOLING_SP = "analog-input,1", "analog-value,1"
_names = itertools.count(1)


@pytest.fixture
async def site():
    """A building on its own virtual network and a client at MAC 1 (short timeout: DCC makes devices silent)."""
    name = f"test-mgmt-{os.getpid()}-{next(_names)}"
    building = await SimulatedBuilding.start(vlan=name, devices=8, step=1.0)
    client = await open_client(vlan=name, mac=1, timeout=1.0)
    try:
        yield building, client, building.device(VAV).address
    finally:
        await client.close()
        await building.stop()
        drop_virtual_network(name)


async def read_clock(client, address) -> dt.datetime:
    date = await client.read(address, f"device,{VAV}", "local-date")
    time = await client.read(address, f"device,{VAV}", "local-time")
    return _parse_clock(date, time)


def _parse_clock(date, time) -> dt.datetime:
    # Plain values from the client: date and time as text ("2026-11-29 sun", "18:05:03.50") or tuples.
    if isinstance(date, str):
        day = dt.date(*(int(part) for part in date.split()[0].split("-")))
    else:
        year, month, mday = date[:3]
        day = dt.date(1900 + year if year < 1900 else year, month, mday)
    if isinstance(time, str):
        hms, _, hundredths = time.split()[0].partition(".")
        hour, minute, second = (int(part) for part in hms.split(":"))
        clock = dt.time(hour, minute, second, int(hundredths or 0) * 10000)
    else:
        hour, minute, second, hundredth = time
        clock = dt.time(hour, minute, second, hundredth * 10000)
    return dt.datetime.combine(day, clock)


# ----- time synchronization ------------------------------------------------------------------


async def test_time_sync_sets_the_device_clock(site):
    building, client, address = site
    before = await read_clock(client, address)
    assert abs((before - dt.datetime.now()).total_seconds()) < 5
    target = dt.datetime.now().replace(microsecond=0) - dt.timedelta(days=3, hours=2)
    await time_synchronize(client, address, when=target)
    shown = await until_clock(client, address, lambda c: abs((c - target).total_seconds()) < 5)
    assert abs((shown - target).total_seconds()) < 5, shown
    # Another device was not touched.
    other = building.device(VAV + 1).address
    assert abs((await read_clock_of(client, other, VAV + 1) - dt.datetime.now()).total_seconds()) < 5


async def test_utc_time_sync_is_taken_as_utc(site):
    _building, client, address = site
    utc_target = dt.datetime(2030, 6, 1, 12, 0, 0)
    await time_synchronize(client, address, utc=True, when=utc_target)
    local_target = utc_target.replace(tzinfo=dt.UTC).astimezone().replace(tzinfo=None)
    shown = await until_clock(client, address, lambda c: abs((c - local_target).total_seconds()) < 5)
    assert abs((shown - local_target).total_seconds()) < 5, shown
    offset = await client.read(address, f"device,{VAV}", "utc-offset")
    assert isinstance(offset, int) and -1440 <= offset <= 1440


async def test_time_sync_is_never_global_by_default(site):
    _building, client, address = site
    with pytest.raises(InvalidInput):
        await time_synchronize(client)  # neither a device nor a network
    with pytest.raises(InvalidInput):
        await time_synchronize(client, address, broadcast_network=2)
    with pytest.raises(InvalidInput):
        await time_synchronize(client, broadcast_network=65535)


async def read_clock_of(client, address, instance) -> dt.datetime:
    date = await client.read(address, f"device,{instance}", "local-date")
    time = await client.read(address, f"device,{instance}", "local-time")
    return _parse_clock(date, time)


async def until_clock(client, address, predicate, timeout: float = 5.0) -> dt.datetime:
    """Time sync is unconfirmed: read the clock until it shows the change (or the deadline)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    clock = await read_clock(client, address)
    while not predicate(clock) and loop.time() < deadline:
        await asyncio.sleep(0.05)
        clock = await read_clock(client, address)
    return clock


# ----- DeviceCommunicationControl -------------------------------------------------------------


async def test_dcc_disable_silences_the_device_and_enable_restores_it(site):
    _building, client, address = site
    assert await client.read(address, ZONE_TEMP) is not None
    await device_communication_control(client, address, "disable", password=DEFAULT_PASSWORD)
    with pytest.raises(BacnetTimeout):
        await client.read(address, ZONE_TEMP)  # the standard: no answer at all
    await device_communication_control(client, address, "enable", password=DEFAULT_PASSWORD)
    assert isinstance(await client.read(address, ZONE_TEMP), float)


async def test_dcc_with_a_wrong_password_is_refused(site):
    _building, client, address = site
    for password in ("wrong", None):
        with pytest.raises(BacnetRemoteError) as caught:
            await device_communication_control(client, address, "disable", password=password)
        assert (caught.value.error_class, caught.value.error_code) == ("security", "password-failure")
    assert isinstance(await client.read(address, ZONE_TEMP), float)  # still talking


async def test_dcc_disable_initiation_still_answers(site):
    building, client, address = site
    await device_communication_control(client, address, "disable-initiation", minutes=5, password=DEFAULT_PASSWORD)
    assert isinstance(await client.read(address, ZONE_TEMP), float)
    assert building.application(VAV).communication_state == "disable-initiation"
    await device_communication_control(client, address, "enable", password=DEFAULT_PASSWORD)
    assert building.application(VAV).communication_state == "enable"


async def test_dcc_duration_re_enables(site):
    building, client, address = site
    app = building.application(VAV)
    app.set_communication("disable", 0.3)  # what a 1-minute DCC does, in 0.3 s
    with pytest.raises(BacnetTimeout):
        await client.read(address, ZONE_TEMP, timeout=0.2)
    await until(lambda: app.communication_state == "enable", timeout=5, what="DCC to expire")
    assert isinstance(await client.read(address, ZONE_TEMP), float)


async def test_dcc_arguments_are_checked_before_sending(site):
    _building, client, address = site
    with pytest.raises(InvalidInput):
        await device_communication_control(client, address, "off")
    with pytest.raises(InvalidInput):
        await device_communication_control(client, address, "disable", minutes=0)
    with pytest.raises(InvalidInput):
        await device_communication_control(client, address, "disable", password="x" * 21)


# ----- ReinitializeDevice ----------------------------------------------------------------------


async def test_reinitialize_with_a_wrong_password_is_refused(site):
    _building, client, address = site
    await client.write(address, COOLING_SP, 66.0, priority=8)
    with pytest.raises(BacnetRemoteError) as caught:
        await reinitialize_device(client, address, "coldstart", password="wrong")
    assert (caught.value.error_class, caught.value.error_code) == ("security", "password-failure")
    assert await client.read(address, COOLING_SP) == pytest.approx(66.0)  # nothing restarted
    assert await client.read(address, f"device,{VAV}", "last-restart-reason") == "unknown"


async def test_coldstart_drops_commands_and_records_the_restart(site):
    building, client, address = site
    await client.write(address, COOLING_SP, 66.0, priority=8)
    building.application(VAV).set_communication("disable-initiation")
    await reinitialize_device(client, address, "coldstart", password=DEFAULT_PASSWORD)
    assert await client.read(address, COOLING_SP) == pytest.approx(74.0)  # back to its relinquish default
    assert await client.read(address, f"device,{VAV}", "last-restart-reason") == "coldstart"
    assert building.application(VAV).communication_state == "enable"


async def test_warmstart_keeps_commands(site):
    _building, client, address = site
    await client.write(address, COOLING_SP, 66.0, priority=8)
    await reinitialize_device(client, address, "warmstart", password=DEFAULT_PASSWORD)
    assert await client.read(address, f"device,{VAV}", "last-restart-reason") == "warmstart"
    assert await client.read(address, COOLING_SP) == pytest.approx(66.0)


async def test_reinitialize_answers_while_communication_is_disabled(site):
    _building, client, address = site
    await device_communication_control(client, address, "disable", password=DEFAULT_PASSWORD)
    await reinitialize_device(client, address, "warmstart", password=DEFAULT_PASSWORD)
    assert isinstance(await client.read(address, ZONE_TEMP), float)  # a restart re-enables


# ----- BBMD tables over loopback -----------------------------------------------------------------


async def test_bbmd_tables_list_the_registered_foreign_device():
    with lease_many(PORTS, 2) as (router_port, client_port):
        building = await SimulatedBuilding.start(address=f"127.0.0.1/8:{router_port}", devices=8, step=1.0)
        try:
            client = await open_client(address=f"127.0.0.1/8:{client_port}", foreign=f"127.0.0.1:{router_port}",
                                       ttl=60, timeout=2.0)
            try:
                fdt = await read_fdt(client, f"127.0.0.1:{router_port}")
                assert [(e.address, e.ttl) for e in fdt] == [(f"127.0.0.1:{client_port}", 60)]
                assert 0 < fdt[0].remaining <= 90  # TTL plus the standard's 30 s grace
                bdt = await read_bdt(client, f"127.0.0.1:{router_port}")
                # The simulator is a lone BBMD: its table holds only itself (mask: a /32 peer).
                assert [(e.address, e.mask) for e in bdt] == [(f"127.0.0.1:{router_port}", "255.255.255.255")]
            finally:
                await client.close()
        finally:
            await building.stop()


async def test_bbmd_tables_need_a_udp_client(site):
    _building, client, _address = site
    with pytest.raises(InvalidInput):
        await read_fdt(client, "127.0.0.1:47808")


# ----- the CLI against `aso sim` on loopback ------------------------------------------------------

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ASO_ADDRESS", "COLUMNS", "ASO_SIM_PASSWORD")}
    env["PYTHONPATH"] = ROOT
    return env


def test_cli_time_sync_dcc_reinit_and_bbmd_against_the_simulator():
    with lease_many(PORTS, 2) as (port, client_port):
        sim = subprocess.Popen(
            [sys.executable, "-m", "aso_runtime.cli.main", "--json", "sim", "--address", f"127.0.0.1/8:{port}",
             "--devices", "8"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT)
        try:
            table = device_table(sim)
            vav = next(d for d in table["devices"] if d["instance"] == VAV)["address"]

            def aso(*args: str) -> subprocess.CompletedProcess:
                command = [sys.executable, "-m", "aso_runtime.cli.main", "--address", f"127.0.0.1/8:{client_port}",
                           "--foreign", f"127.0.0.1:{port}", "--timeout", "2", *args]
                return subprocess.run(command, check=False, capture_output=True, text=True, timeout=60, env=_env(), cwd=ROOT,
                                      stdin=subprocess.DEVNULL)

            # Nothing that changes a device is sent without --yes when there is no terminal.
            for args in (("time-sync", vav), ("time-sync", "--network", "2"), ("dcc", vav, "disable"),
                         ("reinit", vav, "warmstart")):
                refused = aso(*args)
                assert refused.returncode == 2 and "--yes" in refused.stderr, (args, refused.stderr)

            synced = aso("--json", "time-sync", vav, "--utc", "--yes")
            assert synced.returncode == 0, synced.stderr
            assert json.loads(synced.stdout)["utc"] is True

            wrong = aso("reinit", vav, "coldstart", "--password", "nope", "--yes")
            assert wrong.returncode == 1 and "password-failure" in wrong.stderr, wrong.stderr
            assert aso("reinit", vav, "warmstart", "--password", DEFAULT_PASSWORD, "--yes").returncode == 0
            reason = aso("read", vav, f"device,{VAV}", "last-restart-reason")
            assert reason.returncode == 0 and reason.stdout.strip() == "warmstart", reason.stderr

            assert aso("dcc", vav, "disable", "--minutes", "5", "--password", DEFAULT_PASSWORD, "--yes").returncode == 0
            silent = aso("read", vav, "ai,1")
            assert silent.returncode == 1 and "no answer" in silent.stderr, silent.stderr
            assert aso("dcc", vav, "enable", "--password", DEFAULT_PASSWORD, "--yes").returncode == 0
            assert aso("read", vav, "ai,1").returncode == 0

            tables = aso("--json", "bbmd", f"127.0.0.1:{port}")
            assert tables.returncode == 0, tables.stderr
            fdt = json.loads(tables.stdout)["fdt"]
            assert f"127.0.0.1:{client_port}" in [entry["address"] for entry in fdt]
            human = aso("bbmd", f"127.0.0.1:{port}")
            assert human.returncode == 0 and "foreign-device table" in human.stdout, human.stderr
            sim.send_signal(signal.SIGINT)
            _, stderr = sim.communicate(timeout=15)
        finally:
            if sim.poll() is None:
                sim.kill()
    assert sim.returncode == 0, stderr
    assert "Traceback" not in stderr


PASSWORD_PORTS = range(50100, 50200)


def test_sim_password_option_sets_the_buildings_password():
    help_text = subprocess.run([sys.executable, "-m", "aso_runtime.cli.main", "sim", "--help"], check=True,
                               capture_output=True, text=True, timeout=60, env=_env(), cwd=ROOT).stdout
    assert f'default "{DEFAULT_PASSWORD}"' in " ".join(help_text.split())
    with lease_many(PASSWORD_PORTS, 2) as (port, client_port):
        sim = subprocess.Popen(
            [sys.executable, "-m", "aso_runtime.cli.main", "--json", "sim", "--address", f"127.0.0.1/8:{port}",
             "--devices", "8", "--password", "s3cret"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT)
        try:
            vav = next(d for d in device_table(sim)["devices"] if d["instance"] == VAV)["address"]

            def aso(*args: str) -> subprocess.CompletedProcess:
                command = [sys.executable, "-m", "aso_runtime.cli.main", "--address", f"127.0.0.1/8:{client_port}",
                           "--foreign", f"127.0.0.1:{port}", "--timeout", "2", *args]
                return subprocess.run(command, check=False, capture_output=True, text=True, timeout=60, env=_env(),
                                      cwd=ROOT, stdin=subprocess.DEVNULL)

            old = aso("reinit", vav, "warmstart", "--password", DEFAULT_PASSWORD, "--yes")
            assert old.returncode == 1 and "password-failure" in old.stderr, old.stderr
            new = aso("reinit", vav, "warmstart", "--password", "s3cret", "--yes")
            assert new.returncode == 0, new.stderr
            sim.send_signal(signal.SIGINT)
            _, stderr = sim.communicate(timeout=15)
        finally:
            if sim.poll() is None:
                sim.kill()
    assert sim.returncode == 0, stderr


def test_sim_refuses_a_password_no_client_could_send():
    too_long = subprocess.run(
        [sys.executable, "-m", "aso_runtime.cli.main", "sim", "--address", "127.0.0.1/8:50199", "--password", "x" * 21],
        check=False, capture_output=True, text=True, timeout=60, env=_env(), cwd=ROOT)
    assert too_long.returncode == 2 and "at most 20 characters" in too_long.stderr, too_long.stderr
    assert "Traceback" not in too_long.stderr
