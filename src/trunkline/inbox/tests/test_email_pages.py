"""An email conversation in the inbox: subject and sender, the sandboxed frame, toggles, attachments, notes."""

from __future__ import annotations

import html as htmlmod

import pytest
from django.test import Client

from trunkline.channels.tests.test_mail_parse import ATTACHED, GMAIL_REPLY
from trunkline.inbox.models import Conversation, MessageAttachment
from trunkline.inbox.tests.email_helpers import email_channel, mail, receive
from trunkline.testing.factories import member


@pytest.fixture
def owner(db):
    return member(kind="customer", role="admin", accepted_terms=True)


@pytest.fixture
def channel(owner):
    return email_channel(owner.organization)


@pytest.fixture
def agent(owner) -> Client:
    client = Client()
    client.force_login(owner.user)
    return client


@pytest.mark.rule("PT-10.2")
def test_an_html_mail_shows_in_a_sandboxed_frame_without_scripts_and_with_toggles(agent, channel):
    """Subject, sender, the sanitised HTML as srcdoc of a frame that may not run scripts; quoted text and remote
    images behind buttons; the composer has no SMS segment counter."""
    receive(channel, GMAIL_REPLY)
    conversation = Conversation.objects.get()
    response = agent.get(f"/app/inbox/c/{conversation.public_id}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Re: Час за преглед" in page
    assert "Мария Иванова &lt;maria.ivanova@gmail.example&gt;" in page
    assert 'sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"' in page
    assert "allow-scripts" not in page
    srcdoc = htmlmod.unescape(page.split('srcdoc="', 1)[1].split('"', 1)[0])
    assert "<script" not in srcdoc.replace("script-src", "")
    assert 'data-remote-src="https://track.example/o.gif"' in srcdoc
    assert '<body class="trim">' in srcdoc
    assert "data-email-quotes" in page
    assert "data-email-images" in page
    assert 'id="segment-counter"' not in page
    assert "style-src-attr 'unsafe-inline'" in response["Content-Security-Policy"]


def test_a_text_mail_folds_its_quote_and_lists_its_notes(agent, channel):
    """Plain text: the new part shown, the quoted part in a <details>; a malformed mail's notes in words."""
    raw = mail("Да, благодаря.\n\nOn Mon, 30 Nov 2026, Sofia Dental <info@x.example> wrote:\n> Имаме час.")
    receive(channel, raw.replace(b'charset="utf-8"', b'charset="x-klingon"'))
    conversation = Conversation.objects.get()
    page = agent.get(f"/app/inbox/c/{conversation.public_id}/thread/").content.decode()
    assert '<details class="email-quoted">' in page
    assert "Unknown character set x-klingon" in page or "x-klingon" in page


def test_attachments_download_only_for_the_organisation_with_safe_headers(agent, channel, owner):
    """The link downloads with Content-Disposition attachment and nosniff; another organisation's agent gets 404."""
    receive(channel, ATTACHED)
    conversation = Conversation.objects.get()
    pdf = MessageAttachment.objects.get(content_type="application/pdf")
    page = agent.get(f"/app/inbox/c/{conversation.public_id}/").content.decode()
    url = f"/app/inbox/c/{conversation.public_id}/attachments/{pdf.public_id}/"
    assert url in page
    response = agent.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%D1%80%D0%B5%D0%BD%D1%82%D0%B3%D0%B5%D0%BD.pdf" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == pdf.file.open("rb").read()
    stranger = Client()
    stranger.force_login(member(kind="customer", role="admin", accepted_terms=True).user)
    assert stranger.get(url).status_code == 404
    assert Client().get(url).status_code in (302, 403)


def test_the_api_lists_an_email_message_with_its_threading_and_notes(channel, owner):
    """GET …/messages: subject, sender, sanitised HTML, Message-ID, References as a list, notes."""
    from trunkline.testing.factories import api_key_for

    receive(channel, GMAIL_REPLY)
    conversation = Conversation.objects.get()
    token = api_key_for(owner, ["inbox:read"])
    response = Client().get(
        f"/api/v1/conversations/{conversation.public_id}/messages", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    item = response.json()["items"][0]
    assert item["subject"] == "Re: Час за преглед"
    assert item["sender_address"] == "Мария Иванова <maria.ivanova@gmail.example>"
    assert item["email_message_id"] == "CAF=abc123+XyZ@mail.gmail.example"
    assert item["references"] == ["root-1@sofiadental.example", "conv-1.m2@sofiadental.example"]
    assert item["notes"] == []
    assert "<script" not in item["html"]


def test_an_inline_image_shows_from_its_stored_attachment_and_is_not_listed_again(agent, channel):
    """cid: sources point at the authorised download of the part with that Content-ID; only the PDF is listed."""
    receive(channel, ATTACHED)
    conversation = Conversation.objects.get()
    logo = MessageAttachment.objects.get(content_id="logo.1@example.org")
    page = agent.get(f"/app/inbox/c/{conversation.public_id}/").content.decode()
    srcdoc = htmlmod.unescape(page.split('srcdoc="', 1)[1].split('"', 1)[0])
    assert f'src="/app/inbox/c/{conversation.public_id}/attachments/{logo.public_id}/"' in srcdoc
    assert "cid:" not in srcdoc
    listed = page.split('class="email-attachments"', 1)[1].split("</ul>", 1)[0]
    assert "рентген.pdf" in listed
    assert "attachment.png" not in listed
    image = agent.get(f"/app/inbox/c/{conversation.public_id}/attachments/{logo.public_id}/")
    assert (image.status_code, image["Content-Type"]) == (200, "image/png")
