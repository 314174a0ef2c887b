"""Demo data of the inbox: an SMS channel on the local Twilio stand-in, conversations in Bulgarian and English,
an opt-out, canned replies and a finished campaign with its report. Idempotent: a second run changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from trunkline.channels.adapters.base import InboundMessage
from trunkline.channels.models import Channel
from trunkline.channels.services import channel_create
from trunkline.channels.standins.twilio import TwilioStandIn
from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.inbox.models import CannedReply, Contact, Delivery
from trunkline.inbox.services.campaigns import (
    campaign_create,
    campaign_start,
    campaign_tick,
    contact_import_csv,
    contact_list_create,
)
from trunkline.inbox.services.messages import conversation_reply, conversation_update, inbound_message_record
from trunkline.inbox.services.outbox import delivery_send, delivery_status_apply
from trunkline.tenancy.models import Membership, Organization
from trunkline.tenancy.roles import scopes_of

STANDIN_URL = "http://127.0.0.1:8701"  # the Procfile's stand-in
CONVERSATIONS = [
    ("+359888100201", "Здравейте, може ли да преместя часа си от четвъртък за петък?", "Разбира се — петък 11:30?"),
    ("+359888100202", "Hello, do you take new patients this month?", "Yes! Mondays and Wednesdays, 9:00-13:00."),
    ("+359888100203", "Колко струва почистването на зъбен камък?", "60 € с полиране. Да ви запишем ли?"),
    ("+359888100204", "СТОП", ""),
    ("+359888100205", "Благодаря за напомнянето!", ""),
]


def inbox_demo(*, organization: Organization) -> None:
    if Channel.objects.filter(organization=organization).exists():
        return
    membership = Membership.objects.select_related("user").filter(organization=organization, role="admin").first()
    if membership is None:
        return
    ctx = RequestContext(organization=organization, scopes=scopes_of("customer", "admin"), user=membership.user)
    standin = TwilioStandIn().start()
    try:
        _fill(ctx, standin)
    finally:
        standin.stop()


def _fill(ctx: RequestContext, standin: TwilioStandIn) -> None:
    channel = channel_create(
        ctx=ctx,
        name="Clinic SMS",
        provider="twilio",
        sender="+359700100200",
        account_id=standin.account_sid,
        credentials={"auth_token": standin.auth_token},
        api_base_url=standin.base_url,
        identification_name="Sofia Dental Clinic",
        identification_contact="+359 2 987 6543",
        segment_price=Decimal("0.045"),
        rate_per_second=50,
    )
    CannedReply.objects.bulk_create(
        [
            CannedReply(organization=ctx.organization, shortcut="hours", body="We are open Mon-Fri 8:00-19:00."),
            CannedReply(organization=ctx.organization, shortcut="address", body="ул. Витоша 12, София"),
        ]
    )
    now = clock.now()
    for number, (phone, text, answer) in enumerate(CONVERSATIONS):
        at = now - timedelta(minutes=50 - number * 9)
        with transaction.atomic():
            message = inbound_message_record(
                channel=channel,
                message=InboundMessage(
                    provider_message_id=f"SMdemo{number:028d}", sender=phone, recipient="", body=text
                ),
                at=at,
            )
        if answer and message is not None:
            reply = conversation_reply(ctx=ctx, conversation_id=message.conversation.public_id, body=answer)
            delivery = delivery_send(delivery_id=Delivery.objects.get(message=reply).pk)
            delivery_status_apply(
                channel=channel,
                provider_message_id=delivery.provider_message_id,
                status="delivered",
                raw_status="delivered",
            )
        if number == 0 and message is not None:
            conversation_update(
                ctx=ctx, conversation_id=message.conversation.public_id, labels=["appointments"], priority="high"
            )
    names = ["Мария Георгиева", "John Miller", "Иван Петров", "Елена Димитрова", "Стефан Колев"]
    for (phone, *_texts), name in zip(CONVERSATIONS, names, strict=True):
        Contact.objects.filter(organization=ctx.organization, phone=phone).update(name=name)
    rows = "\n".join(f"+3598881{n:05d},Patient {n}" for n in range(200, 240))
    patients = contact_list_create(ctx=ctx, name="Patients 2026")
    contact_import_csv(ctx=ctx, contact_list_id=patients.public_id, text=f"phone,name\n{rows}")
    campaign = campaign_create(
        ctx=ctx,
        name="Spring check-up",
        channel_id=channel.public_id,
        contact_list_id=patients.public_id,
        body="Пролетен профилактичен преглед с 20% отстъпка до 30 април. Запишете се на 02 987 6543.",
    )
    campaign_start(ctx=ctx, campaign_id=campaign.public_id, at=now)
    at = now
    while campaign_tick(campaign_id=campaign.pk, at=at).status == "running":
        at += timedelta(seconds=1)
    for index, delivery in enumerate(Delivery.objects.filter(recipient__campaign=campaign).order_by("pk")):
        status, error = ("undelivered", "30003") if index % 13 == 5 else ("delivered", "")
        delivery_status_apply(
            channel=channel,
            provider_message_id=delivery.provider_message_id,
            status=status,
            raw_status=status,
            error_code=error,
            error_message="Unreachable destination handset" if error else "",
        )
    Channel.objects.filter(pk=channel.pk).update(api_base_url=STANDIN_URL)
