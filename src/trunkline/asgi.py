"""ASGI entry point: HTTP through Django, WebSockets through Channels (apps add their consumers to WEBSOCKET_ROUTES)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trunkline.settings")

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application

django_application = get_asgi_application()

from trunkline.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
