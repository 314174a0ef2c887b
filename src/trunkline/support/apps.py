from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "trunkline.support"
    label = "support"
