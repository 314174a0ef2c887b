"""HTML of a received email made safe to show: no scripts, styles, event handlers or forms (nh3, an allow-list), and
remote images not loaded until asked (their address kept in ``data-remote-src``)."""

from __future__ import annotations

import re

import nh3

TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col", "colgroup", "dd", "del", "div", "dl",
        "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "ol", "p", "pre", "q",
        "s", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
        "tt", "u", "ul",
    }
)  # fmt: skip
COMMON = {"align", "valign", "width", "height", "title", "dir", "lang", "style", "bgcolor", "colspan", "rowspan"}
ATTRIBUTES = {
    "*": COMMON,
    "a": {"href", "name"},
    "img": {"src", "alt", "border"},
    "font": {"color", "face", "size"},
    "table": {"border", "cellpadding", "cellspacing"},
    "blockquote": {"type"},
}
# CSS properties that cannot fetch anything (no url(), no images): what an email's look needs.
STYLE_PROPERTIES = frozenset(
    {
        "color", "background-color", "font", "font-family", "font-size", "font-style", "font-weight", "line-height",
        "text-align", "text-decoration", "vertical-align", "white-space", "margin", "margin-top", "margin-bottom",
        "margin-left", "margin-right", "padding", "padding-top", "padding-bottom", "padding-left", "padding-right",
        "border", "border-top", "border-bottom", "border-left", "border-right", "border-color", "border-style",
        "border-width", "border-collapse", "width", "max-width", "height", "display",
    }
)  # fmt: skip
# Quoted earlier messages, as Gmail, Thunderbird and Outlook mark them: kept so the page can fold them.
CLASSES = {"div": {"gmail_quote", "moz-cite-prefix"}, "blockquote": {"gmail_quote"}}
REMOTE_IMG = re.compile(r'<img([^>]*?) src="(https?://[^"]*)"', re.IGNORECASE)


def sanitise(html: str) -> str:
    """Safe HTML for a sandboxed frame. Remote images become ``data-remote-src`` (restored on request); inline ones
    keep ``cid:`` sources that the page maps to the stored attachment."""
    cleaned = nh3.clean(
        html,
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto", "tel", "cid"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        allowed_classes={tag: set(names) for tag, names in CLASSES.items()},
        filter_style_properties=set(STYLE_PROPERTIES),
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )
    return REMOTE_IMG.sub(r'<img\1 data-remote-src="\2"', cleaned)


def has_remote_images(html: str) -> bool:
    return "data-remote-src=" in html


def restore_remote_images(html: str) -> str:
    """The sanitised HTML with its remote images loading (the reader asked for them)."""
    return re.sub(r'<img([^>]*?) data-remote-src="', r'<img\1 src="', html)
