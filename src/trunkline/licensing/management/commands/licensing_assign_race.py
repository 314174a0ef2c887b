"""Assign End-Point Licenses to many end users at once from threads, and print how many succeeded (JSON).

Used by the PostgreSQL concurrency test and by ``bench/licensing.py``: start several of these processes against one
pool and sum their counts. Each thread has its own database connection; every assignment is its own request-like
transaction through ``license_assign``.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection

from trunkline.core.errors import DomainError
from trunkline.licensing.models import EndUser
from trunkline.tenancy.models import Membership
from trunkline.tenancy.roles import scopes_of


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--membership", type=int, required=True, help="Row id of the reseller membership acting.")
        parser.add_argument("--product", required=True, help="Public id of the product.")
        parser.add_argument("--offset", type=int, default=0)
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, **options: Any) -> None:
        from trunkline.core.context import RequestContext
        from trunkline.licensing.services import license_assign

        membership = Membership.objects.select_related("organization", "user").get(pk=options["membership"])
        ctx = RequestContext(
            organization=membership.organization,
            scopes=scopes_of(membership.organization.kind, membership.role),
            user=membership.user,
        )
        end_users = list(
            EndUser.objects.filter(organization=membership.organization)
            .order_by("pk")
            .values_list("public_id", flat=True)[options["offset"] : options["offset"] + options["count"]]
        )

        def one(end_user_id: Any) -> str:
            try:
                license_assign(ctx=ctx, end_user_id=end_user_id, product_id=options["product"])
                return "assigned"
            except DomainError as error:
                return error.code
            finally:
                connection.close()

        counts: dict[str, int] = {}
        with ThreadPoolExecutor(max_workers=options["threads"]) as pool:
            for outcome in pool.map(one, end_users):
                counts[outcome] = counts.get(outcome, 0) + 1
        self.stdout.write(json.dumps(counts))
