from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "trunkline.audit"
    label = "audit"
