"""Every portal view, tried by every kind of person: no view leaks another company's data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import resolve, reverse
from django.utils import timezone, translation

from hmskort.companies.models import Delegation
from hmskort.orders.services import Holder, order_place
from hmskort.portal import urls as portal_urls
from tests.factories import (
    CardFactory,
    CompanyFactory,
    InvoiceFactory,
    PersonFactory,
    RoleFactory,
    SubUnitFactory,
    delivery_address,
    national_id_for,
)
from tests.url_matrix import assert_every_page_listed

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
    card = CardFactory(company=acme, holder__given_name="Acmeansatt")
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
    address = delivery_address(acme)
    order = order_place(
        company=acme,
        orderer=people["holder"],
        holders=[
            Holder(
                national_id=national_id_for(dt.date(1992, 2, 2), 4),
                given_name="Ny",
                family_name="Ansatt",
            )
        ],
        delivery_address=address,
        idempotency_key="access-matrix-order-key",
    ).order
    invoice = InvoiceFactory(order=order)
    return {
        "acme": acme,
        "unit": unit,
        "other_company": other_company,
        "target": target,
        "card": card,
        "address": address,
        "order": order,
        "line": order.lines.get(),
        "invoice": invoice,
        **people,
    }


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
        "addresses": f"/virksomheter/{acme.orgnr}/adresser/",
        "address": f"/virksomheter/{acme.orgnr}/adresser/{world['address'].pk}/",
        "order_new": f"/virksomheter/{acme.orgnr}/bestill/",
        "order_csv": f"/virksomheter/{acme.orgnr}/bestill/csv/",
        "orders": f"/virksomheter/{acme.orgnr}/bestillinger/",
        "order": f"/virksomheter/{acme.orgnr}/bestillinger/{world['order'].pk}/",
        "order_cancel": f"/virksomheter/{acme.orgnr}/bestillinger/{world['order'].pk}/kanseller/",
        "order_document": (
            f"/virksomheter/{acme.orgnr}/bestillinger/{world['order'].pk}/invoice/{world['invoice'].number}/ehf.xml"
        ),
        "documents": (
            f"/virksomheter/{acme.orgnr}/bestillinger/{world['order'].pk}/kort/"
            f"{world['line'].pk}/legitimasjon/"
        ),
        "card": f"/virksomheter/{acme.orgnr}/kort/{world['card'].number}/",
        "sub_unit_orders": f"/virksomheter/{unit.orgnr}/bestillinger/",
        "history": _nb("company_history", orgnr=acme.orgnr),
        "employees": _nb("employees", orgnr=acme.orgnr),
        "employees_export": _nb("employees_export", orgnr=acme.orgnr),
        "employees_export_xlsx": _nb("employees_export_xlsx", orgnr=acme.orgnr),
        "alert_settings": _nb("alert_settings", orgnr=acme.orgnr),
        "renew": _nb("renew", orgnr=acme.orgnr),
    }


def company_actions(world):
    """The company's pages that only take a form (POST)."""
    acme, order = world["acme"].orgnr, world["order"]
    number = world["card"].number
    return {
        "order_review": _nb("order_review", orgnr=acme),
        "address_archive": _nb("address_archive", orgnr=acme, pk=world["address"].pk),
        "order_line_link": _nb("order_line_link", orgnr=acme, pk=order.pk, line=world["line"].pk),
        "card_report": _nb("card_report", orgnr=acme, number=number),
        "card_replace": _nb("card_replace", orgnr=acme, number=number),
        "card_employment_ended": _nb("card_employment_ended", orgnr=acme, number=number),
    }


def _nb(name, **kwargs):
    with translation.override("nb"):
        return reverse(f"portal:{name}", kwargs=kwargs)


def _page_name(url):
    with translation.override(translation.get_language_from_path(url) or "nb"):
        return resolve(url).url_name


# Portal pages outside the company matrix, and where their access is tested.
NOT_COMPANY_PAGES = {
    "companies": "the person's own list of companies: the listing assertions here",
    "my_cards": "the person's own cards, no company: tests/portal/test_ordering_pages.py",
    "upload": "the upload link's token is the access: tests/portal/test_ordering_pages.py",
    "alerts_unsubscribe": "a signed token is the access: tests/portal/test_alert_pages.py",
}


def test_the_matrix_covers_every_portal_page(world):
    urls = [*company_urls(world).values(), *company_actions(world).values()]

    listed = {_page_name(url) for url in urls}

    assert_every_page_listed(portal_urls, listed, left_out=NOT_COMPANY_PAGES)


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
        "addresses": 200,
        "address": 200,
        "order_new": 200,
        "order_csv": 200,
        "orders": 200,
        "order": 200,
        "order_cancel": 200,
        "order_document": 200,
        "documents": 200,
        "card": 200,
        "sub_unit_orders": 200,
        "history": 200,
        "employees": 200,
        "employees_export": 200,
        "employees_export_xlsx": 200,
        "alert_settings": 200,
        "renew": 200,
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
    for name in ("order_cancel", "addresses", "order_new"):
        assert client.post(urls[name], {}).status_code == 404
    for name, url in company_actions(world).items():
        assert client.post(url, {}).status_code == 404, name
    world["target"].refresh_from_db()
    assert world["target"].revoked_at is None
    assert world["order"].lines.get().cancelled_at is None
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
    responses = [client.get(url) for url in [*company_urls(world).values(), "/virksomheter/"]]
    responses += [client.post(url, {}) for url in company_actions(world).values()]

    for response in responses:
        assert response.status_code == 302
        assert "/logg-inn/" in response["Location"] or "/login/" in response["Location"]
