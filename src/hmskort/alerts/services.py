"""A person's alert settings for a company, and the unsubscribe link in every alert e-mail.

Keyword-only, one transaction each, the audit event in it. The unsubscribe link carries a signed
token (the person, the company, the kind of alert; no national ID number): it works without
login, and only for what it names.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from hmskort.audit.services import Actor, record
from hmskort.companies.models import Company
from hmskort.companies.selectors import access_for
from hmskort.people.models import Person

from .models import AlertContact, AlertPreference, Kind

LANGUAGES = ("nb", "en")
_UNSUBSCRIBE_SALT = "hmskort.alerts.unsubscribe"


def _actor(person: Person) -> Actor:
    return Actor.person(person.pk, person.full_name)


@transaction.atomic
def alert_settings_save(
    *,
    person: Person,
    company: Company,
    email: str,
    language: str,
    invalid_digest: bool,
    expiry: bool,
) -> AlertPreference:
    """Store where the person wants alerts (one address and language for all their companies)
    and which alerts they want from this company. An address is needed while any alert is on."""
    main = company.main_unit
    if access_for(person.national_id, main) is None:
        raise ValidationError(_("You may not change the alerts of this company."), code="no_access")
    email = (email or "").strip()
    if language not in LANGUAGES:
        raise ValidationError({"language": _("Choose Norwegian or English.")}, code="language")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(
                {"email": _("Enter an e-mail address such as name@example.no.")}, code="email"
            ) from None
    elif invalid_digest or expiry:
        raise ValidationError(
            {"email": _("Enter the e-mail address the alerts should go to.")}, code="no_email"
        )
    if email:
        AlertContact.objects.update_or_create(
            person=person, defaults={"email": email, "language": language}
        )
    preference, _created = AlertPreference.objects.update_or_create(
        person=person,
        company=main,
        defaults={"invalid_digest": invalid_digest, "expiry": expiry},
    )
    record(
        actor=_actor(person),
        action="alerts.settings_changed",
        target=preference,
        company=main,
        data={
            "invalid_digest": invalid_digest,
            "expiry": expiry,
            "language": language,
            "email_given": bool(email),
        },
    )
    return preference


# --- The unsubscribe link --------------------------------------------------------------------


class BadToken(Exception):
    """Unknown, tampered or stale unsubscribe token: answer 404."""


@dataclass(frozen=True)
class Unsubscribe:
    person: Person
    company: Company
    kind: str


def unsubscribe_token(*, person_id: int, company_id: int, kind: str) -> str:
    return signing.dumps({"p": person_id, "c": company_id, "k": kind}, salt=_UNSUBSCRIBE_SALT)


def unsubscribe_url(*, person_id: int, company_id: int, kind: str, language: str) -> str:
    token = unsubscribe_token(person_id=person_id, company_id=company_id, kind=kind)
    with translation.override(language):
        path = reverse("portal:alerts_unsubscribe", kwargs={"token": token})
    return f"{settings.HMSKORT_BASE_URL}{path}"


def read_unsubscribe_token(token: str) -> Unsubscribe:
    try:
        data = signing.loads(token or "", salt=_UNSUBSCRIBE_SALT)
        person_id, company_id, kind = int(data["p"]), int(data["c"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise BadToken from None
    person = Person.objects.filter(pk=person_id).first()
    company = Company.objects.filter(pk=company_id).first()
    if person is None or company is None or kind not in Kind.values:
        raise BadToken
    return Unsubscribe(person=person, company=company, kind=kind)


@transaction.atomic
def unsubscribe(*, token: str) -> Unsubscribe:
    """Turn off the kind of alert the token names, for its person and company. Once is enough:
    the same link again changes nothing and says the same."""
    target = read_unsubscribe_token(token)
    preference = (
        AlertPreference.objects.select_for_update()
        .filter(person=target.person, company=target.company)
        .first()
    )
    if preference is None:
        preference = AlertPreference(
            person=target.person, company=target.company, invalid_digest=True, expiry=True
        )
    field = "invalid_digest" if target.kind == Kind.INVALID else "expiry"
    if getattr(preference, field) or preference.pk is None:
        setattr(preference, field, False)
        preference.save()
        record(
            actor=_actor(target.person),
            action="alerts.unsubscribed",
            target=preference,
            company=target.company,
            data={"kind": target.kind, "by": "link"},
        )
    return target
