from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "hmskort.backoffice"
    label = "backoffice"
