"""The operator organisation exists from the first setup: every deployment has exactly one."""

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def create_operator(apps, schema_editor):
    Organization = apps.get_model("tenancy", "Organization")
    if not Organization.objects.filter(kind="operator").exists():
        Organization.objects.create(
            name=settings.OPERATOR_NAME, kind="operator", status="active", status_changed_at=timezone.now(),
            email=settings.OPERATOR_EMAIL, language="en",
        )


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]
    operations = [migrations.RunPython(create_operator, migrations.RunPython.noop)]
