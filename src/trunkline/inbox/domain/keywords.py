"""Opt-out, opt-in and help keywords in inbound messages (PT-8.13). Pure Python.

Only a message that is one keyword (after trimming, upper-casing and dropping punctuation and zero-width characters)
counts: "STOP" opts out, "stop please" does not — the rule carriers and Twilio apply.
"""

from __future__ import annotations

import unicodedata

OPT_OUT = "opt_out"
OPT_IN = "opt_in"
HELP = "help"

KEYWORDS = {
    **dict.fromkeys(
        ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "СТОП", "ОТПИСВАНЕ"), OPT_OUT
    ),
    **dict.fromkeys(("START", "UNSTOP", "YES", "СТАРТ"), OPT_IN),
    **dict.fromkeys(("HELP", "INFO", "ПОМОЩ"), HELP),
}


def normalise(body: str) -> str:
    """Upper-case letters and digits only: punctuation, spaces, symbols and zero-width characters dropped."""
    kept = [char for char in body if unicodedata.category(char)[0] in ("L", "N")]
    return "".join(kept).upper()


def keyword_of(body: str) -> str | None:
    """``opt_out``, ``opt_in``, ``help`` or None for an ordinary message. Several words are never a keyword."""
    if len(body.split()) != 1:
        return None
    return KEYWORDS.get(normalise(body))
