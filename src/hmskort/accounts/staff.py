"""Staff accounts of the issuer's back office: Django users with a role and a TOTP device.

A role is a Django group of the same name (created by a migration). Administrators may do
everything, including Django's admin; the other roles reach only their own pages. Every staff
request must come from a session verified with a TOTP code (django-otp).
"""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, User
from django.db import transaction
from django.db.models import TextChoices
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from hmskort.audit.services import Actor, record
from hmskort.ratelimit import client_ip as resolve_client_ip


def client_ip(request) -> str | None:
    """The client address the login throttle counts (None for a request without one, such as
    Django's test client logging a user in directly)."""
    address = resolve_client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


class StaffRole(TextChoices):
    VERIFIER = "verifier", _("Verifier")
    PRODUCTION = "production", _("Production")
    SUPPORT = "support", _("Support")
    ADMINISTRATOR = "administrator", _("Administrator")


def roles_of(user: AbstractBaseUser | AnonymousUser | None) -> frozenset[str]:
    """The back-office roles of a user who is logged in and verified with a TOTP code."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    is_verified = getattr(user, "is_verified", None)
    if is_verified is None or not is_verified():
        return frozenset()
    cached: frozenset[str] | None = getattr(user, "_hmskort_roles", None)
    if cached is None:
        assert isinstance(user, User)  # the project's user model
        names = set(user.groups.values_list("name", flat=True)) & set(StaffRole.values)
        if user.is_superuser:
            names.add(StaffRole.ADMINISTRATOR)
        cached = frozenset(names)
        user._hmskort_roles = cached  # type: ignore[attr-defined]  # a per-request memo on the user
    return cached


def has_role(user, *roles: str) -> bool:
    """True if the user holds one of `roles` (administrators hold every role)."""
    held = roles_of(user)
    return bool(held) and (StaffRole.ADMINISTRATOR in held or bool(held & set(roles)))


def staff_actor(user: AbstractBaseUser | AnonymousUser) -> Actor:
    return Actor.staff(user.get_username())


@dataclass(frozen=True)
class NewStaffUser:
    user: User
    password: str
    totp_secret: str  # base32, as authenticator apps take it
    totp_uri: str


@transaction.atomic
def create_staff_user(
    *,
    username: str,
    role: str,
    actor: Actor,
    password: str | None = None,
    totp_key: str | None = None,
    full_name: str = "",
) -> NewStaffUser:
    """Create (or reset) a staff user with one role and a fresh confirmed TOTP device.

    The password and TOTP secret are returned once, to hand to the person; only hashes and the
    device key are stored. Administrators may use Django's admin.
    """
    role = StaffRole(role)
    password = password or get_random_string(20)
    user, _created = User.objects.get_or_create(username=username)
    given, _sep, family = full_name.partition(" ")
    user.first_name, user.last_name = given[:150], family[:150]
    user.is_active = True
    user.is_staff = role == StaffRole.ADMINISTRATOR
    user.is_superuser = role == StaffRole.ADMINISTRATOR
    user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get_or_create(name=role.value)[0]])
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(
        user=user, name="default", confirmed=True, **({"key": totp_key} if totp_key else {})
    )
    record(
        actor=actor,
        action="staff.account_set_up",
        target=("auth.user", str(user.pk)),
        data={"username": username, "role": role.value},
    )
    return NewStaffUser(
        user=user,
        password=password,
        totp_secret=base64.b32encode(device.bin_key).decode(),
        totp_uri=device.config_url,
    )
