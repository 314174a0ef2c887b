from django.contrib import admin
from django.urls import include, path

from trunkline.api import api
from trunkline.licensing.activation_api import api as licensing_api
from trunkline.web import health

urlpatterns = [
    path("hooks/", include("trunkline.inbox.hook_urls")),  # providers' webhooks: the hot path, resolved first
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("licensing/v1/", licensing_api.urls),
    path("accounts/", include("allauth.urls")),
    path("django-admin/", admin.site.urls),
    path("", include("trunkline.notifications.urls")),
    path("", include("trunkline.terms.urls")),
    path("", include("trunkline.onboarding.urls")),
    path("", include("trunkline.commerce.urls")),
    path("", include("trunkline.billing.urls")),
    path("", include("trunkline.licensing.urls")),
    path("", include("trunkline.support.urls")),
    path("", include("trunkline.telephony.urls")),
    path("", include("trunkline.inbox.urls")),
    path("", include("trunkline.web.urls")),
]
