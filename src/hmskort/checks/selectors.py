"""Reads for the card check: one indexed read per card, never a write.

The check paths (page, QR landing, GET and batch API) use only these functions, so they keep
working while the database is read-only (scheduled maintenance).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import get_language

from hmskort.cards.models import Card, CardState
from hmskort.cards.numbers import InvalidCardNumber, format_card_number, normalise_card_number

# Looked up when the input is malformed, so a bad number costs the same indexed read as a good
# one (no card number starts with 0, so this never matches).
_NO_SUCH_NUMBER = "000000000000"

_FIELDS = (
    "id",
    "number",
    "qr_token",
    "state",
    "valid",
    "expires_on",
    "issued_on",
    "validity_changed_at",
    "card_type__code",
    "card_type__name_nb",
    "card_type__name_en",
    "holder__given_name",
    "holder__family_name",
    "holder__birth_date",
    "company__name",
    "company__orgnr",
)


@dataclass(frozen=True)
class CardCheck:
    """What a check shows. Carries no reasons and no national ID number."""

    card_id: int
    number: str
    state: str
    valid: bool
    card_type_code: str
    card_type_name_nb: str
    card_type_name_en: str
    holder_name: str
    birth_date: dt.date | None
    employer_name: str
    employer_orgnr: str
    expires_on: dt.date | None
    issued_on: dt.date | None
    validity_changed_at: dt.datetime | None

    @property
    def formatted_number(self) -> str:
        return format_card_number(self.number)

    @property
    def card_type_name(self) -> str:
        lang = (get_language() or "nb")[:2]
        return self.card_type_name_en if lang == "en" else self.card_type_name_nb

    @property
    def state_notice(self) -> str:
        """A state a checker must know about (replaced, blocked, lost …), or "" when issued."""
        return "" if self.state == CardState.ISSUED else self.state

    @property
    def state_label(self) -> str:
        return str(CardState(self.state).label) if self.state in CardState.values else self.state


def _to_check(card: Card) -> CardCheck:
    return CardCheck(
        card_id=card.pk,
        number=card.number,
        state=card.state,
        valid=card.valid,
        card_type_code=card.card_type.code,
        card_type_name_nb=card.card_type.name_nb,
        card_type_name_en=card.card_type.name_en,
        holder_name=card.holder.full_name,
        birth_date=card.holder.birth_date,
        employer_name=card.company.name,
        employer_orgnr=card.company.orgnr,
        expires_on=card.expires_on,
        issued_on=card.issued_on,
        validity_changed_at=card.validity_changed_at,
    )


def _base_query():
    return Card.objects.select_related("card_type", "holder", "company").only(*_FIELDS)


def check_card_number(raw: str) -> CardCheck | None:
    """The card with this number, or None. Raises InvalidCardNumber for a malformed number,
    after doing the same indexed read a well-formed number gets (no timing oracle)."""
    try:
        number = normalise_card_number(raw)
    except InvalidCardNumber:
        _base_query().filter(number=_NO_SUCH_NUMBER).first()
        raise
    card = _base_query().filter(number=number).first()
    return _to_check(card) if card else None


def check_qr_token(token: str) -> CardCheck | None:
    """The card behind a QR code's token, or None (same indexed read for any token)."""
    token = (token or "")[:64]
    card = _base_query().filter(qr_token=token).first()
    return _to_check(card) if card else None


def check_card_numbers(numbers: Iterable[str]) -> dict[str, CardCheck]:
    """Cards by normalised number, for well-formed numbers: one indexed read for the batch."""
    wanted = list(dict.fromkeys(numbers))
    if not wanted:
        return {}
    return {
        card.number: _to_check(card) for card in _base_query().filter(number__in=wanted).order_by()
    }


def holder_photo_url(check: CardCheck) -> str | None:
    """URL of the holder's photo to show on the QR landing, or None when none is on file.

    Photos arrive with ordering (a later issue); until then there is never one on file.
    """
    return None
