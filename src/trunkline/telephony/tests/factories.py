"""Makers of PBX objects for tests (used by the cross-organisation walk and the app's own tests)."""

from __future__ import annotations

import dataclasses
import itertools
import random
from typing import Any

from trunkline.telephony.models import BusinessNumber, ConfigurationRequest, Trunk, UserNumber, VoiceAsset
from trunkline.telephony.services import (
    business_number_add,
    configuration_request_open,
    trunk_create,
    user_number_add,
    voice_asset_order,
)
from trunkline.testing.factories import ctx_for

_serial = itertools.count(random.randint(0, 5_000_000))


def _ctx(owner: Any) -> Any:
    """The owner's context, with telephony:manage even for organisations whose roles lack it (the isolation walk)."""
    ctx = ctx_for(owner)
    return dataclasses.replace(ctx, scopes=ctx.scopes | {"telephony:manage"})


def fresh_number(prefix: str = "+3597") -> str:
    """A Bulgarian-looking number nobody else in the test database has."""
    return f"{prefix}{next(_serial) % 10_000_000:07d}"


def user_number_for(owner: Any, *, number: str | None = None) -> UserNumber:
    return user_number_add(ctx=_ctx(owner), number=number or fresh_number())


def business_number_for(owner: Any) -> BusinessNumber:
    user_number = user_number_for(owner)
    return business_number_add(ctx=_ctx(owner), user_number_id=user_number.public_id, number=fresh_number("+3592"))


def trunk_for(owner: Any, *, addresses: list[str] | None = None, calling_numbers: list[str] | None = None) -> Trunk:
    serial = next(_serial)
    address = f"10.{serial // 65536 % 256}.{serial // 256 % 256}.{serial % 256}"
    return trunk_create(
        ctx=_ctx(owner), name="PBX", addresses=addresses or [address], calling_numbers=calling_numbers or ["3592*"]
    )


def voice_asset_for(owner: Any) -> VoiceAsset:
    return voice_asset_order(ctx=_ctx(owner), kind="greeting", origin="operator", title="Welcome", text="Hello")


def configuration_request_for(owner: Any) -> ConfigurationRequest:
    return configuration_request_open(ctx=_ctx(owner), details="Configure the hunt group")
