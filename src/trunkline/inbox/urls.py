from django.urls import path

from trunkline.inbox import hooks

app_name = "inbox"
SURFACE = "<str:surface>"

urlpatterns = [
    path("hooks/<str:provider>/<uuid:channel_id>/", hooks.provider_webhook, name="hook_message"),
    path(
        "hooks/<str:provider>/<uuid:channel_id>/status/",
        hooks.provider_webhook,
        {"kind": "status"},
        name="hook_status",
    ),
]
