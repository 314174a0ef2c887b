"""The PBX API: the access matrix, the hunt order round trip, statistics and CSV over HTTP."""

from __future__ import annotations

import pytest
from django.test import Client

from trunkline.telephony.services import business_number_add, user_number_add
from trunkline.testing.access import Endpoint, check_access_matrix
from trunkline.testing.factories import api_key_for, ctx_for, member


@pytest.fixture
def owner(db):
    return member(kind="customer", role="admin")


def test_user_number_endpoints_pass_the_access_matrix(owner):
    """Anonymous 401, no scope 403, telephony:manage 200, another organisation 404."""
    user_number = user_number_add(ctx=ctx_for(owner), number="+35970010001")
    check_access_matrix(
        owner,
        lambda: Endpoint("GET", f"/api/v1/telephony/user-numbers/{user_number.public_id}", "telephony:manage"),
    )


@pytest.mark.rule("PT-15.1")
def test_hunt_order_round_trip_over_the_api(owner):
    """Adding two business numbers and reversing them shows the new order on the User Number."""
    client = Client()
    headers = {"Authorization": f"Bearer {api_key_for(owner, ['telephony:manage'])}"}
    created = client.post(
        "/api/v1/telephony/user-numbers",
        {"number": "+35970010002", "label": "Sales"},
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201, created.content
    number_id = created.json()["id"]
    ids = []
    for number, seconds in (("+35928880001", 3), ("+35928880002", 5)):
        response = client.post(
            f"/api/v1/telephony/user-numbers/{number_id}/business-numbers",
            {"number": number, "ring_seconds": seconds},
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    response = client.put(
        f"/api/v1/telephony/user-numbers/{number_id}/hunt-order",
        {"order": list(reversed(ids))},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200, response.content
    shown = client.get(f"/api/v1/telephony/user-numbers/{number_id}", headers=headers).json()
    assert [(item["number"], item["position"], item["ring_seconds"]) for item in shown["business_numbers"]] == [
        ("+35928880002", 0, 5),
        ("+35928880001", 1, 3),
    ]


@pytest.mark.rule("PT-16")
def test_bandwidth_calculator_endpoint(owner):
    """Three IP phones and two web phones: 3*80 + 2*145 = 530 kbit/s."""
    client = Client()
    headers = {"Authorization": f"Bearer {api_key_for(owner, ['telephony:manage'])}"}
    response = client.get("/api/v1/telephony/bandwidth?ip_phone_lines=3&web_phone_lines=2", headers=headers)
    assert response.json() == {
        "ip_phone_lines": 3,
        "web_phone_lines": 2,
        "ip_phone_kbits": 80,
        "web_phone_kbits": 145,
        "total_kbits": 530,
    }


def test_statistics_and_export_answer_for_an_empty_organisation(owner, django_assert_max_num_queries):
    """No calls: zero counts, no ASR; the CSV has only its header."""
    client = Client()
    headers = {"Authorization": f"Bearer {api_key_for(owner, ['telephony:manage'])}"}
    user_number = user_number_add(ctx=ctx_for(owner), number="+35970010003")
    business_number_add(ctx=ctx_for(owner), user_number_id=user_number.public_id, number="+35928880001")
    stats = client.get("/api/v1/telephony/statistics?group=hour", headers=headers).json()
    assert stats["total"] == {
        "calls": 0, "answered": 0, "missed": 0, "busy": 0, "failed": 0, "talk_seconds": 0, "asr": None, "acd": None,
    }  # fmt: skip
    assert len(stats["buckets"]) == 7 * 24 + 1 or len(stats["buckets"]) == 7 * 24
    export = client.get("/api/v1/telephony/calls/export", headers=headers)
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    assert export.content.decode().count("\n") == 1
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/telephony/calls", headers=headers).json()["count"] == 0
