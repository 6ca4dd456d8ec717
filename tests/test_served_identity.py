"""Our served devices as an integrator reviews them: identity, and claims that match behaviour.

The reviewer is a plain bacpypes3 Application (not ours) that reads the
device properties and sends raw service requests: the host's device, each
kind of simulated device (in-process virtual network) and the simulator's
router (loopback UDP, ports 48500-48599).
"""

from __future__ import annotations

import pytest
from bacpypes3.apdu import (AcknowledgeAlarmRequest, GetAlarmSummaryRequest, GetEnrollmentSummaryRequest,
                            GetEventInformationRequest)
from bacpypes3.basetypes import TimeStamp
from bacpypes3.apdu import (
    AbortPDU,
    AddListElementRequest,
    AtomicReadFileRequest,
    AtomicWriteFileRequest,
    ConfirmedCOVNotificationRequest,
    DeviceCommunicationControlRequest,
    Error,
    ErrorRejectAbortNack,
    ReadAccessSpecification,
    ReadPropertyMultipleRequest,
    ReadPropertyRequest,
    ReadRangeRequest,
    ReinitializeDeviceRequest,
    RejectPDU,
    SubscribeCOVRequest,
    WriteAccessSpecification,
    WritePropertyMultipleRequest,
    WritePropertyRequest,
)
from bacpypes3.app import Application
from bacpypes3.basetypes import (
    AtomicReadFileRequestAccessMethodChoice,
    AtomicReadFileRequestAccessMethodChoiceStreamAccess,
    AtomicWriteFileRequestAccessMethodChoice,
    AtomicWriteFileRequestAccessMethodChoiceStreamAccess,
    PropertyReference,
    PropertyValue,
)
from bacpypes3.constructeddata import Any
from bacpypes3.local.device import DeviceObject
from bacpypes3.local.networkport import NetworkPortObject
from bacpypes3.pdu import Address
from bacpypes3.primitivedata import CharacterString, ObjectIdentifier, Real

import aso_runtime
from aso_runtime.bacnet import CounterPoint, EnablePoint, LocalNetworkError, open_client
from aso_runtime.bacnet.identity import HOST_DESCRIPTION
from aso_runtime.bacnet.local import (
    check_can_bind,
    close_application,
    parse_local_address,
    wait_until_bound,
)
from aso_runtime.sim import SimulatedBuilding

from .waiting import until

HOST_INSTANCE, HOST_MAC, REVIEWER_MAC = 599, 1, 250
# Never in a property-list (clause 12.1.1.4.1): object-identifier, object-name, object-type, property-list.
NEVER_LISTED = {75, 77, 79, 371}
# What every device we serve executes, and so claims.
CLAIMED = {
    "read-property", "read-property-multiple", "write-property", "write-property-multiple",
    "subscribe-cov", "confirmed-cov-notification",
    "who-is", "who-has", "i-am", "i-have", "unconfirmed-cov-notification",
}
# The simulated devices also answer device management (aso_runtime/sim/management.py).
SIM_MANAGEMENT = {"device-communication-control", "reinitialize-device", "time-synchronization",
                  "utc-time-synchronization"}
REJECTED = "reject unrecognized-service"
UNCONFIRMED = {"i-am", "i-have", "who-is", "who-has", "unconfirmed-cov-notification", "unconfirmed-event-notification",
               "unconfirmed-private-transfer", "unconfirmed-text-message", "time-synchronization",
               "utc-time-synchronization", "write-group", "unconfirmed-cov-notification-multiple",
               "unconfirmed-audit-notification", "who-am-i", "you-are"}


# ----- the reviewer -------------------------------------------------------------------------


def reviewer(where: str | None = None, vlan: str | None = None) -> Application:
    """A stock bacpypes3 application: on loopback UDP (``where``) or on a virtual network."""
    device = DeviceObject(objectIdentifier=("device", 598), objectName="epics-reviewer", vendorIdentifier=999)
    if vlan is not None:
        port = NetworkPortObject(objectIdentifier=("network-port", 1), objectName="NetworkPort-1",
                                 networkType="virtual", protocolLevel="bacnet-application",
                                 macAddress=bytes([REVIEWER_MAC]), networkInterfaceName=vlan)
    else:
        port = NetworkPortObject(where, objectIdentifier=("network-port", 1), objectName="NetworkPort-1")
    return Application.from_object_list([device, port])


async def read(app: Application, address: str, object_id: ObjectIdentifier, prop: str):
    return await app.read_property(Address(address), object_id, prop)


def named_bits(value) -> set[str]:
    """The names of the bits that are set in a bit string (services or object types)."""
    names = {bit: name for name, bit in type(value)._bitstring_names.items()}
    return {names.get(bit, str(bit)) for bit, flag in enumerate(value) if flag}


async def answer(app: Application, request) -> str:
    """``ack``, ``error CLASS CODE``, ``reject REASON`` or ``abort REASON``."""
    try:
        await app.request(request)
    except Error as error:
        return f"error {error.errorClass} {error.errorCode}"
    except RejectPDU as reject:
        return f"reject {reject.apduAbortRejectReason}"
    except AbortPDU as abort:
        return f"abort {abort.apduAbortRejectReason}"
    except ErrorRejectAbortNack as other:  # e.g. WritePropertyMultipleError
        return f"error {type(other).__name__}"
    return "ack"


def addressed(request, to: Address):
    request.pduDestination = to
    return request


def requests_for(address: str, device: ObjectIdentifier, cov_object: ObjectIdentifier) -> dict[str, object]:
    """One request per confirmed service a device may claim: service name -> request."""
    to = Address(address)
    text = Any(CharacterString("reviewed"))
    return {
        "read-property": ReadPropertyRequest(objectIdentifier=device, propertyIdentifier="object-name",
                                             destination=to),
        "read-property-multiple": ReadPropertyMultipleRequest(listOfReadAccessSpecs=[ReadAccessSpecification(
            objectIdentifier=device, listOfPropertyReferences=[PropertyReference(propertyIdentifier="object-name")])],
            destination=to),
        # The device's description is not writable: an Error still proves the service executes.
        "write-property": WritePropertyRequest(objectIdentifier=device, propertyIdentifier="description",
                                               propertyValue=text, destination=to),
        "write-property-multiple": WritePropertyMultipleRequest(listOfWriteAccessSpecs=[WriteAccessSpecification(
            objectIdentifier=device, listOfProperties=[PropertyValue(propertyIdentifier="description", value=text)])],
            destination=to),
        "subscribe-cov": SubscribeCOVRequest(subscriberProcessIdentifier=31, monitoredObjectIdentifier=cov_object,
                                             issueConfirmedNotifications=False, lifetime=30, destination=to),
        "confirmed-cov-notification": ConfirmedCOVNotificationRequest(
            subscriberProcessIdentifier=32, initiatingDeviceIdentifier=ObjectIdentifier("device,598"),
            monitoredObjectIdentifier=cov_object, timeRemaining=0,
            listOfValues=[PropertyValue(propertyIdentifier="present-value", value=Any(Real(1.0)))], destination=to),
        # Alarm services (the first VAV): an object that does not exist is refused with an Error.
        "get-event-information": GetEventInformationRequest(destination=to),
        "get-alarm-summary": addressed(GetAlarmSummaryRequest(), to),  # no fields: destination= is dropped
        "get-enrollment-summary": GetEnrollmentSummaryRequest(acknowledgmentFilter="all", destination=to),
        "acknowledge-alarm": AcknowledgeAlarmRequest(
            acknowledgingProcessIdentifier=33, eventObjectIdentifier=ObjectIdentifier("analog-value,4194302"),
            eventStateAcknowledged="offnormal", timeStamp=TimeStamp.as_time(), acknowledgmentSource="reviewed",
            timeOfAcknowledgment=TimeStamp.as_time(), destination=to),
    }


def unclaimed_requests(address: str, device: ObjectIdentifier) -> dict[str, object]:
    """Requests for services no device of ours executes (a few the router used to claim among them)."""
    to = Address(address)
    return {
        "atomic-read-file": AtomicReadFileRequest(
            fileIdentifier=ObjectIdentifier("file,1"),
            accessMethod=AtomicReadFileRequestAccessMethodChoice(
                streamAccess=AtomicReadFileRequestAccessMethodChoiceStreamAccess(fileStartPosition=0,
                                                                                 requestedOctetCount=16)),
            destination=to),
        "atomic-write-file": AtomicWriteFileRequest(
            fileIdentifier=ObjectIdentifier("file,1"),
            accessMethod=AtomicWriteFileRequestAccessMethodChoice(
                streamAccess=AtomicWriteFileRequestAccessMethodChoiceStreamAccess(fileStartPosition=0,
                                                                                  fileData=b"x")),
            destination=to),
        "add-list-element": AddListElementRequest(objectIdentifier=device, propertyIdentifier="object-list",
                                                  listOfElements=Any(ObjectIdentifier("analog-value,99")),
                                                  destination=to),
        "read-range": ReadRangeRequest(objectIdentifier=device, propertyIdentifier="active-cov-subscriptions",
                                       destination=to),
        "device-communication-control": DeviceCommunicationControlRequest(enableDisable="enable", destination=to),
        "reinitialize-device": ReinitializeDeviceRequest(reinitializedStateOfDevice="warmstart", destination=to),
    }


async def review(app: Application, address: str, instance: int) -> dict:
    """What an EPICS review of the device finds: identity, claims, and how the claims hold up."""
    device = ObjectIdentifier(f"device,{instance}")
    props = {}
    for prop in ("object-name", "vendor-name", "vendor-identifier", "model-name", "firmware-revision",
                 "application-software-version", "description", "protocol-services-supported",
                 "protocol-object-types-supported", "object-list", "database-revision"):
        props[prop] = await read(app, address, device, prop)
    objects = list(props["object-list"])
    listed = {str(oid): {int(p) for p in await read(app, address, oid, "property-list")} for oid in objects}
    points = [oid for oid in objects if str(oid[0]) not in ("device", "network-port")]
    cov_object = points[0] if points else objects[-1]
    claimed = named_bits(props["protocol-services-supported"])
    # A service from the unclaimed list that a device does claim (the simulator's DCC and
    # ReinitializeDevice, asked without a password) must be answered as a claimed one.
    probes = {**unclaimed_requests(address, device), **requests_for(address, device, cov_object)}
    answers = {service: await answer(app, request) for service, request in probes.items() if service in claimed}
    refused = {service: await answer(app, request)
               for service, request in unclaimed_requests(address, device).items() if service not in claimed}
    return {"props": props, "objects": objects, "property_lists": listed, "claimed": claimed,
            "answers": answers, "refused": refused}


def assert_claims_hold(found: dict, *, claimed: set[str] = CLAIMED) -> None:
    assert found["claimed"] == claimed
    confirmed = claimed - UNCONFIRMED  # read-range (35) and get-event-information (39) are confirmed too
    assert set(found["answers"]) == confirmed, "every claimed confirmed service was exercised"
    for service, result in found["answers"].items():
        assert result == "ack" or result.startswith("error"), f"{service} claimed but answered {result}"
    for service, result in found["refused"].items():
        assert service not in found["claimed"]
        assert result == REJECTED, f"{service} is not claimed, so it must be rejected (got {result})"
    served_types = {int(oid[0]) for oid in found["objects"]}
    supported = found["props"]["protocol-object-types-supported"]
    assert {bit for bit, flag in enumerate(supported) if flag} == served_types
    for oid, listed in found["property_lists"].items():
        assert not listed & NEVER_LISTED, f"{oid}'s property-list lists {listed & NEVER_LISTED}"
        assert listed, f"{oid} has an empty property-list"


def assert_product_identity(props: dict) -> None:
    assert props["vendor-name"] == "ASO Console"
    assert props["vendor-identifier"] == 999
    assert props["firmware-revision"] == aso_runtime.__version__
    assert props["application-software-version"].startswith(f"aso-console {aso_runtime.__version__}")
    for prop in ("vendor-name", "model-name", "firmware-revision", "application-software-version"):
        assert props[prop] not in ("BACpypes", "N/A", "1.0"), f"{prop} is bacpypes3's default"


# ----- the host --------------------------------------------------------------------------------


@pytest.fixture
async def host(vlan_name):
    """Our device as `aso run` builds it, serving a kill switch."""
    client = await open_client(vlan=vlan_name, mac=HOST_MAC, instance=HOST_INSTANCE, name="aso-host",
                               description=HOST_DESCRIPTION, timeout=1.0)
    client.serve(EnablePoint(1, "optimization-enabled", "ASOs run while active"))
    yield client
    await client.close()


@pytest.fixture
async def review_app(vlan_name):
    app = reviewer(vlan=vlan_name)
    yield app
    await close_application(app)


async def test_the_host_says_what_it_is_and_claims_what_it_does(host, review_app):
    found = await review(review_app, f"0x{HOST_MAC:02x}", HOST_INSTANCE)
    assert_product_identity(found["props"])
    assert found["props"]["model-name"] == "ASO Console"
    assert found["props"]["description"] == "ASO host: optimization kill switch and ASO status"
    assert_claims_hold(found)
    assert {str(oid[0]) for oid in found["objects"]} == {"device", "network-port", "binary-value"}


async def test_database_revision_changes_when_the_host_serves_or_withdraws_a_point(host, review_app):
    address, device = f"0x{HOST_MAC:02x}", ObjectIdentifier(f"device,{HOST_INSTANCE}")
    first = await read(review_app, address, device, "database-revision")
    assert await read(review_app, address, device, "database-revision") == first, "reading is no change"

    heartbeat = CounterPoint(21, "aso-heartbeat", "steps completed")
    host.serve(heartbeat)
    served = await read(review_app, address, device, "database-revision")
    assert served > first
    assert ObjectIdentifier("analog-value,21") in list(await read(review_app, address, device, "object-list"))

    host.withdraw(heartbeat)
    withdrawn = await read(review_app, address, device, "database-revision")
    assert withdrawn > served
    assert ObjectIdentifier("analog-value,21") not in list(await read(review_app, address, device, "object-list"))
    assert await read(review_app, address, device, "database-revision") == withdrawn


async def test_active_cov_subscriptions_shows_a_live_subscription_on_the_host(host, review_app, vlan_name):
    address, device = f"0x{HOST_MAC:02x}", ObjectIdentifier(f"device,{HOST_INSTANCE}")
    subscriber = await open_client(vlan=vlan_name, mac=9, instance=777, name="bas", timeout=1.0)
    try:
        async with subscriber.cov(HOST_INSTANCE, "binary-value,1", lifetime=60):
            entries = await until(lambda: subscriptions(review_app, address, device), what="the subscription listed")
            assert [str(e.monitoredPropertyReference.objectIdentifier) for e in entries] == ["binary-value,1"]
        await until(lambda: no_subscriptions(review_app, address, device), what="the cancelled subscription gone")
    finally:
        await subscriber.close()


async def subscriptions(app: Application, address: str, device: ObjectIdentifier) -> list:
    return list(await read(app, address, device, "active-cov-subscriptions"))


async def no_subscriptions(app: Application, address: str, device: ObjectIdentifier) -> bool:
    return not await subscriptions(app, address, device)


# ----- the simulated building --------------------------------------------------------------------


@pytest.fixture
async def building(vlan_name):
    building = await SimulatedBuilding.start(vlan=vlan_name, devices=8, step=0.5)
    yield building
    await building.stop()


@pytest.mark.parametrize(("instance", "model", "what"), [
    (1001, "SIM-AHU", "Simulated AHU controller (aso sim)"),
    (2001, "SIM-VAV", "Simulated VAV controller (aso sim)"),
    (3001, "SIM-PLANT", "Simulated central plant controller (aso sim)"),
    (4001, "SIM-METER", "Simulated electric meter (aso sim)"),
])
async def test_each_kind_of_simulated_device_says_what_it_is_and_claims_what_it_does(
        building, review_app, instance, model, what):
    found = await review(review_app, building.device(instance).address, instance)
    assert_product_identity(found["props"])
    assert found["props"]["model-name"] == model
    assert found["props"]["description"].startswith(what)
    # The meter is a small controller without ReadPropertyMultiple: not claimed, and refused.
    claimed = CLAIMED | SIM_MANAGEMENT
    claimed = claimed - {"read-property-multiple"} if instance == 4001 else claimed
    if instance == 2001:  # the first VAV serves the zone high-limit alarm (sim/alarms.py)
        claimed = claimed | {"get-event-information", "get-alarm-summary", "get-enrollment-summary", "acknowledge-alarm"}
    if instance in (2001, 4001):  # VAVs and the meter serve trend logs, read with ReadRange (sim/trends.py)
        claimed = claimed | {"read-range"}
    assert_claims_hold(found, claimed=claimed)
    if instance == 4001:
        device = ObjectIdentifier(f"device,{instance}")
        rpm = requests_for(building.device(instance).address, device, device)["read-property-multiple"]
        assert await answer(review_app, rpm) == REJECTED


async def test_database_revision_changes_when_a_simulated_point_is_renamed_or_renumbered(building, review_app):
    address, device = building.device(2001).address, ObjectIdentifier("device,2001")
    first = await read(review_app, address, device, "database-revision")
    zone_temp = building.point(2001, "analog-input,1")

    zone_temp.objectName = "VAV-1-01 Space Temperature"
    renamed = await read(review_app, address, device, "database-revision")
    assert renamed > first
    zone_temp.objectIdentifier = ObjectIdentifier("analog-input,11")
    renumbered = await read(review_app, address, device, "database-revision")
    assert renumbered > renamed
    assert await read(review_app, address, ObjectIdentifier("analog-input,11"), "object-name") == \
        "VAV-1-01 Space Temperature"


async def test_active_cov_subscriptions_shows_a_live_subscription_on_a_simulated_device(building, review_app,
                                                                                         vlan_name):
    address, device = building.device(1001).address, ObjectIdentifier("device,1001")
    subscriber = await open_client(vlan=vlan_name, mac=9, instance=777, name="bas", timeout=1.0)
    try:
        async with subscriber.cov(1001, "analog-input,1", lifetime=60):
            entries = await until(lambda: subscriptions(review_app, address, device), what="the subscription listed")
            assert [str(e.monitoredPropertyReference.objectIdentifier) for e in entries] == ["analog-input,1"]
        await until(lambda: no_subscriptions(review_app, address, device), what="the cancelled subscription gone")
    finally:
        await subscriber.close()


# ----- the simulator's router (loopback UDP) -------------------------------------------------------


def free_port_pair(first: int = 48500, last: int = 48599) -> int:
    for port in range(first, last):
        try:
            check_can_bind(parse_local_address(f"127.0.0.1/8:{port}"))
            check_can_bind(parse_local_address(f"127.0.0.1/8:{port + 1}"))
        except LocalNetworkError:
            continue
        return port
    pytest.skip("no free loopback port pair in 48500-48599")


async def test_the_simulators_router_says_what_it_is_and_claims_what_it_does():
    port = free_port_pair()
    building = await SimulatedBuilding.start(address=f"127.0.0.1/8:{port}", devices=8, step=0.5)
    app = reviewer(where=f"127.0.0.1/8:{port + 1}")
    try:
        await wait_until_bound(app)
        found = await review(app, f"127.0.0.1:{port}", 100)
        assert_product_identity(found["props"])
        assert found["props"]["model-name"] == "SIM-ROUTER"
        assert found["props"]["description"].startswith("Simulated BACnet router (aso sim)")
        assert_claims_hold(found)
        assert {"acknowledge-alarm", "confirmed-event-notification"}.isdisjoint(found["claimed"])
        assert {str(oid[0]) for oid in found["objects"]} == {"device", "network-port"}
        # Who-Is and Who-Has, now claimed, are answered.
        assert [int(i_am.iAmDeviceIdentifier[1]) for i_am in
                await app.who_is(100, 100, Address(f"127.0.0.1:{port}"), timeout=2)] == [100]
        i_haves = await app.who_has(100, 100, object_name="aso-sim-router", address=Address(f"127.0.0.1:{port}"),
                                    timeout=2)
        assert [str(i_have.objectIdentifier) for i_have in i_haves] == ["device,100"]
    finally:
        await close_application(app)
        await building.stop()
