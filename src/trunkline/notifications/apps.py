from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "trunkline.notifications"
    label = "notifications"

    def ready(self) -> None:
        from trunkline.notifications import receivers  # noqa: F401  (connects to other contexts' events)
