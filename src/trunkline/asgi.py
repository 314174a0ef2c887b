"""ASGI entry point: HTTP through Django, WebSockets through Channels (apps add their consumers to WEBSOCKET_ROUTES)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trunkline.settings")

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application

django_application = get_asgi_application()

from trunkline.licensing.asgi import LicensingFastLane  # noqa: E402
from trunkline.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # The activation API's three hot endpoints are answered in front of Django's stack (licensing/asgi.py).
        "http": LicensingFastLane(django_application),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
