from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "trunkline.onboarding"
    label = "onboarding"

    def ready(self) -> None:
        from trunkline.onboarding import receivers  # noqa: F401  (connects to other contexts' events)
