"""The words for the audit actions the people app records."""

from django.utils.translation import gettext_lazy as _

from hmskort.audit.labels import register

register(
    {
        "person.recorded": _("Person recorded"),
        "person.renamed": _("Name changed"),
        "person.residence_permit": _("Residence permit recorded"),
        "person.national_id_valid": _("National ID number checked"),
        "employment.recorded": _("Employment reported"),
        "employment.updated": _("Employment changed"),
        "person.documents_uploaded": _("Photo and photo ID uploaded"),
        "person.photo_id_images_deleted": _("Photo ID checked; its images deleted"),
        "person.photo_verified": _("Photo approved against the photo ID"),
    }
)
