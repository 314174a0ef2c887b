"""Load demo organisations and people (idempotent) and print their logins."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from trunkline.accounts.models import User
from trunkline.accounts.services import user_create
from trunkline.billing.services import invoice_order, payment_record
from trunkline.commerce.models import Order, Product
from trunkline.commerce.services import order_place_online, order_sign, purchase_order_create
from trunkline.core import clock
from trunkline.core.context import RequestContext
from trunkline.core.money import round_half_up
from trunkline.inbox.demo import inbox_demo
from trunkline.licensing.demo import licensing_demo_load
from trunkline.support.demo import support_demo_load
from trunkline.tenancy.models import Membership, Organization, OrganizationStatus
from trunkline.tenancy.roles import scopes_of
from trunkline.tenancy.services import organization_create
from trunkline.terms.selectors import terms_acceptance_overview
from trunkline.terms.services import terms_accept

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

    def _pbx(self) -> None:
        """The clinic's PBX: numbers, forwarding and a week of calls (see ``trunkline.telephony.demo``)."""
        from trunkline.telephony.demo import pbx_demo_load

        pbx_demo_load(
            operator=Organization.objects.get(kind="operator"),
            customer=Organization.objects.get(name="Sofia Dental Clinic", kind="customer"),
        )

    def _sign_agreements(self) -> None:
        """The demo reseller and customer signed their agreements on paper; the operator records that evidence."""
        operator = Organization.objects.get(kind="operator")
        staff = Membership.objects.filter(organization=operator, role="admin").select_related("user").first()
        if staff is None:
            return
        ctx = RequestContext(organization=operator, scopes=scopes_of("operator", "admin"), user=staff.user)
        for organization in Organization.objects.filter(kind__in=("reseller", "customer")):
            for status in terms_acceptance_overview(organization=organization):
                if status.version is not None and not status.accepted:
                    terms_accept(
                        ctx=ctx,
                        version_id=status.version.public_id,
                        method="signed_agreement",
                        ip=None,
                        user_agent="",
                        organization_id=organization.public_id,
                        signatory="Demo signatory, manager",
                    )

    def _orders_and_invoices(self) -> None:
        """The demo reseller's money trail: a paid and fulfilled order of 250, an order half paid, and a Purchase
        Order it signed that waits for the vendor's signature."""
        reseller = Organization.objects.get(name="Balkan Voice Resellers", kind="reseller")
        if Order.objects.filter(organization=reseller).exists():
            return
        reseller.vat_number, reseller.address = "BG131468980", "12 Tsar Osvoboditel Blvd, 9000 Varna, Bulgaria"
        reseller.save(update_fields=["vat_number", "address"])
        operator = Organization.objects.get(kind="operator")
        staff = Membership.objects.get(organization=operator, user__email="staff@operator.example")
        admin = Membership.objects.get(organization=reseller, user__email="reseller@balkanvoice.example")
        staff_ctx = RequestContext(organization=operator, scopes=scopes_of("operator", "admin"), user=staff.user)
        reseller_ctx = RequestContext(organization=reseller, scopes=scopes_of("reseller", "admin"), user=admin.user)
        product = Product.objects.get(code="EPL-PRO")
        today = clock.local(clock.now(), "Europe/Sofia").date()
        for quantity, paid in ((250, "full"), (40, "half")):
            order = order_place_online(ctx=reseller_ctx, product_id=product.public_id, quantity=quantity)
            proforma = invoice_order(ctx=staff_ctx, order_id=order.public_id)
            amount = proforma.gross_amount if paid == "full" else round_half_up(proforma.gross_amount / 2, "EUR")
            payment_record(
                ctx=staff_ctx,
                organization_id=reseller.public_id,
                amount=amount,
                currency=proforma.currency,
                received_on=today,
                reference=f"Payment for {proforma.display_number}",
            )
        purchase = purchase_order_create(ctx=reseller_ctx, product_id=product.public_id, quantity=500)
        order_sign(ctx=reseller_ctx, order_id=purchase.public_id, signer_name="Ivan Georgiev, managing director")

    def _licensing(self) -> None:
        """End users, assigned and activated licenses and a Test License, from the pool the paid order filled."""
        reseller = Organization.objects.get(name="Balkan Voice Resellers", kind="reseller")
        operator = Organization.objects.get(kind="operator")
        staff = Membership.objects.get(organization=operator, user__email="staff@operator.example")
        admin = Membership.objects.get(organization=reseller, user__email="reseller@balkanvoice.example")
        licensing_demo_load(
            reseller_ctx=RequestContext(organization=reseller, scopes=scopes_of("reseller", "admin"), user=admin.user),
            staff_ctx=RequestContext(organization=operator, scopes=scopes_of("operator", "admin"), user=staff.user),
        )

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
            self._sign_agreements()
            self._orders_and_invoices()
            self._licensing()
            support_demo_load()
            self._pbx()
            inbox_demo(organization=Organization.objects.get(name="Sofia Dental Clinic", kind="customer"))
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in at http://127.0.0.1:8000/accounts/login/"))
        for org_name, kind, email, role, *_ in DEMO:
            shown = Organization.objects.get(kind="operator").name if kind == "operator" else org_name
            self.stdout.write(f"  {kind:<9} {role:<6} {email:<32} {DEMO_PASSWORD}   ({shown})")
