from django.apps import AppConfig


class RegistriesConfig(AppConfig):
    name = "hmskort.registries"
    label = "registries"
