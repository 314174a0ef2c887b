"""The PBX API for operator staff and the voice-asset workflow over HTTP (PT-15.7, PT-20, PT-21)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from trunkline.audit.models import AuditEvent
from trunkline.telephony.domain import audio
from trunkline.telephony.services import configuration_request_open, user_number_add
from trunkline.testing.factories import api_key_for, ctx_for, member


@pytest.fixture
def owner(db):
    return member(kind="customer", role="admin")


@pytest.fixture
def staff(db):
    return member(kind="operator", role="admin")


def call(method: str, path: str, token: str, data: Any = None, **kwargs: Any) -> Any:
    client = Client()
    headers = {"Authorization": f"Bearer {token}"}
    if method == "upload":
        return client.post(path, data, headers=headers)
    return getattr(client, method)(path, data, content_type="application/json", headers=headers, **kwargs)


@pytest.mark.rule("PT-15.7")
@time_machine.travel("2026-12-22 09:00:00+00:00", tick=False)
def test_staff_mark_the_information_complete_and_the_deadline_counts_working_days(owner, staff):
    """From Tuesday 22 December 2026, 5 working days skip Christmas (24-25th, the 28th in lieu of the 26th), New
    Year's Day and the weekends: Monday 4 January 2027."""
    request = configuration_request_open(ctx=ctx_for(owner), details="Two numbers, hunt 20 s")
    customer = api_key_for(owner, ["telephony:manage"])
    operator = api_key_for(staff, ["ops:manage", "ops:read"])
    path = f"/api/v1/telephony/configuration-requests/{request.public_id}"
    assert call("post", f"{path}/information-complete", customer).status_code == 403
    listed = call("get", "/api/v1/telephony/ops/configuration-requests", operator).json()
    assert [(item["details"], item["status"]) for item in listed] == [("Two numbers, hunt 20 s", "waiting")]
    response = call("post", f"{path}/information-complete", operator)
    assert response.status_code == 200, response.content
    assert (response.json()["due_on"], response.json()["working_days"]) == ("2027-01-04", 5)
    assert call("get", "/api/v1/telephony/configuration-requests", customer).json()[0]["due_on"] == "2027-01-04"
    assert call("post", f"{path}/done", operator).json()["status"] == "done"
    assert call("post", f"{path}/done", operator).json()["code"] == "telephony.configuration_state"
    missing = "/api/v1/telephony/configuration-requests/00000000-0000-0000-0000-000000000000/done"
    assert call("post", missing, operator).status_code == 404


@pytest.mark.rule("PT-20")
def test_a_customer_file_plays_only_after_payment_acknowledgement_and_a_good_format(owner, staff, settings):
    """Order, a refused file with its reason, a good file converted to A-law, payment and acknowledgement: ready;
    chosen as the greeting; a rights claim stops it, audited."""
    customer = api_key_for(owner, ["telephony:manage"])
    operator = api_key_for(staff, ["ops:manage", "ops:read"])
    asset = call(
        "post", "/api/v1/telephony/voice-assets", customer, {"kind": "greeting", "origin": "customer", "title": "Hello"}
    )
    assert asset.status_code == 201, asset.content
    path = f"/api/v1/telephony/voice-assets/{asset.json()['id']}"
    bad = call(
        "upload",
        f"{path}/file",
        customer,
        {"file": SimpleUploadedFile("a.wav", b"ID3 not a wav"), "rights_declaration": "Ours"},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"]["fields"]["file"] == ["The audio cannot be used: not a WAV file."]
    wav = audio.pcm_wav(audio.tone(440, 0.5, rate=44100), rate=44100)
    undeclared = call("upload", f"{path}/file", customer, {"file": SimpleUploadedFile("a.wav", wav)})
    assert undeclared.status_code == 422
    good = call(
        "upload",
        f"{path}/file",
        customer,
        {"file": SimpleUploadedFile("a.wav", wav), "rights_declaration": "Recorded by our staff."},
    )
    assert good.status_code == 200, good.content
    assert good.json()["format_report"] == {
        "format_tag": 1,
        "channels": 1,
        "rate": 44100,
        "bits": 16,
        "seconds": 0.5,
        "converted": True,
    }
    assert good.json()["status"] == "ordered"
    assert call("post", f"{path}/paid", customer).status_code == 403
    assert call("post", f"{path}/paid", operator).json()["status"] == "paid"
    acknowledged = call("post", f"{path}/acknowledged", operator).json()
    assert (acknowledged["status"], acknowledged["organization"]) == ("ready", owner.organization.name)
    user_number = user_number_add(ctx=ctx_for(owner), number="+35970010001")
    media = call(
        "put",
        f"/api/v1/telephony/user-numbers/{user_number.public_id}/media",
        customer,
        {"greeting_id": asset.json()["id"]},
    )
    assert media.status_code == 200, media.content
    claimed = call("post", f"{path}/rights-claim", operator, {"reason": "Label X claims the jingle"})
    assert (claimed.json()["status"], claimed.json()["claim_reason"]) == ("stopped", "Label X claims the jingle")
    assert AuditEvent.objects.filter(action="telephony.voice_asset_stopped").count() == 1


@pytest.mark.rule("PT-21")
def test_an_operator_recording_waits_for_the_customer_to_approve_its_text(owner, staff):
    """Proposed, rejected with remarks, proposed again, approved: only then does the recording upload."""
    customer = api_key_for(owner, ["telephony:manage"])
    operator = api_key_for(staff, ["ops:manage", "ops:read"])
    asset = call(
        "post",
        "/api/v1/telephony/voice-assets",
        customer,
        {"kind": "greeting", "origin": "operator", "title": "Welcome", "text": "Welcome to Acme"},
    )
    path = f"/api/v1/telephony/voice-assets/{asset.json()['id']}"
    wav = {"file": SimpleUploadedFile("r.wav", audio.alaw_wav(audio.tone(500, 0.2)))}
    assert call("upload", f"{path}/file", operator, wav).json()["code"] == "telephony.asset_state"
    assert call("post", f"{path}/text", operator, {"text": "Welcome to Acme Ltd."}).json()["status"] == "text_proposed"
    rejected = call("post", f"{path}/text/reject", customer, {"feedback": "Say 'Acme Bulgaria'."}).json()
    assert (rejected["status"], rejected["text_feedback"]) == ("text_rejected", "Say 'Acme Bulgaria'.")
    assert call("post", f"{path}/text/approve", customer).json()["code"] == "telephony.asset_state"
    assert (
        call("post", f"{path}/text", operator, {"text": "Welcome to Acme Bulgaria."}).json()["status"]
        == "text_proposed"
    )
    assert call("post", f"{path}/text/approve", customer).json()["status"] == "text_approved"
    wav = {"file": SimpleUploadedFile("r.wav", audio.alaw_wav(audio.tone(500, 0.2)))}
    recorded = call("upload", f"{path}/file", operator, wav).json()
    assert (recorded["format_report"]["converted"], recorded["status"]) == (False, "text_approved")
    call("post", f"{path}/paid", operator)
    assert call("post", f"{path}/acknowledged", operator).json()["status"] == "ready"


def test_other_organisations_assets_answer_404(owner):
    """A customer cannot approve, reject or see another organisation's asset."""
    other = member(kind="customer", role="admin")
    asset = call(
        "post",
        "/api/v1/telephony/voice-assets",
        api_key_for(other, ["telephony:manage"]),
        {"kind": "music", "origin": "operator", "title": "x", "text": "y"},
    )
    token = api_key_for(owner, ["telephony:manage"])
    assert call("post", f"/api/v1/telephony/voice-assets/{asset.json()['id']}/text/approve", token).status_code == 404
    assert call("get", "/api/v1/telephony/voice-assets", token).json() == []
    assert call("get", "/api/v1/telephony/carriers", token).status_code in (403, 404)
