"""Login through a real OpenID Connect provider running on 127.0.0.1 for the test session."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import override_settings

from hmskort.audit.models import AuditEvent
from hmskort.people.models import Person
from tests.factories import RoleFactory, national_id_for
from tests.oidc_server import CLIENT_ID, now, path_of, running_provider

pytestmark = pytest.mark.django_db

PID = national_id_for(dt.date(1981, 3, 14), 7)


def start_login(client, next_url=None, language_prefix=""):
    url = (
        f"{language_prefix}/logg-inn/id-porten/" if not language_prefix else "/en/login/id-porten/"
    )
    response = client.get(url, {"next": next_url} if next_url else {})
    assert response.status_code == 302
    return response["Location"]


def log_in(client, provider, sub, **claims):
    provider.set_user(sub, **claims)
    authorization_url = start_login(client)
    back = provider.authorize(authorization_url, sub)
    return client.get(path_of(back))


def refused_because(caplog, reason):
    return any(reason in r.getMessage() for r in caplog.records if r.name.startswith("hmskort"))


def good_claims(**overrides):
    claims = {
        "pid": PID,
        "acr": "idporten-loa-substantial",
        "given_name": "Kari",
        "family_name": "Nordmann",
    }
    claims.update(overrides)
    return claims


def test_a_person_logs_in_with_id_porten_and_sees_the_companies_of_their_roles(client, oidc):
    role = RoleFactory(national_id=PID, code="DAGL", company__name="Fjellbygg AS")

    response = log_in(client, oidc, "kari", **good_claims())

    assert response.status_code == 302
    assert response["Location"] == "/virksomheter/"
    person = Person.objects.get(national_id=PID)
    assert person.full_name == "Kari Nordmann"
    assert client.session["person_id"] == person.pk
    page = client.get("/virksomheter/")
    assert "Fjellbygg AS" in page.content.decode()
    assert role.company.orgnr[:3] in page.content.decode()
    assert AuditEvent.objects.filter(action="person.logged_in", object_id=str(person.pk)).exists()


def test_the_authorization_request_uses_pkce_state_nonce_acr_and_the_current_language(client, oidc):
    url = start_login(client, language_prefix="/en")

    query = parse_qs(urlsplit(url).query)
    assert url.startswith(oidc.url)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    assert query["acr_values"] == ["idporten-loa-substantial"]
    assert query["ui_locales"] == ["en"]
    assert query["redirect_uri"] == ["http://testserver/auth/callback"]
    assert set(query["scope"][0].split()) == {"openid", "profile"}


def test_the_session_key_changes_at_login_and_the_cookie_is_httponly_and_lax(client, oidc):
    client.get("/logg-inn/")
    start_login(client)
    before = client.session.session_key

    oidc.set_user("ola", **good_claims())
    back = oidc.authorize(start_login(client), "ola")
    response = client.get(path_of(back))

    assert response.status_code == 302
    assert client.session.session_key != before
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_a_callback_with_a_wrong_state_is_refused(client, oidc, caplog):
    oidc.set_user("kari", **good_claims())
    back = oidc.authorize(start_login(client), "kari")
    tampered = back.replace("state=", "state=x")

    response = client.get(path_of(tampered))

    assert response.status_code == 400
    assert "Innloggingen kunne ikke fullføres" in response.content.decode()
    assert "person_id" not in client.session
    assert not Person.objects.filter(national_id=PID).exists()
    assert refused_because(caplog, "state does not match")


def test_a_callback_without_a_login_in_progress_is_refused(client, oidc):
    oidc.set_user("kari", **good_claims())
    back = oidc.authorize(start_login(client), "kari")
    client.get(path_of(back))
    client.post("/logg-ut/")

    replay = client.get(path_of(back))

    assert replay.status_code == 400
    assert "person_id" not in client.session


def test_an_id_token_with_a_wrong_nonce_is_refused(client, oidc, caplog):
    response = log_in(client, oidc, "mallory", **good_claims(nonce="a-nonce-from-another-login"))

    assert response.status_code == 400
    assert "Innloggingen kunne ikke fullføres" in response.content.decode()
    assert "person_id" not in client.session
    assert refused_because(caplog, "nonce")


def test_an_expired_id_token_is_refused(client, oidc, caplog):
    response = log_in(client, oidc, "late", **good_claims(exp=now() - 600, iat=now() - 4200))

    assert response.status_code == 400
    assert "person_id" not in client.session
    assert refused_because(caplog, "id_token expired")


def test_a_too_low_level_of_assurance_is_refused_with_an_explanation(client, oidc, caplog):
    response = log_in(client, oidc, "low", **good_claims(acr="idporten-loa-low"))

    assert response.status_code == 400
    assert "ikke sikker nok" in response.content.decode()
    assert "person_id" not in client.session
    assert refused_because(caplog, "acr too low")


def test_a_missing_acr_is_refused(client, oidc):
    claims = good_claims()
    del claims["acr"]
    response = log_in(client, oidc, "noacr", **claims)

    assert response.status_code == 400
    assert "person_id" not in client.session


def test_substantial_is_refused_where_high_is_required_and_high_is_accepted(client, oidc):
    with override_settings(HMSKORT_OIDC_ACR="idporten-loa-high"):
        refused = log_in(client, oidc, "subst", **good_claims())
        accepted = log_in(client, oidc, "high", **good_claims(acr="idporten-loa-high"))

    assert refused.status_code == 400
    assert accepted.status_code == 302


def test_a_pid_that_is_not_a_national_id_number_is_refused(client, oidc, caplog):
    response = log_in(client, oidc, "badpid", **good_claims(pid="12345678901"))

    assert response.status_code == 400
    assert "gyldig norsk fødselsnummer" in response.content.decode()
    assert not Person.objects.exists()
    assert refused_because(caplog, "pid missing or invalid")


def test_a_code_issued_by_another_provider_is_refused(client, oidc):
    """A code from a provider the client does not use is worth nothing at the real one."""
    with running_provider() as other:
        other.set_user("kari", **good_claims())
        authorization_url = start_login(client)
        # Log in at the other provider with the same request: its token carries its own
        # issuer and signature, neither of which the client trusts.
        other_url = authorization_url.replace(oidc.url, other.url)
        back = other.authorize(other_url, "kari")
        response = client.get(path_of(back))

    assert response.status_code == 400
    assert "person_id" not in client.session


def test_a_cancelled_login_says_so(client, oidc):
    authorization_url = start_login(client)
    state = parse_qs(urlsplit(authorization_url).query)["state"][0]

    response = client.get("/auth/callback", {"error": "access_denied", "state": state})

    assert response.status_code == 400
    assert "avbrutt" in response.content.decode()


def test_logout_ends_the_session_and_the_session_at_the_provider(client, oidc):
    log_in(client, oidc, "kari", **good_claims())
    assert "person_id" in client.session

    response = client.post("/logg-ut/")

    assert "person_id" not in client.session
    location = response["Location"]
    assert location.startswith(f"{oidc.url}/oauth2/end_session")
    query = parse_qs(urlsplit(location).query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/"]
    assert query["id_token_hint"][0].count(".") == 2


def test_the_login_page_offers_id_porten_and_no_test_login(client, oidc):
    page = client.get("/logg-inn/").content.decode()

    assert "Logg inn med ID-porten" in page
    assert "/logg-inn/test/" not in page
    assert client.post("/logg-inn/test/", {"national_id": PID}).status_code == 404


def test_without_a_name_in_the_token_the_name_from_the_roles_register_is_used(client, oidc):
    RoleFactory(national_id=PID, holder_name="Kari Anne Nordmann")
    claims = good_claims()
    del claims["given_name"], claims["family_name"]

    log_in(client, oidc, "noname", **claims)

    person = Person.objects.get(national_id=PID)
    assert (person.given_name, person.family_name) == ("Kari Anne", "Nordmann")


def test_a_next_address_on_another_site_is_not_followed(client, oidc):
    oidc.set_user("kari", **good_claims())
    response = client.get("/logg-inn/id-porten/", {"next": "https://evil.example/steal"})
    back = oidc.authorize(response["Location"], "kari")

    landing = client.get(path_of(back))

    assert landing["Location"] == "/virksomheter/"


def test_the_person_is_sent_back_to_the_page_they_asked_for(client, oidc):
    role = RoleFactory(national_id=PID)
    wanted = f"/en/companies/{role.company.orgnr}/"
    first = client.get(wanted)
    assert first.status_code == 302

    oidc.set_user("kari", **good_claims())
    login_page = client.get(first["Location"])
    assert login_page.status_code == 200
    response = client.get("/logg-inn/id-porten/", {"next": wanted})
    landing = client.get(path_of(oidc.authorize(response["Location"], "kari")))

    assert landing["Location"] == wanted
    assert client.get(wanted).status_code == 200
