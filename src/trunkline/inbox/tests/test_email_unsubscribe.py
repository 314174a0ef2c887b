"""Promotional email opt-out (PT-10.8): the one-click POST, the confirm page, and email campaigns that skip."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from trunkline.channels.domain.mail.parse import parse_mail
from trunkline.core import clock
from trunkline.inbox.models import CampaignRecipient, Consent, Delivery
from trunkline.inbox.services.campaigns import (
    campaign_create,
    campaign_preview,
    campaign_start,
    campaign_tick,
    contact_import_csv,
    contact_list_create,
)
from trunkline.inbox.services.email import unsubscribe_token
from trunkline.inbox.testing import ctx_for
from trunkline.inbox.tests.email_helpers import RecordingMailAdapter, email_channel
from trunkline.testing.factories import member


@pytest.fixture
def owner(db):
    return member(kind="customer", role="admin", accepted_terms=True)


@pytest.fixture
def channel(owner):
    return email_channel(owner.organization)


@pytest.fixture
def adapter(monkeypatch):
    fake = RecordingMailAdapter()
    monkeypatch.setattr("trunkline.inbox.services.outbox.adapter_for", lambda channel: fake)
    return fake


def email_list(owner):
    contact_list = contact_list_create(ctx=ctx_for(owner), name="Newsletter")
    report = contact_import_csv(
        ctx=ctx_for(owner),
        contact_list_id=contact_list.public_id,
        text="email,name\nmaria@gmail.example,Мария\nIvan@Example.org,Иван\nnot-an-address,X\n",
    )
    assert report.errors == [(4, "not-an-address is not a valid email address.")]
    return contact_list


def run_campaign(owner, channel, contact_list, at):
    campaign = campaign_create(
        ctx=ctx_for(owner),
        name="Winter",
        subject="Зимна промоция",
        channel_id=channel.public_id,
        contact_list_id=contact_list.public_id,
        body="Избелване с 20% отстъпка до края на декември.",
    )
    campaign_start(ctx=ctx_for(owner), campaign_id=campaign.public_id, at=at)
    for step in range(5):
        if campaign_tick(campaign_id=campaign.pk, at=at + timedelta(seconds=step + 1)).status != "running":
            break
    campaign.refresh_from_db()
    return campaign


def link_of(mime: bytes) -> str:
    found = re.search(r"<(http[^>]+/u/[^>]+/)>", mime.split(b"\r\n\r\n", 1)[0].decode().replace("\r\n ", " "))
    assert found
    return found.group(1).removeprefix("http://127.0.0.1:8000").removeprefix("http://testserver")


@pytest.mark.rule("PT-10.8")
def test_one_click_unsubscribe_opts_out_at_once_and_the_next_campaign_skips_it(owner, channel, adapter):
    """Campaign 1 reaches both; Maria's client POSTs List-Unsubscribe=One-Click; campaign 2 skips and reports her."""
    contact_list = email_list(owner)
    first = run_campaign(owner, channel, contact_list, clock.now())
    assert (first.status, first.total) == ("completed", 2)
    to_maria = next(item for item in adapter.sent if item.to == "maria@gmail.example")
    sent = parse_mail(to_maria.mime)
    assert sent.subject == "Зимна промоция"
    assert "Sofia Dental, +359 2 123 4567" in sent.text

    response = Client().post(
        link_of(to_maria.mime), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    consent = Consent.objects.get(contact__email="maria@gmail.example", channel=channel)
    assert consent.is_opted_out
    assert consent.opted_out_source == "email:one-click"

    second = run_campaign(owner, channel, contact_list, clock.now() + timedelta(minutes=5))
    statuses = dict(CampaignRecipient.objects.filter(campaign=second).values_list("phone", "status"))
    assert statuses == {"maria@gmail.example": "skipped_opted_out", "ivan@example.org": "sent"}
    assert Delivery.objects.filter(recipient__campaign=second).count() == 1


def test_the_preview_counts_email_addresses_and_opted_out_ones(owner, channel):
    """An email campaign's audience is the list's addresses; opted-out ones are reported before sending."""
    contact_list = email_list(owner)
    from trunkline.inbox.services.email import email_unsubscribe

    email_unsubscribe(token=unsubscribe_token(channel=channel, address="ivan@example.org"), source="test")
    campaign = campaign_create(
        ctx=ctx_for(owner), name="W", channel_id=channel.public_id, contact_list_id=contact_list.public_id, body="x"
    )
    preview = campaign_preview(ctx=ctx_for(owner), campaign_id=campaign.public_id)
    assert (preview["recipients"], preview["opted_out"], preview["to_send"], preview["segments"]) == (2, 1, 1, 0)


@pytest.mark.rule("PT-10.8")
def test_a_get_only_shows_the_confirm_page_and_its_button_opts_out(owner, channel):
    """GET (a mail scanner prefetching) changes nothing and answers in the organisation's language; the button does."""
    path = f"/u/{unsubscribe_token(channel=channel, address='maria@gmail.example')}/"
    page = Client().get(path)
    assert page.status_code == 200
    assert "maria@gmail.example" in page.content.decode()
    assert Consent.objects.count() == 0
    done = Client(enforce_csrf_checks=True).post(path)
    assert done.status_code == 200
    assert Consent.objects.get().is_opted_out


def test_a_forged_link_is_refused_and_changes_nothing(channel):
    """A token whose signature does not match: 422 with the reason; nobody is opted out."""
    token = unsubscribe_token(channel=channel, address="maria@gmail.example")
    forged = token.replace("maria", "ivan")
    response = Client().post(
        f"/u/{forged}x/", "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 422
    assert Consent.objects.count() == 0
