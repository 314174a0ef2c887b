from django.apps import AppConfig


class TelephonyConfig(AppConfig):
    name = "trunkline.telephony"
    label = "telephony"
    verbose_name = "Telephony"

    def ready(self) -> None:
        from trunkline.telephony import receivers  # noqa: F401
