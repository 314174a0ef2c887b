"""Parse a raw RFC 5322 message defensively: whatever arrives gives a result, with notes for what went wrong.

The receiver must never crash on a mail and never block the mail after it, so every step that can fail on broken
input (a header, a charset, a part) is guarded and leaves a ``Note`` instead of an exception."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors as email_errors
from email import utils as email_utils
from email.header import Header as EmailHeader
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import default as default_policy
from html.parser import HTMLParser
from typing import Any

from trunkline.channels.domain.mail.html import sanitise
from trunkline.channels.domain.mail.reports import AutoReply, DeliveryReport, auto_reply_of, delivery_report_of

PARSE_ERRORS = (
    ValueError,
    TypeError,
    LookupError,
    IndexError,
    AttributeError,
    AssertionError,
    email_errors.MessageError,
)
UNKNOWN_CHARSETS = frozenset({"unknown-8bit", "x-unknown", "unknown", "8bit", "x-user-defined", "default"})


@dataclass(frozen=True)
class Note:
    """Something that went wrong while reading the mail, shown to agents beside the message."""

    code: str  # mime_defect, unknown_charset, undecodable_text, header_8bit, attachment_too_large, ...
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, **self.params}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str = ""  # without angle brackets: what ``cid:`` sources in the HTML refer to

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Limits:
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_attachments: int = 20


@dataclass(frozen=True)
class Address:
    name: str
    address: str


@dataclass(frozen=True)
class ParsedMail:
    message_id: str  # without angle brackets; "" when missing
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    sender: Address  # From:
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    date: datetime | None
    text: str
    html: str  # sanitised (trunkline.channels.domain.mail.html)
    attachments: tuple[Attachment, ...]
    notes: tuple[Note, ...]
    auto_reply: AutoReply
    report: DeliveryReport | None

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Ids this mail answers, nearest first: In-Reply-To, then References from the newest back."""
        seen: list[str] = []
        for value in (*self.in_reply_to, *reversed(self.references)):
            if value and value not in seen:
                seen.append(value)
        return tuple(seen)


def message_ids(value: str) -> tuple[str, ...]:
    """The ``<id>`` tokens of a Message-ID, In-Reply-To or References value, in order, without brackets."""
    found = re.findall(r"<\s*([^<>\s]+?)\s*>", value or "")
    if not found and value and "@" in value and " " not in value.strip():
        found = [value.strip()]
    result: list[str] = []
    for item in found:
        if item not in result:
            result.append(item)
    return tuple(result)


def _decode_8bit(raw: bytes) -> tuple[str, bool]:
    """Undeclared 8-bit text: UTF-8 when it is valid, else windows-1251 (the usual Cyrillic legacy)."""
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("windows-1251", errors="replace"), False


def _header(message: Message, name: str, notes: list[Note]) -> str:
    try:
        value = message.get(name)
        text = "" if value is None else str(value)
    except PARSE_ERRORS as error:
        notes.append(Note("header_unreadable", {"header": name, "error": type(error).__name__}))
        raw = message.get_all(name, failobj=[]) if hasattr(message, "get_all") else []
        text = str(raw[0]) if raw else ""
    if any("\udc80" <= char <= "\udcff" for char in text):  # raw 8-bit bytes in a header
        text, _utf8 = _decode_8bit(text.encode("utf-8", "surrogateescape"))
        notes.append(Note("header_8bit", {"header": name}))
    return " ".join(text.split()) if name.lower() != "subject" else re.sub(r"\s*\n\s*", " ", text).strip()


def _addresses(value: str) -> tuple[Address, ...]:
    try:
        pairs = email_utils.getaddresses([value])
    except PARSE_ERRORS:
        return ()
    return tuple(Address(name.strip(), address.strip().lower()) for name, address in pairs if "@" in address)


def _charset_text(payload: bytes, charset: str | None, notes: list[Note]) -> str:
    name = (charset or "us-ascii").strip().strip("\"'").lower()
    if name in UNKNOWN_CHARSETS:
        text, _utf8 = _decode_8bit(payload)
        return text
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        notes.append(Note("unknown_charset", {"charset": name[:40]}))
        return payload.decode("utf-8", errors="replace")
    try:
        return payload.decode(codec)
    except UnicodeDecodeError:
        if codec == "ascii":
            text, utf8 = _decode_8bit(payload)
            if utf8:
                return text
        notes.append(Note("undecodable_text", {"charset": name[:40]}))
        return payload.decode(codec, errors="replace")


class _TextOfHtml(HTMLParser):
    BLOCK = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in ("p", "div", "tr", "blockquote", "table"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def text_of_html(html: str) -> str:
    """Readable plain text of an HTML body (for previews and search when a mail has no text part)."""
    parser = _TextOfHtml()
    try:
        parser.feed(html)
        parser.close()
    except PARSE_ERRORS:
        return re.sub(r"<[^>]+>", " ", html)
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@dataclass
class _Walk:
    limits: Limits
    notes: list[Note]
    text: str | None = None
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    dropped: int = 0


def _defects(part: Message, walk: _Walk) -> None:
    for defect in getattr(part, "defects", []) or []:
        note = Note("mime_defect", {"defect": type(defect).__name__})
        if note not in walk.notes:
            walk.notes.append(note)


def _attach(walk: _Walk, attachment: Attachment) -> None:
    if attachment.size > walk.limits.max_attachment_bytes:
        walk.notes.append(
            Note(
                "attachment_too_large",
                {"filename": attachment.filename, "size": attachment.size, "limit": walk.limits.max_attachment_bytes},
            )
        )
        return
    if len(walk.attachments) >= walk.limits.max_attachments:
        walk.dropped += 1
        return
    walk.attachments.append(attachment)


def _walk(part: Message, walk: _Walk, depth: int = 0) -> None:
    _defects(part, walk)
    if depth > 20:
        walk.notes.append(Note("mime_too_deep"))
        return
    content_type = part.get_content_type()
    if part.is_multipart():
        payload = part.get_payload()
        for child in payload if isinstance(payload, list) else []:
            if isinstance(child, Message):
                _walk(child, walk, depth + 1)
        return
    try:
        disposition = part.get_content_disposition()
        filename = part.get_filename() or ""
    except PARSE_ERRORS:
        disposition, filename = "attachment", ""
        walk.notes.append(Note("mime_defect", {"defect": "BadDisposition"}))
    if any("\udc80" <= char <= "\udcff" for char in filename):
        filename, _utf8 = _decode_8bit(filename.encode("utf-8", "surrogateescape"))
    if content_type.startswith("message/"):
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        try:
            data = inner.as_bytes(policy=default_policy) if isinstance(inner, Message) else b""
        except PARSE_ERRORS:
            data = b""
        _attach(walk, Attachment(filename or "message.eml", "message/rfc822", data))
        return
    try:
        decoded = part.get_payload(decode=True)
        data = decoded if isinstance(decoded, bytes) else b""
    except PARSE_ERRORS:
        walk.notes.append(Note("mime_defect", {"defect": "UndecodablePayload"}))
        data = b""
    is_body_text = content_type in ("text/plain", "text/html") and disposition != "attachment" and not filename
    if is_body_text and content_type == "text/plain" and walk.text is None:
        walk.text = _charset_text(data, part.get_content_charset(), walk.notes)
        return
    if is_body_text and content_type == "text/html" and walk.html is None:
        walk.html = _charset_text(data, part.get_content_charset(), walk.notes)
        return
    content_id = message_ids(str(part.get("Content-ID", "") or ""))
    _attach(
        walk,
        Attachment(
            filename=(filename or _default_name(content_type)).replace("/", "_").replace("\\", "_")[:200],
            content_type=content_type,
            data=data,
            inline=disposition == "inline" or (disposition is None and bool(content_id)),
            content_id=content_id[0] if content_id else "",
        ),
    )


def _default_name(content_type: str) -> str:
    extension = {"text/plain": "txt", "text/html": "html", "image/png": "png", "image/jpeg": "jpg"}.get(
        content_type, "bin"
    )
    return f"attachment.{extension}"


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email_utils.parsedate_to_datetime(value)
    except PARSE_ERRORS:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


ADDRESS_HEADERS = frozenset({b"from", b"to", b"cc", b"bcc", b"reply-to", b"sender"})


def _repair_8bit_headers(raw: bytes, notes: list[Note]) -> bytes:
    """Raw 8-bit header values (no encoded words; UTF-8 or windows-1251) rewritten as RFC 2047 encoded words, so the
    parser reads them instead of turning them into replacement characters."""
    end = re.search(rb"\r?\n\r?\n", raw)
    head, rest = (raw[: end.start()], raw[end.start() :]) if end else (raw, b"")
    if not re.search(rb"[\x80-\xff]", head):
        return raw
    lines = re.sub(rb"\r?\n[ \t]+", b" ", head).splitlines()
    repaired: list[bytes] = []
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or not re.search(rb"[\x80-\xff]", value):
            repaired.append(line)
            continue
        text, _utf8 = _decode_8bit(value.strip())
        notes.append(Note("header_8bit", {"header": name.decode("ascii", "replace").strip()}))
        if name.strip().lower() in ADDRESS_HEADERS:
            pairs = email_utils.getaddresses([text])
            encoded = ", ".join(email_utils.formataddr(pair, charset="utf-8") for pair in pairs)
        else:
            encoded = EmailHeader(text, "utf-8").encode()
        repaired.append(name + b": " + encoded.encode("ascii"))
    return b"\r\n".join(repaired) + rest


def parse_mail(raw: bytes, *, limits: Limits | None = None) -> ParsedMail:
    """Everything the inbox needs from one received mail; never raises on malformed input."""
    limits = limits or Limits()
    notes: list[Note] = []
    raw = _repair_8bit_headers(raw, notes)
    message: Message = BytesParser(policy=default_policy).parsebytes(raw)
    if not message.keys():
        notes.append(Note("no_headers"))
    subject = _header(message, "Subject", notes)
    walk = _Walk(limits=limits, notes=notes)
    report = delivery_report_of(message) if isinstance(message, EmailMessage) else None
    if report is None:
        _walk(message, walk)
    else:
        _defects(message, walk)
        first = message.get_payload(0) if message.is_multipart() else None
        if isinstance(first, Message):
            _walk(first, walk)
    if walk.dropped:
        notes.append(Note("too_many_attachments", {"dropped": walk.dropped, "limit": limits.max_attachments}))
    html = sanitise(walk.html) if walk.html else ""
    text = walk.text if walk.text is not None else (text_of_html(walk.html) if walk.html else "")
    if not text.strip() and not html and not walk.attachments and report is None:
        notes.append(Note("empty_body"))
    senders = _addresses(_header(message, "From", notes))
    return ParsedMail(
        message_id=next(iter(message_ids(_header(message, "Message-ID", notes))), ""),
        in_reply_to=message_ids(_header(message, "In-Reply-To", notes)),
        references=message_ids(_header(message, "References", notes)),
        subject=subject,
        sender=senders[0] if senders else Address("", ""),
        to=_addresses(_header(message, "To", notes)),
        cc=_addresses(_header(message, "Cc", notes)),
        reply_to=_addresses(_header(message, "Reply-To", notes)),
        date=_date(_header(message, "Date", notes)),
        text=text.replace("\r\n", "\n").strip(),
        html=html,
        attachments=tuple(walk.attachments),
        notes=tuple(notes),
        auto_reply=auto_reply_of(message, subject),
        report=report,
    )
