"""The providers' webhooks, first in the URL configuration: the hot path resolves in a few pattern matches."""

from django.urls import path

from trunkline.inbox import hooks

app_name = "hooks"

urlpatterns = [
    path("<str:provider>/<uuid:channel_id>/", hooks.provider_webhook, name="message"),
    path("<str:provider>/<uuid:channel_id>/status/", hooks.provider_webhook, {"kind": "status"}, name="status"),
]
