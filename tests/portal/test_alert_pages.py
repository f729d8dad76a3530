"""The alert settings page ("E-mail alerts for <company>") and the unsubscribe link in the
alert e-mails: on/off per kind and company, an e-mail address (ID-porten gives none), the
language of the mails; the link works without login, is signed, and one click confirms."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone, translation

from hmskort.alerts.models import AlertContact, AlertPreference
from hmskort.alerts.sending import send_alerts
from hmskort.alerts.services import unsubscribe_token
from hmskort.audit.models import AuditEvent
from hmskort.orders.selectors import OrdererContact
from hmskort.orders.services import order_place
from tests.alerts.conftest import card_for, orderer, turned_invalid
from tests.factories import CompanyFactory, PersonFactory, RoleFactory, delivery_address
from tests.orders.conftest import key, new_holder

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_bokmal():
    with translation.override("nb"):
        yield


@pytest.fixture
def manager(db):
    company = CompanyFactory(name="Acme Bygg AS")
    person = PersonFactory(given_name="Siri", family_name="Sjef")
    RoleFactory(company=company, national_id=person.national_id, code="DAGL")
    return person, company


def settings_url(company, lang="nb"):
    if lang == "en":
        return f"/en/companies/{company.orgnr}/alerts/"
    return f"/virksomheter/{company.orgnr}/varsler/"


def test_the_settings_page_says_what_each_alert_is_in_both_languages(manager, log_in_as):
    person, company = manager
    client = log_in_as(person)

    norwegian = client.get(settings_url(company)).content.decode()
    english = client.get(settings_url(company, "en")).content.decode()

    assert "E-postvarsler for Acme Bygg AS" in norwegian
    assert "En daglig e-post med kortene som ikke lenger er gyldige" in norwegian
    assert "E-postadressen din for varsler" in norwegian
    assert "E-mail alerts for Acme Bygg AS" in english
    assert "An e-mail when cards expire within 60 days, and again within 30 days" in english
    assert "Your e-mail address for alerts" in english


def test_saving_an_address_and_choices_stores_them_and_the_language(manager, log_in_as):
    person, company = manager
    client = log_in_as(person)

    response = client.post(
        settings_url(company, "en"),
        {"invalid_digest": "on", "email": " siri@acme.no ", "language": "en"},
    )

    assert response.status_code == 302
    contact = AlertContact.objects.get(person=person)
    assert (contact.email, contact.language) == ("siri@acme.no", "en")
    choice = AlertPreference.objects.get(person=person, company=company)
    assert (choice.invalid_digest, choice.expiry) == (True, False)
    assert AuditEvent.objects.filter(action="alerts.settings_changed", company=company).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Your e-mail alerts are saved." in page
    assert 'value="siri@acme.no"' in page


def test_the_address_given_on_the_last_order_is_filled_in_until_one_is_saved(manager, log_in_as):
    person, company = manager
    order_place(
        company=company,
        orderer=person,
        holders=[new_holder()],
        delivery_address=delivery_address(company),
        idempotency_key=key(),
        contact=OrdererContact(email="siri@acme.no", language="en"),
    )
    client = log_in_as(person)

    form = client.get(settings_url(company)).context["form"]

    assert form["email"].value() == "siri@acme.no"
    assert form["language"].value() == "en"
    assert not AlertContact.objects.exists()


@pytest.mark.parametrize(
    ("lang", "data", "message"),
    [
        (
            "nb",
            {"invalid_digest": "on", "email": ""},
            "Skriv e-postadressen varslene skal sendes til.",
        ),
        ("en", {"expiry": "on", "email": ""}, "Enter the e-mail address the alerts should go to."),
        ("nb", {"expiry": "on", "email": "siri@"}, "Skriv en e-postadresse, for eksempel"),
        (
            "en",
            {"expiry": "on", "email": "siri@"},
            "Enter an e-mail address such as name@example.no.",
        ),
    ],
)
def test_a_missing_or_bad_address_is_shown_at_the_top_and_nothing_is_saved(
    manager, log_in_as, lang, data, message
):
    person, company = manager
    client = log_in_as(person)

    response = client.post(settings_url(company, lang), {**data, "language": lang})

    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="error-summary"' in body and message in body
    assert 'aria-invalid="true"' in body and 'aria-describedby="id_email-error"' in body
    assert not AlertContact.objects.exists() and not AlertPreference.objects.exists()


def test_turning_both_alerts_off_needs_no_address(manager, log_in_as):
    person, company = manager
    client = log_in_as(person)

    response = client.post(settings_url(company), {"email": "", "language": "nb"})

    assert response.status_code == 302
    choice = AlertPreference.objects.get(person=person, company=company)
    assert (choice.invalid_digest, choice.expiry) == (False, False)


def test_a_person_without_access_to_the_company_gets_not_found(manager, log_in_as):
    _person, company = manager
    client = log_in_as(PersonFactory())

    assert client.get(settings_url(company)).status_code == 404
    assert (
        client.post(settings_url(company), {"email": "x@y.no", "language": "nb"}).status_code == 404
    )
    assert not AlertContact.objects.exists()


def test_the_company_page_links_to_the_alert_settings(manager, log_in_as):
    person, company = manager
    page = log_in_as(person).get(f"/virksomheter/{company.orgnr}/").content.decode()
    assert f'href="/virksomheter/{company.orgnr}/varsler/"' in page


def _unsubscribe_link(message) -> str:
    return message.extra_headers["List-Unsubscribe"].strip("<>").split("127.0.0.1:8000", 1)[-1]


def test_the_unsubscribe_link_in_a_mail_works_without_login_and_one_click_confirms(client):
    company = CompanyFactory(name="Acme Bygg AS")
    siri = orderer(company, email="siri@acme.no")
    turned_invalid(card_for(company, "Ivar"), ["not_in_vat_register"])
    send_alerts()
    [message] = mail.outbox
    link = _unsubscribe_link(message)
    assert link in message.body

    page = client.get(link)
    assert page.status_code == 200
    assert "Stoppe e-postene om «Kort som ikke lenger er gyldige» fra Acme Bygg AS?" in (
        page.content.decode()
    )
    assert AlertPreference.objects.get(person=siri).invalid_digest  # looking changes nothing

    done = client.post(link)
    assert "Ferdig: du får ikke flere e-poster" in done.content.decode()
    choice = AlertPreference.objects.get(person=siri, company=company)
    assert (choice.invalid_digest, choice.expiry) == (False, True)
    assert AuditEvent.objects.filter(action="alerts.unsubscribed").count() == 1

    mail.outbox.clear()
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        turned_invalid(card_for(company, "Eli"), ["employment_ended"])
        send_alerts()
    assert mail.outbox == []


def test_the_one_click_post_of_a_mail_program_unsubscribes(client):
    company = CompanyFactory()
    siri = orderer(company, email="siri@acme.no")
    token = unsubscribe_token(person_id=siri.pk, company_id=company.pk, kind="expiry")

    response = client.post(f"/varsler/avmelding/{token}/", {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert AlertPreference.objects.get(person=siri).expiry is False
    assert client.post(f"/varsler/avmelding/{token}/").status_code == 200  # twice is fine
    assert AuditEvent.objects.filter(action="alerts.unsubscribed").count() == 1


@pytest.mark.parametrize("mangle", ["tamper", "other-salt", "garbage"])
def test_a_tampered_or_made_up_unsubscribe_link_is_not_found_and_changes_nothing(client, mangle):
    from django.core import signing

    company = CompanyFactory()
    siri = orderer(company, email="siri@acme.no")
    token = unsubscribe_token(person_id=siri.pk, company_id=company.pk, kind="invalid")
    bad = {
        "tamper": token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "other-salt": signing.dumps({"p": siri.pk, "c": company.pk, "k": "invalid"}),
        "garbage": "not-a-token",
    }[mangle]

    assert client.get(f"/varsler/avmelding/{bad}/").status_code == 404
    assert client.post(f"/varsler/avmelding/{bad}/").status_code == 404
    assert AlertPreference.objects.get(person=siri).invalid_digest is True


def test_a_link_for_one_company_leaves_the_other_companys_alerts_on(client):
    first, second = CompanyFactory(), CompanyFactory()
    siri = orderer(first, email="siri@acme.no")
    RoleFactory(company=second, national_id=siri.national_id, code="DAGL")
    token = unsubscribe_token(person_id=siri.pk, company_id=first.pk, kind="invalid")

    client.post(f"/varsler/avmelding/{token}/")

    assert AlertPreference.objects.get(person=siri, company=first).invalid_digest is False
    assert not AlertPreference.objects.filter(person=siri, company=second).exists()
