"""Demo data of the inbox: an SMS channel on the local Twilio stand-in and one over SMPP on the stand-in SMSC,
conversations in Bulgarian and English, an opt-out, canned replies and a finished campaign with its report.
Idempotent: a second run changes nothing."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from django.db import transaction

from trunkline.channels.adapters.base import InboundMessage
from trunkline.channels.models import Channel, ChannelKind, InboundEvent, Provider
from trunkline.channels.services import channel_create, inbound_event_store
from trunkline.channels.standins.smpp import SmppStandIn
from trunkline.channels.standins.twilio import TwilioStandIn
from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.inbox.models import CannedReply, Contact, Delivery, Message
from trunkline.inbox.services.campaigns import (
    campaign_create,
    campaign_start,
    campaign_tick,
    contact_import_csv,
    contact_list_create,
)
from trunkline.inbox.services.messages import (
    conversation_reply,
    conversation_update,
    inbound_event_process,
    inbound_message_record,
)
from trunkline.inbox.services.outbox import delivery_send, delivery_status_apply
from trunkline.tenancy.models import Membership, Organization
from trunkline.tenancy.roles import scopes_of

STANDIN_URL = "http://127.0.0.1:8701"  # the Procfile's stand-in
SMSC_PORT = 2775  # the Procfile's SMPP stand-in (smsc) and its account
SMSC_SYSTEM_ID, SMSC_PASSWORD = "trunkline", "standin8"
CONVERSATIONS = [
    ("+359888100201", "Здравейте, може ли да преместя часа си от четвъртък за петък?", "Разбира се — петък 11:30?"),
    ("+359888100202", "Hello, do you take new patients this month?", "Yes! Mondays and Wednesdays, 9:00-13:00."),
    ("+359888100203", "Колко струва почистването на зъбен камък?", "60 € с полиране. Да ви запишем ли?"),
    ("+359888100204", "СТОП", ""),
    ("+359888100205", "Благодаря за напомнянето!", ""),
]


def inbox_demo(*, organization: Organization) -> None:
    membership = Membership.objects.select_related("user").filter(organization=organization, role="admin").first()
    if membership is None:
        return
    ctx = RequestContext(organization=organization, scopes=scopes_of("customer", "admin"), user=membership.user)
    if not Channel.objects.filter(organization=organization, kind=ChannelKind.SMS).exists():
        standin = TwilioStandIn().start()
        try:
            _fill(ctx, standin)
        finally:
            standin.stop()
    if not Channel.objects.filter(organization=organization, provider=Provider.SMPP).exists():
        smsc = SmppStandIn(accounts={SMSC_SYSTEM_ID: SMSC_PASSWORD}).start()
        try:
            _fill_smpp(ctx, smsc)
        finally:
            smsc.stop()
    if not Channel.objects.filter(organization=organization, kind=ChannelKind.EMAIL).exists():
        _fill_email(ctx)


def _mail(
    *,
    sender: str,
    subject: str,
    text: str,
    message_id: str,
    at: datetime,
    html: str = "",
    in_reply_to: str = "",
    attachment: tuple[str, str, bytes] | None = None,
    charset: str = "utf-8",
) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = "Sofia Dental Clinic <info@sofiadental.example>"
    message["Subject"] = subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
        message["References"] = f"<{in_reply_to}>"
    message.set_content(text, charset=charset)
    if html:
        message.add_alternative(html, subtype="html")
    if attachment:
        filename, content_type, data = attachment
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def _receive(channel: Channel, raw: bytes, *, at: datetime) -> Message | None:
    from trunkline.channels.domain.mail.parse import message_ids

    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
    found = next((line for line in head.split("\r\n") if line.lower().startswith("message-id:")), "")
    key = message_ids(found.partition(":")[2])[0]
    event = inbound_event_store(
        channel=channel,
        kind="message",
        event_key=f"email:{key}",
        payload={
            "source": "imap",
            "raw": base64.b64encode(raw).decode(),
            "mail_from": "",
            "rcpt_to": [channel.sender],
            "ref": "INBOX:1:1",
        },
        at=at,
    )
    if event is None:
        return None
    inbound_event_process(event_id=event.pk, at=at)
    return Message.objects.filter(channel=channel, email_message_id=key).first()


def _sent(message: Message, *, at: datetime) -> None:
    """The demo's email channel has no mail server behind it: its replies are recorded as handed over and delivered,
    with our Message-ID as the provider's id (what the SMTP adapter answers)."""
    Delivery.objects.filter(message=message).update(
        state="done", status="delivered", provider_message_id=message.email_message_id, attempts=1
    )
    Message.objects.filter(pk=message.pk).update(
        status="delivered", provider_message_id=message.email_message_id, sent_at=at
    )


def _fill_email(ctx: RequestContext) -> None:
    channel = Channel(
        organization=ctx.organization,
        name="Clinic email",
        kind=ChannelKind.EMAIL,
        provider="smtp",
        sender="info@sofiadental.example",
        identification_name="Sofia Dental Clinic",
        identification_contact="+359 2 987 6543",
        settings={
            "display_name": "Sofia Dental Clinic",
            # Sends through the Procfile's SMTP relay stand-in (kept in var/mail-standin/); receives through our own
            # SMTP receiver (the Procfile's email-smtp): the embedded demo has no IMAP server to poll.
            "smtp_host": "127.0.0.1",
            "smtp_port": 2525,
            "smtp_security": "none",
        },
    )
    channel.set_credentials({})
    channel.save()
    now = clock.now()
    # 1. Cyrillic, HTML from Gmail with a tracking pixel and a quoted earlier message; a reply; her answer threads.
    first_at = now - timedelta(hours=3)
    first = _receive(
        channel,
        _mail(
            sender="Мария Иванова <maria.ivanova@gmail.example>",
            subject="Час за почистване на зъбен камък",
            text="Здравейте,\n\nбих искала да запиша час за почистване следващата седмица, за предпочитане"
            " сутрин. Имате ли свободно място в сряда?\n\nПоздрави,\nМария",
            html='<div dir="ltr"><p>Здравейте,</p><p>бих искала да запиша час за <b>почистване</b> следващата'
            " седмица, за предпочитане сутрин. Имате ли свободно място в сряда?</p><p>Поздрави,<br>Мария</p>"
            '<img src="https://mail-tracker.example/open.gif" width="1" height="1"></div>',
            message_id="CAJ7k2mQ1x@mail.gmail.example",
            at=first_at,
        ),
        at=first_at,
    )
    if first is not None:
        reply = conversation_reply(
            ctx=ctx,
            conversation_id=first.conversation.public_id,
            body="Здравейте, Мария,\n\nимаме свободен час в сряда, 9 декември, от 9:30. Да го запазим ли за вас?"
            "\n\nПоздрави,\nд-р Елена Петрова",
            at=first_at + timedelta(minutes=25),
        )
        _sent(reply, at=first_at + timedelta(minutes=25))
        answer_at = first_at + timedelta(minutes=52)
        _receive(
            channel,
            _mail(
                sender="Мария Иванова <maria.ivanova@gmail.example>",
                subject="Re: Час за почистване на зъбен камък",
                text="Да, 9:30 в сряда ми е удобно. Благодаря!\n\nМария",
                html='<div dir="ltr">Да, 9:30 в сряда ми е удобно. Благодаря!<br><br>Мария</div><br>'
                '<div class="gmail_quote"><div class="gmail_attr">На пн, 7.12.2026 г. в 10:25 Sofia Dental Clinic'
                ' &lt;info@sofiadental.example&gt; написа:</div><blockquote class="gmail_quote">Здравейте, Мария,'
                "<br><br>имаме свободен час в сряда, 9 декември, от 9:30. Да го запазим ли за вас?</blockquote></div>",
                message_id="CAJ7k2mQ2y@mail.gmail.example",
                in_reply_to=reply.email_message_id,
                at=answer_at,
            ),
            at=answer_at,
        )
    # 2. An X-ray as a PDF attachment, in windows-1251 as an older Outlook sends it.
    xray_at = now - timedelta(minutes=70)
    _receive(
        channel,
        _mail(
            sender="Иван Петров <ivan.petrov@abv.example>",
            subject="Рентгенова снимка преди прегледа",
            text="Добър ден,\n\nизпращам ви рентгеновата снимка от миналия месец, за да я видите преди"
            " прегледа в четвъртък.\n\nИван Петров\n0888 123 456",
            message_id="000a01dc4f2e$5b1c2d30$@abv.example",
            attachment=("рентген-2026-11.pdf", "application/pdf", DEMO_PDF),
            charset="windows-1251",
            at=xray_at,
        ),
        at=xray_at,
    )
    # 3. English, with an out-of-office auto-reply to our answer (kept, but it reopens nothing).
    invoice_at = now - timedelta(minutes=35)
    invoice = _receive(
        channel,
        _mail(
            sender="John Miller <john.miller@example.com>",
            subject="Invoice for my crown (November)",
            text="Hello,\n\ncould you send me the invoice for the crown fitted on 27 November? My insurer needs"
            " it with your VAT number.\n\nThanks,\nJohn",
            message_id="5f3a9c1e-22b4@example.com",
            at=invoice_at,
        ),
        at=invoice_at,
    )
    if invoice is not None:
        answer = conversation_reply(
            ctx=ctx,
            conversation_id=invoice.conversation.public_id,
            body="Dear John,\n\nthe invoice is on its way by post and in your patient portal today.\n\n"
            "Kind regards,\nSofia Dental Clinic",
            at=invoice_at + timedelta(minutes=10),
        )
        _sent(answer, at=invoice_at + timedelta(minutes=10))
        conversation_update(ctx=ctx, conversation_id=invoice.conversation.public_id, status="resolved")
        away_at = invoice_at + timedelta(minutes=11)
        raw = _mail(
            sender="John Miller <john.miller@example.com>",
            subject="Automatic reply: Re: Invoice for my crown (November)",
            text="I am out of the office until 14 December with limited access to email.",
            message_id="auto-7781@example.com",
            in_reply_to=answer.email_message_id,
            at=away_at,
        ).replace(b"\r\nSubject:", b"\r\nAuto-Submitted: auto-replied\r\nSubject:", 1)
        _receive(channel, raw, at=away_at)


# A one-page PDF saying "X-ray" (enough for the attachment link to download something real).
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj "
    b"4 0 obj<</Length 44>>stream\nBT /F1 24 Tf 72 72 Td (X-ray 2026-11) Tj ET\nendstream endobj "
    b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _fill_smpp(ctx: RequestContext, smsc: SmppStandIn) -> None:
    """A second SMS channel over SMPP 3.4 (the Procfile's stand-in SMSC): a long Bulgarian message in, a reply out."""
    from trunkline.inbox.smpp import smpp_session_for

    channel = channel_create(
        ctx=ctx,
        name="Clinic SMPP",
        provider="smpp",
        sender="SofiaDent",
        account_id=SMSC_SYSTEM_ID,
        credentials={"password": SMSC_PASSWORD},
        settings={"host": "127.0.0.1", "port": smsc.port},
        identification_name="Sofia Dental Clinic",
        identification_contact="+359 2 987 6543",
        segment_price=Decimal("0.03"),
    )
    session = smpp_session_for(channel)
    session.connect()
    try:
        text = "Здравейте, бих искала да запиша час за детето си за следващата седмица, след 15:00, ако има място."
        parts = smsc.send_mo(sender="+359888100206", to="SofiaDent", text=text)
        for _ in range(50):
            if InboundEvent.objects.filter(channel=channel).count() >= parts:
                break
            session.poll(0.1)
        for event in InboundEvent.objects.filter(channel=channel, processed_at=None):
            inbound_event_process(event_id=event.pk)
        message = Message.objects.filter(channel=channel).first()
        if message is not None:
            Contact.objects.filter(pk=message.conversation.contact_id).update(name="Десислава Иванова")
            reply = conversation_reply(
                ctx=ctx, conversation_id=message.conversation.public_id, body="Разбира се! Вторник в 16:00 удобно ли е?"
            )
            delivery_send(delivery_id=Delivery.objects.get(message=reply).pk)
            for _ in range(20):
                if session.poll(0.1) is None:
                    break
            for event in InboundEvent.objects.filter(channel=channel, processed_at=None):
                inbound_event_process(event_id=event.pk)
    finally:
        session.close()
    Channel.objects.filter(pk=channel.pk).update(settings={**channel.settings, "port": SMSC_PORT})


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
