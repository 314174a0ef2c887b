"""Contacts (end users) and their identities; consent and opt-out per contact and channel (PT-8.13)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import phonenumbers
from django.db import IntegrityError, transaction

from trunkline.audit.services import audit_record
from trunkline.channels.models import Channel
from trunkline.core import clock
from trunkline.core.context import RequestContext, require_scope
from trunkline.inbox.errors import InvalidPhoneError
from trunkline.inbox.models import Consent, ConsentEvent, Contact, ContactIdentity, ContactList, IdentityKind
from trunkline.tenancy.models import Organization

DEFAULT_REGION = "BG"


def phone_normalise(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """E.164 (``+359888123456``) or ``InvalidPhoneError``."""
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneError(phone=raw, fields={"phone": [f"{raw} is not a valid phone number."]}) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneError(phone=raw, fields={"phone": [f"{raw} is not a valid phone number."]})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def contact_for_phone(*, organization: Organization, phone: str, name: str = "") -> Contact:
    """The contact with this E.164 number, made on first contact (safe when two webhooks race)."""
    contact = Contact.objects.filter(organization=organization, phone=phone).first()
    if contact is not None:
        return contact
    try:
        with transaction.atomic():
            contact = Contact.objects.create(organization=organization, phone=phone, name=name)
            ContactIdentity.objects.create(
                organization=organization, contact=contact, kind=IdentityKind.PHONE, value=phone
            )
            return contact
    except IntegrityError:
        return Contact.objects.get(organization=organization, phone=phone)


def contact_for_email(*, organization: Organization, email: str, name: str = "") -> Contact:
    """The contact with this email identity (lower-cased), made on first mail (safe when two receivers race)."""
    email = email.strip().lower()
    identity = (
        ContactIdentity.objects.select_related("contact")
        .filter(organization=organization, kind=IdentityKind.EMAIL, value=email)
        .first()
    )
    if identity is not None:
        return identity.contact
    existing = Contact.objects.filter(organization=organization, email__iexact=email).order_by("id").first()
    try:
        with transaction.atomic():
            contact = existing or Contact.objects.create(organization=organization, email=email, name=name[:200])
            ContactIdentity.objects.create(
                organization=organization, contact=contact, kind=IdentityKind.EMAIL, value=email
            )
            return contact
    except IntegrityError:
        return ContactIdentity.objects.get(organization=organization, kind=IdentityKind.EMAIL, value=email).contact


def contact_email(contact: Contact) -> str:
    """Where email to the contact goes: its email identity, else its email field."""
    value = (
        ContactIdentity.objects.filter(contact=contact, kind=IdentityKind.EMAIL)
        .order_by("id")
        .values_list("value", flat=True)
        .first()
    )
    return value or contact.email


def contact_create(*, ctx: RequestContext, name: str, phone: str = "", email: str = "") -> Contact:
    require_scope(ctx, "inbox:reply")
    phone = phone_normalise(phone) if phone else ""
    with transaction.atomic():
        try:
            with transaction.atomic():
                contact = Contact.objects.create(organization=ctx.organization, name=name, phone=phone, email=email)
        except IntegrityError:
            raise InvalidPhoneError(
                phone=phone, fields={"phone": [f"A contact with {phone} exists already."]}
            ) from None
        if phone:
            ContactIdentity.objects.create(
                organization=ctx.organization, contact=contact, kind=IdentityKind.PHONE, value=phone
            )
        if email:
            ContactIdentity.objects.get_or_create(
                organization=ctx.organization,
                kind=IdentityKind.EMAIL,
                value=email.strip().lower(),
                defaults={"contact": contact},
            )
        audit_record(ctx=ctx, action="contact.created", target=contact)
    return contact


def _consent_for_update(*, contact: Contact, channel: Channel) -> Consent:
    consent, _ = Consent.objects.get_or_create(
        contact=contact, channel=channel, defaults={"organization_id": contact.organization_id}
    )
    return Consent.objects.select_for_update().get(pk=consent.pk)


def consent_opt_out(*, contact: Contact, channel: Channel, source: str, at: datetime | None = None) -> Consent:
    """The contact opts out of promotional messages from this channel's sender, effective at ``at`` (PT-8.13)."""
    at = at or clock.now()
    with transaction.atomic():
        consent = _consent_for_update(contact=contact, channel=channel)
        if consent.opted_out_at is None:
            consent.opted_out_at = at
            consent.opted_out_source = source[:120]
            consent.save(update_fields=["opted_out_at", "opted_out_source", "updated_at"])
        ConsentEvent.objects.create(consent=consent, action="opted_out", source=source[:200], at=at)
        audit_record(
            ctx=None,
            action="consent.opted_out",
            target=contact,
            organization=contact.organization,
            changes={"channel": str(channel.public_id), "source": source},
            at=at,
        )
    return consent


def consent_opt_in(*, contact: Contact, channel: Channel, source: str, at: datetime | None = None) -> Consent:
    """The contact opts back in (START, UNSTOP): promotional messages may reach them again."""
    at = at or clock.now()
    with transaction.atomic():
        consent = _consent_for_update(contact=contact, channel=channel)
        consent.opted_out_at = None
        consent.opted_out_source = ""
        consent.save(update_fields=["opted_out_at", "opted_out_source", "updated_at"])
        ConsentEvent.objects.create(consent=consent, action="opted_in", source=source[:200], at=at)
        audit_record(
            ctx=None,
            action="consent.opted_in",
            target=contact,
            organization=contact.organization,
            changes={"channel": str(channel.public_id), "source": source},
            at=at,
        )
    return consent


def consent_grant(
    *, ctx: RequestContext, contact_id: UUID, channel_id: UUID, source: str, at: datetime | None = None
) -> Consent:
    """Record marketing consent given by the contact (a form, a paper slip), with its source and time."""
    require_scope(ctx, "inbox:reply")
    at = at or clock.now()
    with transaction.atomic():
        contact = Contact.objects.get_for_org(ctx.organization, public_id=contact_id)
        channel = Channel.objects.get_for_org(ctx.organization, public_id=channel_id)
        consent = _consent_for_update(contact=contact, channel=channel)
        consent.marketing_consent_at = at
        consent.marketing_consent_source = source[:120]
        consent.save(update_fields=["marketing_consent_at", "marketing_consent_source", "updated_at"])
        ConsentEvent.objects.create(consent=consent, action="consent_given", source=source[:200], at=at)
        audit_record(ctx=ctx, action="consent.given", target=contact, changes={"source": source})
    return consent


def opted_out_at(*, contact: Contact, channel: Channel) -> datetime | None:
    return Consent.objects.filter(contact=contact, channel=channel).values_list("opted_out_at", flat=True).first()


def contact_update(
    *, ctx: RequestContext, contact_id: UUID, name: str | None = None, labels: list[str] | None = None
) -> Contact:
    """Rename a contact or set its labels (trimmed, without duplicates, sorted)."""
    require_scope(ctx, "inbox:reply")
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get_for_org(ctx.organization, public_id=contact_id)
        changes: dict[str, Any] = {}
        if name is not None and name.strip() != contact.name:
            changes["name"] = [contact.name, name.strip()]
            contact.name = name.strip()[:200]
        if labels is not None:
            cleaned = sorted({label.strip()[:40] for label in labels if label.strip()})
            if cleaned != contact.labels:
                changes["labels"] = [contact.labels, cleaned]
                contact.labels = cleaned
        if changes:
            contact.save(update_fields=["name", "labels", "updated_at"])
            audit_record(ctx=ctx, action="contact.updated", target=contact, changes=changes)
    return contact


def contact_list_add(*, ctx: RequestContext, contact_id: UUID, contact_list_id: UUID) -> ContactList:
    """Put a contact on a list (a campaign audience). Already on it: nothing changes."""
    require_scope(ctx, "campaigns:send")
    with transaction.atomic():
        contact = Contact.objects.get_for_org(ctx.organization, public_id=contact_id)
        contact_list = ContactList.objects.select_for_update().get_for_org(ctx.organization, public_id=contact_list_id)
        if not contact_list.contacts.filter(pk=contact.pk).exists():
            contact_list.contacts.add(contact)
            audit_record(
                ctx=ctx, action="contact_list.contact_added", target=contact_list, changes={"contact": str(contact_id)}
            )
    return contact_list


def contact_list_remove(*, ctx: RequestContext, contact_id: UUID, contact_list_id: UUID) -> ContactList:
    require_scope(ctx, "campaigns:send")
    with transaction.atomic():
        contact = Contact.objects.get_for_org(ctx.organization, public_id=contact_id)
        contact_list = ContactList.objects.select_for_update().get_for_org(ctx.organization, public_id=contact_list_id)
        if contact_list.contacts.filter(pk=contact.pk).exists():
            contact_list.contacts.remove(contact)
            audit_record(
                ctx=ctx,
                action="contact_list.contact_removed",
                target=contact_list,
                changes={"contact": str(contact_id)},
            )
    return contact_list
