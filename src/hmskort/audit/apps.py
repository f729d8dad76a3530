from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hmskort.audit"
    label = "audit"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Each app's audit_labels.py declares the words for the actions it records.
        autodiscover_modules("audit_labels")
