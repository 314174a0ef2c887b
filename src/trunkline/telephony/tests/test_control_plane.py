"""The PBX control plane: numbers and hunt order, trunks, the routing snapshot, configuration deadlines."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from trunkline.audit.models import AuditEvent
from trunkline.core.errors import NotFoundError
from trunkline.telephony.errors import (
    AddressTakenError,
    ConfigurationStateError,
    NumberTakenError,
    TelephonyInvalidError,
)
from trunkline.telephony.models import BusinessNumber, TelephonyPolicy
from trunkline.telephony.paths import snapshot_path
from trunkline.telephony.services import (
    business_number_add,
    business_number_remove,
    business_number_update,
    business_numbers_reorder,
    carrier_create,
    configuration_request_complete,
    configuration_request_information_complete,
    configuration_request_open,
    trunk_create,
    user_number_add,
)
from trunkline.testing.factories import ctx_for, member

SOFIA = ZoneInfo("Europe/Sofia")


@pytest.fixture
def owner(db):
    return member(kind="customer", role="admin")


@pytest.fixture
def ctx(owner):
    return ctx_for(owner)


@pytest.fixture
def staff(db):
    return ctx_for(member(kind="operator", role="staff"))


@pytest.mark.rule("PT-15.1")
def test_business_numbers_hunt_in_the_order_they_were_added_then_as_reordered(ctx, django_capture_on_commit_callbacks):
    """Three business numbers ring in order; a reorder changes the order the edge reads after commit."""
    trunk_create(ctx=ctx, name="Office", addresses=["127.0.0.20", "127.0.0.21"], calling_numbers=["3592*"])
    user_number = user_number_add(ctx=ctx, number="+35970010001", label="Sales")
    first = business_number_add(
        ctx=ctx, user_number_id=user_number.public_id, number="028880001", destination="127.0.0.20", ring_seconds=3
    )
    second = business_number_add(
        ctx=ctx, user_number_id=user_number.public_id, number="028880002", destination="127.0.0.21", ring_seconds=5
    )
    third = business_number_add(ctx=ctx, user_number_id=user_number.public_id, number="+359888123456")
    assert [item.position for item in (first, second, third)] == [0, 1, 2]
    assert third.ring_seconds == TelephonyPolicy.current().default_ring_seconds == 20

    with django_capture_on_commit_callbacks(execute=True):
        business_numbers_reorder(
            ctx=ctx, user_number_id=user_number.public_id, order=[second.public_id, first.public_id, third.public_id]
        )
    snapshot = json.loads(snapshot_path().read_text())
    assert snapshot["user_numbers"]["35970010001"]["targets"] == [
        {"number": "+35928880002", "uri": "sip:35928880002@127.0.0.21:5060", "ring_ms": 5000},
        {"number": "+35928880001", "uri": "sip:35928880001@127.0.0.20:5060", "ring_ms": 3000},
        {"number": "+359888123456", "uri": "", "ring_ms": 20000},
    ]
    assert AuditEvent.objects.filter(action="telephony.hunt_reordered").get().changes == {
        "order": [["+35928880001", "+35928880002", "+359888123456"], ["+35928880002", "+35928880001", "+359888123456"]]
    }


@pytest.mark.rule("PT-15.1")
def test_a_reorder_must_list_every_business_number_once(ctx):
    """A partial or repeated order is refused and nothing moves."""
    user_number = user_number_add(ctx=ctx, number="+35970010002")
    first = business_number_add(ctx=ctx, user_number_id=user_number.public_id, number="+35928880001")
    second = business_number_add(ctx=ctx, user_number_id=user_number.public_id, number="+35928880002")
    with pytest.raises(TelephonyInvalidError) as error:
        business_numbers_reorder(ctx=ctx, user_number_id=user_number.public_id, order=[first.public_id] * 2)
    assert error.value.fields == {"order": ["List each business number of this User Number once."]}
    assert list(BusinessNumber.objects.order_by("position").values_list("pk", flat=True)) == [first.pk, second.pk]


def test_removing_a_business_number_closes_the_gap_and_updates_change_timeouts(ctx):
    """The numbers after a removed one move up; a ring timeout outside 1..300 s is refused."""
    user_number = user_number_add(ctx=ctx, number="+35970010003")
    items = [
        business_number_add(ctx=ctx, user_number_id=user_number.public_id, number=f"+3592888000{i}") for i in range(3)
    ]
    business_number_remove(ctx=ctx, business_number_id=items[0].public_id)
    assert list(user_number.business_numbers.values_list("number", "position")) == [
        ("+35928880001", 0),
        ("+35928880002", 1),
    ]
    assert business_number_update(ctx=ctx, business_number_id=items[1].public_id, ring_seconds=7).ring_seconds == 7
    with pytest.raises(TelephonyInvalidError):
        business_number_update(ctx=ctx, business_number_id=items[1].public_id, ring_seconds=0)


def test_a_business_number_goes_only_to_the_organisations_own_trunk_addresses(ctx):
    """A destination that is not one of the organisation's trunk addresses is refused."""
    user_number = user_number_add(ctx=ctx, number="+35970010004")
    with pytest.raises(TelephonyInvalidError) as error:
        business_number_add(
            ctx=ctx, user_number_id=user_number.public_id, number="+35928880001", destination="192.0.2.1"
        )
    assert error.value.fields == {"destination": ["Choose one of your trunk addresses."]}


def test_a_user_number_belongs_to_one_organisation(ctx, db):
    """The same number cannot be added twice, even by another organisation; a foreign one answers 404."""
    user_number = user_number_add(ctx=ctx, number="+35970010005")
    stranger = ctx_for(member(kind="customer", role="admin"))
    with pytest.raises(NumberTakenError) as error:
        user_number_add(ctx=stranger, number="070010005")
    assert error.value.code == "telephony.number_taken"
    with pytest.raises(NotFoundError):
        business_number_add(ctx=stranger, user_number_id=user_number.public_id, number="+35928880001")


@pytest.mark.rule("PT-17")
def test_trunk_addresses_are_unique_across_organisations_and_carriers(ctx, staff):
    """PT-17.11: an address identifies one trunk; a second claim on it, or a carrier's address, is refused."""
    carrier_create(ctx=staff, name="Upstream", addresses=["127.0.0.10"], gateway="127.0.0.30")
    trunk = trunk_create(ctx=ctx, name="PBX", addresses=["127.0.0.20", "127.0.0.20"], calling_numbers=["+3592888*"])
    assert (trunk.addresses, trunk.calling_numbers) == (["127.0.0.20"], ["3592888*"])
    other = ctx_for(member(kind="customer", role="admin"))
    with pytest.raises(AddressTakenError):
        trunk_create(ctx=other, name="Copy", addresses=["127.0.0.20"], calling_numbers=["3592*"])
    with pytest.raises(AddressTakenError):
        trunk_create(ctx=other, name="Carrier", addresses=["127.0.0.10"], calling_numbers=["3592*"])
    with pytest.raises(TelephonyInvalidError):
        trunk_create(ctx=other, name="Bad", addresses=["pbx.example.com"], calling_numbers=["3592*"])


@pytest.mark.rule("PT-17")
def test_snapshot_lists_carriers_trunks_and_the_gateway(ctx, staff, django_capture_on_commit_callbacks):
    """The edge's snapshot knows each source address and the allowed calling numbers of each trunk."""
    with django_capture_on_commit_callbacks(execute=True):
        carrier_create(ctx=staff, name="Upstream", addresses=["127.0.0.10"], gateway="127.0.0.30")
        trunk = trunk_create(ctx=ctx, name="PBX", addresses=["127.0.0.20"], calling_numbers=["35921234567"])
    snapshot = json.loads(snapshot_path().read_text())
    assert snapshot["gateway"] == "sip:{num}@127.0.0.30:5060"
    assert snapshot["peers"] == {
        "127.0.0.10": {"kind": "carrier", "name": "Upstream"},
        "127.0.0.20": {
            "kind": "customer",
            "org": str(ctx.organization.public_id),
            "trunk": str(trunk.public_id),
            "calling_numbers": ["35921234567"],
            "suspended": False,
        },
    }


@pytest.mark.rule("PT-15.7")
def test_configuration_deadline_counts_bulgarian_working_days_from_complete_information(ctx, staff):
    """Information complete on Friday 18 December 2026: 5 working days skip Christmas and end on 30 December."""
    request = configuration_request_open(ctx=ctx, details="Forward +35970010001 to our two offices.")
    assert (request.status, request.due_on) == ("waiting", None)
    request = configuration_request_information_complete(
        ctx=staff, request_id=request.public_id, at=datetime(2026, 12, 18, 10, tzinfo=SOFIA)
    )
    assert (request.status, request.working_days, request.due_on) == ("in_progress", 5, date(2026, 12, 30))
    with pytest.raises(ConfigurationStateError):
        configuration_request_information_complete(ctx=staff, request_id=request.public_id)
    done = configuration_request_complete(ctx=staff, request_id=request.public_id)
    assert done.status == "done"


@pytest.mark.rule("PT-15.7")
def test_the_working_days_in_force_are_recorded_on_the_request(ctx, staff):
    """The operator's policy number applies to requests completed after it changed, and is kept on each."""
    TelephonyPolicy.objects.update_or_create(pk=1, defaults={"configuration_working_days": 2})
    request = configuration_request_open(ctx=ctx, details="Add a trunk.")
    request = configuration_request_information_complete(
        ctx=staff, request_id=request.public_id, at=datetime(2026, 3, 6, 17, tzinfo=SOFIA)
    )
    assert (request.working_days, request.due_on) == (2, date(2026, 3, 10))
