"""`hmskort generate`: synthetic data whose stored validity is what the rules say."""

from io import StringIO

import pytest
from django.core.management import call_command

from hmskort.cards.models import Card
from hmskort.cards.numbers import normalise_card_number
from hmskort.cards.recompute import recompute_all
from hmskort.companies.models import Company
from hmskort.devdata import generate
from hmskort.identifiers import is_valid_national_id, is_valid_orgnr
from hmskort.people.models import Person
from hmskort.registries.models import BrregUnit

pytestmark = pytest.mark.django_db


def test_generated_data_is_consistent_with_the_rules_and_has_valid_identifiers():
    out = StringIO()
    call_command("generate", companies=60, cards=400, seed=3, stdout=out, stderr=StringIO())
    assert "400 cards" in out.getvalue()
    assert Card.objects.count() == 400
    assert Company.objects.filter(parent__isnull=True).count() == 60
    assert BrregUnit.objects.count() > 0
    # Stored validity is what the recompute computes: nothing changes.
    assert recompute_all(cause="test") == 0
    assert Card.objects.filter(valid=True).exists()
    assert Card.objects.filter(valid=False).exists()
    for card in Card.objects.all()[:50]:
        assert normalise_card_number(card.number) == card.number
    assert all(
        is_valid_national_id(n, allow_test=False)
        for n in Person.objects.values_list("national_id", flat=True)
    )
    assert all(is_valid_orgnr(n) for n in Company.objects.values_list("orgnr", flat=True))


def test_generating_twice_adds_more_data_without_collisions():
    call_command("generate", companies=20, cards=50, seed=1, stdout=StringIO(), stderr=StringIO())
    call_command("generate", companies=20, cards=50, seed=1, stdout=StringIO(), stderr=StringIO())
    assert Card.objects.count() == 100
    assert Person.objects.count() == 100
    # New rows get fresh ids from the sequences afterwards.
    assert Person.objects.create(national_id="01017000027", given_name="A", family_name="B").pk


def test_the_same_seed_gives_the_same_cards_whatever_the_chunk_size(monkeypatch):
    def cards_of_last_run(since_id):
        return list(
            Card.objects.filter(pk__gt=since_id)
            .order_by("pk")
            .values_list("company__name", "state", "expires_on", "valid", "reasons")
        )

    call_command("generate", companies=15, cards=60, seed=5, stdout=StringIO(), stderr=StringIO())
    first = cards_of_last_run(0)
    last_id = Card.objects.order_by("-pk").values_list("pk", flat=True).first()
    monkeypatch.setattr(generate, "CHUNK", 7)
    call_command("generate", companies=15, cards=60, seed=5, stdout=StringIO(), stderr=StringIO())
    assert cards_of_last_run(last_id) == first
