"""Bulk SMS campaigns: opted-out recipients skipped and reported, throttling, pause/resume/cancel, per-recipient
status, the final report, volume alerts (PT-9.2, PT-9.6)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest

from trunkline.channels.standins.twilio import Chaos
from trunkline.commerce.models import Agreement
from trunkline.core import clock
from trunkline.core.money import Money
from trunkline.inbox import policy
from trunkline.inbox.errors import CampaignStateError
from trunkline.inbox.models import Campaign, CampaignRecipient, Contact, Delivery
from trunkline.inbox.selectors import campaign_progress
from trunkline.inbox.services.campaigns import (
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_preview,
    campaign_resume,
    campaign_start,
    campaign_tick,
    contact_import_csv,
    contact_list_create,
)
from trunkline.notifications.models import Notice
from trunkline.testing.factories import ctx_for

COUNT = int(__import__("os").environ.get("CAMPAIGN_TEST_COUNT", "10000"))


def audience(admin, count: int, start: int = 0):
    rows = "\n".join(f"+35988{start + n:07d},Person {n}" for n in range(count))
    contact_list = contact_list_create(ctx=ctx_for(admin), name=f"List {start}")
    report = contact_import_csv(ctx=ctx_for(admin), contact_list_id=contact_list.public_id, text=f"phone,name\n{rows}")
    assert report.errors == []
    return contact_list


def new_campaign(admin, channel, contact_list, body="Spring check-up: 20% off", **options) -> Campaign:
    return campaign_create(
        ctx=ctx_for(admin),
        name="Spring",
        channel_id=channel.public_id,
        contact_list_id=contact_list.public_id,
        body=body,
        **options,
    )


def run_to_end(campaign: Campaign, at, step=timedelta(seconds=5), limit=2000) -> Campaign:
    for _ in range(limit):
        if campaign_tick(campaign_id=campaign.pk, at=at).status != "running":
            break
        at += step
    campaign.refresh_from_db()
    return campaign


def test_csv_import_reports_bad_rows_by_number(admin):
    """Valid rows become contacts in the list; each invalid row is reported with its line number."""
    contact_list = contact_list_create(ctx=ctx_for(admin), name="Patients")
    report = contact_import_csv(
        ctx=ctx_for(admin),
        contact_list_id=contact_list.public_id,
        text="phone,name\n0888 123 456,Ана\nnot a phone,Bob\n+359888123457,Вера\n,Empty\n",
    )
    assert (report.rows, report.created, report.added) == (4, 2, 2)
    assert report.errors == [
        (3, "not a phone is not a valid phone number."),
        (5, "(empty) is not a valid phone number."),
    ]
    assert sorted(contact_list.contacts.values_list("phone", flat=True)) == ["+359888123456", "+359888123457"]


@pytest.mark.rule("PT-9.2")
def test_preview_estimates_segments_and_cost_without_opted_out(admin, channel, inbound):
    """The preview counts recipients, the opted-out ones to skip, segments and the cost at the channel's price."""
    contact_list = audience(admin, 3)
    inbound("STOP", sender="+359880000001")
    campaign = new_campaign(admin, channel, contact_list)
    preview = campaign_preview(ctx=ctx_for(admin), campaign_id=campaign.public_id)
    assert campaign.body == "Spring check-up: 20% off\nSofia Dental, +359 2 123 4567. STOP to opt out"
    assert (preview["recipients"], preview["opted_out"], preview["to_send"], preview["segments"]) == (3, 1, 2, 2)
    assert preview["cost"] == Money(Decimal("0.10"), "EUR")


@pytest.mark.rule("PT-9.2")
@pytest.mark.rule("PT-8.13")
def test_stop_is_skipped_and_reported_by_the_next_campaign_and_start_restores(admin, channel, inbound, standin):
    """A STOP reply opts out at once; the next campaign skips and reports it; after START the next one sends."""
    contact_list = audience(admin, 3)
    inbound("STOP", sender="+359880000001")
    first = new_campaign(admin, channel, contact_list)
    campaign_start(ctx=ctx_for(admin), campaign_id=first.public_id)
    first = run_to_end(first, clock.now())
    statuses = dict(CampaignRecipient.objects.filter(campaign=first).values_list("phone", "status"))
    assert statuses == {"+359880000000": "sent", "+359880000001": "skipped_opted_out", "+359880000002": "sent"}
    assert campaign_progress(campaign=first)["counts"]["skipped_opted_out"] == 1
    assert sorted(message["to"] for message in standin.accepted) == ["+359880000000", "+359880000002"]

    inbound("START", sender="+359880000001")
    second = new_campaign(admin, channel, contact_list)
    campaign_start(ctx=ctx_for(admin), campaign_id=second.public_id)
    second = run_to_end(second, clock.now())
    assert CampaignRecipient.objects.get(campaign=second, phone="+359880000001").status == "sent"


@pytest.mark.rule("PT-9.2")
def test_a_stop_received_mid_campaign_applies_from_that_moment(admin, channel, inbound):
    """A recipient who replies STOP after planning but before their turn is skipped."""
    channel.rate_per_second = 1
    channel.save()
    contact_list = audience(admin, 3)
    campaign = new_campaign(admin, channel, contact_list)
    at = clock.now()
    campaign_start(ctx=ctx_for(admin), campaign_id=campaign.public_id, at=at)
    campaign_tick(campaign_id=campaign.pk, at=at)  # one per second: the first recipient only
    inbound("СТОП", sender="+359880000002")
    campaign = run_to_end(campaign, at + timedelta(seconds=1), step=timedelta(seconds=1))
    assert CampaignRecipient.objects.get(campaign=campaign, phone="+359880000002").status == "skipped_opted_out"


def test_sending_is_throttled_to_the_channels_rate(admin, channel):
    """At 2 per second: 2 on the first tick, 1 after half a second, 4 after two more seconds."""
    channel.rate_per_second = 2
    channel.save()
    campaign = new_campaign(admin, channel, audience(admin, 20))
    at = clock.now()
    campaign_start(ctx=ctx_for(admin), campaign_id=campaign.public_id, at=at)
    sent = [campaign_tick(campaign_id=campaign.pk, at=at + timedelta(seconds=offset)).sent for offset in (0, 0.5, 2.5)]
    assert sent == [2, 1, 4]


def test_pause_resume_and_cancel(admin, channel, standin):
    """Paused sends nothing; resumed continues; cancelled marks the rest cancelled and finishes."""
    channel.rate_per_second = 1
    channel.save()
    campaign = new_campaign(admin, channel, audience(admin, 5))
    at = clock.now()
    ctx = ctx_for(admin)
    campaign_start(ctx=ctx, campaign_id=campaign.public_id, at=at)
    assert campaign_tick(campaign_id=campaign.pk, at=at).sent == 1
    campaign_pause(ctx=ctx, campaign_id=campaign.public_id)
    assert campaign_tick(campaign_id=campaign.pk, at=at + timedelta(seconds=10)) == type(
        campaign_tick(campaign_id=campaign.pk, at=at)
    )(0, "paused")
    campaign_resume(ctx=ctx, campaign_id=campaign.public_id)
    assert campaign_tick(campaign_id=campaign.pk, at=at + timedelta(seconds=11)).sent == 1
    campaign_cancel(ctx=ctx, campaign_id=campaign.public_id)
    counts = campaign_progress(campaign=campaign)["counts"]
    assert (counts["sent"], counts["cancelled"]) == (2, 3)
    with pytest.raises(CampaignStateError) as error:
        campaign_resume(ctx=ctx, campaign_id=campaign.public_id)
    assert error.value.code == "inbox.campaign_state"
    assert len(standin.accepted) == 2


def test_a_scheduled_campaign_waits_for_its_time(admin, channel):
    """Scheduled for later: nothing is sent before the time, the first tick after it starts sending."""
    at = clock.now()
    campaign = new_campaign(admin, channel, audience(admin, 2), scheduled_at=at + timedelta(hours=1))
    assert campaign_start(ctx=ctx_for(admin), campaign_id=campaign.public_id, at=at).status == "scheduled"
    assert campaign_tick(campaign_id=campaign.pk, at=at + timedelta(minutes=59)).sent == 0
    assert campaign_tick(campaign_id=campaign.pk, at=at + timedelta(hours=1)).sent == 2


@pytest.mark.rule("PT-9.6")
def test_volume_above_the_plan_alerts_the_operator_once_and_throttles(
    admin, channel, settings, django_capture_on_commit_callbacks
):
    """Past the expected daily segments the operator gets one notice, and by policy the channel slows down."""
    channel.expected_daily_segments = 3
    channel.throttle_over_expected = True
    channel.throttled_rate_per_second = Decimal(1)
    channel.rate_per_second = 5
    channel.save()
    campaign = new_campaign(admin, channel, audience(admin, 12))
    at = clock.now()
    campaign_start(ctx=ctx_for(admin), campaign_id=campaign.public_id, at=at)
    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_tick(campaign_id=campaign.pk, at=at).sent == 5  # 5 segments: above 3
        assert campaign_tick(campaign_id=campaign.pk, at=at + timedelta(seconds=2)).sent == 2  # throttled to 1/s
    notices = Notice.objects.filter(kind="inbox.volume_above_expected")
    assert list(notices.values_list("recipient", flat=True)) == [settings.OPERATOR_EMAIL]
    assert "its plan expects at most 3 a day" in notices.get().body


@pytest.mark.rule("PT-9.6")
def test_the_expected_traffic_comes_from_the_plan_and_the_channel_overrides_it(
    admin, channel, settings, django_capture_on_commit_callbacks
):
    """Without its own figure a channel follows the plan's expected traffic (the organisation's agreement); a figure
    on the channel wins; neither: the operator's default."""
    settings.INBOX_EXPECTED_DAILY_SEGMENTS = 50
    assert channel.expected_daily_segments is None
    assert policy.expected_daily_segments(channel) == 50
    Agreement.objects.create(
        customer_name="Sofia Dental",
        organization=admin.organization,
        provisioned_at=clock.now(),
        expected_daily_segments=4,
    )
    assert policy.expected_daily_segments(channel) == 4
    campaign = new_campaign(admin, channel, audience(admin, 6), is_promotional=False)
    at = clock.now()
    campaign_start(ctx=ctx_for(admin), campaign_id=campaign.public_id, at=at)
    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_tick(campaign_id=campaign.pk, at=at).sent == 6  # 6 segments: above the plan's 4
    notice = Notice.objects.get(kind="inbox.volume_above_expected")
    assert "its plan expects at most 4 a day" in notice.body
    channel.expected_daily_segments = 1_000
    channel.save()
    assert policy.expected_daily_segments(channel) == 1_000


@pytest.mark.rule("PT-9.2")
def test_ten_thousand_recipients_with_thirty_percent_failures(admin, channel, standin):
    """The stand-in fails 30 % of sends (some after accepting): every recipient ends final, none is sent twice,
    and the progress bar reaches 100 %."""
    channel.rate_per_second = 500
    channel.max_attempts = 6
    channel.expected_daily_segments = 1_000_000
    channel.save()
    contacts = Contact.objects.bulk_create(
        Contact(organization=admin.organization, phone=f"+35989{n:07d}") for n in range(COUNT)
    )
    contact_list = contact_list_create(ctx=ctx_for(admin), name="Everyone")
    contact_list.contacts.add(*contacts)
    standin.chaos = Chaos(fail_rate=0.2, lose_answer_rate=0.1)
    campaign = new_campaign(admin, channel, contact_list, body="Clinic closed on Friday", is_promotional=False)
    at = clock.now()
    campaign_start(ctx=ctx_for(admin), campaign_id=campaign.public_id, at=at)
    percents = []
    for _ in range(500):
        tick = campaign_tick(campaign_id=campaign.pk, at=at)
        percents.append(campaign_progress(campaign=campaign)["percent"])
        if tick.status != "running":
            break
        at += timedelta(seconds=15)
    campaign.refresh_from_db()
    assert campaign.status == "completed"
    counts = Counter(CampaignRecipient.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert set(counts) <= {"sent", "failed"}
    assert counts["sent"] + counts["failed"] == COUNT
    assert counts["sent"] == len(standin.accepted)  # every accepted message is a sent recipient, once
    assert max(standin.accepted_per_key.values()) == 1
    assert len({message["to"] for message in standin.accepted}) == len(standin.accepted)
    assert Delivery.objects.filter(recipient__campaign=campaign, state="done").count() == counts["sent"]
    assert percents[-1] == 100
    assert percents == sorted(percents)
