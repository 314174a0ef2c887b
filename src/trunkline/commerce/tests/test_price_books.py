"""Products, price book versions and quotes: a reseller's own book, versions in force over time (RT-3.5), and no
reseller ever seeing another's book (RT-4.12)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from trunkline.audit.models import AuditEvent
from trunkline.commerce.errors import PriceUnavailableError
from trunkline.commerce.models import PriceBook, PriceBookVersion, PriceTier, Product
from trunkline.commerce.selectors import price_quote
from trunkline.commerce.services import TierData, price_book_version_publish, product_create
from trunkline.core.errors import MissingScopeError, ValidationFailedError
from trunkline.core.money import Money
from trunkline.testing.access import Endpoint, check_access_matrix
from trunkline.testing.factories import api_key_for, ctx_for, member

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NEXT_WEEK = datetime(2026, 11, 9, 0, 0, tzinfo=UTC)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


@pytest.fixture
def license_product() -> Product:
    return Product.objects.get(code="EPL-PRO")


@pytest.fixture
def staff():
    return member(kind="operator", role="staff")


@pytest.fixture
def reseller():
    return member(kind="reseller", role="admin")


def tiers(product: Product, *rows: tuple[int, int | None, str]) -> list[TierData]:
    return [TierData(product.public_id, low, high, Decimal(price)) for low, high, price in rows]


def own_book(staff, reseller, product, *, at=NOW, effective_from=None) -> PriceBookVersion:
    with time_machine.travel(at, tick=False):
        return price_book_version_publish(
            ctx=ctx_for(staff),
            organization=reseller.organization,
            effective_from=effective_from,
            tiers=tiers(product, (1, 100, "45.00"), (100, 300, "40.00"), (300, None, "35.00")),
        )


def get(path: str, token: str):
    return Client().get(path, headers={"Authorization": f"Bearer {token}"})


def test_the_migration_ships_the_license_and_the_default_book(license_product, reseller):
    """EPL-PRO retails at 49.00 EUR with 20 % VAT; the default book prices 250 at 34.00 from 2026-01-01 in Sofia."""
    assert (license_product.retail_price, license_product.vat_rate) == (eur("49.00"), Decimal("20.00"))
    quote = price_quote(reseller=reseller.organization, product=license_product, quantity=250, at=NOW)
    assert quote.book.is_default
    assert quote.version.effective_from == datetime(2025, 12, 31, 22, 0, tzinfo=UTC)
    assert (quote.unit_price, quote.net, quote.vat, quote.gross) == (
        eur("34.00"),
        eur("8500.00"),
        eur("1700.00"),
        eur("10200.00"),
    )
    with pytest.raises(PriceUnavailableError):
        price_quote(
            reseller=reseller.organization, product=license_product, quantity=1, at=datetime(2025, 12, 1, tzinfo=UTC)
        )


@pytest.mark.rule("RT-3.5")
def test_a_reseller_quotes_from_its_own_book_and_a_new_version_applies_from_its_start(staff, reseller, license_product):
    """250 takes the own book's [100, 300) tier; after staff publish a new version, quotes before its start keep the
    old price and quotes from its start use the new one."""
    first = own_book(staff, reseller, license_product)
    quote = price_quote(reseller=reseller.organization, product=license_product, quantity=250, at=NOW)
    assert (quote.version, quote.tier.min_quantity, quote.tier.max_quantity) == (first, 100, 300)
    assert (quote.unit_price, quote.net, quote.gross) == (eur("40.00"), eur("10000.00"), eur("12000.00"))

    with time_machine.travel(NOW, tick=False):
        second = price_book_version_publish(
            ctx=ctx_for(staff),
            organization=reseller.organization,
            effective_from=NEXT_WEEK,
            tiers=tiers(license_product, (1, 200, "42.00"), (200, None, "36.00")),
        )
    before = price_quote(
        reseller=reseller.organization,
        product=license_product,
        quantity=250,
        at=datetime(2026, 11, 8, 23, 59, 59, tzinfo=UTC),
    )
    after = price_quote(reseller=reseller.organization, product=license_product, quantity=250, at=NEXT_WEEK)
    assert (before.version, before.unit_price) == (first, eur("40.00"))
    assert (after.version, after.unit_price, after.net) == (second, eur("36.00"), eur("9000.00"))

    token = api_key_for(reseller, ["licensing:read"])
    url = f"/api/v1/price-quote?product_id={license_product.public_id}&quantity=250"
    with time_machine.travel(datetime(2026, 11, 8, 12, 0, tzinfo=UTC), tick=False):
        old = get(url, token).json()
    with time_machine.travel(datetime(2026, 11, 9, 12, 0, tzinfo=UTC), tick=False):
        new = get(url, token).json()
    assert (old["version_id"], old["unit_price"], old["net"]) == (str(first.public_id), "40.00", "10000.00")
    assert (new["version_id"], new["unit_price"], new["net"], new["vat"], new["gross"]) == (
        str(second.public_id),
        "36.00",
        "9000.00",
        "1800.00",
        "10800.00",
    )
    assert new["tier"] == {"min_quantity": 200, "max_quantity": None, "unit_price": "36.00"}
    assert (new["is_default_book"], new["is_reverse_charge"], new["vat_rate"]) == (False, False, "20.00")


@pytest.mark.rule("RT-3.5")
def test_a_reseller_with_a_vat_number_abroad_is_quoted_with_reverse_charge(staff, reseller, license_product):
    """A valid German VAT number gives 0 % VAT, marked; a Bulgarian one keeps 20 %."""
    foreign = price_quote(
        reseller=reseller.organization, product=license_product, quantity=10, at=NOW, vat_number="DE136695976"
    )
    local = price_quote(
        reseller=reseller.organization, product=license_product, quantity=10, at=NOW, vat_number="BG175074752"
    )
    assert (foreign.net, foreign.vat, foreign.gross, foreign.amounts.is_reverse_charge) == (
        eur("440.00"),
        eur("0.00"),
        eur("440.00"),
        True,
    )
    assert (local.vat, local.amounts.is_reverse_charge) == (eur("88.00"), False)


@pytest.mark.rule("RT-4.12")
def test_another_reseller_never_sees_a_resellers_own_book(staff, reseller, license_product):
    """The other reseller quotes and lists the default book; the owner sees its own book."""
    version = own_book(staff, reseller, license_product)
    stranger = member(kind="reseller", role="admin")
    stranger_token = api_key_for(stranger, ["billing:read"])

    with time_machine.travel(NOW, tick=False):
        quote = get(f"/api/v1/price-quote?product_id={license_product.public_id}&quantity=250", stranger_token)
        book = get("/api/v1/price-book", stranger_token)
        owner_book = get("/api/v1/price-book", api_key_for(reseller, ["billing:read"]))
    assert quote.status_code == 200
    assert (quote.json()["is_default_book"], quote.json()["unit_price"]) == (True, "34.00")
    assert quote.json()["book_id"] != str(version.book.public_id)
    assert book.json()["is_default_book"] is True
    assert book.json()["book_id"] != str(version.book.public_id)
    assert owner_book.json()["book_id"] == str(version.book.public_id)
    assert owner_book.json()["products"] == [
        {
            "product_id": str(license_product.public_id),
            "product_code": "EPL-PRO",
            "currency": "EUR",
            "tiers": [
                {"min_quantity": 1, "max_quantity": 100, "unit_price": "45.00"},
                {"min_quantity": 100, "max_quantity": 300, "unit_price": "40.00"},
                {"min_quantity": 300, "max_quantity": None, "unit_price": "35.00"},
            ],
        }
    ]


@pytest.mark.rule("RT-4.12")
@pytest.mark.parametrize(
    "path",
    ["/api/v1/products", "/api/v1/price-book", "/api/v1/price-quote?product_id={product}&quantity=5"],
)
def test_price_reads_need_a_key_and_a_pricing_scope(reseller, license_product, path):
    """Anonymous 401, without licensing:read or billing:read 403, with it 200; a stranger reads only its own view."""
    url = path.format(product=license_product.public_id)
    check_access_matrix(reseller, lambda: Endpoint("GET", url, "billing:read"), foreign_status=200)


def test_a_quote_for_an_unknown_product_is_404(reseller):
    """An id that names no product answers 404."""
    response = get(
        "/api/v1/price-quote?product_id=00000000-0000-4000-8000-000000000000&quantity=5",
        api_key_for(reseller, ["billing:read"]),
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_the_product_list_costs_one_query_after_authentication(reseller, django_assert_max_num_queries):
    """Listing products does not query per product."""
    token = api_key_for(reseller, ["billing:read"])
    product_create(
        ctx=ctx_for(member(kind="operator", role="staff")), code="EPL-BASIC", name="Basic", retail_amount=Decimal("9")
    )
    with django_assert_max_num_queries(8):
        response = get("/api/v1/products", token)
    assert [product["code"] for product in response.json()] == ["EPL-BASIC", "EPL-PRO"]


def test_staff_add_a_product_with_an_audit_event(staff):
    """The product is stored with its default VAT rate and the creation is audited."""
    product = product_create(ctx=ctx_for(staff), code="epl-lite", name=" Lite ", retail_amount=Decimal("19.90"))
    assert (product.code, product.name, product.retail_price, product.vat_rate) == (
        "EPL-LITE",
        "Lite",
        eur("19.90"),
        Decimal("20"),
    )
    event = AuditEvent.objects.get(action="product.created")
    assert event.changes == {"code": "EPL-LITE", "retail_price": "19.90 EUR", "vat_rate": "20"}


def test_a_product_with_a_taken_code_or_fractional_cents_is_refused(staff):
    """Field errors name each problem and nothing is stored."""
    with pytest.raises(ValidationFailedError) as error:
        product_create(ctx=ctx_for(staff), code="EPL-PRO", name="", retail_amount=Decimal("1.005"))
    assert error.value.fields == {
        "code": ["Another product already has this code."],
        "name": ["Give the product a name."],
        "retail_amount": ["Use at most 2 decimal places for EUR."],
    }
    assert Product.objects.count() == 1


@pytest.mark.rule("RT-3.5")
@pytest.mark.parametrize(
    ("rows", "fields"),
    [
        (
            [(1, 10, "5.00"), (11, None, "4.00")],
            {"tiers.1.min_quantity": ["This tier leaves a gap after the previous one: start it where that one ends."]},
        ),
        (
            [(1, 10, "5.00"), (8, None, "4.00")],
            {"tiers.1.min_quantity": ["This tier overlaps the previous one: start it where that one ends."]},
        ),
        ([(1, 10, "5.00")], {"tiers.0.max_quantity": ["The last tier must have no upper bound."]}),
        ([(1, None, "5.001")], {"tiers.0.unit_price": ["Use at most 2 decimal places for EUR."]}),
    ],
)
def test_tiers_with_gaps_or_overlaps_are_refused_and_nothing_is_stored(staff, license_product, rows, fields):
    """Each invalid tier table is refused with the offending row named."""
    with pytest.raises(ValidationFailedError) as error:
        price_book_version_publish(ctx=ctx_for(staff), tiers=tiers(license_product, *rows))
    assert error.value.fields == fields
    assert (PriceBookVersion.objects.count(), PriceTier.objects.count()) == (1, 4)


def test_a_version_cannot_start_in_the_past(staff, reseller, license_product):
    """Prices already in force are never rewritten: a start before now is refused."""
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationFailedError) as error:
        price_book_version_publish(
            ctx=ctx_for(staff),
            organization=reseller.organization,
            effective_from=datetime(2026, 11, 1, tzinfo=UTC),
            tiers=tiers(license_product, (1, None, "30.00")),
        )
    assert error.value.fields == {"effective_from": ["A new version cannot start in the past."]}
    assert not PriceBook.objects.filter(organization=reseller.organization).exists()


def test_only_operator_staff_publish_and_it_is_audited(staff, reseller, license_product):
    """A reseller cannot publish; staff publishing writes one audit event for the reseller's book."""
    with pytest.raises(MissingScopeError):
        price_book_version_publish(ctx=ctx_for(reseller), tiers=tiers(license_product, (1, None, "1.00")))
    version = own_book(staff, reseller, license_product)
    event = AuditEvent.objects.get(action="price_book.version_published")
    assert event.organization == reseller.organization
    assert event.changes["tiers"] == [
        ["EPL-PRO", 1, 100, "45.00"],
        ["EPL-PRO", 100, 300, "40.00"],
        ["EPL-PRO", 300, None, "35.00"],
    ]
    assert event.changes["effective_from"] == version.effective_from.isoformat()


def test_staff_publish_through_the_api(reseller, license_product):
    """POST /price-book-versions answers 201 for operator staff and 403 for a reseller."""
    operator_admin = member(kind="operator", role="admin")  # may create API keys, unlike the staff role
    body = {
        "organization_id": str(reseller.organization.public_id),
        "tiers": [{"product_id": str(license_product.public_id), "min_quantity": 1, "unit_price": "30.00"}],
    }
    client = Client()
    staff_response = client.post(
        "/api/v1/price-book-versions",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_key_for(operator_admin, ['ops:manage'])}"},
    )
    reseller_response = client.post(
        "/api/v1/price-book-versions",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api_key_for(reseller, ['billing:read'])}"},
    )
    assert staff_response.status_code == 201, staff_response.content
    assert staff_response.json()["organization_id"] == str(reseller.organization.public_id)
    assert (reseller_response.status_code, reseller_response.json()["code"]) == (403, "permission_denied")
    assert PriceBookVersion.objects.count() == 2
