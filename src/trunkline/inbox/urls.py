from django.urls import path

from trunkline.inbox import campaign_views, unsubscribe, views

app_name = "inbox"
SURFACE = "<str:surface>"

urlpatterns = [
    path("u/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
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

from trunkline.inbox import contact_views, settings_views  # noqa: E402

urlpatterns += [
    path(f"{SURFACE}/channels/", settings_views.channels, name="settings_channels"),
    path(f"{SURFACE}/channels/new/", settings_views.channel_new, name="settings_channel_new"),
    path(f"{SURFACE}/channels/<uuid:channel_id>/", settings_views.channel_edit, name="settings_channel"),
    path(
        f"{SURFACE}/channels/<uuid:channel_id>/<str:action>/",
        settings_views.channel_status,
        name="settings_channel_status",
    ),
    path(f"{SURFACE}/channels/canned-replies/", settings_views.canned_replies, name="settings_canned"),
    path(
        f"{SURFACE}/channels/canned-replies/<uuid:canned_reply_id>/",
        settings_views.canned_reply_edit,
        name="settings_canned_reply",
    ),
    path(
        f"{SURFACE}/channels/canned-replies/<uuid:canned_reply_id>/delete/",
        settings_views.canned_reply_remove,
        name="settings_canned_reply_delete",
    ),
    path(f"{SURFACE}/channels/webhooks/", settings_views.webhooks, name="settings_webhooks"),
    path(f"{SURFACE}/channels/webhooks/<uuid:webhook_id>/", settings_views.webhook_detail, name="settings_webhook"),
    path(
        f"{SURFACE}/channels/webhooks/<uuid:webhook_id>/disable/",
        settings_views.webhook_disable,
        name="settings_webhook_disable",
    ),
    path(f"{SURFACE}/contacts/", contact_views.contacts, name="contacts"),
    path(f"{SURFACE}/contacts/<uuid:contact_id>/", contact_views.contact_detail, name="contact"),
    path(
        f"{SURFACE}/contacts/<uuid:contact_id>/lists/<str:action>/", contact_views.contact_lists, name="contact_lists"
    ),
]
