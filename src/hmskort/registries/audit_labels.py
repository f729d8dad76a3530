"""The words for the audit actions the registries app records."""

from django.utils.translation import gettext_lazy as _

from hmskort.audit.labels import register

register(
    {
        "company.register_facts_applied": _("New facts from the registers"),
        "registries.facts_changed": _("A register run changed facts"),
        "registries.run_held": _("A register run was held for review"),
        "registries.run_approved": _("A held register run was approved"),
        "registries.run_rejected": _("A held register run was rejected"),
    }
)
