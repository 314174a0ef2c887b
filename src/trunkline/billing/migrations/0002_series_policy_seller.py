"""The two numbering series (proforma ``PF``; tax invoices and credit notes, 10 digits from 0000000001, never reset),
the default billing policy, and a placeholder seller for staff to complete."""

from django.db import migrations


def seed(apps, schema_editor):
    NumberSeries = apps.get_model("billing", "NumberSeries")
    BillingPolicy = apps.get_model("billing", "BillingPolicy")
    Seller = apps.get_model("billing", "Seller")
    NumberSeries.objects.get_or_create(code="proforma", defaults={"prefix": "PF"})
    NumberSeries.objects.get_or_create(code="tax", defaults={"prefix": ""})
    BillingPolicy.objects.get_or_create(pk=1)
    if not Seller.objects.exists():
        Seller.objects.create(
            name="Trunkline Vendor EOOD",
            name_bg="Трънклайн Вендор ЕООД",
            vat_number="BG175074752",
            company_id="175074752",
            address="1 Vitosha Blvd, 1000 Sofia, Bulgaria",
            address_bg="бул. Витоша 1, 1000 София, България",
            iban="BG80BNBG96611020345678",
            bic="BNBGBGSD",
            bank_name="Example Bank AD",
            email="billing@example.com",
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
