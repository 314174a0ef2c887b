"""Voice assets (PT-20, PT-21) and unsolicited-call detection (PT-8.8)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from trunkline.notifications.models import Notice
from trunkline.telephony.domain import audio
from trunkline.telephony.errors import AssetFormatError, AssetStateError, TelephonySuspendedError
from trunkline.telephony.models import AssetStatus, TelephonyAccount
from trunkline.telephony.paths import media_dir, snapshot_path
from trunkline.telephony.services import (
    call_events_ingest,
    user_number_add,
    user_number_set_media,
    voice_asset_acknowledge,
    voice_asset_claim_rights,
    voice_asset_order,
    voice_asset_pay,
    voice_asset_text_approve,
    voice_asset_text_propose,
    voice_asset_upload,
)
from trunkline.telephony.services.status import telephony_reactivate
from trunkline.testing.factories import ctx_for, member

GREETING = audio.pcm_wav(audio.tone(1000, 0.4))


@pytest.fixture
def ctx(db):
    owner = member(kind="customer", role="admin")
    owner.organization.email = "office@example.com"
    owner.organization.save(update_fields=["email"])
    return ctx_for(owner)


@pytest.fixture
def staff(db):
    return ctx_for(member(kind="operator", role="staff"))


@pytest.mark.rule("PT-20")
def test_customer_audio_plays_only_after_order_payment_acknowledgement_check_and_rights(
    ctx, staff, django_capture_on_commit_callbacks
):
    """Each step alone leaves the greeting silent; after the last one the snapshot plays the converted file."""
    user_number = user_number_add(ctx=ctx, number="+35970010001")
    asset = voice_asset_order(ctx=ctx, kind="greeting", origin="customer", title="Welcome")
    with pytest.raises(AssetFormatError) as error:
        voice_asset_upload(ctx=ctx, asset_id=asset.public_id, data=b"not audio", rights_declaration="Ours")
    assert error.value.fields == {"file": ["The audio cannot be used: not a WAV file."]}
    asset = voice_asset_upload(ctx=ctx, asset_id=asset.public_id, data=GREETING, rights_declaration="We own it.")
    assert asset.status == AssetStatus.ORDERED
    assert voice_asset_pay(ctx=staff, asset_id=asset.public_id).status == AssetStatus.PAID
    user_number_set_media(ctx=ctx, user_number_id=user_number.public_id, greeting_id=asset.public_id, music_id=None)
    with django_capture_on_commit_callbacks(execute=True):
        asset = voice_asset_acknowledge(ctx=staff, asset_id=asset.public_id)
    assert asset.status == AssetStatus.READY
    played = json.loads(snapshot_path().read_text())["user_numbers"]["35970010001"]["greeting"]
    assert played == str(media_dir() / f"{asset.public_id}.wav")
    info, _samples = audio.wav_read((media_dir() / f"{asset.public_id}.wav").read_bytes())
    assert (info.format_tag, info.rate, info.channels) == (6, 8000, 1)


@pytest.mark.rule("PT-20")
def test_a_rights_claim_stops_playback_at_once(ctx, staff, django_capture_on_commit_callbacks):
    """After the claim the next snapshot has no greeting, and the asset cannot be brought back by a step."""
    user_number = user_number_add(ctx=ctx, number="+35970010002")
    asset = voice_asset_order(ctx=ctx, kind="greeting", origin="customer", title="Welcome")
    voice_asset_upload(ctx=ctx, asset_id=asset.public_id, data=GREETING, rights_declaration="Ours")
    voice_asset_pay(ctx=staff, asset_id=asset.public_id)
    voice_asset_acknowledge(ctx=staff, asset_id=asset.public_id)
    user_number_set_media(ctx=ctx, user_number_id=user_number.public_id, greeting_id=asset.public_id, music_id=None)
    with django_capture_on_commit_callbacks(execute=True):
        voice_asset_claim_rights(ctx=staff, asset_id=asset.public_id, reason="Label claims the song")
    assert json.loads(snapshot_path().read_text())["user_numbers"]["35970010002"]["greeting"] == ""
    with pytest.raises(AssetStateError):
        voice_asset_acknowledge(ctx=staff, asset_id=asset.public_id)


@pytest.mark.rule("PT-21")
def test_operator_recording_needs_the_customers_approval_of_the_text_first(ctx, staff):
    """The operator cannot deliver a recording before the customer approves the proposed text."""
    asset = voice_asset_order(ctx=ctx, kind="greeting", origin="operator", title="Hours", text="We open at 9.")
    voice_asset_text_propose(ctx=staff, asset_id=asset.public_id, text="Welcome. We open at nine.")
    with pytest.raises(AssetStateError):
        voice_asset_upload(ctx=staff, asset_id=asset.public_id, data=GREETING)
    asset = voice_asset_text_approve(ctx=ctx, asset_id=asset.public_id)
    assert asset.status == AssetStatus.TEXT_APPROVED
    voice_asset_pay(ctx=staff, asset_id=asset.public_id)
    voice_asset_acknowledge(ctx=staff, asset_id=asset.public_id)
    asset = voice_asset_upload(ctx=staff, asset_id=asset.public_id, data=GREETING)
    assert asset.status == AssetStatus.READY


def spam(ctx, prefix: str, start: float, count: int = 50) -> list[dict]:
    org = str(ctx.organization.public_id)
    events = []
    for i in range(count):
        call_id, at = f"{prefix}-{i}", start + 20 * i
        events += [
            {"call_id": call_id, "event": "start", "at": at, "org": org, "direction": "outbound", "a": "35921234567",
             "b": f"3598{i:08d}", "si": "127.0.0.20"},
            {"call_id": call_id, "event": "answer", "at": at + 1, "number": f"+3598{i:08d}"},
            {"call_id": call_id, "event": "end", "at": at + 3, "reason": "caller_bye"},
        ]  # fmt: skip
    return events


@pytest.mark.rule("PT-8.8")
def test_first_unsolicited_case_suspends_telephony_with_a_notice_and_a_repeat_allows_termination(
    ctx, staff, time_machine
):
    """50 three-second calls to 50 numbers suspend telephony with a notice; after reactivation a second case is
    recorded as a repeat, which allows termination."""
    start = datetime(2026, 5, 4, 8, tzinfo=UTC)
    time_machine.move_to(start.replace(hour=9), tick=False)
    call_events_ingest(events=spam(ctx, "first", start.timestamp()))
    account = TelephonyAccount.objects.get(organization=ctx.organization)
    assert (account.status, account.unsolicited_cases) == ("suspended", 1)
    notice = Notice.objects.get(kind="telephony.unsolicited_calls")
    assert "telephony suspended for unsolicited calls" in notice.subject
    with pytest.raises(TelephonySuspendedError):
        user_number_add(ctx=ctx, number="+35970010009")

    telephony_reactivate(ctx=staff, organization_id=ctx.organization.public_id, reason="Customer explained")
    time_machine.move_to(start.replace(hour=12), tick=False)
    call_events_ingest(events=spam(ctx, "second", start.replace(hour=11).timestamp()))
    account.refresh_from_db()
    assert (account.status, account.unsolicited_cases) == ("suspended", 2)
    assert "operator may terminate" in Notice.objects.filter(kind="telephony.unsolicited_calls").latest("pk").body


def test_ordinary_outbound_calls_are_not_flagged(ctx, time_machine):
    """Forty-nine short calls stay below the threshold of fifty."""
    start = datetime(2026, 5, 4, 8, tzinfo=UTC)
    time_machine.move_to(start.replace(hour=9), tick=False)
    call_events_ingest(events=spam(ctx, "few", start.timestamp(), count=49))
    assert TelephonyAccount.objects.get(organization=ctx.organization).status == "active"
