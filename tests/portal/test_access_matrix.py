"""Every portal view, tried by every kind of person: no view leaks another company's data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from hmskort.companies.models import Delegation
from tests.factories import CardFactory, CompanyFactory, PersonFactory, RoleFactory, SubUnitFactory

pytestmark = pytest.mark.django_db


def delegate(company, person, **kwargs):
    return Delegation.objects.create(
        company=company,
        national_id=person.national_id,
        grantee_name=person.full_name,
        granted_by_national_id="01017012345",
        **kwargs,
    )


@pytest.fixture
def world():
    today = timezone.localdate()  # per test: a module constant goes stale past midnight
    acme = CompanyFactory(name="Acme Bygg AS")
    CardFactory(company=acme, holder__given_name="Acmeansatt")
    unit = SubUnitFactory(parent=acme, name="Acme Bygg avd. Bergen")
    other_company = CompanyFactory(name="Konkurrent AS")
    people = {
        kind: PersonFactory()
        for kind in (
            "holder",
            "delegate",
            "expired",
            "not_started",
            "revoked",
            "other",
            "nobody",
            "sub_unit_role",
        )
    }
    RoleFactory(company=acme, national_id=people["holder"].national_id, code="DAGL")
    RoleFactory(company=other_company, national_id=people["other"].national_id, code="LEDE")
    # A role registered on the sub-unit: no access, to the sub-unit or to the main unit.
    RoleFactory(company=unit, national_id=people["sub_unit_role"].national_id, code="DAGL")
    target = delegate(acme, people["delegate"], ends_on=today + dt.timedelta(days=30))
    # Two days' margin: a test that runs past midnight still sees these as expired and not
    # started (the day boundaries themselves are tested in tests/companies/test_access.py).
    delegate(acme, people["expired"], ends_on=today - dt.timedelta(days=2))
    delegate(acme, people["not_started"], starts_on=today + dt.timedelta(days=2))
    delegate(acme, people["revoked"], revoked_at=timezone.now())
    return {"acme": acme, "unit": unit, "other_company": other_company, "target": target, **people}


def company_urls(world):
    acme, unit, target = world["acme"], world["unit"], world["target"]
    return {
        "company": f"/virksomheter/{acme.orgnr}/",
        "sub_unit": f"/virksomheter/{unit.orgnr}/",
        "cards": f"/virksomheter/{acme.orgnr}/kort/",
        "sub_unit_cards": f"/virksomheter/{unit.orgnr}/kort/",
        "new_delegation": f"/virksomheter/{acme.orgnr}/tilganger/ny/",
        "delegation": f"/virksomheter/{acme.orgnr}/tilganger/{target.pk}/",
        "revoke": f"/virksomheter/{acme.orgnr}/tilganger/{target.pk}/trekk-tilbake/",
        "en_company": f"/en/companies/{acme.orgnr}/",
    }


def test_a_role_holder_reaches_every_view_of_the_company_and_its_sub_units(world, log_in_as):
    client = log_in_as(world["holder"])

    statuses = {name: client.get(url).status_code for name, url in company_urls(world).items()}

    assert set(statuses.values()) == {200}
    listing = client.get("/virksomheter/").content.decode()
    assert "Acme Bygg AS" in listing
    assert "Konkurrent AS" not in listing


def test_a_delegate_in_force_sees_the_company_but_cannot_delegate_or_revoke(world, log_in_as):
    client = log_in_as(world["delegate"])
    urls = company_urls(world)

    statuses = {name: client.get(url).status_code for name, url in urls.items()}

    assert statuses == {
        "company": 200,
        "sub_unit": 200,
        "cards": 200,
        "sub_unit_cards": 200,
        "new_delegation": 403,
        "delegation": 200,
        "revoke": 403,
        "en_company": 200,
    }
    assert client.post(urls["revoke"]).status_code == 403
    assert client.post(urls["new_delegation"], {}).status_code == 403
    world["target"].refresh_from_db()
    assert world["target"].revoked_at is None
    assert "Acme Bygg AS" in client.get("/virksomheter/").content.decode()


@pytest.mark.parametrize(
    "kind", ["expired", "not_started", "revoked", "other", "nobody", "sub_unit_role"]
)
def test_a_person_without_access_in_force_gets_not_found_everywhere(world, log_in_as, kind):
    client = log_in_as(world[kind])
    urls = company_urls(world)

    statuses = {name: client.get(url).status_code for name, url in urls.items()}

    assert set(statuses.values()) == {404}
    assert client.post(urls["revoke"]).status_code == 404
    assert client.post(urls["new_delegation"], {}).status_code == 404
    world["target"].refresh_from_db()
    assert world["target"].revoked_at is None
    listing = client.get("/virksomheter/").content.decode()
    assert "Acme Bygg" not in listing
    own = world["other_company"].orgnr
    if kind == "other":
        assert "Acmeansatt" not in client.get(f"/virksomheter/{own}/kort/").content.decode()


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def test_an_unknown_organisation_number_answers_exactly_like_a_forbidden_one(world, log_in_as):
    client = log_in_as(world["other"])
    acme = world["acme"].orgnr

    for path in ("/virksomheter/{}/", "/virksomheter/{}/kort/", "/en/companies/{}/"):
        forbidden = client.get(path.format(acme))
        unknown = client.get(path.format("999999999"))

        assert forbidden.status_code == unknown.status_code == 404
        # The same page, word for word, once the organisation number itself is taken out.
        # (The per-response masking of the CSRF token in the logout form differs by design.)
        page = _without_csrf(forbidden.content.decode().replace(acme, "999999999"))
        assert page == _without_csrf(unknown.content.decode())
        assert "Acme" not in page
        assert sorted(forbidden.headers) == sorted(unknown.headers)


def test_a_role_holder_of_another_company_cannot_see_a_delegation_through_their_own_company(
    world, log_in_as
):
    client = log_in_as(world["other"])
    own = world["other_company"].orgnr

    response = client.get(f"/virksomheter/{own}/tilganger/{world['target'].pk}/")

    assert response.status_code == 404


def test_nobody_logged_in_is_sent_to_the_login_page_from_every_view(world, client):
    for url in [*company_urls(world).values(), "/virksomheter/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/logg-inn/" in response["Location"] or "/login/" in response["Location"]
