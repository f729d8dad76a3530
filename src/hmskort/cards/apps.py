from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class CardsConfig(AppConfig):
    name = "hmskort.cards"
    label = "cards"

    def ready(self) -> None:
        from hmskort.companies.models import Company, Role

        from . import receivers

        post_save.connect(receivers.company_saved, sender=Company, dispatch_uid="cards.company")
        post_save.connect(receivers.role_changed, sender=Role, dispatch_uid="cards.role_saved")
        post_delete.connect(receivers.role_changed, sender=Role, dispatch_uid="cards.role_deleted")
