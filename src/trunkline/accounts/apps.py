from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "trunkline.accounts"
    label = "accounts"
