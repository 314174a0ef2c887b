from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trunkline.core.models import OrganizationScopedModel

FREE_PLAN = "free"


class Registration(OrganizationScopedModel):
    """A free-plan registration (PT-5.2): what the newcomer entered, and the evidence of the terms they were shown and
    accepted, kept until they confirm by setting their password through the emailed link (PT-5.4)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    plan = models.CharField(_("plan"), max_length=32, default=FREE_PLAN)
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=20)
    company = models.CharField(_("company"), max_length=200)
    website = models.URLField(_("website"), max_length=300)
    employees_serving_end_users = models.PositiveIntegerField(_("employees who serve end users"))
    country = models.CharField(_("country"), max_length=2)
    language = models.CharField(_("language"), max_length=8)
    # The version of each document shown on the form, {"platform_terms": "<version public id>", ...}, and where
    # the checkbox was ticked from: recorded as acceptance evidence when the password is confirmed (PT-1.2).
    terms_versions = models.JSONField(default=dict)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="onboarding_one_registration_per_organization")
        ]

    def __str__(self) -> str:
        return f"{self.company} ({self.plan})"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None
