"""Card numbers and QR tokens.

A card number is 12 digits: 11 random digits and a Damm check digit, which catches every
single-digit error and every swap of two adjacent digits. Random, so neither sequential nor
guessable (about 1 in 100,000 random numbers hits one of a million cards). Shown in groups
of four: 1234 5678 9012. The QR token is a separate unguessable value per card.
"""

from __future__ import annotations

import secrets

from django.utils.translation import gettext_lazy as _
from stdnum import damm

from hmskort.identifiers import SPACES, ascii_digits

CARD_NUMBER_LENGTH = 12


class InvalidCardNumber(ValueError):
    """A malformed card number. `code` says why (`length` or `check_digit`, as the API reports
    it); `message` says it to a person, in the active language."""

    MESSAGES = {
        "length": _("A card number has 12 digits. Check the number and try again."),
        "check_digit": _(
            "This is not a valid card number: one digit is probably mistyped. "
            "Check the number on the card and try again."
        ),
    }

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code if code in self.MESSAGES else "length"

    @property
    def message(self) -> str:
        return str(self.MESSAGES[self.code])


def new_card_number() -> str:
    body = f"{secrets.randbelow(9 * 10**10) + 10**10}"  # 11 digits, no leading zero
    return body + damm.calc_check_digit(body)


def new_qr_token() -> str:
    return secrets.token_urlsafe(24)


def normalise_card_number(value: str) -> str:
    """Strip spaces and dashes; raise InvalidCardNumber (with a reason code) if malformed.

    ASCII digits only: fullwidth or superscript digits are refused, never stored or looked up."""
    digits = ascii_digits(value, separators=SPACES + "-")
    if digits is None or len(digits) != CARD_NUMBER_LENGTH:
        raise InvalidCardNumber("length")
    if not damm.is_valid(digits):
        raise InvalidCardNumber("check_digit")
    return digits


def format_card_number(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def card_number_from(seed: str) -> str:
    """A fixed, valid card number derived from `seed` (demo and synthetic data only)."""
    import hashlib

    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    body = f"{digest % (9 * 10**10) + 10**10}"
    return body + damm.calc_check_digit(body)


def qr_token_from(seed: str) -> str:
    """A fixed QR token derived from `seed` (demo and synthetic data only)."""
    import base64
    import hashlib

    return base64.urlsafe_b64encode(hashlib.sha256(b"qr:" + seed.encode()).digest()[:24]).decode()
