from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "trunkline.billing"
    label = "billing"

    def ready(self) -> None:
        from trunkline.billing import receivers  # noqa: F401  (connects the termination receiver)
