from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """Integrators: API keys, webhook subscriptions to cards, and the webhook delivery log."""

    name = "hmskort.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from hmskort.cards.signals import card_validity_changed

        from . import receivers, tasks  # noqa: F401  (register the huey tasks)

        card_validity_changed.connect(
            receivers.on_card_validity_changed, dispatch_uid="integrations.webhooks"
        )
