"""1,000 concurrent assignment requests against a pool of 100 on PostgreSQL (RT-4.4): exactly 100 succeed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

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


@pytest.mark.rule("RT-1.1.1")
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_devices_activating_one_license_at_once_bind_exactly_one(reseller, product):
    """20 threads activate one license on 20 devices at the same instant (hot path, then the locked path for the
    losers): one binds, 19 get already_active_on_another_device; one activation and one audit event exist."""
    import threading

    from django.db import connections

    from trunkline.audit.models import AuditEvent
    from trunkline.licensing.errors import ActivationRefusedError
    from trunkline.licensing.models import Activation
    from trunkline.licensing.services import activation_activate, license_assign
    from trunkline.licensing.tests.conftest import new_end_user
    from trunkline.testing.factories import ctx_for

    credit_pool_directly(reseller.organization, product, 1)
    ctx = ctx_for(reseller)
    _license, key = license_assign(ctx=ctx, end_user_id=new_end_user(ctx).public_id, product_id=product.public_id)
    start = threading.Barrier(20, timeout=60)
    outcomes: list[str] = []
    lock = threading.Lock()

    def activate(device: int) -> None:
        try:
            start.wait()
            activation_activate(key=key, fingerprint=f"sha256:{device:064x}")
            outcome = "bound"
        except ActivationRefusedError as error:
            outcome = error.code
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=activate, args=(device,)) for device in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already_active_on_another_device"] * 19 + ["bound"]
    assert Activation.objects.filter(ended_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(action="licensing.license_activated").count() == 1
