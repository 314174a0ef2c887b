"""Seed the default licensing policy with the numbers of the reseller terms (RT-1.1.1, RT-4.5, RT-4.6, RT-4.10,
RT-6.4). Staff change them per product or per reseller as data; this row is the fallback."""

from decimal import Decimal

from django.db import migrations


def create(apps, schema_editor):
    LicensingPolicy = apps.get_model("licensing", "LicensingPolicy")
    if not LicensingPolicy.objects.filter(product__isnull=True, organization__isnull=True).exists():
        LicensingPolicy.objects.create(
            devices_per_license=1,
            resets_per_week=1,
            reset_time_zone="Europe/Sofia",
            test_validity_days=14,
            test_occasions_per_end_user=2,
            affiliated_cap_percent=Decimal("10.00"),
            penalty_multiplier=Decimal("2.00"),
            certificate_lifetime_days=30,
            certificate_grace_days=7,
            disable_all_automatically=True,
            note="Defaults of the reseller terms.",
        )


class Migration(migrations.Migration):
    dependencies = [("licensing", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
