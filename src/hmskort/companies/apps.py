from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class CompaniesConfig(AppConfig):
    name = "hmskort.companies"
    label = "companies"

    def ready(self) -> None:
        from . import receivers
        from .models import Company, Role

        post_save.connect(receivers.company_saved, sender=Company, dispatch_uid="companies.company")
        post_save.connect(receivers.role_changed, sender=Role, dispatch_uid="companies.role_saved")
        post_delete.connect(
            receivers.role_changed, sender=Role, dispatch_uid="companies.role_deleted"
        )
