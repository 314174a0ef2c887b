"""The one JSON API at /api/v1/: every app's router, one auth, one error shape."""

from __future__ import annotations

from ninja import NinjaAPI

from trunkline.accounts.api import router as accounts_router
from trunkline.accounts.auth import platform_auth
from trunkline.audit.api import router as audit_router
from trunkline.billing.api import router as billing_router
from trunkline.commerce.api import router as commerce_router
from trunkline.core.api import install_error_handlers
from trunkline.inbox.api import router as inbox_router
from trunkline.licensing.api import router as licensing_router
from trunkline.notifications.api import router as notifications_router
from trunkline.onboarding.api import router as onboarding_router
from trunkline.support.api import router as support_router
from trunkline.telephony.api import router as telephony_router
from trunkline.tenancy.api import router as tenancy_router
from trunkline.terms.api import router as terms_router

api = NinjaAPI(
    title="Trunkline API",
    version="1",
    description=(
        "Authenticate with `Authorization: Bearer <API key>` or a browser session. Errors are "
        '`{"code", "message", "detail"}`. Lists take `page`, `page_size` and `ordering`. A POST may carry an '
        "`Idempotency-Key` header: a retry with the same key returns the first response and writes nothing twice."
    ),
    auth=platform_auth,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("/", tenancy_router)
api.add_router("/", accounts_router)
api.add_router("/", audit_router)
api.add_router("/", notifications_router)
api.add_router("/", terms_router)
api.add_router("/", commerce_router)
api.add_router("/", billing_router)
api.add_router("/", onboarding_router)
api.add_router("/", licensing_router)
api.add_router("/", support_router)
api.add_router("/", telephony_router)
api.add_router("/", inbox_router)
