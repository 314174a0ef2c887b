"""The reseller's order pages: the list, the Online Order form with its live tier price and the terms checkbox
(RT-2.1, RT-3.5), and one order with its signatures (RT-3.4) and cancelling. Another reseller's order is a 404."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from trunkline.commerce.models import Order, OrderStatus, Product, SignatureMethod, SignatureSide
from trunkline.commerce.services import order_place_online, order_sign, purchase_order_create
from trunkline.terms.models import TermsAcceptance
from trunkline.terms.tests.documents import ensure_documents
from trunkline.testing.factories import ctx_for, member

pytestmark = pytest.mark.django_db

ORDERS = "/reseller/orders/"
NEW = "/reseller/orders/new/"
QUOTE = "/reseller/orders/new/quote/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def product() -> Product:
    return Product.objects.get(code="EPL-PRO")


@pytest.fixture
def reseller():
    return member(kind="reseller", role="admin", accepted_terms=True)


@pytest.fixture
def client_of():
    def signed_in(membership) -> Client:
        client = Client()
        client.force_login(membership.user)
        return client

    return signed_in


def place(membership, product: Product, quantity: int = 10) -> Order:
    return order_place_online(ctx=ctx_for(membership), product_id=product.public_id, quantity=quantity)


def test_the_order_list_shows_the_resellers_own_orders_newest_first(reseller, product, client_of):
    first, second = place(reseller, product, 5), place(reseller, product, 60)
    stranger = place(member(kind="reseller", role="admin", accepted_terms=True), product, 7)
    response = client_of(reseller).get(ORDERS)
    assert response.status_code == 200
    text = response.content.decode()
    assert text.index(second.display_number) < text.index(first.display_number)
    assert stranger.display_number not in text
    assert "badge-order-placed" in text
    assert f'href="{NEW}"' in text
    assert '<a href="/reseller/orders/" aria-current="page">Orders</a>' in text  # the nav link, current


def test_the_order_list_runs_the_same_number_of_queries_for_many_orders(reseller, product, client_of):
    """The list prefetches lines: 3 orders or 13, the page costs the same number of queries."""
    client = client_of(reseller)
    for _ in range(3):
        place(reseller, product)
    with CaptureQueriesContext(connection) as few:
        assert client.get(ORDERS).status_code == 200
    for _ in range(10):
        place(reseller, product)
    with CaptureQueriesContext(connection) as many:
        assert client.get(ORDERS).status_code == 200
    assert len(many) == len(few)


def test_a_reseller_gets_404_for_another_resellers_order(reseller, product, client_of):
    other = place(member(kind="reseller", role="admin", accepted_terms=True), product)
    client = client_of(reseller)
    assert client.get(f"{ORDERS}{other.public_id}/").status_code == 404
    assert client.post(f"{ORDERS}{other.public_id}/", {"action": "cancel", "reason": "Mine now"}).status_code == 404
    other.refresh_from_db()
    assert other.status == OrderStatus.PLACED


def test_without_billing_access_the_orders_are_not_shown(product, client_of):
    """Reseller staff (licensing only) see no Orders link and get the not-allowed page."""
    staff = member(kind="reseller", role="staff", accepted_terms=True)
    client = client_of(staff)
    assert client.get(ORDERS).status_code == 403
    assert client.get(NEW).status_code == 403
    assert 'href="/reseller/orders/"' not in client.get("/reseller/").content.decode()


@pytest.mark.rule("RT-3.5")
def test_the_quote_shows_the_tier_of_the_quantity_and_the_whole_tier_table(reseller, product, client_of):
    """The default book: 1–9 at 49.00, 10–49 at 44.00, 50–249 at 39.00, 250 or more at 34.00 (EUR, 20 % VAT)."""
    client = client_of(reseller)
    response = client.get(QUOTE, {"product": str(product.public_id), "quantity": "60"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "50–249 licenses" in text
    assert '<dd id="quote-unit-price">39.00 EUR</dd>' in text
    assert '<dd id="quote-net">2,340.00 EUR</dd>' in text
    assert '<dd id="quote-vat">468.00 EUR</dd>' in text
    assert 'id="quote-total">2,808.00 EUR</dd>' in text
    assert text.count("<tr") == 5  # the head and the four tiers
    assert 'class="row-current"' in text
    text = client.get(QUOTE, {"product": str(product.public_id), "quantity": "250"}).content.decode()
    assert "250 licenses or more" in text
    assert '<dd id="quote-unit-price">34.00 EUR</dd>' in text
    bad = client.get(QUOTE, {"product": str(product.public_id), "quantity": "0"}).content.decode()
    assert "Enter a number of licenses between 1 and" in bad
    assert "quote-total" not in bad


def test_placing_an_order_from_the_form_shows_the_confirmation(reseller, product, client_of):
    client = client_of(reseller)
    page = client.get(NEW)
    assert page.status_code == 200
    assert "I accept the reseller terms" not in page.content.decode()  # already accepted
    assert 'hx-get="/reseller/orders/new/quote/"' in page.content.decode()
    response = client.post(NEW, {"product": str(product.public_id), "quantity": "250"})
    order = Order.objects.get(organization=reseller.organization)
    assert response.status_code == 302
    assert response["Location"] == f"{ORDERS}{order.public_id}/?placed=1"
    assert (order.lines.get().quantity, order.lines.get().unit_price) == (250, Decimal("34.00"))
    detail = client.get(response["Location"]).content.decode()
    assert "Thank you: your order is placed" in detail
    assert f"Order {order.display_number} is placed: 10,200.00 EUR." in detail
    assert "250 licenses or more" in detail  # the tier kept on the line


def test_the_form_shows_field_errors_and_places_nothing(reseller, product, client_of):
    client = client_of(reseller)
    response = client.post(NEW, {"product": str(product.public_id), "quantity": "0"})
    assert response.status_code == 422
    assert "field-invalid" in response.content.decode()
    assert not Order.objects.exists()


@pytest.mark.rule("RT-2.1")
def test_a_reseller_without_the_terms_orders_and_the_checkbox_records_the_acceptance(product, client_of):
    """The order form opens without the terms accepted (every other page sends to the accept page first); it asks
    for the checkbox with the version in force, and placing the order records an "online order" acceptance."""
    newcomer = member(kind="reseller", role="admin")
    client = client_of(newcomer)
    gated = client.get(ORDERS)
    assert gated.status_code == 302
    assert "/accept/" in gated["Location"]
    page = client.get(NEW)
    assert page.status_code == 200
    text = page.content.decode()
    assert "I accept the reseller terms (version 1)" in text
    assert "Read the reseller terms" in text

    refused = client.post(NEW, {"product": str(product.public_id), "quantity": "12"})
    assert refused.status_code == 422
    assert "Accept the reseller terms to place the order" in refused.content.decode()
    assert not Order.objects.exists()

    placed = client.post(
        NEW, {"product": str(product.public_id), "quantity": "12", "accept_terms": "on"}, HTTP_USER_AGENT="Firefox/140"
    )
    assert placed.status_code == 302
    order = Order.objects.get(organization=newcomer.organization)
    acceptance = TermsAcceptance.objects.get(organization=newcomer.organization)
    assert order.terms_acceptance == acceptance
    assert (acceptance.method, acceptance.reference, acceptance.person) == (
        "online_order",
        order.display_number,
        newcomer.user,
    )
    assert acceptance.user_agent == "Firefox/140"
    assert client.get(ORDERS).status_code == 200  # the gate opens now
    assert "Placing it also recorded your acceptance" in client.get(placed["Location"]).content.decode()


@pytest.mark.rule("RT-3.4")
def test_the_reseller_signs_a_purchase_order_by_click_and_by_upload(reseller, product, client_of):
    staff = member(kind="operator", role="staff")
    client = client_of(reseller)
    order = purchase_order_create(ctx=ctx_for(reseller), product_id=product.public_id, quantity=30)
    page = f"{ORDERS}{order.public_id}/"
    text = client.get(page).content.decode()
    assert "Awaiting signatures" in text
    assert "Not signed yet." in text
    assert 'value="sign"' in text

    missing = client.post(page, {"action": "sign", "signer_name": ""})
    assert missing.status_code == 422
    assert not order.signatures.exists()

    upload = SimpleUploadedFile("signed.pdf", PDF, content_type="application/pdf")
    signed = client.post(page, {"action": "sign", "signer_name": "Ivan Petrov, manager", "document": upload})
    assert signed.status_code == 302
    signature = order.signatures.get()
    assert (signature.side, signature.method, signature.signer_name) == (
        SignatureSide.RESELLER,
        SignatureMethod.UPLOADED,
        "Ivan Petrov, manager",
    )
    text = client.get(page).content.decode()
    assert "Ivan Petrov, manager" in text
    assert 'value="sign"' not in text  # signed once
    document = client.get(f"{page}signatures/{signature.public_id}/document/")
    assert document.status_code == 200
    assert document.content == PDF

    again = client.post(page, {"action": "sign", "signer_name": "Someone else"})
    assert again.status_code == 422
    assert "already signed" in again.content.decode()

    order_sign(ctx=ctx_for(staff), order_id=order.public_id, signer_name="Vendor director")
    order.refresh_from_db()
    assert order.status == OrderStatus.BINDING
    text = client.get(page).content.decode()
    assert "Vendor director" in text
    assert "Signed by both sides" in text


def test_a_click_signature_from_the_page(reseller, product, client_of):
    order = purchase_order_create(ctx=ctx_for(reseller), product_id=product.public_id, quantity=3)
    response = client_of(reseller).post(
        f"{ORDERS}{order.public_id}/", {"action": "sign", "signer_name": "Maria Ivanova, owner"}
    )
    assert response.status_code == 302
    assert order.signatures.get().method == SignatureMethod.CLICK


def test_the_reseller_cancels_an_order_with_a_reason(reseller, product, client_of):
    order = place(reseller, product)
    client = client_of(reseller)
    page = f"{ORDERS}{order.public_id}/"
    assert "Cancel this order" in client.get(page).content.decode()
    assert client.post(page, {"action": "cancel", "reason": ""}).status_code == 422
    response = client.post(page, {"action": "cancel", "reason": "Ordered twice by mistake"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "Ordered twice by mistake")
    text = client.get(page).content.decode()
    assert "Ordered twice by mistake" in text
    assert "Cancel this order" not in text


# ---- In a real browser ------------------------------------------------------------------------------------------

_catalog = importlib.import_module("trunkline.commerce.migrations.0003_default_price_book")
CHROMIUM = os.environ.get("TRUNKLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.fixture
def browser_page(live_server, transactional_db, monkeypatch) -> Iterator[object]:
    """A 1280×800 Chromium tab (as tests/browser use); the test fails on a console error or a CSP violation."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(10_000)
        tab = context.new_page()
        tab.on("console", lambda message: problems.extend([message.text] if message.type == "error" else []))
        tab.on("pageerror", lambda error: problems.append(str(error)))
        yield tab
        context.close()
        browser.close()
        connections.close_all()
    assert problems == []


@pytest.mark.browser
@pytest.mark.rule("RT-3.5")
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_price_follows_the_quantity_and_the_order_is_placed(browser_page, live_server):
    """Typing a quantity refreshes the tier, unit price and total (htmx); placing the order shows it with that
    price."""
    from playwright.sync_api import expect

    page = browser_page
    ensure_documents()  # a transactional test run before this one flushed the data migrations' rows
    _catalog.create(apps, None)
    reseller = member(kind="reseller", role="admin", accepted_terms=True)
    client = Client()
    client.force_login(reseller.user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}{ORDERS}")
    page.get_by_role("link", name="New order").click()
    expect(page.locator("#quote-tier")).to_have_text("10–49 licenses")
    quantity = page.get_by_label("Number of licenses")
    quantity.fill("60")
    expect(page.locator("#quote-tier")).to_have_text("50–249 licenses")
    expect(page.locator("#quote-unit-price")).to_have_text("39.00 EUR")
    expect(page.locator("#quote-total")).to_have_text("2,808.00 EUR")
    quantity.fill("250")
    expect(page.locator("#quote-tier")).to_have_text("250 licenses or more")
    expect(page.locator("#quote-total")).to_have_text("10,200.00 EUR")
    expect(page.locator(".quote-tiers .row-current")).to_contain_text("34.00")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name="Thank you: your order is placed")).to_be_visible()
    expect(page.locator("#order-total")).to_have_text("10,200.00 EUR")
    order = Order.objects.get(organization=reseller.organization)
    assert order.lines.get().unit_price == Decimal("34.00")
