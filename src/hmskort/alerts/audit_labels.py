"""The words for the audit actions the alerts app records."""

from django.utils.translation import gettext_lazy as _

from hmskort.audit.labels import register

register(
    {
        "alerts.settings_changed": _("E-mail alert settings changed"),
        "alerts.unsubscribed": _("E-mail alerts turned off from the link in an e-mail"),
    }
)
