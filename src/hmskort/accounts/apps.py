from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hmskort.accounts"
    label = "accounts"
