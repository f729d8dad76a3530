"""Headers from the security review: a Content-Security-Policy on every page, no-store on pages
with personal data and on API answers, the proxy's https header only behind trusted proxies, and a
new CSRF token at login."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from tests.factories import CardFactory, PersonFactory, RoleFactory

pytestmark = pytest.mark.django_db


def _csp(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in (p.strip() for p in policy.split(";"))
        if part
    }


@pytest.mark.parametrize("url", ["/", "/en/", "/sjekk/", "/logg-inn/", "/en/check/"])
def test_every_page_has_a_policy_that_allows_only_own_scripts_and_no_inline_script(client, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = _csp(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    # The pages themselves hold no inline script to be blocked.
    html = response.content.decode()
    assert "<script>" not in html and "onclick=" not in html


def test_a_checked_card_with_the_holders_name_is_not_stored_by_caches(client):
    card = CardFactory(holder__given_name="Kari", holder__family_name="Nordmann")
    response = client.get("/sjekk/", {"number": card.number})
    assert "Kari Nordmann" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert "Content-Security-Policy" in response


def test_portal_pages_with_national_ids_are_not_stored_by_caches(client):
    role = RoleFactory(code="DAGL")
    person = PersonFactory(national_id=role.national_id)
    session = client.session
    session["person_id"] = person.pk
    session["login_method"] = "test"
    session.save()
    response = client.get(f"/virksomheter/{role.company.orgnr}/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_authenticated_api_answers_are_not_stored_by_caches(client, auth):
    card = CardFactory()
    response = client.get(f"/api/v1/cards/{card.number}", **auth)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    batch = client.post(
        "/api/v1/cards/check",
        {"card_numbers": [card.number]},
        content_type="application/json",
        **auth,
    )
    assert batch["Cache-Control"] == "no-store"


@pytest.fixture
def auth(db):
    from hmskort.audit.services import Actor
    from hmskort.integrations import services

    _key, plaintext = services.create_api_key(actor=Actor.system("test"), name="Crew list AS")
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def _settings_with(env: dict[str, str]):
    code = "import hmskort.settings as s; print(repr(getattr(s, 'SECURE_PROXY_SSL_HEADER', None)))"
    full_env = {k: v for k, v in os.environ.items() if k != "HMSKORT_TRUSTED_PROXIES"}
    full_env.update({"DEBUG": "1", **env})
    return subprocess.run(
        [sys.executable, "-c", code],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(__file__).parent,
    ).stdout.strip()


def test_a_forwarded_https_header_is_believed_only_when_trusted_proxies_are_configured():
    assert _settings_with({}) == "None"
    assert _settings_with({"HMSKORT_TRUSTED_PROXIES": "10.0.0.1"}) == (
        "('HTTP_X_FORWARDED_PROTO', 'https')"
    )


def test_a_client_cannot_claim_https_with_the_forwarded_header(client):
    assert importlib.import_module("django.conf").settings.SECURE_PROXY_SSL_HEADER is None
    response = client.get("/en/check/", HTTP_X_FORWARDED_PROTO="https")
    assert response.wsgi_request.is_secure() is False


@override_settings(DEBUG=True, HMSKORT_TEST_LOGIN=True, HMSKORT_OIDC_ISSUER="")
def test_logging_in_gives_a_new_csrf_token(client):
    role = RoleFactory(holder_name="Siri Sjef", code="DAGL")
    client.get("/logg-inn/")
    before = client.cookies["csrftoken"].value
    response = client.post(
        "/logg-inn/test/", {"national_id": role.national_id, "name": "Siri Sjef"}
    )
    assert response.status_code == 302
    assert client.session["person_id"]
    after = client.cookies["csrftoken"].value
    assert after and after != before
