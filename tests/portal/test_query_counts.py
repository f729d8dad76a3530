"""The number of queries of a portal page does not grow with the rows it shows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hmskort.audit.services import Actor
from hmskort.companies.services import grant_delegation
from tests.factories import PersonFactory, RoleFactory, SubUnitFactory, national_id_for

pytestmark = pytest.mark.django_db


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_my_companies_costs_the_same_for_two_companies_as_for_twelve(log_in_as):
    person = PersonFactory()
    client = log_in_as(person)
    for _ in range(2):
        RoleFactory(national_id=person.national_id)
    few = queries(client, "/virksomheter/")
    for _ in range(10):
        RoleFactory(national_id=person.national_id)

    assert queries(client, "/virksomheter/") == few


def test_the_company_page_costs_the_same_with_more_units_holders_delegations_and_history(
    log_in_as,
):
    role = RoleFactory()
    company = role.company
    client = log_in_as(PersonFactory(national_id=role.national_id))

    def add(n, offset):
        for i in range(n):
            SubUnitFactory(parent=company)
            RoleFactory(
                company=company,
                code="LEDE",
                national_id=national_id_for(dt.date(1970, 2, 1 + offset + i)),
            )
            grant_delegation(
                company=company,
                grantor_national_id=role.national_id,
                actor=Actor.system("test"),
                national_id=national_id_for(dt.date(1980, 1, 1 + offset + i)),
                grantee_name=f"Person {offset + i}",
            )

    add(2, 0)
    few = queries(client, f"/virksomheter/{company.orgnr}/")
    add(8, 2)

    assert queries(client, f"/virksomheter/{company.orgnr}/") == few


def test_the_cards_page_costs_the_same_for_two_cards_as_for_twelve(log_in_as):
    from tests.factories import CardFactory

    role = RoleFactory()
    client = log_in_as(PersonFactory(national_id=role.national_id))
    url = f"/virksomheter/{role.company.orgnr}/kort/"
    for _ in range(2):
        CardFactory(company=role.company)
    few = queries(client, url)
    for _ in range(10):
        CardFactory(company=role.company, valid=False, reasons=["card_expired"])

    assert queries(client, url) == few


def test_the_history_page_costs_the_same_for_two_events_as_for_forty(log_in_as):
    from hmskort.audit.services import record
    from tests.factories import CardFactory

    role = RoleFactory()
    company = role.company
    client = log_in_as(PersonFactory(national_id=role.national_id))
    url = f"/virksomheter/{company.orgnr}/historikk/"

    def add(n):
        for _ in range(n):
            card = CardFactory(company=company)
            record(actor=Actor.system("test"), action="card.issued", target=card, company=company)

    add(2)
    few = queries(client, url)
    add(38)

    assert queries(client, url) == few
    assert queries(client, url + "?page=2") == few
