"""Devices resolved once at the edge, object ids carried typed: what crosses the boundary."""

from __future__ import annotations

import pytest

from aso_runtime.bacnet import (
    BacnetClient,
    InvalidInput,
    ObjectId,
    discover_objects,
    locate_device,
    who_has,
)


async def test_every_way_of_naming_a_device_locates_the_same_i_am(client):
    by_instance = await locate_device(client, 1001)
    assert by_instance.instance == 1001 and by_instance.address == "0x02"
    for typed in ("1001", "device,1001", "0x02", " 0x02 "):
        assert await locate_device(client, typed) == by_instance
    assert await locate_device(client, by_instance) is by_instance
    # The resolved reference goes straight to the services: no lookup, no re-parse.
    sent = client.requests_sent
    assert await client.read(by_instance, "ai,1") == 72.5
    assert client.requests_sent == sent + 1


async def test_records_carry_their_object_id_typed(client):
    points = await discover_objects(client, await locate_device(client, 1001))
    assert {p.oid for p in points} >= {ObjectId("analog-input", 1), ObjectId("device", 1001)}
    assert all(str(p.oid) == p.object_id for p in points)  # the text stays for JSON
    array = await client.priority_array(1001, "av,1")
    assert array.oid == ObjectId("analog-value", 1)
    values = await client.read_many(1001, [("ai,1", ["present-value"])])
    assert values[0].oid == ObjectId("analog-input", 1)
    holders = await who_has(client, "bv,1")
    assert holders[0].oid == ObjectId("binary-value", 1)


async def test_a_client_without_a_who_is_lookup_reaches_only_devices_it_knows(client):
    bare = BacnetClient(client.app)  # the same stack, with no lookup of devices by instance
    try:
        with pytest.raises(InvalidInput, match="device 1001 is not known"):
            await bare.read(1001, "ai,1")
        assert await bare.read("0x02", "ai,1") == 72.5  # an address needs no lookup
        bare.remember(await locate_device(client, 1001))
        assert await bare.read(1001, "ai,1") == 72.5
    finally:
        await bare.close()  # leaves the application to the fixture: it only wraps it
