"""The client's COV API: plain changes, and every way out cancels the subscription on the device.

The device's own view is the check: its subscription table is watched
through bacpypes3's add/cancel hooks of the genuine peer device, never
through the client's bookkeeping.
"""

from __future__ import annotations

import asyncio

import pytest

from aso_runtime.bacnet import BacnetRemoteError, CovChange, InvalidInput, ObjectId, open_client

from .waiting import until

DEVICE = 1001


class DeviceSubscriptions:
    """What the field device holds: subscriptions added and not yet cancelled, and renewals seen."""

    def __init__(self, app) -> None:
        self.active: set[int] = set()
        self.renewals = 0
        add, cancel = app.add_subscription, app.cancel_subscription

        def added(cov) -> None:
            self.active.add(id(cov))
            renew = cov.renew_subscription

            def renewed(lifetime) -> None:
                self.renewals += 1
                renew(lifetime)

            cov.renew_subscription = renewed
            add(cov)

        def cancelled(cov) -> None:
            self.active.discard(id(cov))
            cancel(cov)

        app.add_subscription, app.cancel_subscription = added, cancelled


@pytest.fixture
def held(field_device) -> DeviceSubscriptions:
    return DeviceSubscriptions(field_device)


async def next_value(changes, wanted, prop: str = "present-value", timeout: float = 3.0) -> CovChange:
    async def wait() -> CovChange:
        async for change in changes:
            if change.property == prop and change.value == wanted:
                return change
    return await asyncio.wait_for(wait(), timeout)


async def test_a_change_arrives_as_plain_data_and_leaving_cancels_on_the_device(client, operator, held):
    async with client.cov(DEVICE, "av,1") as changes:
        assert held.active  # the device holds it while we are inside
        first = await next_value(changes, 74.0)  # the notification every subscription starts with
        assert first == CovChange("analog-value,1", "present-value", 74.0) and first.oid == ObjectId("analog-value", 1)
        await operator.write(DEVICE, "av,1", 61.5, priority=8)
        await next_value(changes, 61.5)
    assert not held.active  # a clean exit waited for the device to drop it
    await operator.release(DEVICE, "av,1", 8)


async def test_a_cancelled_task_still_cancels_the_subscription(client, held):
    entered = asyncio.Event()

    async def watch() -> None:
        async with client.cov(DEVICE, "bv,1") as changes:
            entered.set()
            async for _ in changes:
                pass

    task = asyncio.create_task(watch())
    await asyncio.wait_for(entered.wait(), 3)
    assert held.active
    task.cancel()
    await until(lambda: not held.active, what="the device dropping the subscription after a cancel")


async def test_an_error_inside_the_block_still_cancels_the_subscription(client, held):
    with pytest.raises(ZeroDivisionError):
        async with client.cov(DEVICE, "msv,1"):
            assert held.active
            1 / 0  # noqa: B018
    await until(lambda: not held.active, what="the device dropping the subscription after an error")


async def test_closing_the_client_cancels_what_is_still_subscribed(vlan_name, field_device, held):
    own = await open_client(vlan=vlan_name, mac=11, instance=555, timeout=1.0)
    entered = asyncio.Event()

    async def forgotten() -> None:
        async with own.cov(DEVICE, "ai,1"):
            entered.set()
            await asyncio.Event().wait()  # never leaves on its own

    task = asyncio.create_task(forgotten())
    try:
        await asyncio.wait_for(entered.wait(), 3)
        await own.close()
        assert not held.active
    finally:
        task.cancel()


async def test_the_subscription_is_renewed_before_its_lifetime_runs_out(client, operator, held):
    async with client.cov(DEVICE, "av,1", lifetime=2) as changes:
        await until(lambda: held.renewals >= 2, what="two renewals")  # past the first lifetime twice over
        assert held.active
        await operator.write(DEVICE, "av,1", 66.0, priority=8)
        await next_value(changes, 66.0)
    await operator.release(DEVICE, "av,1", 8)


async def test_an_object_without_cov_is_a_plain_remote_error(client, held):
    with pytest.raises(BacnetRemoteError, match="cov-subscription-failed") as refused:
        async with client.cov(DEVICE, "device,1001"):
            pass
    assert refused.value.error_code == "cov-subscription-failed"
    assert not held.active


async def test_a_bad_lifetime_is_refused_before_anything_is_sent(client):
    sent = client.requests_sent
    with pytest.raises(InvalidInput, match="lifetime"):
        async with client.cov(DEVICE, "av,1", lifetime=-5):
            pass
    assert client.requests_sent == sent
