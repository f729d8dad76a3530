"""The words for the audit actions the site app records (maintenance windows)."""

from django.utils.translation import gettext_lazy as _

from hmskort.audit.labels import register

register(
    {
        "maintenance.scheduled": _("Maintenance window scheduled"),
        "maintenance.changed": _("Maintenance window changed"),
        "maintenance.cancelled": _("Maintenance window cancelled"),
    }
)
