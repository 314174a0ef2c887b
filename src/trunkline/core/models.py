"""Abstract models every app builds on. No concrete models live in core."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models

from trunkline.core.errors import NotFoundError
from trunkline.core.ids import new_public_id

if TYPE_CHECKING:
    from trunkline.tenancy.models import Organization


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PublicIdModel(TimestampedModel):
    """A model that appears in URLs by a random UUID, never by its row id."""

    public_id = models.UUIDField(default=new_public_id, unique=True, editable=False)

    class Meta:
        abstract = True


class OrganizationScopedQuerySet(models.QuerySet):
    def for_org(self, organization: Organization) -> Self:
        """Rows of one organisation only. Every tenant-owned read starts here."""
        return self.filter(organization=organization)

    def get_for_org(self, organization: Organization, **lookup: Any) -> Any:
        """One row of ``organization``; another organisation's row answers ``NotFoundError`` (404)."""
        try:
            return self.for_org(organization).get(**lookup)
        except (ObjectDoesNotExist, ValueError, TypeError, ValidationError):
            raise NotFoundError() from None


class OrganizationScopedModel(PublicIdModel):
    """A row owned by one organisation (a tenant). The organisation is never null."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        abstract = True
