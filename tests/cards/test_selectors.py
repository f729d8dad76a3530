"""Reads of cards for the operations metrics."""

from __future__ import annotations

import pytest

from hmskort.cards.models import CardState
from hmskort.cards.selectors import cards_by_state_and_validity
from tests.factories import CardFactory

pytestmark = pytest.mark.django_db


def test_cards_are_counted_by_state_and_validity_over_every_company():
    CardFactory()
    CardFactory()
    CardFactory(valid=False, reasons=["card_expired"])
    CardFactory(state=CardState.BLOCKED, valid=False, reasons=["card_blocked"])

    counts = cards_by_state_and_validity()

    assert counts == {("issued", True): 2, ("issued", False): 1, ("blocked", False): 1}
