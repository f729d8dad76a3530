import datetime as dt

import pytest

from hmskort.cards.numbers import InvalidCardNumber, normalise_card_number
from hmskort.identifiers import is_valid_orgnr, parse_national_id

from .factories import CardFactory, national_id_for, orgnr_for


def test_generated_identifiers_are_valid():
    for serial in range(50):
        assert is_valid_orgnr(orgnr_for(serial))
        assert parse_national_id(national_id_for(dt.date(1985, 3, 15), serial)).kind == "fnr"
        dnr = national_id_for(dt.date(1985, 3, 15), serial, d_number=True)
        assert parse_national_id(dnr).kind == "dnr"


@pytest.mark.django_db
def test_a_card_number_with_one_wrong_digit_is_caught_by_the_check_digit():
    number = CardFactory().number
    assert normalise_card_number(f"{number[:4]} {number[4:8]} {number[8:]}") == number
    wrong = number[:3] + str((int(number[3]) + 1) % 10) + number[4:]
    with pytest.raises(InvalidCardNumber):
        normalise_card_number(wrong)
    if number[5] != number[6]:
        swapped = number[:5] + number[6] + number[5] + number[7:]
        with pytest.raises(InvalidCardNumber):
            normalise_card_number(swapped)


def test_different_serials_give_different_national_ids():
    numbers = [national_id_for(dt.date(1970, 5, 17), serial) for serial in range(200)]
    assert len(set(numbers)) == 200


def test_a_malformed_card_number_says_what_is_wrong_in_the_readers_language():
    from django.utils import translation

    with pytest.raises(InvalidCardNumber) as too_short:
        normalise_card_number("1234")
    with translation.override("en"):
        assert too_short.value.code == "length"
        assert too_short.value.message.startswith("A card number has 12 digits")
    with translation.override("nb"):
        assert too_short.value.message.startswith("Et kortnummer har 12 sifre")
