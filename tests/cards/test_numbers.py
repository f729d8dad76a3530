"""Card numbers and QR tokens: 11 random digits and a Damm check digit, shown in groups of four.

The check digit is computed here with the Damm table written out, not with the code under test.
"""

import base64
import hashlib
import re
import secrets

import pytest

from hmskort.cards.numbers import (
    CARD_NUMBER_LENGTH,
    InvalidCardNumber,
    card_number_from,
    format_card_number,
    new_card_number,
    new_qr_token,
    normalise_card_number,
    qr_token_from,
)

DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def _damm(digits: str) -> int:
    interim = 0
    for digit in digits:
        interim = DAMM[interim][int(digit)]
    return interim


def _with_check_digit(body: str) -> str:
    return body + str(_damm(body))


def _reason(value) -> str:
    with pytest.raises(InvalidCardNumber) as error:
        normalise_card_number(value)
    return str(error.value)


def test_a_card_number_has_twelve_digits():
    assert CARD_NUMBER_LENGTH == 12


def test_a_new_card_number_is_eleven_random_digits_without_a_leading_zero_and_a_check_digit():
    seen = set()
    for _ in range(200):
        number = new_card_number()
        assert re.fullmatch(r"[1-9][0-9]{11}", number)
        assert _damm(number) == 0
        seen.add(number)
    assert len(seen) == 200


@pytest.mark.parametrize(
    ("drawn", "body"), [(0, "10000000000"), (9 * 10**10 - 1, "99999999999"), (12345, "10000012345")]
)
def test_new_card_numbers_span_every_eleven_digit_body(monkeypatch, drawn, body):
    bounds = []

    def randbelow(n):
        bounds.append(n)
        return drawn

    monkeypatch.setattr(secrets, "randbelow", randbelow)
    assert new_card_number() == _with_check_digit(body)
    assert bounds == [9 * 10**10]


def test_a_qr_token_is_32_url_safe_characters_and_never_the_same():
    tokens = {new_qr_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", t) for t in tokens)


def test_spaces_dashes_and_no_break_spaces_are_ignored():
    number = _with_check_digit("12345678901")
    for written in (
        number,
        f"{number[:4]} {number[4:8]} {number[8:]}",
        f"{number[:4]}-{number[4:8]}-{number[8:]}",
        f"{number[:4]}\u00a0{number[4:8]}\t{number[8:]}",
        f" {number} ",
    ):
        assert normalise_card_number(written) == number


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1234",
        "12345678901",
        "1234567890123",
        "1234.5678.9012",
        "1234X5678X9012",
        "abcdefghijkl",
        None,
    ],
)
def test_anything_but_twelve_digits_is_refused_for_its_length(value):
    assert _reason(value) == "length"


def test_every_single_wrong_digit_is_caught_by_the_check_digit():
    number = _with_check_digit("73019284756")
    for position in range(12):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            wrong = number[:position] + digit + number[position + 1 :]
            assert _reason(wrong) == "check_digit"


def test_every_swap_of_two_adjacent_digits_is_caught_by_the_check_digit():
    number = _with_check_digit("73019284756")
    for position in range(11):
        if number[position] == number[position + 1]:
            continue
        swapped = (
            number[:position] + number[position + 1] + number[position] + number[position + 2 :]
        )
        assert _reason(swapped) == "check_digit"


def test_a_card_number_is_shown_in_groups_of_four():
    assert format_card_number("123456789012") == "1234 5678 9012"
    assert format_card_number("12345") == "1234 5"
    assert format_card_number("") == ""


def test_a_seed_always_gives_the_same_valid_number_and_token():
    digest = int.from_bytes(hashlib.sha256(b"demo-1").digest()[:8], "big")
    body = f"{digest % (9 * 10**10) + 10**10}"
    assert card_number_from("demo-1") == _with_check_digit(body)
    assert card_number_from("demo-1") != card_number_from("demo-2")
    token = base64.urlsafe_b64encode(hashlib.sha256(b"qr:demo-1").digest()[:24]).decode()
    assert qr_token_from("demo-1") == token
    assert len(token) == 32
    assert qr_token_from("demo-1") != qr_token_from("demo-2")


def test_seeded_numbers_have_no_leading_zero_and_a_valid_check_digit():
    for seed in range(300):
        number = card_number_from(f"seed-{seed}")
        assert re.fullmatch(r"[1-9][0-9]{11}", number)
        assert normalise_card_number(number) == number


@pytest.mark.parametrize("offset", [0xFF10 - 0x30, 0x0660 - 0x30, 0x0966 - 0x30])
def test_digits_of_other_scripts_are_refused_not_looked_up(offset):
    number = _with_check_digit("12345678901")
    foreign = "".join(chr(ord(c) + offset) for c in number)
    assert _reason(foreign) == "length"
    assert _reason("\u00b2" * 12) == "length"


def test_the_reason_is_a_code_with_a_message_for_a_person():
    from django.utils import translation

    with translation.override("en"):
        assert InvalidCardNumber("check_digit").code == "check_digit"
        assert InvalidCardNumber("length").code == "length"
        assert InvalidCardNumber("something else").code == "length"
        assert InvalidCardNumber("length").message == (
            "A card number has 12 digits. Check the number and try again."
        )
        assert InvalidCardNumber("check_digit").message.startswith(
            "This is not a valid card number: one digit is probably mistyped."
        )
