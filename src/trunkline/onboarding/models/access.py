from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from trunkline.core.models import PublicIdModel


class CountryAccess(PublicIdModel):
    """The countries an organisation's people may use the web interface from (PT-8.3). Without a row, only the
    organisation's registered country is allowed; an agreement may allow more."""

    organization = models.OneToOneField("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    allowed_countries = models.JSONField(_("allowed countries"), default=list)

    def __str__(self) -> str:
        return f"{self.organization}: {', '.join(self.allowed_countries)}"
