"""National ID numbers, organisation numbers and postcodes: the one place that parses them.

Wraps python-stdnum so that a future change of the rules (from 2032 new fødselsnumre may use
more check-digit remainders) is made here and nowhere else. Every parser accepts ASCII digits
only (0-9), with spaces where people write them: `str.isdigit()` is also true for superscripts
(²), fullwidth digits and other scripts' digits, which would otherwise be stored or crash `int()`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from stdnum.exceptions import ValidationError
from stdnum.no import fodselsnummer, orgnr


class InvalidIdentifier(ValueError):
    """The value is not a valid identifier. `message` is a translatable text for the user."""


# The separators a person may type inside a number: space, no-break space, tab.
SPACES = " \u00a0\t"


def ascii_digits(value: object, *, separators: str = SPACES) -> str | None:
    """The value's digits with the separators removed, or None unless only ASCII digits remain."""
    digits = "".join(ch for ch in str(value) if ch not in separators)
    return digits if digits.isascii() and digits.isdigit() else None


@dataclass(frozen=True)
class NationalId:
    number: str
    kind: str  # "fnr" (fødselsnummer), "dnr" (D-number) or "test" (synthetic test identity)
    birth_date: dt.date | None

    @property
    def masked(self) -> str:
        return mask_national_id(self.number)


def _is_synthetic(number: str) -> bool:
    # Synthetic test identities (Skatteetaten's test population): month + 80.
    return int(number[2:4]) > 80


def _check_digits_ok(number: str) -> bool:
    weights1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
    weights2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    digits = [int(c) for c in number]
    k1 = (11 - sum(w * d for w, d in zip(weights1, digits[:9], strict=True)) % 11) % 11
    k2 = (11 - sum(w * d for w, d in zip(weights2, digits[:10], strict=True)) % 11) % 11
    return k1 == digits[9] and k2 == digits[10]


def parse_national_id(value: str, *, allow_test: bool = False) -> NationalId:
    """Validate a fødselsnummer or D-number and return it with its kind and birth date.

    Raises InvalidIdentifier. Synthetic test identities are accepted only with allow_test.
    """
    from django.utils.translation import gettext as _

    number = ascii_digits(value)
    if number is None or len(number) != 11:
        raise InvalidIdentifier(_("A national ID number has 11 digits."))
    if _is_synthetic(number):
        if not allow_test:
            raise InvalidIdentifier(_("Synthetic test identities are not accepted here."))
        if not _check_digits_ok(number):
            raise InvalidIdentifier(_("The national ID number's check digits do not match."))
        day = int(number[:2]) % 40
        month = int(number[2:4]) - 80
        birth = _birth_date_or_none(day, month, number)
        return NationalId(number=number, kind="test", birth_date=birth)
    try:
        fodselsnummer.validate(number)
    except ValidationError:
        raise InvalidIdentifier(_("This is not a valid national ID number or D-number.")) from None
    kind = "dnr" if int(number[0]) >= 4 else "fnr"
    # validate() has read the birth date already (a number whose date is impossible or in the
    # future is not valid), so this cannot fail.
    return NationalId(number=number, kind=kind, birth_date=fodselsnummer.get_birth_date(number))


def _birth_date_or_none(day: int, month: int, number: str) -> dt.date | None:
    individual = int(number[6:9])
    yy = int(number[4:6])
    if individual <= 499 or (individual >= 900 and yy >= 40):
        year = 1900 + yy
    elif yy <= 39:
        year = 2000 + yy
    else:
        year = 1800 + yy
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def is_valid_national_id(value: str, *, allow_test: bool = False) -> bool:
    try:
        parse_national_id(value, allow_test=allow_test)
    except InvalidIdentifier:
        return False
    return True


MASKED_DIGITS = 4


def mask_national_id(value: str) -> str:
    """Show the last four digits only: *******2345. The first six are the birth date."""
    number = ascii_digits(value)
    if number is None or len(number) != 11:
        return "*" * 11
    return "*" * (11 - MASKED_DIGITS) + number[-MASKED_DIGITS:]


def parse_orgnr(value: str) -> str:
    """Validate an organisation number and return its 9 digits. Raises InvalidIdentifier."""
    from django.utils.translation import gettext as _

    number = ascii_digits(value)
    if number is None or len(number) != 9:
        raise InvalidIdentifier(_("An organisation number has 9 digits."))
    try:
        orgnr.validate(number)
    except ValidationError:
        raise InvalidIdentifier(_("This is not a valid organisation number.")) from None
    return number


def is_valid_orgnr(value: str) -> bool:
    try:
        parse_orgnr(value)
    except InvalidIdentifier:
        return False
    return True


def format_orgnr(value: str) -> str:
    """974760673 as 974 760 673, as Enhetsregisteret writes it; anything else unchanged."""
    return f"{value[:3]} {value[3:6]} {value[6:]}" if len(value) == 9 else value


def parse_postcode(value: str) -> str:
    """A Norwegian postcode: four ASCII digits (0001-9999). Raises InvalidIdentifier."""
    from django.utils.translation import gettext as _

    number = ascii_digits(str(value).strip(), separators="")
    if number is None or len(number) != 4 or number == "0000":
        raise InvalidIdentifier(_("A postcode has 4 digits."))
    return number


def make_national_id(
    birth_date: dt.date, individual: int, *, d_number: bool = False, verify: bool = True
) -> str | None:
    """The fødselsnummer (or D-number) for a birth date and individual number (0 to 999).

    None when that individual number gives no valid check digits. For demo and synthetic data;
    `verify=False` skips the full validation when the caller knows the date and the individual
    number fit (past date, individual number in the range of its century).
    """
    day = birth_date.day + (40 if d_number else 0)
    body = f"{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{individual:03d}"
    k1 = fodselsnummer.calc_check_digit1(body)
    if len(k1) != 1:
        return None
    k2 = fodselsnummer.calc_check_digit2(body + k1)
    if len(k2) != 1:
        return None
    number = body + k1 + k2
    return number if not verify or fodselsnummer.is_valid(number) else None


def make_orgnr(body: str) -> str | None:
    """The organisation number with these 8 leading digits, or None if none is valid."""
    check = -orgnr.checksum(body + "0") % 11
    return None if check == 10 else body + str(check)
