import datetime as dt

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from hmskort.identifiers import (
    InvalidIdentifier,
    is_valid_national_id,
    mask_national_id,
    parse_national_id,
    parse_orgnr,
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _with_check_digits(first_nine: str) -> str:
    w1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
    w2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    d = [int(c) for c in first_nine]
    k1 = (11 - sum(a * b for a, b in zip(w1, d)) % 11) % 11
    d.append(k1)
    k2 = (11 - sum(a * b for a, b in zip(w2, d)) % 11) % 11
    d.append(k2)
    return "".join(map(str, d))


def _valid_fnr(prefix: str = "010190") -> str:
    for individual in range(100, 500):
        number = _with_check_digits(f"{prefix}{individual:03d}")
        if len(number) == 11 and "10" not in number[9:]:
            try:
                return str(parse_national_id(number, allow_test=True).number)
            except InvalidIdentifier:
                continue
    raise AssertionError("no valid number found")


def test_a_fodselsnummer_gives_its_birth_date_and_kind():
    number = _valid_fnr("150385")
    parsed = parse_national_id(number)
    assert parsed.kind == "fnr"
    assert parsed.birth_date == dt.date(1985, 3, 15)


def test_a_d_number_is_day_plus_forty():
    number = _valid_fnr("550385")
    parsed = parse_national_id(number)
    assert parsed.kind == "dnr"
    assert parsed.birth_date == dt.date(1985, 3, 15)


def test_a_changed_digit_is_refused_with_a_message():
    number = _valid_fnr("150385")
    broken = number[:5] + str((int(number[5]) + 1) % 10) + number[6:]
    with pytest.raises(InvalidIdentifier) as error:
        parse_national_id(broken)
    assert "national ID" in str(error.value) or "check digits" in str(error.value)


def test_a_national_id_must_have_eleven_digits():
    with pytest.raises(InvalidIdentifier, match="11 digits"):
        parse_national_id("1234")


def test_synthetic_test_identities_need_permission():
    number = _valid_fnr("158385")  # month 03 + 80
    with pytest.raises(InvalidIdentifier, match="test identities"):
        parse_national_id(number)
    assert parse_national_id(number, allow_test=True).kind == "test"
    assert parse_national_id(number, allow_test=True).birth_date == dt.date(1985, 3, 15)


def test_masking_shows_only_the_birth_date_part():
    assert mask_national_id("15038512345") == "150385*****"


def test_organisation_numbers_are_checked():
    assert parse_orgnr("974 760 673") == "974760673"
    with pytest.raises(InvalidIdentifier, match="not a valid organisation number"):
        parse_orgnr("974760674")
    with pytest.raises(InvalidIdentifier, match="9 digits"):
        parse_orgnr("97476067")


@given(st.text(max_size=20))
def test_national_id_validation_is_total(value):
    # Any text gives True or False, never an unexpected exception.
    assert is_valid_national_id(value, allow_test=True) in (True, False)


def test_the_message_is_in_norwegian_when_the_user_reads_norwegian():
    with translation.override("nb"), pytest.raises(InvalidIdentifier) as error:
        parse_orgnr("123")
    assert str(error.value) == "Et organisasjonsnummer har 9 sifre."
