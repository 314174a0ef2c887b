from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "trunkline.tenancy"
    label = "tenancy"
