from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "trunkline.inbox"
    label = "inbox"
