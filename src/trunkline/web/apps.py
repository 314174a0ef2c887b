from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "trunkline.web"
    label = "web"
