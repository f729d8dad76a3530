"""The words for the audit actions the accounts app records."""

from django.utils.translation import gettext_lazy as _

from hmskort.audit.labels import register

register(
    {
        "person.logged_in": _("Logged in"),
        "person.logged_out": _("Logged out"),
        "staff.logged_in": _("Staff member logged in"),
        "staff.logged_out": _("Staff member logged out"),
        "staff.account_set_up": _("Staff account set up"),
    }
)
