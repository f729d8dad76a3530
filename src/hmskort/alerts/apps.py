from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "hmskort.alerts"
    label = "alerts"
