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

from trunkline.inbox import views  # noqa: E402

urlpatterns += [
    path(f"{SURFACE}/inbox/", views.inbox, name="inbox"),
    path(f"{SURFACE}/inbox/list/", views.conversation_list_partial, name="list"),
    path(f"{SURFACE}/inbox/c/<uuid:conversation_id>/", views.conversation_detail, name="conversation"),
    path(f"{SURFACE}/inbox/c/<uuid:conversation_id>/thread/", views.thread_partial, name="thread"),
    path(f"{SURFACE}/inbox/c/<uuid:conversation_id>/reply/", views.reply, name="reply"),
    path(f"{SURFACE}/inbox/c/<uuid:conversation_id>/update/", views.update, name="update"),
    path(f"{SURFACE}/campaigns/", views.inbox, name="campaigns"),  # replaced by the campaign pages
]
