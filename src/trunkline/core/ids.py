"""Public identifiers: random UUIDs for anything that appears in a URL, so row ids never leak or get guessed."""

from __future__ import annotations

import uuid


def new_public_id() -> uuid.UUID:
    return uuid.uuid4()
