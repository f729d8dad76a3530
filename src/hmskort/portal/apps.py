from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "hmskort.portal"
    label = "portal"
