"""Parsing received mail (pure, no database): real-world shapes, Cyrillic charsets, broken MIME, DSNs, auto-replies."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from trunkline.channels.domain import status as statuses
from trunkline.channels.domain.mail.parse import Limits, Note, message_ids, parse_mail

GMAIL_REPLY = (
    b"""Return-Path: <maria.ivanova@gmail.example>
MIME-Version: 1.0
Date: Mon, 30 Nov 2026 09:14:02 +0200
References: <root-1@sofiadental.example> <conv-1.m2@sofiadental.example>
In-Reply-To: <conv-1.m2@sofiadental.example>
Message-ID: <CAF=abc123+XyZ@mail.gmail.example>
Subject: =?UTF-8?B?UmU6INCn0LDRgSDQt9CwINC/0YDQtdCz0LvQtdC0?=
From: =?UTF-8?B?0JzQsNGA0LjRjyDQmNCy0LDQvdC+0LLQsA==?= <Maria.Ivanova@gmail.example>
To: Sofia Dental <info@sofiadental.example>
Content-Type: multipart/alternative; boundary="000000000000a1b2c3"

--000000000000a1b2c3
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: base64

"""
    + base64.encodebytes(
        "Благодаря, в 10:00 ми е удобно.\n\n"
        "На пн, 30.11.2026 г. в 8:50 Sofia Dental <info@sofiadental.example> написа:\n"
        "> Имаме свободен час в сряда.\n".encode()
    )
    + b"""
--000000000000a1b2c3
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: 8bit

"""
    + (
        '<div dir="ltr">Благодаря, в 10:00 ми е удобно.<img src="https://track.example/o.gif" width="1"></div>'
        '<script>alert(1)</script><div class="gmail_quote"><blockquote class="gmail_quote">Имаме</blockquote></div>\n'
    ).encode()
    + b"""--000000000000a1b2c3--
"""
)

OUTLOOK_1251 = (
    b"From: =?windows-1251?B?zeXk5evq4CDD5e7w4+jl4uA=?= <nedelka@abv.example>\r\n"
    b"To: info@sofiadental.example\r\n"
    b"Subject: =?windows-1251?Q?=C7=E0=EF=E8=F1_=E7=E0_=F7=E0=F1?=\r\n"
    b"Message-ID: <000001d9@abv.example>\r\n"
    b"Date: Tue, 1 Dec 2026 10:00:00 +0200\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=windows-1251\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n\r\n"
) + "Здравейте, искам да запиша час.\r\n\r\n-----Original Message-----\r\nFrom: x\r\n".encode("cp1251")

KOI8 = (
    b"From: =?koi8-r?B?8MXU0iDw1dTJzg==?= <petr@mail.example>\r\n"
    b"To: info@sofiadental.example\r\nSubject: =?KOI8-R?Q?=FA=C1=D0=C9=D3=D8?=\r\nMessage-ID: <k1@mail.example>\r\n"
    b"Content-Type: text/plain; charset=KOI8-R\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
) + "Добрый день! Нужна запись.\r\n".encode("koi8-r")


def test_a_gmail_reply_gives_ids_names_cyrillic_text_and_safe_html():
    """Encoded-word From and Subject decode; ids keep their order; HTML loses scripts; the pixel waits for consent."""
    mail = parse_mail(GMAIL_REPLY)
    assert mail.message_id == "CAF=abc123+XyZ@mail.gmail.example"
    assert mail.in_reply_to == ("conv-1.m2@sofiadental.example",)
    assert mail.references == ("root-1@sofiadental.example", "conv-1.m2@sofiadental.example")
    assert mail.thread_ids == ("conv-1.m2@sofiadental.example", "root-1@sofiadental.example")
    assert mail.subject == "Re: Час за преглед"
    assert (mail.sender.name, mail.sender.address) == ("Мария Иванова", "maria.ivanova@gmail.example")
    assert [a.address for a in mail.to] == ["info@sofiadental.example"]
    assert mail.date == datetime(2026, 11, 30, 7, 14, 2, tzinfo=UTC)
    assert mail.text.startswith("Благодаря, в 10:00 ми е удобно.")
    assert "<script" not in mail.html
    assert 'data-remote-src="https://track.example/o.gif"' in mail.html
    assert ' src="https://track.example' not in mail.html
    assert 'class="gmail_quote"' in mail.html
    assert mail.notes == ()
    assert not mail.auto_reply.is_auto
    assert mail.report is None


def test_windows_1251_body_and_encoded_words():
    """An Outlook mail in windows-1251, 8-bit body and Q/B encoded words, reads as Bulgarian."""
    mail = parse_mail(OUTLOOK_1251)
    assert mail.sender.name == "Неделка Георгиева"
    assert mail.subject == "Запис за час"
    assert mail.text.startswith("Здравейте, искам да запиша час.")
    assert mail.notes == ()


def test_koi8_r_body_and_headers():
    """KOI8-R in headers and body."""
    mail = parse_mail(KOI8)
    assert mail.sender.name == "Петр Путин"
    assert mail.subject == "Запись"
    assert mail.text == "Добрый день! Нужна запись."


def test_an_unknown_charset_is_decoded_with_replacement_and_noted():
    """charset=x-klingon: the text is read as UTF-8 with replacement characters, and a note says so."""
    raw = b"From: a@b.example\r\nSubject: x\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nhello \xff world\r\n"
    mail = parse_mail(raw)
    assert mail.text == "hello \ufffd world"
    assert Note("unknown_charset", {"charset": "x-klingon"}) in mail.notes


def test_raw_8bit_headers_in_windows_1251_are_recovered():
    """A Subject sent as raw windows-1251 bytes (no encoded word) still reads, with a note."""
    raw = b"From: a@b.example\r\nSubject: " + "Въпрос".encode("cp1251") + b"\r\n\r\nbody\r\n"
    mail = parse_mail(raw)
    assert mail.subject == "Въпрос"
    assert Note("header_8bit", {"header": "Subject"}) in mail.notes


def test_broken_mime_is_read_as_well_as_it_can_be_with_notes():
    """A multipart whose closing boundary never comes and whose boundary is missing: text kept, defects noted."""
    raw = (
        b"From: a@b.example\r\nSubject: broken\r\nMessage-ID: <br@b.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nstill here\r\n'
    )
    mail = parse_mail(raw)
    assert mail.text == "still here"
    assert any(note.code == "mime_defect" for note in mail.notes)
    no_boundary = b"From: a@b.example\r\nContent-Type: multipart/mixed\r\n\r\njust text\r\n"
    assert any(note.code == "mime_defect" for note in parse_mail(no_boundary).notes)


def test_garbage_never_raises():
    """Bytes that are not a mail at all still give a result."""
    for raw in (b"", b"\x00\xff\xfe garbage", b"Subject: =?utf-8?B?####?=\r\n\r\n", b"Content-Type: ;;;\r\n\r\nx"):
        parse_mail(raw)


ATTACHED = (
    b"""From: Ivan <ivan@example.org>
To: info@sofiadental.example
Subject: X-ray
Message-ID: <att-1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: multipart/related; boundary="b2"

--b2
Content-Type: text/html; charset=utf-8

<p>See <img src="cid:logo.1@example.org"></p>
--b2
Content-Type: image/png
Content-ID: <logo.1@example.org>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--b2--
--b1
Content-Type: application/pdf; name="=?utf-8?B?0YDQtdC90YLQs9C10L0ucGRm?="
Content-Disposition: attachment; filename*=utf-8''%D1%80%D0%B5%D0%BD%D1%82%D0%B3%D0%B5%D0%BD.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcfs
--b1
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="big.bin"
Content-Transfer-Encoding: base64

"""
    + base64.encodebytes(b"x" * 3000)
    + b"""--b1--
"""
)


def test_attachments_inline_images_and_the_size_limit():
    """An inline image keeps its Content-ID, a PDF its RFC 2231 Cyrillic name; one over the limit is dropped, noted."""
    mail = parse_mail(ATTACHED, limits=Limits(max_attachment_bytes=2000, max_attachments=5))
    assert [(a.filename, a.content_type, a.inline, a.content_id) for a in mail.attachments] == [
        ("attachment.png", "image/png", True, "logo.1@example.org"),
        ("рентген.pdf", "application/pdf", False, ""),
    ]
    assert mail.attachments[1].data == base64.b64decode("JVBERi0xLjQKJcfs")
    assert 'src="cid:logo.1@example.org"' in mail.html
    assert mail.text == "See"
    assert Note("attachment_too_large", {"filename": "big.bin", "size": 3000, "limit": 2000}) in mail.notes


def test_attachments_over_the_allowed_count_are_dropped_with_a_note():
    """Only the first N attachments are kept."""
    mail = parse_mail(ATTACHED, limits=Limits(max_attachments=1))
    assert len(mail.attachments) == 1
    assert Note("too_many_attachments", {"dropped": 2, "limit": 1}) in mail.notes


def test_auto_replies_by_header_and_the_subject_only_as_a_hint():
    """Auto-Submitted: auto-replied, X-Autoreply and Precedence decide; "Out of office" alone is only a hint."""
    base = b"From: a@b.example\r\nSubject: Out of office\r\n"
    assert parse_mail(base + b"Auto-Submitted: auto-replied\r\n\r\nx").auto_reply.is_auto
    assert not parse_mail(base + b"Auto-Submitted: no\r\n\r\nx").auto_reply.is_auto
    assert parse_mail(base + b"X-Autoreply: yes\r\n\r\nx").auto_reply.is_auto
    assert parse_mail(base + b"X-Autorespond: vacation\r\n\r\nx").auto_reply.is_auto
    assert parse_mail(base + b"Precedence: bulk\r\n\r\nx").auto_reply.reason == "Precedence: bulk"
    hint = parse_mail(base + b"\r\nI am away").auto_reply
    assert (hint.is_auto, hint.hint_only) == (False, True)


POSTFIX_BOUNCE = b"""Return-Path: <>
From: MAILER-DAEMON@mx.sofiadental.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: info@sofiadental.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="3F1B2C0A1.1764500000/mx.sofiadental.example"
Message-Id: <20261130100000.3F1B2C0A1@mx.sofiadental.example>

--3F1B2C0A1.1764500000/mx.sofiadental.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.sofiadental.example.
I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--3F1B2C0A1.1764500000/mx.sofiadental.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sofiadental.example
X-Postfix-Queue-ID: 3F1B2C0A1
Arrival-Date: Mon, 30 Nov 2026 11:59:58 +0200 (EET)

Final-Recipient: rfc822; nobody@gmail.example
Original-Recipient: rfc822;nobody@gmail.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; gmail-smtp-in.l.google.example
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does
    not exist.

--3F1B2C0A1.1764500000/mx.sofiadental.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Sofia Dental <info@sofiadental.example>
To: nobody@gmail.example
Subject: Re: Appointment
Message-ID: <c7.m42.f00d@sofiadental.example>

--3F1B2C0A1.1764500000/mx.sofiadental.example--
"""


def test_a_postfix_bounce_is_a_delivery_report_with_the_original_message_id():
    """RFC 3464: action failed, status 5.1.1, the final recipient and the original Message-ID from the headers."""
    mail = parse_mail(POSTFIX_BOUNCE)
    report = mail.report
    assert report is not None
    assert report.original_message_id == "c7.m42.f00d@sofiadental.example"
    assert report.reporting_mta == "mx.sofiadental.example"
    primary = report.primary
    assert primary is not None
    assert (primary.action, primary.status_code, primary.final_recipient, primary.status) == (
        "failed",
        "5.1.1",
        "nobody@gmail.example",
        statuses.UNDELIVERED,
    )
    assert primary.diagnostic.startswith("smtp; 550-5.1.1") or primary.diagnostic.startswith("550-5.1.1")


def test_a_delivered_report_with_the_returned_message_attached():
    """A success DSN carrying the whole original as message/rfc822."""
    raw = b"""From: postmaster@mx.example
Content-Type: multipart/report; report-type="delivery-status"; boundary="r"

--r
Content-Type: text/plain

Delivered.
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example

Final-Recipient: rfc822; ivan@example.org
Action: delivered
Status: 2.0.0

--r
Content-Type: message/rfc822

Message-ID: <orig-9@sofiadental.example>
Subject: hi

body
--r--
"""
    report = parse_mail(raw).report
    assert report is not None
    assert report.original_message_id == "orig-9@sofiadental.example"
    assert report.primary is not None
    assert report.primary.status == statuses.DELIVERED


def test_message_ids_in_any_shape():
    """Brackets, folding, duplicates and a bare id."""
    assert message_ids("<a@x>\r\n <b@x> <a@x>") == ("a@x", "b@x")
    assert message_ids("bare@x") == ("bare@x",)
    assert message_ids("no id here") == ()
