"""The words for the audit actions the companies app records."""

from django.utils.translation import gettext_lazy as _

from hmskort.audit.labels import register

register(
    {
        "delegation.granted": _("Access given"),
        "delegation.revoked": _("Access revoked"),
        "role.added": _("Role read from the register"),
        "role.removed": _("Role no longer in the register"),
        "address.added": _("Delivery address added"),
        "address.changed": _("Delivery address changed"),
        "address.archived": _("Delivery address archived"),
        "company.vat_exemption_recorded": _("Exemption from the VAT register recorded"),
        "company.vat_exemption_lifted": _("Exemption from the VAT register lifted"),
    }
)
