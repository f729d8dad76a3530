from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "hmskort.cards"
    label = "cards"

    def ready(self) -> None:
        from hmskort.companies.signals import company_facts_changed
        from hmskort.people.signals import person_facts_changed
        from hmskort.registries.signals import register_facts_changed

        from . import receivers

        company_facts_changed.connect(
            receivers.company_facts_changed, dispatch_uid="cards.company_facts"
        )
        person_facts_changed.connect(receivers.person_facts_changed, dispatch_uid="cards.persons")
        register_facts_changed.connect(
            receivers.register_facts_changed, dispatch_uid="cards.register_facts"
        )
