"""The softphone End-Point License and the default price book, in force from 2026-01-01 00:00 in Sofia."""

from datetime import UTC, datetime
from decimal import Decimal

from django.db import migrations

EFFECTIVE_FROM = datetime(2025, 12, 31, 22, 0, tzinfo=UTC)  # 2026-01-01 00:00 Europe/Sofia (EET, UTC+2)
TIERS = [(1, 10, "49.00"), (10, 50, "44.00"), (50, 250, "39.00"), (250, None, "34.00")]


def create(apps, schema_editor):
    Product = apps.get_model("commerce", "Product")
    PriceBook = apps.get_model("commerce", "PriceBook")
    PriceBookVersion = apps.get_model("commerce", "PriceBookVersion")
    PriceTier = apps.get_model("commerce", "PriceTier")
    product, _ = Product.objects.get_or_create(
        code="EPL-PRO",
        defaults={
            "name": "Softphone End-Point License (Pro)",
            "retail_amount": Decimal("49.00"),
            "currency": "EUR",
            "vat_rate": Decimal("20.00"),
        },
    )
    if PriceBook.objects.filter(organization__isnull=True).exists():
        return
    book = PriceBook.objects.create(organization=None, name="Default price book")
    version = PriceBookVersion.objects.create(book=book, effective_from=EFFECTIVE_FROM, note="Launch prices")
    PriceTier.objects.bulk_create(
        PriceTier(version=version, product=product, min_quantity=low, max_quantity=high, unit_price=Decimal(price))
        for low, high, price in TIERS
    )


class Migration(migrations.Migration):
    dependencies = [("commerce", "0002_catalog_price_books")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
