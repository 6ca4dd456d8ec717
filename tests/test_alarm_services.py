"""GetEnrollmentSummary (served and asked), the listing's fallback chain, and recipient-list consent.

All on the simulated building on the in-process virtual network: VAV 2001
serves notification-class,1 and a high-limit alarm on analog-input,1 (the
zone), tripped as a technician does (airflow setpoint overridden to 0).
"""

from __future__ import annotations

import pytest

from aso_runtime.bacnet import (
    BacnetReject,
    RecipientsRefused,
    add_this_client,
    get_enrollment_summary,
    get_event_information,
    listen_for_events,
    read_recipients,
    remove_entry,
)
from aso_runtime.sim.alarms import lock_recipients

from .sim_site import sim_site
from .waiting import until

ZONE_TEMP, AIRFLOW_SP, NC = "analog-input,1", "analog-value,3", "notification-class,1"
VAV = 2001


@pytest.fixture
async def site():
    async with sim_site("alarm-services", devices=8, step=0.05, speed=1.0, timeout=2.0) as both:
        yield both


async def trip(building, client) -> None:
    await client.write(VAV, AIRFLOW_SP, 0.0, priority=8)  # no cool air: the zone warms past 78 degF
    building.advance(1200, dt=5.0)
    await until(lambda: get_event_information(client, VAV), what="the high-limit alarm listed")


async def test_enrollment_summary_lists_the_active_unacknowledged_alarm(site):
    building, client = site
    assert await get_enrollment_summary(client, VAV) == []  # an empty answer decodes (bacpypes3 alone cannot)
    services = await client.read(VAV, f"device,{VAV}", "protocol-services-supported")
    assert "get-enrollment-summary" in services
    assert "get-enrollment-summary" not in await client.read(1001, "device,1001", "protocol-services-supported")
    await trip(building, client)
    [event] = await get_enrollment_summary(client, VAV)
    assert (event.object_id, event.event_state, event.source) == (ZONE_TEMP, "high-limit", "get-enrollment-summary")
    assert (event.event_type, event.notification_class, event.priorities[0]) == ("out-of-range", 1, 100)
    assert event.unacknowledged == ["to-offnormal"]


async def test_the_listing_falls_back_to_enrollment_summary_when_the_others_are_refused(site):
    building, client = site
    await trip(building, client)
    # A controller that answers only GetEnrollmentSummary (older or smaller ones).
    app = building.application(VAV)
    app.do_GetEventInformationRequest = None
    app.do_GetAlarmSummaryRequest = None
    events = await get_event_information(client, VAV)
    assert [(e.object_id, e.event_state, e.source) for e in events] == [(ZONE_TEMP, "high-limit", "get-enrollment-summary")]
    with pytest.raises(BacnetReject):
        await get_event_information(client, 1001)  # no alarm services at all: refused, not an empty list


async def test_recipient_consent_adds_our_entry_hears_the_alarm_and_removes_only_ours(site):
    building, client = site
    before = await read_recipients(client, VAV, 1)
    assert len(before) == 1 and before[0].device_instance is None  # the site's broadcast entry
    enrollment = await add_this_client(client, VAV, 1, confirmed=True, process_id=9)
    assert enrollment.added and enrollment.entry.device_instance == client.device_instance
    listed = await read_recipients(client, VAV, NC)  # an independent read
    assert listed[:1] == before and listed[1].device_instance == client.device_instance and listed[1].confirmed

    heard = []
    stop = listen_for_events(client, heard.append)
    try:
        await trip(building, client)
        await until(lambda: any(n.confirmed and n.process_id == 9 for n in heard), what="our confirmed notification")
    finally:
        stop()
    ours = next(n for n in heard if n.confirmed)
    assert (ours.device_instance, ours.object_id, ours.to_state) == (VAV, ZONE_TEMP, "high-limit")

    assert await remove_entry(client, enrollment) == tuple(e.text() for e in before)
    assert await read_recipients(client, VAV, NC) == before
    assert await remove_entry(client, enrollment) is None  # already gone: nothing written


async def test_an_entry_that_was_there_already_is_left_in_place(site):
    _, client = site
    first = await add_this_client(client, VAV, 1, confirmed=False)
    again = await add_this_client(client, VAV, 1, confirmed=False)
    assert first.added and not again.added
    assert await remove_entry(client, again) is None
    assert sum(e.device_instance == client.device_instance for e in await read_recipients(client, VAV, 1)) == 1
    assert await remove_entry(client, first) is not None


async def test_a_locked_recipient_list_is_refused_in_one_line(site):
    building, client = site
    lock_recipients(building.point(VAV, NC))
    before = await read_recipients(client, VAV, 1)
    with pytest.raises(RecipientsRefused) as refused:
        await add_this_client(client, VAV, 1)
    assert refused.value.error_code == "write-access-denied"
    assert "\n" not in str(refused.value) and str(VAV) in str(refused.value) and NC in str(refused.value)
    assert await read_recipients(client, VAV, 1) == before
