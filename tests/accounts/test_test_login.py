"""The local test login of the embedded default: only without an OIDC issuer, never with DEBUG off."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from hmskort.people.models import Person
from tests.factories import CompanyFactory, RoleFactory, national_id_for

pytestmark = pytest.mark.django_db

TEST_LOGIN = {"DEBUG": True, "HMSKORT_TEST_LOGIN": True, "HMSKORT_OIDC_ISSUER": ""}


@override_settings(**TEST_LOGIN)
def test_the_test_login_lists_the_persons_with_local_roles_masked(client):
    role = RoleFactory(holder_name="Siri Sjef", code="DAGL", company__name="Fjord Bygg AS")
    RoleFactory(holder_name="Revisor Rolf", code="REVI")  # gives no ordering rights

    page = client.get("/logg-inn/").content.decode()

    assert "Lokal testinnlogging" in page
    assert "Logg inn som Siri Sjef" in page
    assert "Fjord Bygg AS (DAGL)" in page
    assert "*******" + role.national_id[-4:] in page
    assert "Revisor Rolf" not in page


@override_settings(**TEST_LOGIN)
def test_a_listed_person_logs_in_and_lands_on_my_companies(client):
    role = RoleFactory(holder_name="Siri Sjef", company__name="Fjord Bygg AS")

    response = client.post(
        "/logg-inn/test/", {"national_id": role.national_id, "name": "Siri Sjef"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/virksomheter/"
    person = Person.objects.get(national_id=role.national_id)
    assert (person.given_name, person.family_name) == ("Siri", "Sjef")
    assert "Fjord Bygg AS" in client.get("/virksomheter/").content.decode()


@override_settings(**TEST_LOGIN)
def test_the_test_login_refuses_an_invalid_national_id_number(client):
    response = client.post("/logg-inn/test/", {"national_id": "12345678901"}, follow=True)

    assert "ikke et gyldig fødselsnummer" in response.content.decode()
    assert "person_id" not in client.session


@pytest.mark.parametrize(
    "value",
    [
        "\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2",
        "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11",
        "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660",
    ],
)
@override_settings(**TEST_LOGIN)
def test_the_test_login_refuses_digits_of_other_scripts_with_a_message(client, value):
    response = client.post("/logg-inn/test/", {"national_id": value}, follow=True)

    assert response.status_code == 200
    assert "11 sifre" in response.content.decode()
    assert "person_id" not in client.session
    assert not Person.objects.exists()


@override_settings(**TEST_LOGIN)
def test_a_person_without_companies_sees_that_they_have_none(client):
    client.post("/logg-inn/test/", {"national_id": national_id_for(dt.date(1990, 2, 3))})

    page = client.get("/virksomheter/").content.decode()

    assert "Du har ingen rolle som gir rett til å bestille" in page


@override_settings(DEBUG=False, HMSKORT_TEST_LOGIN=True, HMSKORT_OIDC_ISSUER="")
def test_the_test_login_is_impossible_with_debug_off_even_if_the_setting_is_flipped(client):
    role = RoleFactory()

    page = client.get("/logg-inn/").content.decode()
    response = client.post("/logg-inn/test/", {"national_id": role.national_id})

    assert "Lokal testinnlogging" not in page
    assert response.status_code == 404
    assert "person_id" not in client.session


@override_settings(DEBUG=True, HMSKORT_TEST_LOGIN=True, HMSKORT_OIDC_ISSUER="https://idp.example")
def test_the_test_login_is_off_when_an_issuer_is_configured(client):
    role = RoleFactory()

    response = client.post("/logg-inn/test/", {"national_id": role.national_id})

    assert response.status_code == 404


@override_settings(**TEST_LOGIN)
def test_logout_ends_the_local_session(client):
    role = RoleFactory(company=CompanyFactory())
    client.post("/logg-inn/test/", {"national_id": role.national_id})

    response = client.post("/logg-ut/", follow=True)

    assert "person_id" not in client.session
    assert "Du er logget ut" in response.content.decode()
    assert client.get("/virksomheter/").status_code == 302
