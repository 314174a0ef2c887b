"""Licensing: policies, pools, end users, End-Point and Test Licenses, activations, resets, disable-all blocks.

Counters that must never be overdrawn (a pool's licenses, a reseller's affiliated share) are changed only by
conditional UPDATEs, and backed by CHECK constraints; "one device per license" and "one reset per license per ISO
week" are partial UNIQUE constraints, so two racing requests cannot both win even if code reads stale state.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from trunkline.core.models import OrganizationScopedModel, PublicIdModel, TimestampedModel

POLICY_FIELDS = (
    "devices_per_license",
    "resets_per_week",
    "reset_time_zone",
    "test_validity_days",
    "test_occasions_per_end_user",
    "affiliated_cap_percent",
    "penalty_multiplier",
    "certificate_lifetime_days",
    "certificate_grace_days",
    "disable_all_automatically",
)


class LicensingPolicy(TimestampedModel):
    """The numbers of the licensing rules, as data. A row without product and reseller is the default; a product row
    overrides it for that product; a row with a reseller overrides both for that reseller (and product, if given)."""

    product = models.ForeignKey("commerce.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "tenancy.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    devices_per_license = models.PositiveSmallIntegerField(
        _("devices per license"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    resets_per_week = models.PositiveSmallIntegerField(
        _("resets per ISO week"), default=1, validators=[MaxValueValidator(100)]
    )
    reset_time_zone = models.CharField(_("time zone of the reset week"), max_length=64, default="Europe/Sofia")
    test_validity_days = models.PositiveSmallIntegerField(
        _("test license validity (days)"), default=14, validators=[MinValueValidator(1)]
    )
    test_occasions_per_end_user = models.PositiveSmallIntegerField(_("test occasions per end user"), default=2)
    affiliated_cap_percent = models.DecimalField(
        _("affiliated cap (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    penalty_multiplier = models.DecimalField(_("penalty multiplier"), max_digits=5, decimal_places=2, default=2)
    certificate_lifetime_days = models.PositiveSmallIntegerField(
        _("certificate lifetime (days)"), default=30, validators=[MinValueValidator(1)]
    )
    certificate_grace_days = models.PositiveSmallIntegerField(_("offline grace (days)"), default=7)
    disable_all_automatically = models.BooleanField(
        _("disable all licenses automatically when a penalty is overdue"), default=True
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Coalesce("product", 0), Coalesce("organization", 0), name="licensing_one_policy_per_scope"
            )
        ]

    def __str__(self) -> str:
        return f"policy {self.product_id or '*'} / {self.organization_id or '*'}"

    def snapshot(self) -> dict[str, object]:
        """The values in force, stored with every decision that used them."""
        values: dict[str, object] = {"policy_id": self.pk}
        for name in POLICY_FIELDS:
            value = getattr(self, name)
            values[name] = str(value) if isinstance(value, Decimal) else value
        return values


class Pool(PublicIdModel):
    """A reseller's End-Point Licenses of one product (RT-3.3, RT-4.4) and its Test License allotment (RT-4.6)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("commerce.Product", on_delete=models.PROTECT, related_name="+")
    purchased = models.PositiveIntegerField(default=0)
    assigned = models.PositiveIntegerField(default=0)
    forfeited = models.PositiveIntegerField(default=0)
    test_allotment = models.PositiveIntegerField(default=0)
    test_assigned = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["organization", "product"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "product"], name="licensing_one_pool_per_product"),
            models.CheckConstraint(
                condition=Q(assigned__lte=F("purchased") - F("forfeited")), name="licensing_pool_never_overdrawn"
            ),
            models.CheckConstraint(
                condition=Q(test_assigned__lte=F("test_allotment")), name="licensing_test_allotment_never_overdrawn"
            ),
        ]

    def __str__(self) -> str:
        return f"pool {self.organization_id}/{self.product_id}"

    @property
    def available(self) -> int:
        return self.purchased - self.assigned - self.forfeited

    @property
    def test_available(self) -> int:
        return self.test_allotment - self.test_assigned


class PoolCreditKind(models.TextChoices):
    ORDER = "order", _("Paid order")
    TEST_ALLOTMENT = "test_allotment", _("Test allotment granted by staff")
    FORFEIT = "forfeit", _("Forfeited on termination")


class PoolCredit(TimestampedModel):
    """One change of a pool's size, with its source. An order credits at most once (unique), so a repeated
    OrderPaid never grows the pool twice (RT-3.3)."""

    pool = models.ForeignKey(Pool, on_delete=models.PROTECT, related_name="credits")
    kind = models.CharField(max_length=16, choices=PoolCreditKind.choices)
    quantity = models.IntegerField()
    order_public_id = models.UUIDField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    actor_label = models.CharField(max_length=254, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pool", "order_public_id"],
                condition=Q(kind="order"),
                name="licensing_one_credit_per_order_and_pool",
            ),
        ]


class LicensingAccount(TimestampedModel):
    """A reseller's licensing counters across products: provided End-Point Licenses and those to Affiliated Parties
    (RT-4.10), and whether all its licenses are disabled (RT-6.4)."""

    organization = models.OneToOneField("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    provided = models.PositiveIntegerField(default=0)
    affiliated = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(affiliated__lte=F("provided")), name="licensing_affiliated_subset")
        ]


class EndUser(OrganizationScopedModel):
    """A person or company a reseller provides licenses to (RT-4.3). Name, email, phone and address are personal
    data (RT-7.1.2, see ``licensing.personal_data``)."""

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    is_affiliated = models.BooleanField(_("Affiliated Party"))
    external_reference = models.CharField(_("your reference"), max_length=100, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["organization", "email"])]

    def __str__(self) -> str:
        return self.name


class EndUserImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")


class EndUserImport(OrganizationScopedModel):
    """A CSV import of end users (RT-4.3), run by a background task: the uploaded file, how many rows it has, how many
        are done and created, and the refused rows as ``[{"row": line number, "message": text}]``. ``rows_done`` is the
        task's resume point: a second run of the task continues from it and never creates a row twice. The file holds
    personal data: it is emptied ``LICENSING_IMPORT_RETENTION_DAYS`` after the import (``data_purged_at``)."""

    file_name = models.CharField(max_length=255, blank=True)
    data = models.BinaryField()
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=254)
    language = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=8, choices=EndUserImportStatus.choices, default=EndUserImportStatus.PENDING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    data_purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=F("rows_total")), name="licensing_import_done_within_total"
            ),
            models.CheckConstraint(
                condition=Q(created__lte=F("rows_done")), name="licensing_import_created_within_done"
            ),
        ]

    def __str__(self) -> str:
        return self.file_name or str(self.public_id)

    @property
    def is_finished(self) -> bool:
        return self.status == EndUserImportStatus.DONE


class EndUserAffiliation(models.Model):
    """The history of an end user's Affiliated Party flag (RT-4.11): the first choice and every change."""

    end_user = models.ForeignKey(EndUser, on_delete=models.CASCADE, related_name="affiliations")
    is_affiliated = models.BooleanField()
    reason = models.CharField(max_length=500, blank=True)
    actor_label = models.CharField(max_length=254)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.end_user_id}: affiliated={self.is_affiliated} at {self.at.isoformat()}"


class LicenseKind(models.TextChoices):
    REGULAR = "regular", _("End-Point License")
    TEST = "test", _("Test License")


class LicenseStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")


class License(OrganizationScopedModel):
    """One End-Point or Test License given to an end user. Only the key's hash is stored."""

    end_user = models.ForeignKey(EndUser, on_delete=models.PROTECT, related_name="licenses")
    product = models.ForeignKey("commerce.Product", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=LicenseKind.choices)
    status = models.CharField(max_length=8, choices=LicenseStatus.choices, default=LicenseStatus.ACTIVE)
    key_hash = models.CharField(max_length=64, unique=True)
    key_hint = models.CharField(max_length=8)
    assigned_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    expired_reason = models.CharField(max_length=32, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.CharField(max_length=254)
    policy = models.JSONField(default=dict)
    last_validated_at = models.DateTimeField(null=True, blank=True)
    key_reissue_window_started_at = models.DateTimeField(null=True, blank=True)
    key_reissues_in_window = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-assigned_at", "-pk"]
        indexes = [models.Index(fields=["organization", "kind", "assigned_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="regular") | Q(expires_at__isnull=False), name="licensing_test_license_expires"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key_hint}"


class ActivationMethod(models.TextChoices):
    ONLINE = "online", _("Online")
    OFFLINE = "offline", _("Offline (by staff)")


class Activation(PublicIdModel):
    """A license bound to one device (RT-1.1.1). While ``ended_at`` is empty it occupies a device slot; the partial
    unique constraint on (license, slot) lets the database refuse a second device even under a race."""

    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="activations")
    slot = models.PositiveSmallIntegerField(default=0)
    fingerprint_hash = models.CharField(max_length=64)
    device_name = models.CharField(max_length=200, blank=True)
    product_version = models.CharField(max_length=64, blank=True)
    method = models.CharField(max_length=8, choices=ActivationMethod.choices, default=ActivationMethod.ONLINE)
    activated_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=16, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    certificate_issued_at = models.DateTimeField(null=True, blank=True)
    policy = models.JSONField(default=dict)

    class Meta:
        ordering = ["-activated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["license", "slot"], condition=Q(ended_at__isnull=True), name="licensing_one_device_per_slot"
            ),
            models.UniqueConstraint(
                fields=["license", "fingerprint_hash"],
                condition=Q(ended_at__isnull=True),
                name="licensing_device_bound_once",
            ),
        ]


class ResetBy(models.TextChoices):
    END_USER = "end_user", _("End user")
    STAFF = "staff", _("Vendor staff (override)")


class Reset(models.Model):
    """A reset that freed a device (RT-4.5). End-user resets of one license take numbered places within their ISO
    week; the unique constraint allows only ``resets_per_week`` places, so a second reset in the week fails in the
    database too. Staff overrides take no place and carry a reason."""

    license = models.ForeignKey(License, on_delete=models.PROTECT, related_name="resets")
    activation = models.ForeignKey(Activation, on_delete=models.PROTECT, related_name="+")
    week = models.DateField()
    week_slot = models.PositiveSmallIntegerField(null=True, blank=True)
    by = models.CharField(max_length=8, choices=ResetBy.choices)
    reason = models.CharField(max_length=500, blank=True)
    actor_label = models.CharField(max_length=254)
    at = models.DateTimeField()
    policy = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["license", "week", "week_slot"],
                condition=Q(by="end_user"),
                name="licensing_one_reset_per_week_slot",
            ),
            models.CheckConstraint(
                condition=Q(by="staff", week_slot__isnull=True) | Q(by="end_user", week_slot__isnull=False),
                name="licensing_reset_slot_matches_actor",
            ),
        ]

    def __str__(self) -> str:
        return f"reset of {self.license_id} at {self.at.isoformat()} by {self.by}"
