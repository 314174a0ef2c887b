from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "trunkline.core"
    label = "core"
