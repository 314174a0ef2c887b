"""Legal documents, their published versions, and the evidence of who accepted or objected to which version.

Versions, acceptances and objections are evidence: once written they are never changed or deleted (like the audit
trail). A version's number groups its texts in each language; its SHA-256 is of the exact UTF-8 bytes of its text.
"""

from __future__ import annotations

import hashlib
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from trunkline.core.models import OrganizationScopedModel, OrganizationScopedQuerySet, PublicIdModel

IMMUTABLE = "Published terms and their acceptance evidence cannot be changed or deleted."


def text_sha256(text: str) -> str:
    """The SHA-256 of the exact UTF-8 bytes of ``text``, as 64 lower-case hex digits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class DocumentKind(models.TextChoices):
    RESELLER_TERMS = "reseller_terms", _("Reseller terms")
    PLATFORM_TERMS = "platform_terms", _("Platform general terms")
    PRIVACY_NOTICE = "privacy_notice", _("Privacy notice")
    DATA_PROCESSING_ANNEX = "data_processing_annex", _("Data-processing annex")
    OTHER = "other", _("Other")


class Audience(models.TextChoices):
    RESELLER = "reseller", _("Resellers")
    CUSTOMER = "customer", _("Customers")
    ALL = "all", _("Resellers and customers")


class Language(models.TextChoices):
    BG = "bg", _("Bulgarian")
    EN = "en", _("English")


# The language whose text prevails when the translations differ, and the one shown when the visitor's is missing.
PREVAILING_LANGUAGE = Language.BG


class AcceptanceMethod(models.TextChoices):
    CLICK = "click", _("Clicked “I agree”")
    REGISTRATION = "registration", _("Ticked the box at registration")
    ONLINE_ORDER = "online_order", _("Placed an Online Order")
    PURCHASE_ORDER = "purchase_order", _("Purchase Order signed by both parties")
    SIGNED_AGREEMENT = "signed_agreement", _("Signed agreement")
    DEEMED = "deemed", _("Deemed: no objection within 7 days")


class ObjectionChannel(models.TextChoices):
    EMAIL_LINK = "email_link", _("Link in the email")
    APP = "app", _("In the app")
    API = "api", _("Through the API")


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError(IMMUTABLE)

    def delete(self) -> NoReturn:
        raise PermissionError(IMMUTABLE)


class ImmutableOrganizationQuerySet(OrganizationScopedQuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError(IMMUTABLE)

    def delete(self) -> NoReturn:
        raise PermissionError(IMMUTABLE)


class ImmutableMixin(models.Model):
    """Written once: a second save or a delete raises ``PermissionError``."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError(IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError(IMMUTABLE)


class LegalDocument(PublicIdModel):
    """A legal document with a stable public address, e.g. the platform general terms at /terms/platform-terms/."""

    slug = models.SlugField(_("address"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=200)
    title_bg = models.CharField(_("title in Bulgarian"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=DocumentKind.choices)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=~models.Q(kind="other"), name="terms_one_document_per_kind"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("terms:document", kwargs={"slug": self.slug})

    @property
    def display_title(self) -> str:
        """The title in the active language: Bulgarian where there is one, else the English title."""
        return self.title_bg if self.title_bg and translation.get_language() == "bg" else self.title

    def applies_to(self, organization_kind: str) -> bool:
        """Whether organisations of this kind are bound by the document (the operator never is)."""
        if organization_kind not in (Audience.RESELLER, Audience.CUSTOMER):
            return False
        return self.audience in (Audience.ALL, organization_kind)


class LegalDocumentVersion(ImmutableMixin, PublicIdModel):
    """One published text of a document: version ``number`` in one language. Immutable once published."""

    document = models.ForeignKey(LegalDocument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    text = models.TextField(_("text (Markdown)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    effective_at = models.DateTimeField(_("effective from"))
    published_at = models.DateTimeField(_("published at"))
    published_by_label = models.CharField(_("published by"), max_length=254, blank=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["document", "-number", "language"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number", "language"], name="terms_one_text_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.document.title}, v{self.number} ({self.language})"

    def get_absolute_url(self) -> str:
        url = reverse("terms:version", kwargs={"slug": self.document.slug, "number": self.number})
        return f"{url}?language={self.language}"


class TermsAcceptance(ImmutableMixin, OrganizationScopedModel):
    """Evidence that an organisation accepted one version (RT-2.1, RT-2.6, PT-1.2, PT-3.2): who, how, when, from
    where, and the hash of the exact text. Never changed or deleted."""

    version = models.ForeignKey(LegalDocumentVersion, on_delete=models.PROTECT, related_name="acceptances")
    sha256 = models.CharField(_("SHA-256 of the accepted text"), max_length=64)
    method = models.CharField(_("method"), max_length=20, choices=AcceptanceMethod.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person_label = models.CharField(_("person"), max_length=254, blank=True)  # name and email at the time
    signatory = models.CharField(_("signed by"), max_length=300, blank=True)  # on paper: name and role
    reference = models.CharField(_("reference"), max_length=100, blank=True)  # order or agreement number
    recorded_by_label = models.CharField(_("recorded by"), max_length=254, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)
    notice = models.ForeignKey(
        "notifications.Notice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # deemed: the notice whose delivery started the 7 days

    objects = ImmutableOrganizationQuerySet.as_manager()  # type: ignore[misc]  # the scoped manager, write-once

    class Meta:
        ordering = ["-accepted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version"],
                condition=models.Q(method="deemed"),
                name="terms_one_deemed_acceptance_per_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} accepted ({self.method})"


class TermsObjection(ImmutableMixin, OrganizationScopedModel):
    """An organisation objected to a changed version within the 7 days (PT-3.2); the operator sees it flagged."""

    version = models.ForeignKey(LegalDocumentVersion, on_delete=models.PROTECT, related_name="objections")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person_label = models.CharField(_("person"), max_length=254, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=ObjectionChannel.choices)
    note = models.TextField(_("note"), blank=True)
    objected_at = models.DateTimeField(_("objected at"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)

    objects = ImmutableOrganizationQuerySet.as_manager()  # type: ignore[misc]  # the scoped manager, write-once

    class Meta:
        ordering = ["-objected_at", "-id"]

    def __str__(self) -> str:
        return f"{self.version} objected"


class TermsChangeNotice(OrganizationScopedModel):
    """That an organisation was told of a changed version, and by which notice (its delivery starts the clock)."""

    version = models.ForeignKey(LegalDocumentVersion, on_delete=models.PROTECT, related_name="change_notices")
    notice = models.ForeignKey(
        "notifications.Notice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # none when the organisation has no account email: then there is no clock

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "version"], name="terms_one_change_notice_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.version} notice"
