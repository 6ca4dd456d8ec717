"""A Who-Is ends on time even when what it started keeps our loop busy.

``discover --all`` starts each device's reads the moment its I-Am arrives;
decoding their answers runs on the same loop as the Who-Is's quiet timer.
Our own busy moments must neither stretch the quiet period (they are not
the network's pace) nor count as quiet (an I-Am that waited in the socket
meanwhile must not be lost); a genuinely slow network still stretches it.
Genuine bacpypes3 devices on the in-process virtual network; the runtime's
DEBUG record says why a search ended and with which quiet period.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from aso_runtime.bacnet import who_is_stream
from aso_runtime.bacnet.application import AsoApplication
from aso_runtime.bacnet.local import LocalDevice, build_application, close_application, device_object, virtual_port

from .peers import field_objects

FAST = {2001: 3, 2002: 4, 2003: 5}  # instance: MAC; they answer at once (the fixture's 1001 is at MAC 2)
SLOW = 3001  # answers SLOW_DELAY late, like a device behind a slow link
SLOW_DELAY = 0.2  # s


class LateDevice(AsoApplication):
    """A device that answers a Who-Is ``SLOW_DELAY`` seconds late."""

    async def do_WhoIsRequest(self, apdu) -> None:  # noqa: N802 (bacpypes3 name)
        await asyncio.sleep(SLOW_DELAY)
        await super().do_WhoIsRequest(apdu)


def device(app_class: type, vlan: str, mac: int, instance: int):
    return build_application(app_class, [device_object(LocalDevice(instance=instance, name=f"FC-{instance}")),
                                         virtual_port(vlan, mac), *field_objects()])


@pytest.fixture
async def fast_devices(vlan_name, field_device):
    apps = [device(AsoApplication, vlan_name, mac, instance) for instance, mac in FAST.items()]
    yield apps
    for app in apps:
        await close_application(app)


@pytest.fixture
async def slow_device(vlan_name):
    app = device(LateDevice, vlan_name, 9, SLOW)
    yield app
    await close_application(app)


def hog_the_loop(seconds: float) -> None:
    """CPU-bound work on the loop, like decoding a big RPM answer: nothing else runs meanwhile."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def who_is_records(caplog) -> list:
    return [record for record in caplog.records if getattr(record, "search", None) == "who-is"]


async def test_our_own_stall_before_the_answers_does_not_stretch_the_quiet_period(client, fast_devices, caplog):
    caplog.set_level("DEBUG", logger="aso.bacnet")
    stream = who_is_stream(client, quiet=0.1, max_wait=60)
    # Runs right after the Who-Is leaves, before any I-Am can be read: the first
    # answer then looks 0.3 s late (2 x 0.3 s of quiet), but the delay was ours.
    asyncio.get_running_loop().call_soon(hog_the_loop, 0.3)
    found = [device.instance async for device in stream]
    assert sorted(found) == [1001, *FAST]
    [record] = who_is_records(caplog)
    assert (record.ended, record.quiet_s) == ("quiet", 0.1)


async def test_a_consumer_busier_than_the_quiet_period_loses_no_late_answer(client, fast_devices, slow_device,
                                                                          caplog):
    caplog.set_level("DEBUG", logger="aso.bacnet")
    found = []
    async for device in who_is_stream(client, quiet=0.05, max_wait=60):
        found.append(device.instance)
        if len(found) == 1:
            hog_the_loop(0.4)  # the late I-Am comes meanwhile; the loop cannot read it yet
    assert sorted(found) == [1001, *FAST, SLOW]
    assert [record.ended for record in who_is_records(caplog)] == ["quiet"]


async def test_a_slow_network_still_stretches_the_quiet_period(client, fast_devices, slow_device, caplog):
    caplog.set_level("DEBUG", logger="aso.bacnet")
    found = [device.instance async for device in who_is_stream(client, quiet=0.3, max_wait=60)]
    assert sorted(found) == [1001, *FAST, SLOW]
    [record] = who_is_records(caplog)
    assert record.ended == "quiet" and record.quiet_s > 0.3  # 4 x the gap before the late I-Am
