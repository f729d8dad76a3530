from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hmskort.audit"
    label = "audit"
