"""Load demo organisations and people (idempotent) and print their logins."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from trunkline.accounts.models import User
from trunkline.accounts.services import user_create
from trunkline.tenancy.models import Membership, Organization, OrganizationStatus
from trunkline.tenancy.services import organization_create

DEMO_PASSWORD = "trunkline-demo"
DEMO = [
    # organisation name, kind, email, role, first name, last name, language
    ("the operator", "operator", "staff@operator.example", "admin", "Olga", "Petrova", "en"),
    ("Balkan Voice Resellers", "reseller", "reseller@balkanvoice.example", "admin", "Ivan", "Georgiev", "en"),
    ("Sofia Dental Clinic", "customer", "admin@sofiadental.example", "admin", "Maria", "Ivanova", "bg"),
    ("Sofia Dental Clinic", "customer", "agent@sofiadental.example", "agent", "Petar", "Dimitrov", "bg"),
]


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: object, **options: object) -> None:
        with transaction.atomic():
            for org_name, kind, email, role, first_name, last_name, language in DEMO:
                organization = (
                    Organization.objects.filter(kind="operator").first()
                    if kind == "operator"
                    else Organization.objects.filter(name=org_name, kind=kind).first()
                ) or organization_create(
                    ctx=None, name=org_name, kind=kind, email=email, status=OrganizationStatus.ACTIVE, language=language
                )
                user = User.objects.filter(email=email).first() or user_create(
                    email=email,
                    first_name=first_name,
                    last_name=last_name,
                    language=language,
                    password=DEMO_PASSWORD,
                    email_verified=True,
                )
                Membership.objects.get_or_create(organization=organization, user=user, defaults={"role": role})
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in at http://127.0.0.1:8000/accounts/login/"))
        for org_name, kind, email, role, *_ in DEMO:
            self.stdout.write(f"  {kind:<9} {role:<6} {email:<32} {DEMO_PASSWORD}   ({org_name})")
