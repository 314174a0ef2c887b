"""Compose the RFC 5322 message of an outbound email: the headers that make the end user's mail client thread it
(Message-ID at our domain, In-Reply-To and References), Reply-To to the conversation's ``reply+<token>@`` address,
a text and a simple HTML part, and for promotional mail the RFC 2369 / RFC 8058 unsubscribe headers."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|отг|отн)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
# Lines fold at RFC 5322's hard limit, not its 78-character advice: a long URL in List-Unsubscribe must never be
# turned into encoded words (mail clients would not find the link).
POLICY = SMTP.clone(max_line_length=998)
# The longest References header we write: the first id (the thread's root) and the newest ones (RFC 5322 §3.6.4).
MAX_REFERENCES = 20


@dataclass(frozen=True)
class Unsubscribe:
    url: str  # https://…/u/<signed token>: the one-click endpoint (RFC 8058) and the visible link
    mailto: str = ""  # mailto:…?subject=unsubscribe
    label: str = "Unsubscribe"  # the visible link's words, in the recipients' language


@dataclass(frozen=True)
class OutgoingMail:
    from_address: str
    to_address: str
    subject: str
    text: str
    message_id: str  # without angle brackets
    date: datetime
    from_name: str = ""
    to_name: str = ""
    reply_to: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    unsubscribe: Unsubscribe | None = None
    footer: str = ""  # the sender's identification on promotional mail


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def reply_subject(subject: str) -> str:
    """ "Re: " once, whatever prefixes the thread collected (Re:, RE:, AW:, Отг:)."""
    base = REPLY_PREFIX.sub("", subject or "").strip()
    return f"Re: {base}" if base else "Re:"


def reply_address(*, address: str, token: str) -> str:
    """``reply+<token>@<the channel's domain>``: where replies come back to the conversation whatever the headers."""
    _local, _, domain = address.partition("@")
    return f"reply+{token}@{domain}" if domain else address


def reply_token_of(addresses: list[str] | tuple[str, ...]) -> str:
    """The conversation token of the first ``reply+<token>@`` address among the recipients, or ""."""
    for address in addresses:
        match = re.match(r"^reply\+([A-Za-z0-9_-]{6,64})@", address.strip().lower())
        if match:
            return match.group(1)
    return ""


def subject_token_of(subject: str) -> str:
    match = re.search(r"\[#([A-Za-z0-9_-]{6,64})\]", subject or "")
    return match.group(1).lower() if match else ""


def thread_references(earlier: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """References for a reply: the thread's ids in order, trimmed to the root and the newest (no duplicates)."""
    ids: list[str] = []
    for item in earlier:
        if item and item not in ids:
            ids.append(item)
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return tuple(ids)


def _html_of(text: str, *, footer: str, unsubscribe: Unsubscribe | None) -> str:
    paragraphs = [
        "<p>" + html.escape(block).replace("\n", "<br>") + "</p>" for block in re.split(r"\n\s*\n", text.strip())
    ]
    tail = ""
    if footer or unsubscribe:
        pieces = [html.escape(footer)] if footer else []
        if unsubscribe:
            pieces.append(f'<a href="{html.escape(unsubscribe.url)}">{html.escape(unsubscribe.label)}</a>')
        tail = '<p style="color:#666;font-size:12px">' + " · ".join(pieces) + "</p>"
    return (
        '<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222">'
        + "".join(paragraphs)
        + tail
        + "</body></html>"
    )


def compose(mail: OutgoingMail) -> bytes:
    """The whole message as bytes with CRLF line ends, ready for SMTP (and DKIM signing) as is."""
    message = EmailMessage(policy=POLICY)
    message["From"] = Address(display_name=mail.from_name, addr_spec=mail.from_address)
    message["To"] = Address(display_name=mail.to_name, addr_spec=mail.to_address)
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.date)
    message["Message-ID"] = f"<{mail.message_id}>"
    if mail.in_reply_to:
        message["In-Reply-To"] = f"<{mail.in_reply_to}>"
    if mail.references:
        message["References"] = " ".join(f"<{item}>" for item in mail.references)
    if mail.unsubscribe:
        targets = [f"<{mail.unsubscribe.url}>"] + ([f"<{mail.unsubscribe.mailto}>"] if mail.unsubscribe.mailto else [])
        message["List-Unsubscribe"] = ", ".join(targets)
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text = mail.text.strip()
    tail = [
        part for part in (mail.footer, mail.unsubscribe and f"{mail.unsubscribe.label}: {mail.unsubscribe.url}") if part
    ]
    if tail:
        text = f"{text}\n\n-- \n" + "\n".join(str(part) for part in tail)
    message.set_content(text + "\n", charset="utf-8")
    message.add_alternative(_html_of(mail.text, footer=mail.footer, unsubscribe=mail.unsubscribe), subtype="html")
    return message.as_bytes()
