"""The words for the audit actions the site app records (maintenance windows, news)."""

from django.utils.translation import gettext_lazy as _

from hmskort.audit.labels import register

register(
    {
        "maintenance.scheduled": _("Maintenance window scheduled"),
        "maintenance.changed": _("Maintenance window changed"),
        "maintenance.cancelled": _("Maintenance window cancelled"),
        "news.created": _("News item written"),
        "news.changed": _("News item changed"),
        "news.published": _("News item published"),
        "news.unpublished": _("News item unpublished"),
    }
)
