"""WebSocket routes under /ws/. The inbox and the web chat widget add theirs here."""

websocket_urlpatterns: list = []
