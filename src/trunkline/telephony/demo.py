"""Demo PBX data for the demo customer (idempotent): a carrier, the clinic's PBX trunk, two User Numbers with their
forwarding, a configuration request and a week of calls, so the panel and its statistics have something to show;
business hours on Reception, and music and voice messages at different steps of their workflow."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.telephony.domain import audio
from trunkline.telephony.models import UserNumber, VoiceAsset
from trunkline.telephony.services import (
    business_number_add,
    call_events_ingest,
    carrier_create,
    configuration_request_information_complete,
    configuration_request_open,
    routing_snapshot_publish,
    trunk_create,
    user_number_add,
    user_number_set_hours,
    user_number_set_media,
    voice_asset_acknowledge,
    voice_asset_order,
    voice_asset_pay,
    voice_asset_text_propose,
    voice_asset_upload,
)
from trunkline.tenancy.roles import scopes_of


def pbx_demo_load(*, operator: Any, customer: Any) -> None:
    staff = RequestContext(organization=operator, scopes=scopes_of("operator", "admin"))
    ctx = RequestContext(organization=customer, scopes=scopes_of("customer", "admin"))
    if not UserNumber.objects.filter(organization=customer).exists():
        _numbers_and_calls(staff=staff, ctx=ctx, customer=customer)
    if not VoiceAsset.objects.filter(organization=customer).exists():
        _voice_and_hours(staff=staff, ctx=ctx, customer=customer)
    routing_snapshot_publish()


def _voice_and_hours(*, staff: RequestContext, ctx: RequestContext, customer: Any) -> None:
    """A greeting and music that play on Reception, a message the operator will record (its text waiting for the
    customer's approval), a music order not yet paid; Reception open on weekdays, forwarded to a mobile after hours."""
    reception = UserNumber.objects.get(organization=customer, number="+35970010001")
    assets = {}
    for kind, title, hertz, seconds in (
        ("greeting", "Welcome to Sofia Dental", 440, 3.0),
        ("music", "Calm piano", 330, 8.0),
    ):
        asset = voice_asset_order(ctx=ctx, kind=kind, origin="customer", title=title)
        data = audio.pcm_wav(audio.tone(hertz, seconds, rate=16000), rate=16000)
        voice_asset_upload(ctx=ctx, asset_id=asset.public_id, data=data, rights_declaration="Recorded by our staff.")
        voice_asset_pay(ctx=staff, asset_id=asset.public_id)
        voice_asset_acknowledge(ctx=staff, asset_id=asset.public_id)
        assets[kind] = asset
    user_number_set_media(
        ctx=ctx,
        user_number_id=reception.public_id,
        greeting_id=assets["greeting"].public_id,
        music_id=assets["music"].public_id,
    )
    closed = voice_asset_order(
        ctx=ctx, kind="greeting", origin="operator", title="Closed for the holidays", text="We are closed."
    )
    voice_asset_text_propose(
        ctx=staff,
        asset_id=closed.public_id,
        text="Thank you for calling Sofia Dental. We are closed today; please call again on the next working day.",
    )
    voice_asset_order(ctx=ctx, kind="music", origin="customer", title="Summer jingle")
    user_number_set_hours(
        ctx=ctx,
        user_number_id=reception.public_id,
        is_enabled=True,
        weekly=["08:30-12:30, 13:30-18:00"] * 5 + ["09:00-13:00", ""],
        after_hours="forward",
        after_hours_numbers=[{"number": "+359888123456", "destination": "", "ring_seconds": 30}],
    )


def _numbers_and_calls(*, staff: RequestContext, ctx: RequestContext, customer: Any) -> None:
    carrier_create(ctx=staff, name="Upstream carrier", addresses=["127.0.0.10"], gateway="127.0.0.30")
    trunk_create(ctx=ctx, name="Clinic PBX", addresses=["127.0.0.20", "127.0.0.21"], calling_numbers=["35929870*"])
    reception = user_number_add(ctx=ctx, number="+35970010001", label="Reception")
    targets = [("+35929870001", "127.0.0.20", 15), ("+35929870002", "127.0.0.21", 15), ("+359888123456", "", 20)]
    for number, destination, seconds in targets:
        business_number_add(
            ctx=ctx, user_number_id=reception.public_id, number=number, destination=destination, ring_seconds=seconds
        )
    orders = user_number_add(ctx=ctx, number="+35970010002", label="Orders", source="customer")
    business_number_add(
        ctx=ctx, user_number_id=orders.public_id, number="+35929870003", destination="127.0.0.20", ring_seconds=25
    )
    request = configuration_request_open(ctx=ctx, details="Forward the Orders line to the shop after 18:00.")
    configuration_request_information_complete(ctx=staff, request_id=request.public_id)
    _calls(customer, numbers=[reception.number, orders.number], targets=[t[0] for t in targets])


def _calls(customer: Any, *, numbers: list[str], targets: list[str]) -> None:
    """A week of inbound calls, mostly in working hours: answered by the first or second number, some busy or
    unanswered."""
    rng = random.Random(42)  # noqa: S311 - demo data, not a secret
    org = str(customer.public_id)
    now = clock.now()
    events: list[dict[str, Any]] = []
    for index in range(160):
        day = rng.randint(0, 6)
        hour = rng.choice([8, 9, 9, 10, 10, 10, 11, 11, 12, 13, 14, 14, 15, 16, 17])
        start = (now - timedelta(days=day)).replace(hour=hour - 2, minute=rng.randint(0, 59), second=0, microsecond=0)
        if start > now:
            start -= timedelta(days=1)
        at = start.timestamp()
        call_id = f"demo-{index}"
        user_number = numbers[0] if rng.random() < 0.8 else numbers[1]
        events.append(
            {"call_id": call_id, "event": "start", "at": at, "org": org, "direction": "inbound",
             "a": f"3598{rng.randint(10_000_000, 99_999_999)}", "b": user_number.lstrip("+"),
             "user_number": user_number, "si": "127.0.0.10"}
        )  # fmt: skip
        roll = rng.random()
        if roll < 0.62:
            events += _answered(call_id, at, 0, targets[0], rng)
        elif roll < 0.82:
            events.append({"call_id": call_id, "event": "attempt.0", "at": at + 2, "number": targets[0], "code": 486})
            events += _answered(call_id, at + 2, 1, targets[1], rng)
        elif roll < 0.92:
            for position in range(3):
                events.append(
                    {"call_id": call_id, "event": f"attempt.{position}", "at": at + 15 * (position + 1),
                     "number": targets[position], "code": 408}
                )  # fmt: skip
            events.append({"call_id": call_id, "event": "fail", "at": at + 50, "code": 408})
        else:
            for position in range(3):
                events.append(
                    {"call_id": call_id, "event": f"attempt.{position}", "at": at + 1, "number": targets[position],
                     "code": 486}
                )  # fmt: skip
            events.append({"call_id": call_id, "event": "fail", "at": at + 1, "code": 486})
    call_events_ingest(events=events)


def _answered(call_id: str, at: float, position: int, number: str, rng: random.Random) -> list[dict[str, Any]]:
    answered = at + rng.uniform(3, 12)
    return [
        {"call_id": call_id, "event": "answer", "at": answered, "position": position, "number": number},
        {"call_id": call_id, "event": "end", "at": answered + rng.uniform(20, 400), "reason": "caller_bye"},
    ]
