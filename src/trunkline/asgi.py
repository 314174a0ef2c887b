"""ASGI entry point: HTTP through Django, WebSockets through Channels (apps add their consumers to WEBSOCKET_ROUTES)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trunkline.settings")

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application

django_application = get_asgi_application()

from trunkline.inbox.fastlane import WebhookFastLane  # noqa: E402
from trunkline.licensing.asgi import LicensingFastLane  # noqa: E402
from trunkline.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Hot endpoints answered in front of Django's stack (core/fastlane.py): Twilio's webhooks (inbox/fastlane.py,
        # ADR 0009) and the activation API's three (licensing/asgi.py, ADR 0008). Everything else goes to Django.
        "http": WebhookFastLane(LicensingFastLane(django_application)),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
