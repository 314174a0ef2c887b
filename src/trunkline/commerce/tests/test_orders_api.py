"""The orders API: Online Orders at the reseller's tier price (RT-3.5) accepting the terms (RT-2.1), Purchase Orders
signed by both sides over multipart (RT-3.4), cancelling, the access matrix of every endpoint, and a reseller never
reaching another reseller's orders."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from trunkline.commerce.models import Order, OrderSignature, OrderStatus, Product
from trunkline.commerce.services import TierData, order_place_online, price_book_version_publish, purchase_order_create
from trunkline.terms.models import TermsAcceptance
from trunkline.testing.access import Endpoint, check_access_matrix
from trunkline.testing.factories import api_key_for, ctx_for, member

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def product() -> Product:
    return Product.objects.get(code="EPL-PRO")


@pytest.fixture
def staff():
    """An operator administrator: operator staff who may also make API keys."""
    return member(kind="operator", role="admin")


@pytest.fixture
def reseller():
    return member(kind="reseller", role="admin", accepted_terms=True)


def place(reseller, product, quantity: int = 10) -> Order:
    return order_place_online(ctx=ctx_for(reseller), product_id=product.public_id, quantity=quantity)


def purchase_order(reseller, product, quantity: int = 10) -> Order:
    return purchase_order_create(ctx=ctx_for(reseller), product_id=product.public_id, quantity=quantity)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def get(path: str, token: str) -> Any:
    return Client().get(path, headers=auth(token))


def post(path: str, token: str, body: dict[str, Any]) -> Any:
    return Client().post(path, json.dumps(body), content_type="application/json", headers=auth(token))


def sign(order: Order, token: str | None, signer_name: str = "Maria Ivanova, manager", document: bytes | None = PDF):
    data: dict[str, Any] = {"signer_name": signer_name}
    if document is not None:
        data["document"] = SimpleUploadedFile("signed.pdf", document, content_type="application/pdf")
    headers = auth(token) if token else {}
    return Client().post(f"/api/v1/orders/{order.public_id}/signatures", data, headers=headers)


# --- the access matrix -------------------------------------------------------------------------------------------


def test_listing_orders_needs_billing_read(reseller, product):
    """Anonymous 401, without billing:read 403, with it 200; another reseller lists only its own (none)."""
    place(reseller, product)
    check_access_matrix(reseller, lambda: Endpoint("GET", "/api/v1/orders", "billing:read"), foreign_status=200)
    stranger = member(kind="reseller", role="admin")
    assert get("/api/v1/orders", api_key_for(stranger, ["billing:read"])).json()["count"] == 0


def test_staff_list_every_resellers_orders_with_ops_read(staff, reseller, product):
    """Operator staff need ops:read and see all resellers' orders."""
    place(reseller, product)
    check_access_matrix(staff, lambda: Endpoint("GET", "/api/v1/orders", "ops:read"), foreign_status=200)
    assert get("/api/v1/orders", api_key_for(staff, ["ops:read"])).json()["count"] == 1


def test_getting_an_order_answers_404_to_another_reseller(reseller, product):
    """Anonymous 401, without billing:read 403, with it 200, another reseller 404."""
    order = place(reseller, product)
    check_access_matrix(reseller, lambda: Endpoint("GET", f"/api/v1/orders/{order.public_id}", "billing:read"))


@pytest.mark.rule("RT-2.1")
def test_placing_an_online_order_needs_billing_manage(reseller, product):
    """Anonymous 401, without billing:manage 403, with it 201. The stranger has not accepted the reseller terms and an
    API key cannot accept them for it: 403 ``terms.person_required``."""
    body = {"product_id": str(product.public_id), "quantity": 5, "accept_terms": True}
    check_access_matrix(
        reseller, lambda: Endpoint("POST", "/api/v1/orders", "billing:manage", body, ok=201), foreign_status=403
    )
    assert Order.objects.exclude(organization=reseller.organization).count() == 0


def test_drawing_up_a_purchase_order_needs_billing_manage(reseller, product):
    """Anonymous 401, without billing:manage 403, with it 201; another reseller draws up its own."""
    body = {"product_id": str(product.public_id), "quantity": 5}
    check_access_matrix(
        reseller,
        lambda: Endpoint("POST", "/api/v1/purchase-orders", "billing:manage", body, ok=201),
        foreign_status=201,
    )


def test_cancelling_an_order_answers_404_to_another_reseller(reseller, product):
    """Anonymous 401, without billing:manage 403, with it 200, another reseller 404 (and its order stays placed)."""
    orders: list[Order] = []

    def endpoint() -> Endpoint:
        orders.append(place(reseller, product))
        return Endpoint("POST", f"/api/v1/orders/{orders[-1].public_id}/cancel", "billing:manage", {"reason": "x"})

    check_access_matrix(reseller, endpoint)
    assert Order.objects.get(pk=orders[-1].pk).status == OrderStatus.PLACED


def test_signing_needs_billing_manage_and_answers_404_to_another_reseller(reseller, product):
    """The multipart signature endpoint: anonymous 401, without billing:manage 403, with it 201, stranger 404."""
    order = purchase_order(reseller, product)
    assert sign(order, None).status_code == 401
    assert sign(order, api_key_for(reseller, ["billing:read"])).json()["code"] == "permission_denied"
    stranger = member(kind="reseller", role="admin")
    foreign = sign(order, api_key_for(stranger, ["billing:manage"]))
    assert (foreign.status_code, foreign.json()["code"]) == (404, "not_found")
    assert OrderSignature.objects.count() == 0
    assert sign(order, api_key_for(reseller, ["billing:manage"])).status_code == 201


# --- the rules --------------------------------------------------------------------------------------------------


@pytest.mark.rule("RT-3.5")
def test_an_online_order_takes_the_tier_of_its_quantity_from_the_resellers_own_book(staff, reseller, product):
    """250 licences fall in the own book's [100, 300) tier at 40.00; amounts are decimal strings with the currency."""
    price_book_version_publish(
        ctx=ctx_for(staff),
        organization=reseller.organization,
        tiers=[
            TierData(product.public_id, 1, 100, Decimal("45.00")),
            TierData(product.public_id, 100, 300, Decimal("40.00")),
            TierData(product.public_id, 300, None, Decimal("35.00")),
        ],
    )
    response = post(
        "/api/v1/orders",
        api_key_for(reseller, ["billing:manage"]),
        {"product_id": str(product.public_id), "quantity": 250},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get()
    assert (body["id"], body["number"], body["kind"], body["status"]) == (
        str(order.public_id),
        order.display_number,
        "online",
        "placed",
    )
    assert (body["currency"], body["net"], body["vat_rate"], body["vat"], body["gross"]) == (
        "EUR",
        "10000.00",
        "20.00",
        "2000.00",
        "12000.00",
    )
    assert body["organization_id"] == str(reseller.organization.public_id)
    assert body["lines"] == [
        {
            "product_id": str(product.public_id),
            "product_code": "EPL-PRO",
            "description": product.name,
            "quantity": 250,
            "unit_price": "40.00",
            "tier_min_quantity": 100,
            "tier_max_quantity": 300,
            "net": "10000.00",
        }
    ]
    assert body["signatures"] == []


@pytest.mark.rule("RT-2.1")
def test_an_online_order_without_accepted_terms_needs_accept_terms(product):
    """Without acceptance the order is refused (403) and nothing stored; a signed-in person sending accept_terms
    places it, and the acceptance is recorded with the method "online order" and the order's number."""
    newcomer = member(kind="reseller", role="admin")
    client = Client()
    client.force_login(newcomer.user)
    url, body = "/api/v1/orders", {"product_id": str(product.public_id), "quantity": 5}
    refused = client.post(url, json.dumps(body), content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (403, "terms.acceptance_required")
    assert (Order.objects.count(), TermsAcceptance.objects.filter(organization=newcomer.organization).count()) == (0, 0)

    placed = client.post(url, json.dumps(body | {"accept_terms": True}), content_type="application/json")
    assert placed.status_code == 201, placed.content
    acceptance = TermsAcceptance.objects.get(organization=newcomer.organization, method="online_order")
    assert acceptance.reference == placed.json()["number"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"quantity": 5}, ["product_id"]),
        ({"product_id": "not-an-id", "quantity": 5}, ["product_id"]),
        ({"product_id": "{product}", "quantity": 0}, ["quantity"]),
        ({"product_id": "{product}", "quantity": "many"}, ["quantity"]),
        ({"product_id": "00000000-0000-4000-8000-000000000000", "quantity": 5}, ["product_id"]),
    ],
)
def test_a_malformed_order_is_refused_with_field_errors_and_nothing_is_stored(reseller, product, body, fields):
    """422 names each bad field; no order is written."""
    body = {
        key: value.format(product=product.public_id) if isinstance(value, str) else value for key, value in body.items()
    }
    response = post("/api/v1/orders", api_key_for(reseller, ["billing:manage"]), body)
    assert response.status_code == 422, response.content
    assert sorted(response.json()["detail"]["fields"]) == fields
    assert Order.objects.count() == 0


@pytest.mark.rule("RT-3.4")
def test_a_purchase_order_binds_when_both_sides_upload_signed_pdfs(staff, reseller, product):
    """Staff draw up the order for the reseller; one signature leaves it awaiting; the second makes it binding."""
    created = post(
        "/api/v1/purchase-orders",
        api_key_for(staff, ["ops:manage"]),
        {"product_id": str(product.public_id), "quantity": 20, "organization_id": str(reseller.organization.public_id)},
    )
    assert created.status_code == 201, created.content
    assert (created.json()["kind"], created.json()["status"]) == ("purchase", "awaiting_signatures")
    order = Order.objects.get(public_id=created.json()["id"])

    first = sign(order, api_key_for(reseller, ["billing:manage"]))
    assert (first.status_code, first.json()["status"]) == (201, "awaiting_signatures")
    [signature] = first.json()["signatures"]
    assert (signature["side"], signature["method"], signature["signer_name"], signature["has_document"]) == (
        "reseller",
        "uploaded",
        "Maria Ivanova, manager",
        True,
    )
    second = sign(order, api_key_for(staff, ["ops:manage"]), signer_name="Petar Petrov, director")
    assert (second.status_code, second.json()["status"]) == (201, "binding")
    assert [item["side"] for item in second.json()["signatures"]] == ["reseller", "vendor"]
    again = sign(order, api_key_for(staff, ["ops:manage"]))
    assert (again.status_code, again.json()["code"]) == (409, "commerce.order_state")


@pytest.mark.rule("RT-3.4")
def test_a_signed_in_reseller_signs_by_click_without_a_document(reseller, product):
    """A session signature keeps the signer's IP address as evidence; an API key cannot sign by click (422)."""
    order = purchase_order(reseller, product)
    refused = sign(order, api_key_for(reseller, ["billing:manage"]), document=None)
    assert (refused.status_code, refused.json()["detail"]["fields"]) == (
        422,
        {"document": ["An API key cannot sign by click: upload the signed PDF."]},
    )
    client = Client()
    client.force_login(reseller.user)
    response = client.post(f"/api/v1/orders/{order.public_id}/signatures", {"signer_name": "Maria Ivanova"})
    assert response.status_code == 201, response.content
    signature = OrderSignature.objects.get(order=order)
    assert (signature.method, signature.ip, bool(signature.document)) == (
        "click",
        "127.0.0.1",
        False,
    )


@pytest.mark.parametrize(
    ("signer_name", "document", "fields"),
    [
        ("", PDF, {"signer_name": ["Name the person who signs, and their role."]}),
        ("Maria", b"GIF89a not a pdf", {"document": ["The signed document must be a PDF file."]}),
    ],
)
def test_a_bad_signature_is_refused_and_nothing_is_stored(reseller, product, signer_name, document, fields):
    """422 with the field named; the order has no signature and still awaits both."""
    order = purchase_order(reseller, product)
    response = sign(order, api_key_for(reseller, ["billing:manage"]), signer_name=signer_name, document=document)
    assert (response.status_code, response.json()["detail"]["fields"]) == (422, fields)
    assert OrderSignature.objects.count() == 0
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_SIGNATURES


def test_cancelling_needs_a_reason_and_an_uninvoiced_order(reseller, product):
    """A blank reason is 422 with nothing changed; a reason cancels; cancelling again is 409."""
    order = place(reseller, product)
    token = api_key_for(reseller, ["billing:manage"])
    url = f"/api/v1/orders/{order.public_id}/cancel"
    blank = post(url, token, {"reason": "  "})
    assert (blank.status_code, blank.json()["detail"]["fields"]) == (
        422,
        {"reason": ["Say why the order is cancelled."]},
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED
    missing = post(url, token, {})
    assert (missing.status_code, list(missing.json()["detail"]["fields"])) == (422, ["reason"])

    cancelled = post(url, token, {"reason": "Ordered twice"})
    assert (cancelled.status_code, cancelled.json()["status"], cancelled.json()["cancel_reason"]) == (
        200,
        "cancelled",
        "Ordered twice",
    )
    again = post(url, token, {"reason": "Again"})
    assert (again.status_code, again.json()["code"]) == (409, "commerce.order_state")


def test_a_reseller_never_reaches_another_resellers_orders(reseller, product):
    """Another reseller with every billing scope lists none of them and gets 404 reading, signing or cancelling."""
    order, purchase = place(reseller, product), purchase_order(reseller, product)
    stranger = member(kind="reseller", role="admin", accepted_terms=True)
    place(stranger, product)
    token = api_key_for(stranger, ["billing:read", "billing:manage"])
    listed = get("/api/v1/orders", token).json()
    assert str(order.public_id) not in {item["id"] for item in listed["items"]}
    assert listed["count"] == 1
    for response in (
        get(f"/api/v1/orders/{order.public_id}", token),
        post(f"/api/v1/orders/{order.public_id}/cancel", token, {"reason": "x"}),
        sign(purchase, token),
    ):
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED
    assert OrderSignature.objects.count() == 0


def test_orders_filter_by_status_kind_and_organisation(staff, reseller, product):
    """Filters narrow the list; an unknown status is a 422 naming the field."""
    place(reseller, product)
    purchase_order(reseller, product)
    other = member(kind="reseller", role="admin", accepted_terms=True)
    place(other, product)
    token = api_key_for(staff, ["ops:read"])
    assert get("/api/v1/orders?kind=purchase", token).json()["count"] == 1
    assert get("/api/v1/orders?status=placed", token).json()["count"] == 2
    assert get(f"/api/v1/orders?organization_id={other.organization.public_id}", token).json()["count"] == 1
    bad = get("/api/v1/orders?status=lost", token)
    assert (bad.status_code, list(bad.json()["detail"]["fields"])) == (422, ["status"])


def test_listing_orders_costs_the_same_queries_for_more_orders(reseller, product, django_assert_max_num_queries):
    """Lines, products and signatures are prefetched: 2 or 8 orders cost the same number of queries."""
    token = api_key_for(reseller, ["billing:read"])
    for _ in range(2):
        place(reseller, product)
    with django_assert_max_num_queries(7):
        assert get("/api/v1/orders", token).json()["count"] == 2
    for _ in range(6):
        place(reseller, product)
        purchase_order(reseller, product)
    with django_assert_max_num_queries(7):
        assert get("/api/v1/orders", token).json()["count"] == 14


@pytest.mark.rule("RT-3.5")
def test_the_price_quote_applies_reverse_charge_for_a_reseller_with_a_vat_number_abroad(reseller, product):
    """A reseller registered with a valid German VAT number is quoted 0 % VAT, marked as reverse charge."""
    reseller.organization.vat_number, reseller.organization.country = "DE136695976", "DE"
    reseller.organization.save(update_fields=["vat_number", "country"])
    body = get(
        f"/api/v1/price-quote?product_id={product.public_id}&quantity=10", api_key_for(reseller, ["billing:read"])
    ).json()
    assert (body["net"], body["vat"], body["gross"], body["is_reverse_charge"]) == ("440.00", "0.00", "440.00", True)
