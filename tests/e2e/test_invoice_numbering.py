"""Tax invoice numbers under real concurrency: several processes issue invoices at the same moment on PostgreSQL, and
the numbers come out 1..N with no gap and no duplicate — also when some of the issuing transactions roll back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from trunkline.billing.models import Invoice
from trunkline.testing.factories import OrganizationFactory

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 4
PER_PROCESS = 15

# Each process issues PER_PROCESS invoices, one transaction each; every third transaction fails after taking its
# number (and so must give it back). They all start together, waiting on a file.
ISSUER = """
import os, time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from django.db import transaction
from trunkline.billing.services import LineData, document_issue
from trunkline.tenancy.models import Organization

organization = Organization.objects.get(pk=int(os.environ["ISSUE_ORGANIZATION"]))
go, count = Path(os.environ["ISSUE_GO"]), int(os.environ["ISSUE_COUNT"])
start_by = time.monotonic() + 60
while not go.exists():  # the start barrier, so all issuers race; give up rather than wait forever
    if time.monotonic() > start_by:
        raise SystemExit("the test never said go")
    time.sleep(0.01)
issued = attempt = 0
while issued < count:
    attempt += 1
    try:
        with transaction.atomic():
            document_issue(
                ctx=None, organization=organization, kind="invoice", purpose="order", currency="EUR",
                lines=[LineData(description="x", quantity=Decimal(1), unit_price=Decimal(1), net=Decimal(1),
                                vat_rate=Decimal(20))],
                due_in_days=7, at=datetime(2026, 11, 2, 9, tzinfo=UTC), notify=False,
            )
            if attempt % 3 == 0:
                raise RuntimeError("rolled back after taking a number")
        issued += 1
    except RuntimeError:
        pass
"""


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_issuers_leave_no_gaps_and_no_duplicates(tmp_path):
    organization = OrganizationFactory.create(kind="reseller")
    database = settings.DATABASES["default"]
    host = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    url = f"postgresql://{database['USER'] or 'postgres'}@{host}/{database['NAME']}"
    go = tmp_path / "go"
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "TRUNKLINE_ENV": "test",
        "ISSUE_ORGANIZATION": str(organization.pk),
        "ISSUE_GO": str(go),
        "ISSUE_COUNT": str(PER_PROCESS),
    }
    command = [sys.executable, str(ROOT / "manage.py"), "shell", "--no-startup", "-c", ISSUER]
    issuers = [subprocess.Popen(command, env=environment, cwd=ROOT) for _ in range(PROCESSES)]
    go.touch()
    assert [issuer.wait(timeout=180) for issuer in issuers] == [0] * PROCESSES

    numbers = sorted(int(n) for n in Invoice.objects.filter(kind="invoice").values_list("number", flat=True))
    assert numbers == list(range(1, PROCESSES * PER_PROCESS + 1))
