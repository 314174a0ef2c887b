from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "trunkline.commerce"
    label = "commerce"
