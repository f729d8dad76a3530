"""The one parser per identifier: national ID numbers, D-numbers, organisation numbers, postcodes.

Expectations are written out by hand (or computed by this file's own check-digit helper), never
by the functions under test, so that a change of a rule makes a test fail.
"""

import dataclasses
import datetime as dt

import pytest
from django.utils import translation
from hypothesis import example, given
from hypothesis import strategies as st

from hmskort.identifiers import (
    InvalidIdentifier,
    ascii_digits,
    format_orgnr,
    is_valid_national_id,
    is_valid_orgnr,
    make_national_id,
    make_orgnr,
    mask_national_id,
    parse_national_id,
    parse_orgnr,
    parse_postcode,
)

NOT_ELEVEN = "A national ID number has 11 digits."
NOT_VALID = "This is not a valid national ID number or D-number."
SYNTHETIC = "Synthetic test identities are not accepted here."
CHECK_DIGITS = "The national ID number's check digits do not match."
ORGNR_LENGTH = "An organisation number has 9 digits."
ORGNR_INVALID = "This is not a valid organisation number."
POSTCODE = "A postcode has 4 digits."

# Digits that str.isdigit() accepts but that are not ASCII: superscript, fullwidth, Arabic-Indic,
# Devanagari, Bengali, mathematical bold, circled.
FOREIGN_DIGITS = "\u00b2\u00b3\u00b9\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0966\u0967\u0968\u0969\u096a\u096b\u096c\u096d\u096e\u096f\u09e6\u09e7\u09e8\u09e9\U0001d7ce\U0001d7cf\U0001d7d0\u2460\u2461\u2462"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _with_check_digits(first_nine: str) -> str:
    """The fødselsnummer check digits, written out independently of the code under test."""
    w1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
    w2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    d = [int(c) for c in first_nine]
    k1 = (11 - sum(a * b for a, b in zip(w1, d)) % 11) % 11
    d.append(k1)
    k2 = (11 - sum(a * b for a, b in zip(w2, d)) % 11) % 11
    d.append(k2)
    return "".join(map(str, d))


def _numbers(prefix: str, individuals=range(1000)):
    """Every number with this DDMMYY prefix and one of these individual numbers whose check
    digits are single digits."""
    for individual in individuals:
        number = _with_check_digits(f"{prefix}{individual:03d}")
        if len(number) == 11:
            yield number


def _number(prefix: str, individuals=range(100, 500)) -> str:
    return next(_numbers(prefix, individuals))


def _orgnr(body: str) -> str:
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    r = 11 - sum(w * int(d) for w, d in zip(weights, body)) % 11
    return body + str(0 if r == 11 else r)


# --- fødselsnummer and D-number -----------------------------------------------------------------


def test_a_fodselsnummer_gives_its_birth_date_and_kind():
    number = _number("150385")
    parsed = parse_national_id(number)
    assert parsed == parse_national_id(number, allow_test=False)
    assert parsed.number == number
    assert parsed.kind == "fnr"
    assert parsed.birth_date == dt.date(1985, 3, 15)


def test_a_fodselsnummer_from_the_last_day_of_a_month_is_a_fodselsnummer():
    # Day 31 starts with 3, the last first digit that is not a D-number.
    parsed = parse_national_id(_number("311299"))
    assert (parsed.kind, parsed.birth_date) == ("fnr", dt.date(1999, 12, 31))


def test_a_d_number_is_day_plus_forty():
    number = _number("550385")
    parsed = parse_national_id(number)
    assert parsed.kind == "dnr"
    assert parsed.birth_date == dt.date(1985, 3, 15)


def test_a_d_number_whose_first_digit_is_4_is_read_as_a_d_number_not_a_fodselsnummer():
    # Born on the 1st to the 9th: day + 40 = 41..49.
    parsed = parse_national_id(_number("410790"))
    assert parsed.kind == "dnr"
    assert parsed.birth_date == dt.date(1990, 7, 1)


def test_a_changed_digit_is_refused_with_the_message_that_the_number_is_not_valid():
    number = _number("150385")
    broken = number[:5] + str((int(number[5]) + 1) % 10) + number[6:]
    with pytest.raises(InvalidIdentifier) as error:
        parse_national_id(broken)
    assert str(error.value) == NOT_VALID
    assert not is_valid_national_id(broken)
    assert not is_valid_national_id(broken, allow_test=True)


@pytest.mark.parametrize("value", ["1234", "1503851234", "150385123456", "", "   "])
def test_a_national_id_must_have_eleven_digits(value):
    with pytest.raises(InvalidIdentifier) as error:
        parse_national_id(value)
    assert str(error.value) == NOT_ELEVEN


def test_spaces_where_people_write_them_are_accepted_and_removed():
    number = _number("150385")
    spaced = f" {number[:6]} {number[6:]}\t"
    assert parse_national_id(spaced).number == number
    assert parse_national_id(f"{number[:6]}\u00a0{number[6:]}").number == number
    assert is_valid_national_id(spaced)


@pytest.mark.parametrize("digit", list(FOREIGN_DIGITS))
def test_a_digit_of_another_script_is_refused_as_not_eleven_digits(digit):
    number = _number("150385")
    with pytest.raises(InvalidIdentifier) as error:
        parse_national_id(digit + number[1:])
    assert str(error.value) == NOT_ELEVEN


def test_fullwidth_and_superscript_numbers_are_refused_not_stored_or_crashing():
    number = _number("150385")
    fullwidth = "".join(chr(ord(c) - ord("0") + ord("\uff10")) for c in number)
    for value in (
        fullwidth,
        "\u00b2" * 11,
        "\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2",
    ):
        assert not is_valid_national_id(value, allow_test=True)
        with pytest.raises(InvalidIdentifier):
            parse_national_id(value, allow_test=True)


def test_a_month_of_80_is_not_a_test_identity_but_an_invalid_number():
    number = _number("158085")
    with pytest.raises(InvalidIdentifier) as error:
        parse_national_id(number)
    assert str(error.value) == NOT_VALID


def test_synthetic_test_identities_are_refused_by_default():
    number = _number("158385")  # month 03 + 80
    with pytest.raises(InvalidIdentifier) as error:
        parse_national_id(number)
    assert str(error.value) == SYNTHETIC
    assert not is_valid_national_id(number)
    with pytest.raises(InvalidIdentifier):
        parse_national_id(number, allow_test=False)


def test_synthetic_test_identities_are_accepted_with_permission_with_their_birth_date():
    number = _number("158385")
    parsed = parse_national_id(number, allow_test=True)
    assert (parsed.number, parsed.kind, parsed.birth_date) == (number, "test", dt.date(1985, 3, 15))
    assert is_valid_national_id(number, allow_test=True)


@pytest.mark.parametrize(
    ("prefix", "birth_date"),
    [
        ("018100", dt.date(1900, 1, 1)),  # month 81 = January
        ("319299", dt.date(1999, 12, 31)),  # month 92 = December
        ("558385", dt.date(1985, 3, 15)),  # a synthetic D-number: day + 40
        ("718385", dt.date(1985, 3, 31)),
    ],
)
def test_every_synthetic_month_and_synthetic_d_numbers_give_their_birth_date(prefix, birth_date):
    parsed = parse_national_id(_number(prefix), allow_test=True)
    assert (parsed.kind, parsed.birth_date) == ("test", birth_date)


@pytest.mark.parametrize(
    ("yy", "individual", "year"),
    [
        ("50", 0, 1950),
        ("50", 499, 1950),
        ("50", 500, 1850),
        ("40", 500, 1840),
        ("39", 500, 2039),
        ("00", 749, 2000),
        ("40", 899, 1840),
        ("40", 900, 1940),
        ("39", 900, 2039),
        ("99", 999, 1999),
    ],
)
def test_a_synthetic_identity_takes_its_century_from_the_individual_number(yy, individual, year):
    # Exactly this individual number: the day of birth is chosen so that its check digits work.
    for day in range(1, 29):
        numbers = list(_numbers(f"{day:02d}81{yy}", range(individual, individual + 1)))
        if numbers:
            break
    assert int(numbers[0][6:9]) == individual
    parsed = parse_national_id(numbers[0], allow_test=True)
    assert parsed.birth_date == dt.date(year, 1, day)


def test_a_synthetic_identity_with_an_impossible_date_is_accepted_without_a_birth_date():
    parsed = parse_national_id(_number("318285"), allow_test=True)  # 31 February
    assert parsed.kind == "test"
    assert parsed.birth_date is None


def test_every_synthetic_number_with_the_right_check_digits_is_accepted_and_no_other():
    accepted = 0
    for number in _numbers("028790"):
        assert parse_national_id(number, allow_test=True).number == number
        accepted += 1
        for position in (9, 10):
            wrong = (
                number[:position] + str((int(number[position]) + 1) % 10) + number[position + 1 :]
            )
            with pytest.raises(InvalidIdentifier) as error:
                parse_national_id(wrong, allow_test=True)
            assert str(error.value) == CHECK_DIGITS
    assert accepted > 500


def test_a_parsed_national_id_cannot_be_changed_afterwards():
    parsed = parse_national_id(_number("150385"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.kind = "dnr"


# --- masking --------------------------------------------------------------------------------------


def test_masking_shows_the_last_four_digits_and_no_birth_date():
    assert mask_national_id("15038512345") == "*******2345"
    assert mask_national_id("150385 12345") == "*******2345"
    assert parse_national_id(_number("150385")).masked.startswith("*******")
    assert "150385" not in parse_national_id(_number("150385")).masked


@pytest.mark.parametrize(
    "value",
    [
        "1503851234",
        "150385123456",
        "",
        "\uff11\uff15\uff10\uff13\uff18\uff15\uff11\uff12\uff13\uff14\uff15",
    ],
)
def test_masking_something_that_is_not_eleven_digits_shows_no_digit(value):
    assert mask_national_id(value) == "***********"


# --- organisation numbers -------------------------------------------------------------------------


def test_organisation_numbers_are_checked():
    assert parse_orgnr("974760673") == "974760673"
    assert parse_orgnr(" 974 760 673 ") == "974760673"
    assert is_valid_orgnr("974760673")
    with pytest.raises(InvalidIdentifier) as error:
        parse_orgnr("974760674")
    assert str(error.value) == ORGNR_INVALID


@pytest.mark.parametrize("value", ["974760674", "974760670", "123456789", "000000001"])
def test_an_invalid_organisation_number_is_refused(value):
    assert not is_valid_orgnr(value)


@pytest.mark.parametrize(
    "value",
    [
        "97476067",
        "9747606731",
        "",
        "\uff19\uff17\uff14\uff17\uff16\uff10\uff16\uff17\uff13",
        "97476067\u00b3",
    ],
)
def test_an_organisation_number_has_nine_ascii_digits(value):
    with pytest.raises(InvalidIdentifier) as error:
        parse_orgnr(value)
    assert str(error.value) == ORGNR_LENGTH
    assert not is_valid_orgnr(value)


def test_every_body_gets_its_check_digit_or_none_when_it_would_be_ten():
    made = 0
    for n in range(0, 3000, 7):
        body = f"9{n:07d}"
        expected = _orgnr(body)
        if len(expected) == 10:
            assert make_orgnr(body) is None
        else:
            assert make_orgnr(body) == expected
            assert parse_orgnr(expected) == expected
            made += 1
    assert made > 300


def test_organisation_numbers_are_shown_in_groups_of_three():
    assert format_orgnr("974760673") == "974 760 673"
    assert format_orgnr("97476067") == "97476067"
    assert format_orgnr("") == ""


# --- postcodes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "postcode"), [("0150", "0150"), (" 9990 ", "9990"), ("0001", "0001")]
)
def test_a_postcode_is_four_ascii_digits(value, postcode):
    assert parse_postcode(value) == postcode


@pytest.mark.parametrize(
    "value",
    [
        "150",
        "01500",
        "0 150",
        "01X50",
        "0150X",
        "X0150",
        "\uff10\uff11\uff15\uff10",
        "015\u00b2",
        "0000",
        "",
        "abcd",
    ],
)
def test_anything_else_is_not_a_postcode(value):
    with pytest.raises(InvalidIdentifier) as error:
        parse_postcode(value)
    assert str(error.value) == POSTCODE


# --- making numbers for demo data -----------------------------------------------------------------


def test_a_made_national_id_has_the_birth_date_and_the_check_digits():
    number = make_national_id(dt.date(1985, 3, 15), 123)
    assert number == _with_check_digits("150385123")
    assert parse_national_id(number).birth_date == dt.date(1985, 3, 15)
    d_number = make_national_id(dt.date(1985, 3, 15), 123, d_number=True)
    assert d_number == _with_check_digits("550385123")


def test_an_individual_number_without_valid_check_digits_makes_no_national_id():
    outcomes = {}
    for individual in range(200):
        expected = _with_check_digits(f"150385{individual:03d}")
        made = make_national_id(dt.date(1985, 3, 15), individual)
        made_unverified = make_national_id(dt.date(1985, 3, 15), individual, verify=False)
        if len(expected) == 11:
            assert made == made_unverified == expected
        else:
            assert made is None
            assert made_unverified is None
        outcomes[made is None] = True
    assert outcomes == {True: True, False: True}


def test_verification_refuses_an_individual_number_outside_its_century():
    # Individual numbers 750-899 belong to 2000-2039 only, so no 85 can have one.
    body = next(n for n in _numbers("150385", range(750, 900)))
    individual = int(body[6:9])
    assert make_national_id(dt.date(1985, 3, 15), individual) is None
    assert make_national_id(dt.date(1985, 3, 15), individual, verify=False) == body


# --- any text at all ------------------------------------------------------------------------------


def _refused_or_ascii(parser, value, length):
    try:
        result = parser(value)
    except InvalidIdentifier:
        return None
    assert result.isascii() and result.isdigit() and len(result) == length
    return result


@given(st.text(max_size=24))
@example("\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2\u00b2")
@example("\uff11\uff15\uff10\uff13\uff18\uff15\uff11\uff12\uff13\uff14\uff15")
def test_any_unicode_text_is_a_valid_national_id_of_ascii_digits_or_refused(value):
    try:
        parsed = parse_national_id(value, allow_test=True)
    except InvalidIdentifier:
        assert not is_valid_national_id(value, allow_test=True)
        return
    assert parsed.number.isascii() and parsed.number.isdigit() and len(parsed.number) == 11
    assert parsed.number == "".join(c for c in value if c not in " \u00a0\t")
    assert is_valid_national_id(value, allow_test=True)


@given(st.text(alphabet=st.sampled_from("0123456789 " + FOREIGN_DIGITS), max_size=14))
def test_a_number_with_any_digit_of_another_script_is_refused_by_every_parser(value):
    foreign = any(c in FOREIGN_DIGITS for c in value)
    for parser, length in ((parse_orgnr, 9), (parse_postcode, 4)):
        result = _refused_or_ascii(parser, value, length)
        if foreign:
            assert result is None
    if foreign:
        assert ascii_digits(value) is None
        assert not is_valid_national_id(value, allow_test=True)
        assert mask_national_id(value) == "***********"


@given(st.text(max_size=14))
def test_any_unicode_text_is_an_organisation_number_or_postcode_of_ascii_digits_or_refused(value):
    orgnr = _refused_or_ascii(parse_orgnr, value, 9)
    assert is_valid_orgnr(value) == (orgnr is not None)
    _refused_or_ascii(parse_postcode, value, 4)
    digits = ascii_digits(value)
    assert digits is None or (digits.isascii() and digits.isdigit())


def test_the_message_is_in_norwegian_when_the_user_reads_norwegian():
    with translation.override("nb"), pytest.raises(InvalidIdentifier) as error:
        parse_orgnr("123")
    assert str(error.value) == "Et organisasjonsnummer har 9 sifre."
