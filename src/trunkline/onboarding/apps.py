from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "trunkline.onboarding"
    label = "onboarding"
