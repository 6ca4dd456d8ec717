"""device,4194303 read as "this device" (clause 15.5.1.1.1), as a workstation that knows no instance asks.

bacpypes3 0.0.110 answered Error(object, unknown-object) to both services.
The legacy simulated device without ReadPropertyMultiple must still reject RPM.
"""

from __future__ import annotations

from aso_runtime.bacnet import BacnetRemoteError

from .sim_site import sim_site


async def test_readproperty_of_the_wildcard_device_answers_for_the_device_itself() -> None:
    async with sim_site("wildcard-rp") as (_, client):
        assert await client.read(1001, "device,4194303", "object-name") == "AHU-1"
        assert await client.read(1001, "device,4194303", "object-identifier") == "device,1001"


async def test_rpm_of_the_wildcard_device_answers_for_the_device_itself() -> None:
    async with sim_site("wildcard-rpm") as (_, client):
        values = await client.read_multiple(1001, [("device,4194303", ["object-name", "vendor-name"])])
        assert [v.value for v in values] == ["AHU-1", "ASO Console"]
        assert all(v.error is None for v in values)


async def test_an_unknown_device_instance_is_still_unknown_object() -> None:
    async with sim_site("wildcard-other") as (_, client):
        try:
            await client.read(1001, "device,4194302", "object-name")
        except BacnetRemoteError as error:
            assert "unknown-object" in str(error)
        else:
            raise AssertionError("device,4194302 is not device 1001")
