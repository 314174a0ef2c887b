from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "trunkline.licensing"
    label = "licensing"

    def ready(self) -> None:
        from trunkline.licensing import receivers  # noqa: F401  (connects to other contexts' events)
