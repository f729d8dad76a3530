"""The one gate of every back-office view: a staff user verified with a TOTP code and a role.

Nobody logged in (and a person logged in for a company, who is no staff user) is sent to the
staff login; a staff user without the page's role gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hmskort.accounts.staff import StaffRole, has_role, roles_of

R = StaffRole


@dataclass(frozen=True)
class Section:
    url_name: str
    label: str | Promise
    roles: tuple[str, ...]


# The sections of the back office and who may use them (administrators may use every one).
SECTIONS: tuple[Section, ...] = (
    Section("backoffice:verification", _("Verification"), (R.VERIFIER,)),
    Section("backoffice:production", _("Production and shipping"), (R.PRODUCTION,)),
    Section("backoffice:support", _("Support"), (R.SUPPORT,)),
    Section("backoffice:invoices", _("Invoicing"), (R.SUPPORT, R.ADMINISTRATOR)),
    Section("backoffice:news", _("News"), (R.SUPPORT,)),
    Section("backoffice:prices", _("Prices"), (R.ADMINISTRATOR,)),
    Section("backoffice:maintenance", _("Maintenance windows"), (R.ADMINISTRATOR,)),
    Section("admin:index", _("Low-level data (Django admin)"), (R.ADMINISTRATOR,)),
)
ALL_ROLES = tuple(StaffRole.values)


def sections_for(user) -> list[Section]:
    return [s for s in SECTIONS if has_role(user, *s.roles)]


def staff_view(*roles: str):
    """Wrap a view so only verified staff holding one of `roles` reach it."""
    allowed = roles or ALL_ROLES

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not roles_of(user):
                if user.is_authenticated and getattr(user, "is_verified", lambda: False)():
                    raise PermissionDenied
                return redirect_to_login(request.get_full_path(), reverse("accounts:staff_login"))
            if not has_role(user, *allowed):
                raise PermissionDenied
            request.staff_sections = sections_for(user)
            return view(request, *args, **kwargs)

        wrapper.staff_roles = allowed  # type: ignore[attr-defined]  # read by the section menu
        return wrapper

    return decorator
