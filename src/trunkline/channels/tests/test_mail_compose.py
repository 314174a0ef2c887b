"""Quoted-reply trimming, HTML sanitising and composing replies (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trunkline.channels.domain.mail.compose import (
    OutgoingMail,
    Unsubscribe,
    compose,
    reply_address,
    reply_subject,
    reply_token_of,
    subject_token_of,
    thread_references,
)
from trunkline.channels.domain.mail.html import restore_remote_images, sanitise
from trunkline.channels.domain.mail.parse import parse_mail
from trunkline.channels.domain.mail.quotes import split_quoted


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("Thanks!\n\nOn Mon, 30 Nov 2026 at 10:00, Sofia Dental <info@x.example> wrote:\n> hello", "Thanks!"),
        ("Thanks!\nOn Mon, 30 Nov 2026 at 10:00, Sofia Dental\n<info@x.example> wrote:\n> hello", "Thanks!"),
        ("Благодаря!\n\nНа пн, 30.11.2026 г. в 8:50 София Дентал <info@x.example> написа:\n> здравейте", "Благодаря!"),
        ("Да.\n\nSofia Dental <info@x.example> написа:\n> въпрос", "Да."),
        ("Yes.\n\n________________________________\nFrom: Sofia Dental\nSent: Monday\n\nold", "Yes."),
        ("Yes.\n-----Original Message-----\nFrom: x", "Yes."),
        ("Добре.\n-----Оригинално съобщение-----\nОт: x", "Добре."),
        ("Fine\n\n> earlier\n>\n> more\n", "Fine"),
    ],
)
def test_quoted_replies_are_folded(text, visible):
    """Each common attribution or separator starts the quoted part."""
    split = split_quoted(text)
    assert split.visible == visible
    assert split.quoted


def test_nothing_is_trimmed_when_nothing_new_would_remain_or_nothing_is_quoted():
    """An all-quote message and a signature rule without a header block stay whole."""
    assert split_quoted("> only a quote").quoted == ""
    assert split_quoted("Hello\n____________________________\nDr. Ivanova").quoted == ""


def test_html_sanitising_removes_active_content_and_holds_remote_images():
    """Scripts, styles, handlers, forms, frames and javascript: links go; remote images wait; url() styles go."""
    html = (
        '<html><head><style>p{}</style><script>x()</script></head><body onload="x()">'
        '<p style="color:red;background:url(https://t.example/b.png)" onclick="y()">Hi'
        '<img src="https://t.example/p.gif"><img src="cid:logo@x"><a href="javascript:alert(1)">a</a></p>'
        '<form action="https://evil.example"><input name="p"></form><iframe src="https://e.example"></iframe>'
    )
    clean = sanitise(html)
    for forbidden in ("<script", "<style", "onload", "onclick", "<form", "<input", "<iframe", "javascript:", "url("):
        assert forbidden not in clean
    assert '<p style="color:red">' in clean
    assert '<img data-remote-src="https://t.example/p.gif">' in clean
    assert '<img src="cid:logo@x">' in clean
    assert '<img src="https://t.example/p.gif">' in restore_remote_images(clean)


def test_reply_helpers():
    """One "Re:", the reply+token address at the channel's domain, tokens found in recipients and subjects."""
    assert reply_subject("RE: Отг: Re: Час") == "Re: Час"
    assert reply_subject("") == "Re:"
    assert reply_address(address="info@sofiadental.example", token="k3j4h5g6") == "reply+k3j4h5g6@sofiadental.example"
    assert reply_token_of(["info@x.example", "Reply+K3J4H5G6@x.example"]) == "k3j4h5g6"
    assert subject_token_of("Re: Час [#k3j4h5g6]") == "k3j4h5g6"
    ids = [f"m{n}@x" for n in range(30)]
    trimmed = thread_references([*ids, "m3@x"])
    assert len(trimmed) == 20
    assert trimmed[0] == "m0@x"
    assert trimmed[-1] == "m29@x"


def test_a_composed_reply_threads_and_round_trips_through_the_parser():
    """The composed bytes carry the threading headers, Reply-To, UTF-8 text and HTML, CRLF line ends."""
    raw = compose(
        OutgoingMail(
            from_address="info@sofiadental.example",
            from_name="София Дентал",
            to_address="maria@gmail.example",
            to_name="Мария Иванова",
            reply_to="reply+k3j4h5g6@sofiadental.example",
            subject="Re: Час за преглед",
            text="Здравейте,\n\nочакваме ви в сряда в 10:00.",
            message_id="c1.m2.abc@sofiadental.example",
            date=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
            in_reply_to="CAF=abc@mail.gmail.example",
            references=("root@sofiadental.example", "CAF=abc@mail.gmail.example"),
        )
    )
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    mail = parse_mail(raw)
    assert mail.message_id == "c1.m2.abc@sofiadental.example"
    assert mail.in_reply_to == ("CAF=abc@mail.gmail.example",)
    assert mail.references == ("root@sofiadental.example", "CAF=abc@mail.gmail.example")
    assert (mail.sender.name, mail.sender.address) == ("София Дентал", "info@sofiadental.example")
    assert [a.address for a in mail.reply_to] == ["reply+k3j4h5g6@sofiadental.example"]
    assert mail.subject == "Re: Час за преглед"
    assert mail.text == "Здравейте,\n\nочакваме ви в сряда в 10:00."
    assert "<p>Здравейте,</p><p>очакваме ви в сряда в 10:00.</p>" in mail.html


def test_a_long_unsubscribe_link_is_never_encoded():
    """A 200-character link stays one readable token in List-Unsubscribe (no RFC 2047 encoded words)."""
    url = "https://app.example/u/" + "a" * 180 + "/"
    raw = compose(
        OutgoingMail(
            from_address="a@b.example",
            to_address="c@d.example",
            subject="s",
            text="t",
            message_id="x@b.example",
            date=datetime(2026, 12, 1, tzinfo=UTC),
            unsubscribe=Unsubscribe(url=url),
        )
    )
    assert f"List-Unsubscribe: <{url}>\r\n".encode() in raw


def test_promotional_mail_carries_one_click_unsubscribe_and_a_visible_link():
    """RFC 2369 List-Unsubscribe (https and mailto), RFC 8058 List-Unsubscribe-Post, the link in both parts."""
    raw = compose(
        OutgoingMail(
            from_address="news@sofiadental.example",
            to_address="ivan@example.org",
            subject="Зимна промоция",
            text="Избелване с 20% отстъпка.",
            message_id="p1@sofiadental.example",
            date=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
            unsubscribe=Unsubscribe(
                url="https://app.example/u/tok.sig",
                mailto="mailto:news@sofiadental.example?subject=unsubscribe",
                label="Отписване",
            ),
            footer="Sofia Dental, +359 2 123 4567",
        )
    )
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    assert (
        "List-Unsubscribe: <https://app.example/u/tok.sig>, <mailto:news@sofiadental.example?subject=unsubscribe>"
        in head
    )
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in head
    mail = parse_mail(raw)
    assert mail.text.endswith("Sofia Dental, +359 2 123 4567\nОтписване: https://app.example/u/tok.sig")
    assert (
        '<a href="https://app.example/u/tok.sig" target="_blank" rel="noopener noreferrer nofollow">Отписване</a>'
        in (mail.html)
    )
