"""The PBX in the back office at /ops/pbx/: who may open it and the operator's steps (PT-15.7, PT-20, PT-21)."""

from __future__ import annotations

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from trunkline.audit.models import AuditEvent
from trunkline.telephony.domain import audio
from trunkline.telephony.models import Carrier, ConfigurationRequest, VoiceAsset
from trunkline.telephony.services import configuration_request_open, voice_asset_order, voice_asset_text_approve
from trunkline.testing.factories import ctx_for, member


@pytest.fixture
def customer(db):
    return member(kind="customer", role="admin", accepted_terms=True)


def signed_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def staff(db):
    return signed_in(member(kind="operator", role="admin"))


def test_only_operator_staff_open_the_pbx_back_office(customer, staff):
    """Operator staff 200; a customer 404."""
    assert staff.get("/ops/pbx/").status_code == 200
    assert signed_in(customer).get("/ops/pbx/").status_code == 404


@pytest.mark.rule("PT-15.7")
@time_machine.travel("2026-12-01 09:00:00+00:00", tick=False)
def test_staff_start_the_deadline_and_mark_the_configuration_done(customer, staff):
    """Information complete on Tuesday 1 December: 5 working days later is Tuesday 8 December; then done."""
    request = configuration_request_open(ctx=ctx_for(customer), details="Hunt group for Sales")
    page = staff.get("/ops/pbx/").content.decode()
    assert "Hunt group for Sales" in page
    response = staff.post(f"/ops/pbx/configuration/{request.public_id}/", {"step": "information"}, follow=True)
    assert "Information complete: due on 2026-12-08 (5 working days)." in response.content.decode()
    staff.post(f"/ops/pbx/configuration/{request.public_id}/", {"step": "done"})
    assert ConfigurationRequest.objects.get().status == "done"


@pytest.mark.rule("PT-21")
@pytest.mark.rule("PT-20")
def test_staff_take_an_operator_recording_through_its_workflow(customer, staff, django_capture_on_commit_callbacks):
    """Propose the text; after the customer's approval upload the recording (format checked), record payment and
    acknowledgement; a rights claim stops it and is audited."""
    ctx = ctx_for(customer)
    asset = voice_asset_order(ctx=ctx, kind="greeting", origin="operator", title="Welcome", text="Hello")
    url = f"/ops/pbx/assets/{asset.public_id}/"
    staff.post(url, {"step": "text", "text": "Welcome to Acme."})
    voice_asset_text_approve(ctx=ctx, asset_id=asset.public_id)
    wav = audio.pcm_wav(audio.tone(440, 0.4, rate=16000), rate=16000)
    response = staff.post(url, {"step": "recording", "file": SimpleUploadedFile("r.wav", wav)}, follow=True)
    assert "Recording accepted: 0.4 s at 16000 Hz, converted to 8 kHz A-law." in response.content.decode()
    staff.post(url, {"step": "paid"})
    staff.post(url, {"step": "acknowledged"})
    assert VoiceAsset.objects.get().status == "ready"
    empty = staff.post(url, {"step": "claim", "reason": ""}, follow=True)
    assert "Say who claims the rights." in empty.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url, {"step": "claim", "reason": "Studio X"})
    assert (VoiceAsset.objects.get().status, VoiceAsset.objects.get().claim_reason) == ("stopped", "Studio X")
    assert AuditEvent.objects.filter(action="telephony.voice_asset_stopped").count() == 1


def test_staff_add_a_carrier_and_read_only_staff_may_not(staff, db):
    """A carrier with its addresses; staff without ops:manage get 403 and nothing is added."""
    reader = signed_in(member(kind="operator", role="support"))
    data = {"name": "Other", "addresses": "198.51.100.20"}
    assert reader.get("/ops/pbx/").status_code == 200
    assert reader.post("/ops/pbx/carriers/", data).status_code == 403
    response = staff.post(
        "/ops/pbx/carriers/", {"name": "Upstream", "addresses": "198.51.100.10, 198.51.100.11", "gateway": ""}
    )
    assert response.status_code == 302
    assert Carrier.objects.get().addresses == ["198.51.100.10", "198.51.100.11"]
