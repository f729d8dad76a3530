"""The words for the audit actions the integrations app records."""

from django.utils.translation import gettext_lazy as _

from hmskort.audit.labels import register

register(
    {
        "api_key.created": _("API key created"),
        "api_key.revoked": _("API key revoked"),
        "webhook.set": _("Webhook address set"),
        "webhook.removed": _("Webhook address removed"),
    }
)
