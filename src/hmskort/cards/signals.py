"""Signals other apps listen to. Sent only after the transaction that made the change commits."""

from dataclasses import dataclass
from datetime import datetime

from django.dispatch import Signal

# Sent once per committed recompute (or lifecycle change) that changed at least one card's
# validity or reasons. Keyword argument `changes`: a list of CardValidityChange
# (card_id, number, valid, reasons, at). Receivers must be quick: enqueue work, do not do it.
card_validity_changed = Signal()


@dataclass(frozen=True)
class CardValidityChange:
    """One card whose validity or reasons changed, as committed."""

    card_id: int
    number: str
    valid: bool
    reasons: tuple[str, ...]
    at: datetime
