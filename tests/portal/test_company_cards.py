"""The company's cards: valid or not, and why."""

from __future__ import annotations

import pytest

from hmskort.cards.numbers import format_card_number
from tests.factories import CardFactory, PersonFactory, RoleFactory, SubUnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company_client(log_in_as):
    role = RoleFactory()
    return log_in_as(PersonFactory(national_id=role.national_id)), role.company


def test_the_company_page_counts_valid_and_invalid_cards(company_client):
    client, company = company_client
    CardFactory(company=company)
    CardFactory(company=company, valid=False, reasons=["card_expired"])

    page = client.get(f"/virksomheter/{company.orgnr}/").content.decode()

    assert "1 gyldig kort" in page
    assert "1 kort som ikke er gyldig" in page


def test_the_cards_page_lists_cards_with_the_reason_a_card_is_not_valid(company_client):
    client, company = company_client
    good = CardFactory(company=company, holder__given_name="Gyda")
    bad = CardFactory(
        company=company, holder__given_name="Ugo", valid=False, reasons=["card_expired"]
    )
    CardFactory(holder__given_name="Fremmed")  # another company's card

    everything = client.get(f"/virksomheter/{company.orgnr}/kort/").content.decode()
    not_valid = client.get(f"/virksomheter/{company.orgnr}/kort/?show=not-valid").content.decode()

    assert format_card_number(good.number) in everything
    assert format_card_number(bad.number) in everything
    assert "Fremmed" not in everything
    assert "Ugo" in not_valid and "Gyda" not in not_valid
    assert "Ikke gyldig" in not_valid


def test_a_sub_unit_shows_the_cards_of_its_main_unit(company_client):
    client, company = company_client
    unit = SubUnitFactory(parent=company)
    card = CardFactory(company=company)

    page = client.get(f"/virksomheter/{unit.orgnr}/kort/").content.decode()

    assert format_card_number(card.number) in page


def test_what_to_do_about_an_invalid_card_is_written_on_the_page_not_hidden_in_a_title(
    company_client,
):
    from hmskort.cards.rules import reason_text

    client, company = company_client
    CardFactory(company=company, valid=False, reasons=["card_expired"])

    page = client.get(f"/en/companies/{company.orgnr}/cards/").content.decode()

    assert str(reason_text("card_expired")).split(".")[0] in page
    assert ' title="' not in page.split("</head>")[1]
    assert 'class="ds-table stacked"' in page  # stacked rows at 390 px (site.css)


def test_the_next_page_of_a_filtered_card_list_keeps_the_filter(company_client):
    client, company = company_client
    for _ in range(26):
        CardFactory(company=company, valid=False, reasons=["card_expired"])

    page = client.get(f"/virksomheter/{company.orgnr}/kort/?show=not-valid").content.decode()

    assert 'href="?show=not-valid&amp;page=2"' in page
