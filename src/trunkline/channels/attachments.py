"""Media that arrives with an inbound message, as a list of ``{"url", "content_type"}`` kept on the message.

We keep the provider's address and type only (no download): Twilio MMS posts ``NumMedia`` and, for each item,
``MediaUrl<N>`` and ``MediaContentType<N>``. Only http(s) addresses are kept, so a link can never run script.
"""

from __future__ import annotations

from collections.abc import Callable

MAX_ATTACHMENTS = 10  # Twilio sends at most 10 media items with one message


def _first(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


def _safe(url: str) -> bool:
    return url.startswith(("https://", "http://")) and not any(char.isspace() for char in url)


def twilio_media(form: dict[str, list[str]]) -> list[dict[str, str]]:
    count = _first(form, "NumMedia")
    if not count.isdigit():
        return []
    found = []
    for index in range(min(int(count), MAX_ATTACHMENTS)):
        url = _first(form, f"MediaUrl{index}").strip()
        if _safe(url):
            content_type = _first(form, f"MediaContentType{index}").strip()[:100] or "application/octet-stream"
            found.append({"url": url[:1000], "content_type": content_type})
    return found


PARSERS: dict[str, Callable[[dict[str, list[str]]], list[dict[str, str]]]] = {"twilio": twilio_media}


def inbound_attachments(provider: str, form: dict[str, list[str]]) -> list[dict[str, str]]:
    """The media of one stored inbound webhook of ``provider`` (empty for a provider that sends none)."""
    parser = PARSERS.get(provider)
    return parser(form) if parser else []
