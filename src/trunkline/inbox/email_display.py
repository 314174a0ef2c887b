"""How an email message shows in the thread: the sanitised HTML in a sandboxed frame (no scripts; quoted text folded
and remote images held back until the agent asks), or the text with its quoted part folded; attachments as links to
the authorised download; the notes of a malformed mail in words."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from trunkline.channels.domain.mail.html import has_remote_images
from trunkline.channels.domain.mail.quotes import split_quoted
from trunkline.inbox.models import Message, MessageAttachment


def note_text(note: dict[str, Any]) -> str:
    """One note of a received mail, as a sentence for the agent."""
    code = note.get("code", "")
    texts = {
        "mime_defect": _("The mail's MIME structure is broken (%(defect)s); it is shown as well as it could be read."),
        "unknown_charset": _("Unknown character set %(charset)s: the text was read as UTF-8 with replacements."),
        "undecodable_text": _("Some characters did not fit the declared character set %(charset)s and were replaced."),
        "header_8bit": _("The %(header)s header had raw 8-bit characters; they were read as UTF-8 or windows-1251."),
        "header_unreadable": _("The %(header)s header could not be read."),
        "attachment_too_large": _(
            "The attachment %(filename)s (%(size)s bytes) is over the limit of %(limit)s bytes and was dropped."
        ),
        "too_many_attachments": _("%(dropped)s attachments over the limit of %(limit)s were dropped."),
        "attachment_rejected": _("The attachment %(filename)s was refused by the scanner: %(reason)s"),
        "auto_reply_hint": _("The subject looks like an automatic reply, but the mail does not say it is one."),
        "no_sender": _("The mail has no sender address."),
        "no_headers": _("The mail has no headers."),
        "empty_body": _("The mail has no text."),
        "raw_unreadable": _("The received bytes could not be decoded."),
        "unparseable": _("The mail could not be read; its raw text is shown."),
        "mime_too_deep": _("The mail nests too many parts; the deepest were skipped."),
    }
    template = texts.get(code)
    if template is None:
        return _("Something in this mail could not be read (%(code)s).") % {"code": code}
    try:
        return template % {key: value for key, value in note.items() if key != "code"}
    except (KeyError, TypeError, ValueError):
        return template


FRAME = (
    '<!doctype html><html><head><meta charset="utf-8">'
    "<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'; object-src 'none'\">"
    '<base target="_blank"><link rel="stylesheet" href="{css}"></head><body class="trim">{body}</body></html>'
)


@dataclass(frozen=True)
class EmailView:
    subject: str
    sender: str
    srcdoc: str  # the document of the sandboxed frame ("" when the mail has no HTML)
    remote_images: bool
    has_quote: bool
    visible: str
    quoted: str
    attachments: list[dict[str, Any]]
    notes: list[str]


def _cid_sources(body: str, attachments: list[MessageAttachment], urls: dict[int, str]) -> str:
    by_cid = {attachment.content_id.lower(): urls[attachment.pk] for attachment in attachments if attachment.content_id}

    def replace(match: re.Match[str]) -> str:
        url = by_cid.get(html.unescape(match.group(1)).lower())
        return f'src="{html.escape(url)}"' if url else 'src=""'

    return re.sub(r'src="cid:([^"]*)"', replace, body)


def email_view(message: Message, *, conversation_id: Any, surface: str = "app") -> EmailView:
    attachments = list(message.files.all())
    urls = {
        attachment.pk: reverse(
            "inbox:attachment",
            kwargs={
                "surface": surface,
                "conversation_id": conversation_id,
                "attachment_id": attachment.public_id,
            },
        )
        for attachment in attachments
    }
    srcdoc = ""
    if message.html:
        body = _cid_sources(message.html, attachments, urls)
        srcdoc = FRAME.format(css=static("inbox/email-frame.css"), body=body)
    split = split_quoted(message.body)
    has_quote = bool(split.quoted) or any(
        marker in message.html for marker in ('class="gmail_quote"', 'type="cite"', 'class="moz-cite-prefix"')
    )
    return EmailView(
        subject=message.subject,
        sender=message.sender_address,
        srcdoc=srcdoc,
        remote_images=has_remote_images(message.html),
        has_quote=has_quote,
        visible=split.visible,
        quoted=split.quoted,
        attachments=[
            {
                "url": urls[attachment.pk],
                "filename": attachment.filename,
                "size": attachment.size,
                "inline": attachment.is_inline,
                "content_type": attachment.content_type,
            }
            for attachment in attachments
            if not (attachment.is_inline and attachment.content_id and f"cid:{attachment.content_id}" in message.html)
        ],
        notes=[note_text(note) for note in message.notes or [] if isinstance(note, dict)],
    )


def is_email(message: Message) -> bool:
    return bool(message.subject or message.email_message_id or message.html)
