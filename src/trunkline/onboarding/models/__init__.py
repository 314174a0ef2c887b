from trunkline.onboarding.models.access import CountryAccess
from trunkline.onboarding.models.registrations import Registration

__all__ = ["CountryAccess", "Registration"]
