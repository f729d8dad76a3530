"""Giving, showing and revoking access on the company page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hmskort.audit.models import AuditEvent
from hmskort.companies.models import Delegation
from tests.factories import PersonFactory, RoleFactory, SubUnitFactory, national_id_for

pytestmark = pytest.mark.django_db

GRANTEE = national_id_for(dt.date(1992, 6, 1), 3)


@pytest.fixture
def holder(log_in_as):
    role = RoleFactory(code="DAGL", holder_name="Siri Sjef", company__name="Acme Bygg AS")
    person = PersonFactory(national_id=role.national_id, given_name="Siri", family_name="Sjef")
    SubUnitFactory(parent=role.company, name="Acme avd. Bergen")
    return log_in_as(person), role.company


def grant(client, company, **data):
    payload = {"national_id": GRANTEE, "grantee_name": "Per Hansen", **data}
    return client.post(f"/virksomheter/{company.orgnr}/tilganger/ny/", payload)


def test_a_role_holder_gives_access_and_sees_it_listed_masked_and_in_the_history(holder):
    client, company = holder
    ends = timezone.localdate() + dt.timedelta(days=90)

    response = grant(client, company, ends_on=ends.isoformat())

    assert response.status_code == 302
    delegation = Delegation.objects.get(company=company)
    assert (delegation.national_id, delegation.grantee_name, delegation.ends_on) == (
        GRANTEE,
        "Per Hansen",
        ends,
    )
    page = client.get(f"/virksomheter/{company.orgnr}/").content.decode()
    assert "Per Hansen" in page
    assert "*******" + GRANTEE[-4:] in page
    assert GRANTEE[:6] not in page
    assert GRANTEE not in page
    assert "Acme avd. Bergen" in page
    history = client.get(f"/virksomheter/{company.orgnr}/historikk/").content.decode()
    assert "Tilgang gitt: Per Hansen" in history
    event = AuditEvent.objects.get(action="delegation.granted")
    assert event.company == company
    assert GRANTEE not in str(event.data)


def test_submitting_the_same_access_twice_creates_one_delegation(holder):
    client, company = holder

    grant(client, company)
    grant(client, company)

    assert Delegation.objects.filter(company=company).count() == 1
    assert AuditEvent.objects.filter(action="delegation.granted").count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"national_id": "12345678901"}, "ikke et gyldig fødselsnummer"),
        ({"national_id": "123"}, "11 sifre"),
        (
            {"national_id": "\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2"},
            "11 sifre",
        ),
        (
            {"national_id": "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11"},
            "11 sifre",
        ),
        ({"grantee_name": "   "}, "Feltet er påkrevet"),
        ({"ends_on": "2020-01-01"}, "Sluttdatoen kan ikke være passert"),
        ({"starts_on": "2020-01-01"}, "Startdatoen kan ikke være passert"),
        # Days from today, turned into dates in the test (not when the module is collected).
        ({"starts_on": 10, "ends_on": 5}, "samme dag som eller etter startdatoen"),
        ({"ends_on": "not a date"}, "Oppgi en gyldig dato"),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(holder, data, message):
    client, company = holder
    today = timezone.localdate()
    data = {
        field: (today + dt.timedelta(days=value)).isoformat() if isinstance(value, int) else value
        for field, value in data.items()
    }

    response = grant(client, company, **data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Delegation.objects.exists()
    assert not AuditEvent.objects.filter(action="delegation.granted").exists()


def test_a_role_holder_cannot_be_given_access_they_already_have(holder):
    client, company = holder
    other_holder = RoleFactory(company=company, code="LEDE")

    response = grant(client, company, national_id=other_holder.national_id)

    assert "har allerede tilgang gjennom en rolle" in response.content.decode()
    assert not Delegation.objects.exists()


def test_access_is_revoked_after_confirmation_and_the_delegate_loses_access(holder, log_in_as):
    client, company = holder
    grant(client, company)
    delegation = Delegation.objects.get()
    url = f"/virksomheter/{company.orgnr}/tilganger/{delegation.pk}/"

    details = client.get(url).content.decode()
    confirm = client.get(url + "trekk-tilbake/").content.decode()
    response = client.post(url + "trekk-tilbake/")
    client.post(url + "trekk-tilbake/")  # a second click changes nothing

    assert "Per Hansen" in details and "Trekk tilbake tilgangen" in details
    assert "Ja, trekk tilbake tilgangen" in confirm
    assert response.status_code == 302
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None
    assert AuditEvent.objects.filter(action="delegation.revoked").count() == 1
    assert (
        "Tilgang trukket tilbake"
        in client.get(f"/virksomheter/{company.orgnr}/historikk/").content.decode()
    )
    grantee = PersonFactory(national_id=GRANTEE)
    assert log_in_as(grantee).get(f"/virksomheter/{company.orgnr}/").status_code == 404


def test_a_delegation_on_the_main_unit_covers_its_sub_units(holder, log_in_as):
    client, company = holder
    grant(client, company)
    unit = company.sub_units.get()

    grantee_client = log_in_as(PersonFactory(national_id=GRANTEE))

    assert grantee_client.get(f"/virksomheter/{unit.orgnr}/").status_code == 200
    page = grantee_client.get(f"/virksomheter/{company.orgnr}/").content.decode()
    assert "kan derfor ikke gi andre tilgang" in page
    assert "Gi en person tilgang" not in page


def test_the_company_page_is_in_english_under_en(holder):
    client, company = holder

    page = client.get(f"/en/companies/{company.orgnr}/").content.decode()

    assert "Who has access" in page
    assert "Managing director (DAGL)" in page


def test_the_history_names_card_events_in_plain_words(holder):
    from hmskort.audit.services import Actor, record
    from hmskort.cards.numbers import format_card_number
    from tests.factories import CardFactory

    client, company = holder
    card = CardFactory(company=company)
    record(actor=Actor.system("production"), action="card.issued", target=card, company=company)

    page = client.get(f"/virksomheter/{company.orgnr}/historikk/").content.decode()

    assert f"Kort {format_card_number(card.number)}: Utstedt" in page
    assert "Systemet" in page


def test_every_mistake_in_the_form_is_shown_at_once(holder):
    client, company = holder

    response = grant(client, company, national_id="123", grantee_name="")

    page = response.content.decode()
    assert "11 sifre" in page
    assert "Feltet er påkrevet" in page


def test_a_person_with_access_in_force_is_not_given_a_second_overlapping_access(holder):
    client, company = holder
    grant(client, company)

    response = grant(
        client, company, ends_on=(timezone.localdate() + dt.timedelta(days=5)).isoformat()
    )

    assert "Trekk den tilbake først" in response.content.decode()
    assert Delegation.objects.count() == 1
