from django.apps import AppConfig


class TermsConfig(AppConfig):
    name = "trunkline.terms"
    label = "terms"
