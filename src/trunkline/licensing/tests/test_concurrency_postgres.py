"""1,000 concurrent assignment requests against a pool of 100 on PostgreSQL (RT-4.4): exactly 100 succeed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from trunkline.licensing.models import EndUser, License, LicensingAccount, Pool
from trunkline.licensing.tests.conftest import credit_pool_directly

ROOT = Path(__file__).resolve().parents[4]
PROCESSES, THREADS, REQUESTS = 8, 10, 1000


@pytest.mark.rule("RT-4.4")
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_thousand_concurrent_assignments_never_oversell_a_pool_of_100(reseller, product):
    """8 processes × 10 threads send 1,000 assignments at once: 100 succeed, 900 get licensing.pool_exhausted,
    the pool reads 0 available and exactly 100 licenses exist."""
    if connection.vendor != "postgresql":
        pytest.skip("Real concurrency needs PostgreSQL's row locks; SQLite serialises writers.")
    credit_pool_directly(reseller.organization, product, 100)
    EndUser.objects.bulk_create(
        EndUser(organization=reseller.organization, name=f"User {n}", email=f"user{n}@example.com", is_affiliated=False)
        for n in range(REQUESTS)
    )
    database = settings.DATABASES["default"]
    host = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    url = f"postgresql://{database['USER'] or 'postgres'}@{host}/{database['NAME']}"
    environment = {**os.environ, "DATABASE_URL": url, "EMAIL_URL": "memory:", "TRUNKLINE_ENV": "test"}
    share = REQUESTS // PROCESSES
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "licensing_assign_race",
                f"--membership={reseller.pk}",
                f"--product={product.public_id}",
                f"--offset={index * share}",
                f"--count={share}",
                f"--threads={THREADS}",
            ],
            env=environment,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for index in range(PROCESSES)
    ]
    totals: dict[str, int] = {}
    for worker in workers:
        output, _ = worker.communicate(timeout=300)
        assert worker.returncode == 0
        for outcome, count in json.loads(output.strip().splitlines()[-1]).items():
            totals[outcome] = totals.get(outcome, 0) + count
    assert totals == {"assigned": 100, "licensing.pool_exhausted": 900}
    pool = Pool.objects.get()
    assert (pool.assigned, pool.available) == (100, 0)
    assert License.objects.count() == 100
    assert LicensingAccount.objects.get().provided == 100
