"""Termination money (RT-8.3): every unpaid amount becomes due at once; no refund is made."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from trunkline.audit.services import audit_record
from trunkline.billing.calendar import business_date
from trunkline.billing.models import Invoice, InvoiceStatus
from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.notifications.services import notice_send
from trunkline.tenancy.models import Organization


def invoices_due_at_once(
    *, ctx: RequestContext | None, organization: Organization, at: datetime | None = None
) -> list[Invoice]:
    """Bring the due date of every open document of ``organization`` forward to today, and tell it what it owes."""
    at = at or clock.now()
    today = business_date(at)
    with transaction.atomic():
        open_documents = list(
            Invoice.objects.select_for_update()
            .select_related("series")
            .filter(organization=organization, status=InvoiceStatus.ISSUED, due_date__gt=today)
        )
        for invoice in open_documents:
            previous = invoice.due_date
            invoice.due_date, invoice.due_now_reason = today, str(_("termination of the agreement"))
            invoice.save(update_fields=["due_date", "due_now_reason", "updated_at"])
            audit_record(
                ctx=ctx,
                action="billing.document.due_at_once",
                target=invoice,
                organization=organization,
                changes={"due_date": [previous.isoformat(), today.isoformat()], "ground": "RT-8.3"},
                at=at,
            )
        owed = list(
            Invoice.objects.select_related("series").filter(organization=organization, status=InvoiceStatus.ISSUED)
        )
        if owed and organization.email:
            notice_send(
                organization=organization,
                kind="billing.due_at_once",
                context={
                    "documents": [
                        {"number": invoice.display_number, "outstanding": str(invoice.outstanding)} for invoice in owed
                    ],
                    "due_date": today.isoformat(),
                },
                requires_acknowledgement=False,
                dedupe_key=f"billing.due_at_once:{organization.public_id}",
            )
    return open_documents
