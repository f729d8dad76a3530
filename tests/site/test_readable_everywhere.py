"""One date format per language, friendly error pages, a favicon, offline API documentation, and
the check by number telling what the QR landing tells."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import formats, timezone, translation

from hmskort.cards.models import CardState
from tests.factories import CardFactory, PersonFactory, RoleFactory

pytestmark = pytest.mark.django_db


def test_dates_have_one_format_per_language():
    day = dt.date(2028, 10, 31)
    with translation.override("nb"):
        assert formats.date_format(day) == "31.10.2028"
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "31.10.2028"
        assert formats.date_format(dt.date(2026, 1, 2)) == "02.01.2026"
    with translation.override("en"):
        assert formats.date_format(day) == "31 Oct 2028"
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "31 Oct 2028"


def test_the_check_page_shows_the_expiry_date_in_the_languages_format(client):
    card = CardFactory(expires_on=dt.date(2028, 10, 31))
    nb = client.get("/sjekk/", {"number": card.number}).content.decode()
    en = client.get("/en/check/", {"number": card.number}).content.decode()
    assert "31.10.2028" in nb
    assert "31 Oct 2028" in en


@pytest.mark.parametrize(
    ("state", "text"),
    [
        (CardState.LOST, "This card has been reported lost."),
        (CardState.STOLEN, "This card has been reported stolen."),
        (CardState.BLOCKED, "This card is blocked."),
    ],
)
def test_the_check_by_number_says_lost_stolen_and_blocked_as_the_qr_landing_does(
    client, state, text
):
    card = CardFactory(state=state, valid=False)
    by_number = client.get("/en/check/", {"number": card.number}).content.decode()
    by_qr = client.get(f"/en/check/{card.qr_token}/").content.decode()
    assert text in by_number
    assert text in by_qr


def test_the_check_by_number_and_the_qr_landing_say_an_expired_card_has_expired(client):
    card = CardFactory(expires_on=timezone.localdate() - dt.timedelta(days=1), valid=False)
    assert (
        "This card has expired."
        in client.get("/en/check/", {"number": card.number}).content.decode()
    )
    assert "Kortet er utløpt." in client.get(f"/sjekk/{card.qr_token}/").content.decode()


def test_a_page_that_does_not_exist_is_a_styled_404_in_the_users_language(client):
    nb = client.get("/finnes-ikke/")
    en = client.get("/en/does-not-exist/")
    assert nb.status_code == en.status_code == 404
    assert "Siden finnes ikke" in nb.content.decode()
    assert "Page not found" in en.content.decode()
    assert 'class="site-header"' in en.content.decode()


def test_a_delegate_opening_a_page_for_role_holders_gets_a_styled_403_in_their_language(client):
    from hmskort.audit.services import Actor
    from hmskort.companies.services import grant_delegation

    role = RoleFactory(code="DAGL")
    delegate = PersonFactory()
    grant_delegation(
        company=role.company,
        grantor_national_id=role.national_id,
        national_id=delegate.national_id,
        grantee_name="Per",
        starts_on=None,
        ends_on=None,
        actor=Actor.system("test"),
    )
    session = client.session
    session["person_id"] = delegate.pk
    session["login_method"] = "test"
    session.save()

    nb = client.get(f"/virksomheter/{role.company.orgnr}/tilganger/ny/")
    en = client.get(f"/en/companies/{role.company.orgnr}/access/new/")

    assert nb.status_code == en.status_code == 403
    assert "Du kan ikke bruke denne siden" in nb.content.decode()
    assert "Only a holder of a role in the company can give access." in en.content.decode()
    assert "You cannot use this page" in en.content.decode()


def test_the_site_has_a_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"


def test_the_api_documentation_uses_no_cdn(client):
    body = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in body
    assert "/static/ninja/" in body
    assert "cdn." not in body
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
