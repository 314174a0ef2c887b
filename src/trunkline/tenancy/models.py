from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trunkline.core.models import OrganizationScopedQuerySet, PublicIdModel
from trunkline.core.validators import validate_time_zone, validate_vat_number
from trunkline.tenancy.roles import ALL_ROLE_NAMES, role_label, scopes_of


class OrganizationKind(models.TextChoices):
    OPERATOR = "operator", _("Operator")
    RESELLER = "reseller", _("Reseller")
    CUSTOMER = "customer", _("Customer")


class OrganizationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")


class StatusGround(models.TextChoices):
    """Why an organisation was suspended or terminated (PT-6.3, PT-6.12, PT-8.8, PT-23.5)."""

    NON_PAYMENT = "non_payment", _("Non-payment")
    BREACH = "breach", _("Breach of the terms")
    THIRD_PARTY_COMPLAINT = "third_party_complaint", _("Third-party complaint (temporary restriction)")
    UNSOLICITED_CALLS = "unsolicited_calls", _("Unsolicited calls")
    CUSTOMER_REQUEST = "customer_request", _("At the customer's request")
    OTHER = "other", _("Other")


class Organization(PublicIdModel):
    """A tenant: the operator itself, a reseller of End-Point Licenses, or a customer of the Platform."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganizationKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=OrganizationStatus.choices, default=OrganizationStatus.PENDING
    )
    status_reason = models.CharField(_("status reason"), max_length=500, blank=True)
    status_ground = models.CharField(_("ground"), max_length=32, choices=StatusGround.choices, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    country = models.CharField(_("registered country"), max_length=2, default="BG")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Sofia", validators=[validate_time_zone])
    language = models.CharField(_("language"), max_length=8, default="bg", choices=settings.LANGUAGES)
    email = models.EmailField(_("account email"), blank=True)
    vat_number = models.CharField(
        _("VAT number"), max_length=20, blank=True, validators=[validate_vat_number], help_text=_("e.g. BG175074752")
    )
    address = models.TextField(_("registered address"), blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(kind="operator"), name="tenancy_one_operator_organization"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Membership(PublicIdModel):
    """A person's place in an organisation, with one role that maps to scopes."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=[(name, name) for name in ALL_ROLE_NAMES])
    is_active = models.BooleanField(default=True)
    invitation_sent_at = models.DateTimeField(null=True, blank=True)
    invitations_sent = models.PositiveIntegerField(default=0)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="tenancy_one_membership_per_user_and_org")
        ]

    @property
    def role_label(self) -> str:
        return role_label(self.organization.kind, self.role)

    @property
    def scopes(self) -> frozenset[str]:
        return scopes_of(self.organization.kind, self.role)

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"
