"""Staff edit the billing policy and the seller; the next document uses them, issued ones keep their copies."""

from __future__ import annotations

import pytest
from django.test import Client

from trunkline.audit.models import AuditEvent
from trunkline.billing.models import BillingPolicy, Seller
from trunkline.billing.tests.factories import billing_world
from trunkline.testing.factories import member

pytestmark = pytest.mark.django_db

URL = "/ops/billing/settings/"


def form_data(**changes: str) -> dict[str, str]:
    policy, seller = BillingPolicy.current(), Seller.current()
    data = {f"policy-{name}": str(getattr(policy, name)) for name in ("invoice_due_days", "penalty_due_days")}
    data |= {"policy-penalty_vat_rate": "0"}
    for name in ("name", "name_bg", "vat_number", "company_id", "address", "address_bg", "iban", "bic", "bank_name"):
        data[f"seller-{name}"] = getattr(seller, name)
    data["seller-email"] = seller.email
    return data | changes


def test_staff_change_the_due_days_and_the_next_invoice_uses_them():
    world = billing_world()
    before = world.invoiced()
    client = Client()
    client.force_login(world.staff.user)

    response = client.post(URL, form_data(**{"policy-invoice_due_days": "30", "seller-name": "Vendor AD"}))

    assert response.status_code == 302
    after = world.invoiced()
    assert (after.due_date - after.issue_date).days == 30
    assert after.seller["name"] == "Vendor AD"
    before.refresh_from_db()
    assert (before.due_date - before.issue_date).days == 7
    assert before.seller["name"] != "Vendor AD"
    event = AuditEvent.objects.get(action="billing.settings.changed")
    assert event.changes["policy.invoice_due_days"] == ["7", "30"]


def test_an_invalid_iban_or_vat_number_is_refused_and_nothing_changes():
    staff = member(kind="operator", role="staff")
    client = Client()
    client.force_login(staff.user)
    response = client.post(URL, form_data(**{"seller-iban": "BG00XXXX", "seller-vat_number": "BG123"}))
    assert response.status_code == 422
    assert "not a valid IBAN" in response.content.decode()
    assert Seller.current().iban == "BG80BNBG96611020345678"
    assert BillingPolicy.current().penalty_due_days == 14


def test_only_operator_staff_reach_the_page():
    support = member(kind="operator", role="support")
    reseller = member(kind="reseller", role="admin", accepted_terms=True)
    client = Client()
    client.force_login(support.user)
    assert client.get(URL).status_code == 200
    assert client.post(URL, form_data(**{"policy-invoice_due_days": "1"})).status_code == 422
    assert BillingPolicy.current().invoice_due_days == 7
    client.force_login(reseller.user)
    assert client.get(URL).status_code == 404
