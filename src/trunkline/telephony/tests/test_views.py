"""The PBX panel at /app/pbx/: who may open it, drag-to-reorder and move buttons, statistics and CSV (PT-15.1)."""

from __future__ import annotations

import pytest
from django.test import Client

from trunkline.telephony.services import business_number_add, user_number_add
from trunkline.testing.factories import ctx_for, member


@pytest.fixture
def admin(db):
    return member(kind="customer", role="admin", accepted_terms=True)


@pytest.fixture
def client(admin):
    client = Client()
    client.force_login(admin.user)
    return client


@pytest.fixture
def hunt(admin):
    ctx = ctx_for(admin)
    user_number = user_number_add(ctx=ctx, number="+35970010001", label="Reception")
    first = business_number_add(ctx=ctx, user_number_id=user_number.public_id, number="+35928880001", ring_seconds=5)
    second = business_number_add(ctx=ctx, user_number_id=user_number.public_id, number="+35928880002", ring_seconds=9)
    return user_number, first, second


def numbers(user_number):
    return list(user_number.business_numbers.order_by("position").values_list("number", flat=True))


@pytest.mark.rule("PT-15.1")
def test_panel_shows_numbers_profile_and_bandwidth(client, hunt):
    """The panel lists the forwarding in order, the PT-17 checklist and a computed bandwidth (PT-16)."""
    response = client.get("/app/pbx/?ip_phone_lines=10&web_phone_lines=4")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("+35928880001") < page.index("+35928880002")
    assert "G.711 A-law (PCMA) only" in page
    assert '<strong id="bandwidth-total">1380</strong>' in page


def test_agents_without_telephony_manage_get_403(db):
    """An agent of the customer may not open the PBX panel."""
    agent = member(kind="customer", role="agent", accepted_terms=True)
    client = Client()
    client.force_login(agent.user)
    assert client.get("/app/pbx/").status_code == 403


@pytest.mark.rule("PT-15.1")
def test_dragging_posts_the_whole_order_and_arrows_move_one_step(client, hunt):
    """The drag-and-drop form's order is saved; the down arrow on the first number swaps it back."""
    user_number, first, second = hunt
    response = client.post(
        f"/app/pbx/numbers/{user_number.public_id}/order/", {"order": [second.public_id, first.public_id]}
    )
    assert response.status_code == 302
    assert numbers(user_number) == ["+35928880002", "+35928880001"]
    client.post(
        f"/app/pbx/numbers/{user_number.public_id}/order/", {"move": str(second.public_id), "direction": "down"}
    )
    assert numbers(user_number) == ["+35928880001", "+35928880002"]


def test_ring_timeout_is_saved_from_the_panel_and_bad_values_are_refused(client, hunt):
    """A new ring timeout is stored; 0 seconds is refused with the reason and nothing changes."""
    _user_number, first, _second = hunt
    client.post(f"/app/pbx/business-numbers/{first.public_id}/", {"ring_seconds": "12"})
    first.refresh_from_db()
    assert first.ring_seconds == 12
    response = client.post(f"/app/pbx/business-numbers/{first.public_id}/", {"ring_seconds": "0"}, follow=True)
    assert "Ring between 1 and 300 seconds." in response.content.decode()
    first.refresh_from_db()
    assert first.ring_seconds == 12


def test_another_organisations_number_cannot_be_reordered(client, hunt, db):
    """A stranger's User Number answers 404 in the panel too."""
    stranger = member(kind="customer", role="admin")
    theirs = user_number_add(ctx=ctx_for(stranger), number="+35970010009")
    assert client.post(f"/app/pbx/numbers/{theirs.public_id}/order/", {"order": []}).status_code == 404


def test_statistics_page_and_csv_export(client, hunt):
    """The statistics page renders its chart; the export is CSV with a header."""
    page = client.get("/app/pbx/statistics/?group=hour&days=1")
    assert page.status_code == 200
    assert 'class="pbx-chart"' in page.content.decode()
    export = client.get("/app/pbx/calls.csv?days=7")
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    assert export.content.decode().startswith("call_id,direction,started_at")


@pytest.mark.rule("PT-15.1")
def test_business_hours_are_saved_from_the_panel(client, hunt, django_capture_on_commit_callbacks):
    """The panel's form sets the schedule and the after-hours list; the snapshot the edge reads has them."""
    from trunkline.telephony.services import routing_snapshot_build

    user_number, _first, _second = hunt
    prefix = f"h-{user_number.public_id}"
    data = {f"{prefix}-day_{index}": "08:30-17:30" if index < 5 else "" for index in range(7)}
    data |= {
        f"{prefix}-is_enabled": "on",
        f"{prefix}-closed_on_holidays": "on",
        f"{prefix}-after_hours": "forward",
        f"{prefix}-after_hours_numbers": "+359888123456 15",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/app/pbx/numbers/{user_number.public_id}/hours/", data, follow=True)
    assert "Business hours saved" in response.content.decode()
    hours = routing_snapshot_build()["user_numbers"]["35970010001"]["hours"]
    assert (hours["weekly"][0], hours["action"], hours["targets"][0]["ring_ms"]) == ([[510, 1050]], "forward", 15000)
    page = client.get("/app/pbx/").content.decode()
    assert 'value="08:30-17:30"' in page


def test_a_wrong_schedule_is_refused_with_the_reason(client, hunt):
    """A day written as '9 to 5' is refused; nothing is saved."""
    user_number, _first, _second = hunt
    prefix = f"h-{user_number.public_id}"
    data = {f"{prefix}-day_{index}": "" for index in range(7)} | {
        f"{prefix}-day_0": "9 to 5",
        f"{prefix}-is_enabled": "on",
        f"{prefix}-after_hours": "busy",
    }
    page = client.post(f"/app/pbx/numbers/{user_number.public_id}/hours/", data, follow=True).content.decode()
    assert "Write each day as 08:30-17:00" in page
    from trunkline.telephony.models import BusinessHours

    assert not BusinessHours.objects.exists()


@pytest.mark.rule("PT-20")
@pytest.mark.rule("PT-21")
def test_voice_page_orders_uploads_and_approves(client, admin, hunt):
    """Order a greeting, upload a file that is not a WAV (clear error) then a good one; approve an operator's text;
    choose the greeting of a User Number."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from trunkline.telephony.domain import audio
    from trunkline.telephony.models import VoiceAsset
    from trunkline.telephony.services import voice_asset_text_propose

    user_number, _first, _second = hunt
    client.post("/app/pbx/voice/order/", {"kind": "greeting", "origin": "customer", "title": "Welcome"})
    client.post("/app/pbx/voice/order/", {"kind": "music", "origin": "operator", "title": "Jingle", "text": "la"})
    greeting = VoiceAsset.objects.get(title="Welcome")
    upload = f"/app/pbx/voice/{greeting.public_id}/file/"
    bad = client.post(upload, {"file": SimpleUploadedFile("x.wav", b"MP3"), "rights_declaration": "Ours"}, follow=True)
    assert "The audio cannot be used: not a WAV file." in bad.content.decode()
    wav = audio.pcm_wav(audio.tone(440, 0.5, rate=22050), rate=22050)
    good = client.post(upload, {"file": SimpleUploadedFile("x.wav", wav), "rights_declaration": "Ours"}, follow=True)
    assert "File accepted: 0.5 s, 22050 Hz, 1 channel(s); converted to 8 kHz A-law." in good.content.decode()
    jingle = VoiceAsset.objects.get(title="Jingle")
    voice_asset_text_propose(
        ctx=ctx_for(member(kind="operator", role="staff")), asset_id=jingle.public_id, text="La la"
    )
    page = client.get("/app/pbx/voice/").content.decode()
    assert "Approve this text" in page
    client.post(f"/app/pbx/voice/{jingle.public_id}/text/", {"decision": "approve"})
    jingle.refresh_from_db()
    assert jingle.status == "text_approved"
    client.post(f"/app/pbx/voice/numbers/{user_number.public_id}/", {"greeting": str(greeting.public_id), "music": ""})
    user_number.refresh_from_db()
    assert user_number.greeting == greeting
    page = client.get("/app/pbx/voice/").content.decode()
    assert '+35970010001</strong> <span class="meta">(greeting)' in page
