"""Demo licensing data for the demo reseller (called by ``manage.py demo_data`` after its paid orders grew the pool):
end users, End-Point Licenses assigned over the last weeks, activations, a reset and a Test License. Idempotent."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.licensing.models import EndUser, Pool
from trunkline.licensing.services import (
    activation_activate,
    activation_reset,
    end_user_create,
    license_assign,
    license_test_assign,
    pool_test_allotment_grant,
)
from trunkline.tenancy.models import Organization

END_USERS = [
    ("Sofia Dental Clinic", "reception@sofiadental.example", "+35929876543", "Sofia, 12 Vitosha Blvd", False),
    ("Plovdiv Logistics Ltd", "it@plovdivlogistics.example", "+35932123456", "Plovdiv, 4 Tsar Boris III", False),
    ("Varna Sea Travel", "office@varnasea.example", "+35952600700", "Varna, 1 Primorski Blvd", False),
    ("Burgas Auto Parts", "service@burgasauto.example", "", "Burgas, 22 Aleksandrovska", False),
    ("Ruse Law Office", "desk@ruselaw.example", "", "Ruse, 8 Svoboda Sq", False),
    ("Stara Zagora Print", "hello@szprint.example", "", "", False),
    ("Pleven Pharmacy", "orders@plevenpharma.example", "", "", False),
    ("Sliven Textiles", "admin@slivtex.example", "", "", False),
    ("Dobrich Farms Coop", "coop@dobrichfarms.example", "", "", False),
    ("Shumen Architects", "studio@shumenarch.example", "", "", False),
    ("Georgiev Family Holding", "ivan.georgiev@balkanvoice.example", "", "Sofia", True),
    ("Blagoevgrad Language School", "school@blagolang.example", "", "", False),
]


def _device(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def licensing_demo_load(*, reseller_ctx: RequestContext, staff_ctx: RequestContext) -> None:
    reseller: Organization = reseller_ctx.organization
    if EndUser.objects.filter(organization=reseller).exists():
        return
    pool = Pool.objects.filter(organization=reseller).select_related("product").first()
    if pool is None or pool.available < len(END_USERS):
        return
    product = pool.product
    pool_test_allotment_grant(
        ctx=staff_ctx,
        organization_id=reseller.public_id,
        product_id=product.public_id,
        quantity=20,
        reason="Demo: trial licenses for the reseller's prospects",
    )
    now = clock.now()
    for index, (name, email, phone, address, affiliated) in enumerate(END_USERS):
        assigned_at = now - timedelta(days=27 - 2 * index, hours=index)
        end_user = end_user_create(
            ctx=reseller_ctx,
            name=name,
            email=email,
            phone=phone,
            address=address,
            is_affiliated=affiliated,
            at=assigned_at - timedelta(hours=1),
        )
        if index == len(END_USERS) - 1:  # a prospect on a Test License
            _license, key = license_test_assign(
                ctx=reseller_ctx,
                end_user_id=end_user.public_id,
                product_id=product.public_id,
                at=now - timedelta(days=3),
            )
            activation_activate(
                key=key, fingerprint=_device(name), device_name="Reception PC", at=now - timedelta(days=3)
            )
            continue
        _license, key = license_assign(
            ctx=reseller_ctx, end_user_id=end_user.public_id, product_id=product.public_id, at=assigned_at
        )
        if index % 3 != 2:
            activation_activate(
                key=key,
                fingerprint=_device(name),
                device_name=f"{name.split()[0]} office PC",
                product_version="5.2.0",
                at=assigned_at + timedelta(hours=2),
            )
        if index == 0:  # the clinic moved to a new computer this week
            activation_reset(key=key, at=now - timedelta(hours=5))
            activation_activate(
                key=key,
                fingerprint=_device(name + " new"),
                device_name="Reception PC (new)",
                at=now - timedelta(hours=4),
            )
