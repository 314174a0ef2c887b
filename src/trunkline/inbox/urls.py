from django.urls import path

from trunkline.inbox import hooks, unsubscribe

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
    path("u/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
]

from trunkline.inbox import campaign_views, views  # noqa: E402

urlpatterns += [
    path(f"{SURFACE}/inbox/", views.inbox, name="inbox"),
    path(f"{SURFACE}/inbox/list/", views.conversation_list_partial, name="list"),
    path(f"{SURFACE}/inbox/c/<uuid:conversation_id>/", views.conversation_detail, name="conversation"),
    path(f"{SURFACE}/inbox/c/<uuid:conversation_id>/thread/", views.thread_partial, name="thread"),
    path(f"{SURFACE}/inbox/c/<uuid:conversation_id>/reply/", views.reply, name="reply"),
    path(
        f"{SURFACE}/inbox/c/<uuid:conversation_id>/attachments/<uuid:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path(f"{SURFACE}/inbox/c/<uuid:conversation_id>/update/", views.update, name="update"),
]

urlpatterns += [
    path(f"{SURFACE}/campaigns/", campaign_views.campaigns, name="campaigns"),
    path(f"{SURFACE}/campaigns/<uuid:campaign_id>/", campaign_views.campaign_detail, name="campaign"),
    path(
        f"{SURFACE}/campaigns/<uuid:campaign_id>/progress/",
        campaign_views.campaign_progress_partial,
        name="campaign_progress",
    ),
    path(
        f"{SURFACE}/campaigns/<uuid:campaign_id>/<str:action>/",
        campaign_views.campaign_action,
        name="campaign_action",
    ),
]
