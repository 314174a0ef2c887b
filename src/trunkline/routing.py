"""WebSocket routes under /ws/. The inbox and the web chat widget add theirs here."""

from django.urls import path

from trunkline.inbox.consumers import InboxConsumer

websocket_urlpatterns: list = [path("ws/inbox/", InboxConsumer.as_asgi())]
