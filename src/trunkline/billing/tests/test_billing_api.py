"""The billing API: invoices with lines and allocations, payments (partial, idempotent), balance, credit notes,
penalties and disputes (RT-6.4), refunds and bank statements; the access matrix of every endpoint, staff-only
operations hidden from resellers, and a reseller never reaching another reseller's invoices."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from trunkline.billing.models import (
    DocumentKind,
    Invoice,
    InvoiceStatus,
    Payment,
    PenaltyDispute,
    Refund,
    StatementImport,
    StatementLine,
)
from trunkline.billing.services import (
    credit_note_issue,
    penalty_dispute_open,
    penalty_raise,
    statement_import,
)
from trunkline.billing.tests.factories import World, billing_world
from trunkline.commerce.models import Order, OrderStatus
from trunkline.commerce.services import purchase_order_create
from trunkline.tenancy.models import Membership
from trunkline.tenancy.roles import ROLES
from trunkline.testing.access import Endpoint, call, check_access_matrix
from trunkline.testing.factories import api_key_for, member

pytestmark = pytest.mark.django_db

RECEIVED = date(2026, 11, 2)


@pytest.fixture
def world() -> World:
    return billing_world()


@pytest.fixture
def admin() -> Membership:
    """An operator administrator: operator staff who may also make API keys."""
    return member(kind="operator", role="admin")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def get(path: str, token: str) -> Any:
    return Client().get(path, headers=auth(token))


def post(path: str, token: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return Client().post(path, json.dumps(body or {}), content_type="application/json", headers=auth(token) | headers)


def penalty(world: World, licenses: int = 3) -> Invoice:
    return penalty_raise(
        ctx=world.staff_ctx,
        organization_id=world.reseller.organization.public_id,
        product_id=world.product.public_id,
        licenses=licenses,
        reason="Licenses provided to the reseller's own staff (RT-4.5).",
    )


def csv(*rows: str) -> bytes:
    return ("date;amount;currency;reference;counterparty;bank reference\n" + "\n".join(rows) + "\n").encode()


def unmatched_line(world: World, reference: str) -> StatementLine:
    statement_import(
        ctx=world.staff_ctx, data=csv(f"2026-11-03;60,00;EUR;for licenses;Reseller Ltd;{reference}"), filename="s.csv"
    )
    return StatementLine.objects.get(bank_reference=reference)


def paid_refund(world: World) -> Refund:
    invoice = world.invoiced(kind="invoice")
    world.pay(invoice, str(invoice.gross_amount))
    note = credit_note_issue(ctx=world.staff_ctx, invoice_id=invoice.public_id, reason="Wrong product")
    return Refund.objects.get(credit_note=note)


def assert_hidden_from_other_resellers(endpoint: Endpoint) -> None:
    """A reseller holding every scope of its administrator gets 404 for a staff operation on another reseller's
    object — the same answer as for an id that does not exist."""
    stranger = member(kind="reseller", role="admin")
    response = call(Client(), endpoint, api_key_for(stranger, sorted(ROLES["reseller"]["admin"]["scopes"])))
    assert (response.status_code, response.json()["code"]) == (404, "not_found"), endpoint.path


def check_staff_matrix(admin: Membership, make_endpoint, *, ok: int = 200, object_in_path: bool = True) -> None:
    """Staff operations: anonymous 401, operator without the scope 403, with it ``ok`` (another operator member acts
    on the same books, so ``ok`` too); resellers never see the object in the path (404)."""
    check_access_matrix(admin, make_endpoint, foreign_status=ok)
    if object_in_path:
        assert_hidden_from_other_resellers(make_endpoint())


# --- the access matrix: what a reseller reads and does ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/invoices", "/api/v1/payments", "/api/v1/refunds", "/api/v1/balance"])
def test_billing_reads_need_billing_read(world, path):
    """Anonymous 401, without billing:read 403, with it 200; another reseller reads only its own (nothing)."""
    invoice = world.invoiced()
    world.pay(invoice, "100.00")
    check_access_matrix(world.reseller, lambda: Endpoint("GET", path, "billing:read"), foreign_status=200)
    stranger = member(kind="reseller", role="admin")
    body = get(path, api_key_for(stranger, ["billing:read"])).json()
    assert body.get("count", 0) == 0
    if path == "/api/v1/balance":
        assert (body["organization_id"], body["outstanding"]) == (str(stranger.organization.public_id), "0.00")


def test_getting_an_invoice_answers_404_to_another_reseller(world):
    """Anonymous 401, without billing:read 403, with it 200, another reseller 404."""
    invoice = world.invoiced()
    check_access_matrix(
        world.reseller, lambda: Endpoint("GET", f"/api/v1/invoices/{invoice.public_id}", "billing:read")
    )


def test_the_invoice_pdf_answers_404_to_another_reseller(world):
    """The PDF of one's own invoice is a PDF; another reseller gets 404."""
    pytest.importorskip("trunkline.billing.pdf")
    invoice = world.invoiced()
    url = f"/api/v1/invoices/{invoice.public_id}/pdf"
    check_access_matrix(world.reseller, lambda: Endpoint("GET", url, "billing:read"))
    response = get(f"{url}?language=en", api_key_for(world.reseller, ["billing:read"]))
    assert (response["Content-Type"], response.content[:5]) == ("application/pdf", b"%PDF-")
    assert response["Content-Disposition"] == f'inline; filename="proforma-{invoice.display_number}.pdf"'
    bad = get(f"{url}?language=de", api_key_for(world.reseller, ["billing:read"]))
    assert (bad.status_code, list(bad.json()["detail"]["fields"])) == (422, ["language"])


def test_applying_credit_needs_billing_manage_and_answers_404_to_another_reseller(world):
    """Anonymous 401, without billing:manage 403, with it 200 (the invoice is paid from credit), stranger 404."""
    world.pay(world.invoiced(quantity=1), "1000.00")  # 58.80 owed: the rest is credit

    def endpoint() -> Endpoint:
        invoice = world.invoiced(quantity=1)
        return Endpoint("POST", f"/api/v1/invoices/{invoice.public_id}/apply-credit", "billing:manage")

    check_access_matrix(world.reseller, endpoint)
    assert Invoice.objects.filter(kind=DocumentKind.PROFORMA, status=InvoiceStatus.ISSUED).count() == 2


@pytest.mark.rule("RT-6.4")
def test_contesting_a_penalty_needs_billing_manage_and_answers_404_to_another_reseller(world):
    """Anonymous 401, without billing:manage 403, with it 201, stranger 404 (and nothing is recorded for it)."""

    def endpoint() -> Endpoint:
        url = f"/api/v1/invoices/{penalty(world).public_id}/dispute"
        return Endpoint("POST", url, "billing:manage", {"reason": "They are end users."}, ok=201)

    check_access_matrix(world.reseller, endpoint)
    assert PenaltyDispute.objects.count() == 1


# --- the access matrix: staff operations ----------------------------------------------------------------------------


@pytest.mark.rule("RT-3.4")
def test_invoicing_an_order_is_for_staff(world, admin):
    """Staff invoice a binding order (201); a reseller gets 403 for its own order and 404 for another's."""

    def endpoint() -> Endpoint:
        return Endpoint("POST", f"/api/v1/orders/{world.order().public_id}/invoice", "ops:manage", {}, ok=201)

    check_staff_matrix(admin, endpoint, ok=201)
    own = post(f"/api/v1/orders/{world.order().public_id}/invoice", api_key_for(world.reseller, ["billing:manage"]))
    assert (own.status_code, own.json()["code"]) == (403, "permission_denied")


def test_issuing_a_credit_note_is_for_staff(world, admin):
    """Staff credit a tax invoice (201); resellers never see another's invoice (404)."""

    def endpoint() -> Endpoint:
        url = f"/api/v1/invoices/{world.invoiced(kind='invoice').public_id}/credit-notes"
        return Endpoint("POST", url, "ops:manage", {"reason": "Wrong product"}, ok=201)

    check_staff_matrix(admin, endpoint, ok=201)


@pytest.mark.rule("RT-6.4")
def test_resolving_a_dispute_is_for_staff(world, admin):
    """Staff resolve an open dispute (200); resellers never see another's penalty (404)."""

    def endpoint() -> Endpoint:
        invoice = penalty(world)
        penalty_dispute_open(ctx=world.reseller_ctx, invoice_id=invoice.public_id, reason="They are end users.")
        url = f"/api/v1/invoices/{invoice.public_id}/dispute/resolve"
        return Endpoint("POST", url, "ops:manage", {"for_reseller": False, "resolution": "Upheld: staff."})

    check_staff_matrix(admin, endpoint)


def test_recording_a_payment_is_for_staff(world, admin):
    """Staff record a payment (201); a reseller may not (403)."""
    invoice = world.invoiced()
    body = {
        "organization_id": str(world.reseller.organization.public_id),
        "amount": "10.00",
        "received_on": RECEIVED.isoformat(),
    }
    check_staff_matrix(
        admin, lambda: Endpoint("POST", "/api/v1/payments", "ops:manage", body, ok=201), ok=201, object_in_path=False
    )
    refused = post("/api/v1/payments", api_key_for(world.reseller, ["billing:manage"]), body)
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert invoice.outstanding.amount == Decimal("528.00")


@pytest.mark.rule("RT-6.4")
def test_raising_a_penalty_is_for_staff(world, admin):
    """Staff raise a penalty (201); a reseller may not (403)."""
    body = {
        "organization_id": str(world.reseller.organization.public_id),
        "product_id": str(world.product.public_id),
        "licenses": 1,
        "reason": "Provided to its own staff.",
    }
    check_staff_matrix(
        admin, lambda: Endpoint("POST", "/api/v1/penalties", "ops:manage", body, ok=201), ok=201, object_in_path=False
    )
    refused = post("/api/v1/penalties", api_key_for(world.reseller, ["billing:manage"]), body)
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")


def test_bank_lines_to_review_are_for_staff(world, admin):
    """Staff list unmatched lines with ops:read; a reseller may not (403)."""
    unmatched_line(world, "A1")
    check_staff_matrix(admin, lambda: Endpoint("GET", "/api/v1/bank-statement-lines", "ops:read"), object_in_path=False)
    refused = get("/api/v1/bank-statement-lines", api_key_for(world.reseller, ["billing:read"]))
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")


def test_assigning_and_ignoring_bank_lines_is_for_staff(world, admin):
    """Staff assign (200) or ignore (200) an unmatched line; resellers never learn that a line exists (404)."""
    references = iter(f"L{number}" for number in range(20))

    def assign() -> Endpoint:
        line = unmatched_line(world, next(references))
        body = {"organization_id": str(world.reseller.organization.public_id)}
        return Endpoint("POST", f"/api/v1/bank-statement-lines/{line.public_id}/assign", "ops:manage", body)

    def ignore() -> Endpoint:
        line = unmatched_line(world, next(references))
        return Endpoint(
            "POST", f"/api/v1/bank-statement-lines/{line.public_id}/ignore", "ops:manage", {"note": "Bank interest"}
        )

    check_staff_matrix(admin, assign)
    check_staff_matrix(admin, ignore)


def test_marking_a_refund_paid_is_for_staff(world, admin):
    """Staff record the refund as paid back (200); a reseller gets 403 for its own and 404 for another's."""

    def endpoint() -> Endpoint:
        url = f"/api/v1/refunds/{paid_refund(world).public_id}/paid"
        return Endpoint("POST", url, "ops:manage", {"paid_on": "2026-11-05", "bank_reference": "FT-REFUND-1"})

    check_staff_matrix(admin, endpoint)
    own = post(
        f"/api/v1/refunds/{paid_refund(world).public_id}/paid",
        api_key_for(world.reseller, ["billing:manage"]),
        {"paid_on": "2026-11-05", "bank_reference": "FT-REFUND-1"},
    )
    assert (own.status_code, own.json()["code"]) == (403, "permission_denied")


def test_importing_a_bank_statement_is_for_staff(world, admin):
    """The multipart upload: anonymous 401, without ops:manage 403, with it 201; a reseller 403."""

    def upload(token: str | None) -> Any:
        data = {"file": SimpleUploadedFile("nov.csv", csv("2026-11-03;10,00;EUR;x;Payer;U1"), content_type="text/csv")}
        return Client().post("/api/v1/bank-statements", data, headers=auth(token) if token else {})

    assert upload(None).status_code == 401
    assert upload(api_key_for(admin, ["ops:read"])).json()["code"] == "permission_denied"
    assert upload(api_key_for(world.reseller, ["billing:manage"])).json()["code"] == "permission_denied"
    assert StatementImport.objects.count() == 0
    assert upload(api_key_for(admin, ["ops:manage"])).status_code == 201


# --- the rules ----------------------------------------------------------------------------------------------------


@pytest.mark.rule("RT-3.4")
def test_an_unsigned_purchase_order_cannot_be_invoiced(world, admin):
    """409 commerce.order_not_binding, and neither an invoice nor a change of the order is stored."""
    order = purchase_order_create(ctx=world.reseller_ctx, product_id=world.product.public_id, quantity=5)
    response = post(
        f"/api/v1/orders/{order.public_id}/invoice", api_key_for(admin, ["ops:manage"]), {"kind": "invoice"}
    )
    assert (response.status_code, response.json()["code"]) == (409, "commerce.order_not_binding")
    assert Invoice.objects.count() == 0
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_SIGNATURES


@pytest.mark.rule("RT-3.3")
def test_half_a_payment_leaves_the_rest_owed_and_the_rest_pays_the_order(world, admin):
    """Paying half shows one allocation and 264.00 outstanding, the order still invoiced; the rest pays the proforma,
    which is superseded by its paid tax invoice, and the order is fulfilled."""
    proforma = world.invoiced(quantity=10)  # 528.00
    staff_token = api_key_for(admin, ["ops:manage"])
    body = {
        "organization_id": str(world.reseller.organization.public_id),
        "amount": "264.00",
        "received_on": RECEIVED.isoformat(),
        "reference": "first half",
        "invoice_ids": [str(proforma.public_id)],
    }
    first = post("/api/v1/payments", staff_token, body)
    assert first.status_code == 201, first.content
    assert (first.json()["amount"], first.json()["allocated"], first.json()["credit"], first.json()["currency"]) == (
        "264.00",
        "264.00",
        "0.00",
        "EUR",
    )
    detail = get(f"/api/v1/invoices/{proforma.public_id}", api_key_for(world.reseller, ["billing:read"])).json()
    assert (detail["status"], detail["gross"], detail["paid"], detail["outstanding"]) == (
        "issued",
        "528.00",
        "264.00",
        "264.00",
    )
    assert [(item["amount"], item["reference"]) for item in detail["allocations"]] == [("264.00", "first half")]
    assert [
        (line["quantity"], line["unit_price"], line["net"], line["vat"], line["gross"]) for line in detail["lines"]
    ] == [("10.00", "44.00", "440.00", "88.00", "528.00")]
    assert Order.objects.get(pk=proforma.order_id).status == OrderStatus.INVOICED

    second = post("/api/v1/payments", staff_token, body | {"reference": f"rest of {proforma.display_number}"})
    assert second.status_code == 201
    proforma.refresh_from_db()
    assert proforma.status == InvoiceStatus.SUPERSEDED
    assert Order.objects.get(pk=proforma.order_id).status == OrderStatus.FULFILLED
    final = get("/api/v1/invoices?kind=invoice", api_key_for(world.reseller, ["billing:read"])).json()
    assert [(item["status"], item["gross"], item["outstanding"]) for item in final["items"]] == [
        ("paid", "528.00", "0.00")
    ]


def test_a_retried_payment_with_the_same_idempotency_key_is_recorded_once(world, admin):
    """Three identical POSTs with one Idempotency-Key record one payment and answer the same."""
    token = api_key_for(admin, ["ops:manage"])
    body = {
        "organization_id": str(world.reseller.organization.public_id),
        "amount": "100.00",
        "received_on": RECEIVED.isoformat(),
    }
    answers = [post("/api/v1/payments", token, body, **{"Idempotency-Key": "pay-1"}) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [201, 201, 201]
    assert answers[0].json() == answers[2].json()
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"amount": "10.005"}, {"amount": ["Give a positive amount with at most 2 decimals."]}),
        ({"amount": "-5.00"}, {"amount": ["Give a positive amount with at most 2 decimals."]}),
        ({"amount": "lots"}, None),
        ({"currency": "XXX"}, {"currency": ["Choose one of the currencies offered."]}),
        ({"received_on": "yesterday"}, None),
        ({"received_on": "2099-01-01"}, {"received_on": ["The date of receipt cannot be in the future."]}),
        (
            {"organization_id": "00000000-0000-4000-8000-000000000000"},
            {"organization_id": ["Choose the organisation that paid."]},
        ),
        (
            {"invoice_ids": ["00000000-0000-4000-8000-000000000000"]},
            {"invoice_ids": ["Choose open invoices of this organisation."]},
        ),
    ],
)
def test_a_malformed_payment_is_refused_with_field_errors_and_nothing_is_recorded(world, admin, change, fields):
    """422 names the bad field (with its sentence where ours); no payment is written."""
    body = {
        "organization_id": str(world.reseller.organization.public_id),
        "amount": "10.00",
        "received_on": RECEIVED.isoformat(),
    } | change
    response = post("/api/v1/payments", api_key_for(admin, ["ops:manage"]), body)
    assert response.status_code == 422, response.content
    if fields is None:
        assert list(response.json()["detail"]["fields"]) == list(change)
    else:
        assert response.json()["detail"]["fields"] == fields
    assert Payment.objects.count() == 0


def test_the_balance_shows_what_is_owed_overdue_and_credit(world, admin):
    """The reseller sees its own balance; staff name the organisation; a reseller naming another gets 404."""
    world.pay(world.invoiced(quantity=1), "100.00")  # 58.80 paid, 41.20 credit
    world.invoiced(quantity=10)  # 528.00 owed
    own = get("/api/v1/balance", api_key_for(world.reseller, ["billing:read"])).json()
    assert own == {
        "organization_id": str(world.reseller.organization.public_id),
        "currency": "EUR",
        "outstanding": "528.00",
        "overdue": "0.00",
        "credit": "41.20",
        "net": "486.80",
    }
    staff_token = api_key_for(admin, ["ops:read"])
    assert get(f"/api/v1/balance?organization_id={world.reseller.organization.public_id}", staff_token).json() == own
    unnamed = get("/api/v1/balance", staff_token)
    assert (unnamed.status_code, unnamed.json()["detail"]["fields"]) == (
        422,
        {"organization_id": ["Choose an organisation."]},
    )
    stranger = member(kind="reseller", role="admin")
    foreign = get(
        f"/api/v1/balance?organization_id={world.reseller.organization.public_id}",
        api_key_for(stranger, ["billing:read"]),
    )
    assert (foreign.status_code, foreign.json()["code"]) == (404, "not_found")


@pytest.mark.rule("RT-6.4")
def test_a_penalty_disputed_and_resolved_for_the_reseller_is_credited_and_refunded(world, admin):
    """2 × 49.00 × 3 = 294.00 due in 14 days; contesting keeps the due date; resolved for the reseller after it was
    paid, a credit note cancels it and a refund of 294.00 is due, which staff then mark paid."""
    staff_token = api_key_for(admin, ["ops:manage", "ops:read"])
    reseller_token = api_key_for(world.reseller, ["billing:read", "billing:manage"])
    raised = post(
        "/api/v1/penalties",
        staff_token,
        {
            "organization_id": str(world.reseller.organization.public_id),
            "product_id": str(world.product.public_id),
            "licenses": 3,
            "reason": "Provided to its own staff.",
        },
    )
    assert raised.status_code == 201, raised.content
    invoice = raised.json()
    issue_date = date.fromisoformat(invoice["issue_date"])
    assert (invoice["purpose"], invoice["gross"], invoice["due_date"]) == (
        "penalty",
        "294.00",
        (issue_date + timedelta(days=14)).isoformat(),
    )
    world.pay(Invoice.objects.get(public_id=invoice["id"]), "294.00")

    disputed = post(f"/api/v1/invoices/{invoice['id']}/dispute", reseller_token, {"reason": "They are end users."})
    assert (disputed.status_code, disputed.json()["status"]) == (201, "open")
    again = post(f"/api/v1/invoices/{invoice['id']}/dispute", reseller_token, {"reason": "Again."})
    assert (again.status_code, again.json()["code"]) == (409, "billing.dispute_exists")
    detail = get(f"/api/v1/invoices/{invoice['id']}", reseller_token).json()
    assert (detail["due_date"], detail["dispute"]["status"]) == (invoice["due_date"], "open")

    resolved = post(
        f"/api/v1/invoices/{invoice['id']}/dispute/resolve",
        staff_token,
        {"for_reseller": True, "resolution": "They were end users."},
    )
    assert (resolved.status_code, resolved.json()["status"]) == (200, "for_reseller")
    [refund] = get("/api/v1/refunds", reseller_token).json()["items"]
    assert (refund["amount"], refund["currency"], refund["status"]) == ("294.00", "EUR", "due")
    note = get(f"/api/v1/invoices/{refund['credit_note_id']}", reseller_token).json()
    assert (note["kind"], note["gross"], note["credited_invoice_id"]) == ("credit_note", "-294.00", invoice["id"])

    paid = post(
        f"/api/v1/refunds/{refund['id']}/paid", staff_token, {"paid_on": "2026-11-20", "bank_reference": "FT-R1"}
    )
    assert (paid.status_code, paid.json()["status"], paid.json()["paid_on"]) == (200, "paid", "2026-11-20")


def test_a_credit_note_beyond_the_invoice_or_with_bad_input_is_refused(world, admin):
    """Fractional cents or a blank reason are 422; more than the invoice is 409; no credit note is stored."""
    invoice = world.invoiced(kind="invoice")  # 528.00
    token = api_key_for(admin, ["ops:manage"])
    url = f"/api/v1/invoices/{invoice.public_id}/credit-notes"
    cents = post(url, token, {"reason": "Discount", "net": "1.005"})
    assert (cents.status_code, cents.json()["detail"]["fields"]) == (
        422,
        {"net": ["Give a positive amount with at most 2 decimals."]},
    )
    blank = post(url, token, {"reason": " "})
    assert (blank.status_code, blank.json()["detail"]["fields"]) == (
        422,
        {"reason": ["Say why the invoice is corrected."]},
    )
    too_much = post(url, token, {"reason": "Discount", "net": "500.00"})
    assert (too_much.status_code, too_much.json()["code"]) == (409, "billing.credit_exceeds_invoice")
    assert Invoice.objects.filter(kind=DocumentKind.CREDIT_NOTE).count() == 0

    partial = post(url, token, {"reason": "Discount", "net": "40.00"})
    assert (partial.status_code, partial.json()["gross"], partial.json()["kind"]) == (201, "-48.00", "credit_note")


def test_a_statement_uploaded_twice_pays_once_and_leaves_the_unknown_for_review(world, admin):
    """The second upload counts every line as a duplicate; the unmatched line is listed, then assigned."""
    proforma = world.invoiced(quantity=10)  # 528.00
    content = csv(
        f"2026-11-03;528,00;EUR;Payment {proforma.display_number};Reseller Ltd;TX-1",
        "2026-11-04;99,00;EUR;membership fee;Somebody;TX-3",
    )
    token = api_key_for(admin, ["ops:manage", "ops:read"])

    def upload(name: str) -> Any:
        data = {"file": SimpleUploadedFile(name, content, content_type="text/csv")}
        return Client().post("/api/v1/bank-statements", data, headers=auth(token))

    first, again = upload("nov.csv").json(), upload("nov-copy.csv").json()
    assert (first["format"], first["entries"], first["new_entries"], first["duplicates"], first["matched"]) == (
        "csv",
        2,
        2,
        0,
        1,
    )
    assert (again["new_entries"], again["duplicates"], again["matched"]) == (0, 2, 0)
    assert Payment.objects.count() == 1

    [line] = get("/api/v1/bank-statement-lines", token).json()["items"]
    assert (line["amount"], line["currency"], line["reference"], line["status"]) == (
        "99.00",
        "EUR",
        "membership fee",
        "unmatched",
    )
    assigned = post(
        f"/api/v1/bank-statement-lines/{line['id']}/assign",
        token,
        {"organization_id": str(world.reseller.organization.public_id), "note": "Reseller's second account"},
    )
    assert (assigned.status_code, assigned.json()["status"]) == (200, "matched")
    again_assigned = post(f"/api/v1/bank-statement-lines/{line['id']}/ignore", token, {"note": "Changed my mind"})
    assert (again_assigned.status_code, again_assigned.json()["code"]) == (409, "billing.statement_line_state")
    assert get("/api/v1/bank-statement-lines", token).json()["count"] == 0


def test_an_unreadable_statement_is_refused_whole(admin):
    """422 billing.statement_unreadable naming the file; nothing is stored. A missing file is 422 too."""
    token = api_key_for(admin, ["ops:manage"])
    broken = {"file": SimpleUploadedFile("x.xml", b"<Document><broken>", content_type="application/xml")}
    response = Client().post("/api/v1/bank-statements", broken, headers=auth(token))
    assert (response.status_code, response.json()["code"], list(response.json()["detail"]["fields"])) == (
        422,
        "billing.statement_unreadable",
        ["file"],
    )
    missing = Client().post("/api/v1/bank-statements", {}, headers=auth(token))
    assert (missing.status_code, missing.json()["detail"]["fields"]) == (
        422,
        {"file": ["Upload the bank statement file."]},
    )
    assert (StatementImport.objects.count(), StatementLine.objects.count()) == (0, 0)


def test_a_reseller_never_reaches_another_resellers_invoices(world):
    """Another reseller with every billing scope lists none of them and gets 404 reading, printing, paying from
    credit or contesting them."""
    invoice, fine = world.invoiced(), penalty(world)
    stranger = member(kind="reseller", role="admin")
    token = api_key_for(stranger, ["billing:read", "billing:manage"])
    assert get("/api/v1/invoices", token).json()["count"] == 0
    responses = [
        get(f"/api/v1/invoices/{invoice.public_id}", token),
        post(f"/api/v1/invoices/{invoice.public_id}/apply-credit", token),
        post(f"/api/v1/invoices/{fine.public_id}/dispute", token, {"reason": "Not mine."}),
        get(f"/api/v1/invoices/{invoice.public_id}/pdf", token),
    ]
    for response in responses:
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert PenaltyDispute.objects.count() == 0


def test_invoices_filter_by_kind_purpose_and_overdue(world, admin):
    """Filters narrow the list; an unknown kind is 422 naming the field."""
    world.invoiced()
    world.invoiced(kind="invoice")
    penalty(world)
    token = api_key_for(world.reseller, ["billing:read"])
    assert get("/api/v1/invoices?kind=proforma", token).json()["count"] == 1
    assert get("/api/v1/invoices?purpose=penalty", token).json()["count"] == 1
    assert get("/api/v1/invoices?overdue=true", token).json()["count"] == 0
    other = member(kind="reseller", role="admin")
    staff_token = api_key_for(admin, ["ops:read"])
    assert get(f"/api/v1/invoices?organization_id={other.organization.public_id}", staff_token).json()["count"] == 0
    assert get("/api/v1/invoices", staff_token).json()["count"] == 3
    bad = get("/api/v1/invoices?kind=receipt", token)
    assert (bad.status_code, list(bad.json()["detail"]["fields"])) == (422, ["kind"])


# --- query-count guards -------------------------------------------------------------------------------------------


def test_listing_invoices_costs_the_same_queries_for_more_invoices(world, django_assert_max_num_queries):
    """3 or 9 documents cost the same number of queries."""
    token = api_key_for(world.reseller, ["billing:read"])
    for _ in range(3):
        world.invoiced(quantity=1)
    with django_assert_max_num_queries(4):  # the key and its use, the count, one page with everything joined
        assert get("/api/v1/invoices", token).json()["count"] == 3
    for _ in range(3):
        world.invoiced(quantity=1, kind="invoice")
        penalty(world)
    with django_assert_max_num_queries(4):
        assert get("/api/v1/invoices", token).json()["count"] == 9


def test_listing_payments_and_refunds_costs_the_same_queries_for_more_rows(world, django_assert_max_num_queries):
    """Allocations, their invoices and credit notes are fetched in bulk: 1 or 4 rows cost the same."""
    token = api_key_for(world.reseller, ["billing:read"])
    paid_refund(world)
    with django_assert_max_num_queries(7):
        assert get("/api/v1/payments", token).json()["count"] == 1
    with django_assert_max_num_queries(4):
        assert get("/api/v1/refunds", token).json()["count"] == 1
    for _ in range(3):
        paid_refund(world)
    with django_assert_max_num_queries(7):
        assert get("/api/v1/payments", token).json()["count"] == 4
    with django_assert_max_num_queries(4):
        assert get("/api/v1/refunds", token).json()["count"] == 4


def test_listing_bank_lines_costs_the_same_queries_for_more_lines(world, admin, django_assert_max_num_queries):
    """1 or 5 unmatched lines cost the same number of queries."""
    token = api_key_for(admin, ["ops:read"])
    unmatched_line(world, "Q0")
    with django_assert_max_num_queries(5):
        assert get("/api/v1/bank-statement-lines", token).json()["count"] == 1
    for number in range(1, 5):
        unmatched_line(world, f"Q{number}")
    with django_assert_max_num_queries(5):
        assert get("/api/v1/bank-statement-lines", token).json()["count"] == 5
