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
