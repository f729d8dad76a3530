"""The words for the audit actions the orders app records."""

from django.utils.translation import gettext_lazy as _

from hmskort.audit.labels import register

register(
    {
        "order.placed": _("Cards ordered"),
        "order.replacement_placed": _("Card reported lost or stolen, new card ordered"),
        "order.replacement_ordered_again": _(
            "New card ordered again in place of a lost or stolen card"
        ),
        "order.cancelled": _("Order cancelled"),
        "order.lines_cancelled": _("Cards cancelled"),
        "order.upload_link_made": _("Upload link made"),
        "order.upload_link_revoked": _("Upload link withdrawn"),
        "order.upload_link_locked": _("Upload link locked after wrong dates of birth"),
        "order.documents_received": _("Photo and photo ID received"),
        "order.verification_approved": _("Verified, approved"),
        "order.verification_rejected": _("Photo or photo ID refused"),
        "batch.created": _("Batch made"),
        "batch.produced": _("Batch produced"),
        "batch.shipped": _("Batch shipped"),
        "batch.delivered": _("Batch delivered"),
        "invoice.issued": _("Invoice made"),
        "invoice.credited": _("Credit note made"),
    }
)
