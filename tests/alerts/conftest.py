from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from hmskort.alerts.services import alert_settings_save
from hmskort.cards.models import CardStatusChange
from tests.factories import CardFactory, CompanyFactory, PersonFactory, RoleFactory


@pytest.fixture(autouse=True)
def _in_bokmal():
    with translation.override("nb"):
        yield


def orderer(company, *, email: str, language: str = "nb", given: str = "Siri"):
    """A person with an ordering role in the company who gave an e-mail address for alerts."""
    person = PersonFactory(given_name=given, family_name="Sjef")
    RoleFactory(company=company, national_id=person.national_id, code="DAGL")
    wants(person, company, email=email, language=language)
    return person


def wants(person, company, *, email: str, language: str = "nb", invalid=True, expiry=True):
    """The person's alert settings for the company, saved as on the alert page."""
    alert_settings_save(
        person=person,
        company=company,
        email=email,
        language=language,
        invalid_digest=invalid,
        expiry=expiry,
    )


def turned_invalid(card, reasons: list[str], *, at: dt.datetime | None = None):
    """What the recompute leaves when a valid card stops being valid: the card's verdict and a
    status change row (valid before, not valid at `at`)."""
    at = at or timezone.now()
    CardStatusChange.objects.create(
        card=card, at=at - dt.timedelta(days=400), valid=True, reasons=[], state=card.state
    )
    CardStatusChange.objects.create(
        card=card, at=at, valid=False, reasons=reasons, state=card.state, cause="test"
    )
    card.valid = False
    card.reasons = reasons
    card.validity_changed_at = at
    card.save(update_fields=["valid", "reasons", "validity_changed_at"])
    return card


@pytest.fixture
def acme(db):
    company = CompanyFactory(name="Acme Bygg AS")
    return company


@pytest.fixture
def siri(acme):
    """Acme's orderer, who gets the alerts at siri@acme.no in bokmål."""
    return orderer(acme, email="siri@acme.no")


@pytest.fixture
def ivar(acme):
    """Ivar Hansen's card at Acme, which stopped being valid now: not in the VAT register."""
    return turned_invalid(card_for(acme, "Ivar"), ["not_in_vat_register"])


@pytest.fixture
def other(db):
    return CompanyFactory(name="Annet Firma AS")


def card_for(company, given: str, **kw):
    holder = PersonFactory(given_name=given, family_name="Hansen")
    return CardFactory(holder=holder, company=company, **kw)
