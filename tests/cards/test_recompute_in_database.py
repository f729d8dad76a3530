"""The recompute's PostgreSQL fast path (history and audit rows written by `INSERT … SELECT`
inside the database) gives exactly what the reference path (rows built in Python) gives."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Case, Value, When

from hmskort.audit.models import AuditEvent
from hmskort.cards import recompute
from hmskort.cards.models import Card, CardState, CardStatusChange
from hmskort.cards.recompute import recompute_all, recompute_cards
from hmskort.companies.models import Company
from hmskort.people.models import Employment, Person
from hmskort.registries.models import BrregUnit

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the fast path is PostgreSQL's; SQLite has only the reference path",
    ),
]

NOW = dt.datetime(2027, 3, 10, 9, 30, tzinfo=dt.UTC)


class _Rollback(Exception):
    pass


def _mixed_changes() -> tuple[list[str], list[int]]:
    """Move many kinds of facts at once: VAT flags both ways, bankruptcies, ended employments,
    residence permits, a lost card. Returns the orgnrs and persons to recompute."""
    units = list(BrregUnit.objects.order_by("orgnr").values_list("orgnr", flat=True))
    flipped = units[::2]
    BrregUnit.objects.filter(orgnr__in=flipped).update(
        registered_in_vat=Case(When(registered_in_vat=True, then=Value(False)), default=True)
    )
    bankrupt = units[1::7]
    BrregUnit.objects.filter(orgnr__in=bankrupt).update(bankrupt=True)
    people = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    ended = people[::5]
    Employment.objects.filter(person_id__in=ended).update(ends_on=dt.date(2027, 1, 1))
    permits = people[1::9]
    Person.objects.filter(pk__in=permits).update(
        needs_residence_permit=True, residence_permit_until=None
    )
    lost = Card.objects.filter(state=CardState.ISSUED).order_by("pk")[:5]
    Card.objects.filter(pk__in=list(lost.values_list("pk", flat=True))).update(state=CardState.LOST)
    return flipped + bankrupt, ended + permits


def _outcome() -> dict[str, list]:
    """Everything a recompute writes, without the database's own row ids."""
    return {
        "cards": list(
            Card.objects.order_by("pk").values_list(
                "pk", "valid", "reasons", "validity_changed_at", "updated_at"
            )
        ),
        "history": sorted(
            CardStatusChange.objects.values_list(
                "card_id", "at", "valid", "reasons", "state", "cause"
            )
        ),
        "audit": sorted(
            AuditEvent.objects.filter(action="card.validity_changed").values_list(
                "at",
                "actor_kind",
                "actor_ref",
                "actor_label",
                "object_type",
                "object_id",
                "company_id",
                "data",
            ),
            key=lambda row: (int(row[5]), row[0]),
        ),
    }


def _run(settings, recompute, *, in_database: bool) -> tuple[int, dict[str, list]]:
    """Run one path inside a savepoint, note what it wrote, and undo it."""
    settings.HMSKORT_RECOMPUTE_IN_DATABASE = in_database
    result: dict[str, object] = {}
    try:
        with transaction.atomic(), time_machine.travel(NOW, tick=False):
            result["changed"] = recompute()
            result["outcome"] = _outcome()
            raise _Rollback
    except _Rollback:
        pass
    return result["changed"], result["outcome"]  # type: ignore[return-value]


@pytest.fixture
def mixed_world():
    with time_machine.travel(NOW - dt.timedelta(days=3), tick=False):
        call_command("generate", companies=80, cards=600, seed=11, stdout=StringIO())
    return _mixed_changes()


def test_the_incremental_recompute_writes_the_same_cards_history_and_audit_in_the_database(
    settings, mixed_world
):
    orgnrs, person_ids = mixed_world

    def run():
        return recompute_cards(orgnrs=orgnrs, person_ids=person_ids, cause="registry:brreg")

    changed_reference, reference = _run(settings, run, in_database=False)
    changed_fast, fast = _run(settings, run, in_database=True)

    assert changed_reference > 100  # a mixed change: many cards moved, both ways
    assert {valid for _id, valid, *_ in reference["cards"]} == {True, False}
    assert len(reference["history"]) == len(reference["audit"]) == changed_reference
    assert changed_fast == changed_reference
    assert fast == reference


def test_the_full_recompute_writes_the_same_cards_history_and_audit_in_the_database(
    settings, mixed_world
):
    def run():
        return recompute_all(cause="full", chunk_size=97)  # several chunks

    changed_reference, reference = _run(settings, run, in_database=False)
    changed_fast, fast = _run(settings, run, in_database=True)

    assert changed_reference > 100
    assert changed_fast == changed_reference
    assert fast == reference


def test_a_card_changed_meanwhile_is_left_alone_while_the_others_are_written(mixed_world):
    # Facts read into the database, then one of the cards is blocked before the write: that
    # card keeps what the lifecycle wrote and gets no history or audit row; the others are
    # written.
    orgnrs, _person_ids = mixed_world
    main_ids = list(Company.objects.filter(orgnr__in=orgnrs).values_list("pk", flat=True))
    today = NOW.date()
    where = "c.company_id = ANY(%s)"
    with connection.cursor() as cursor:
        cursor.execute(recompute._facts_sql(where, today), [main_ids])
        expected = recompute._evaluate_rows(cursor.fetchall(), today)  # the reference path
    assert len(expected) > 10
    target = next(c for c in expected if c.state == CardState.ISSUED)

    assert recompute._read_facts_pg(where, [main_ids], today) >= len(expected)
    Card.objects.filter(pk=target.card_id).update(state=CardState.BLOCKED)
    written = recompute._write_facts_pg(cause="stale", today=today, now=NOW)

    others = {c.card_id for c in expected} - {target.card_id}
    assert written == len(others)
    assert Card.objects.get(pk=target.card_id).valid == target.was_valid
    history = set(CardStatusChange.objects.values_list("card_id", flat=True))
    audited = set(
        AuditEvent.objects.filter(action="card.validity_changed").values_list(
            "object_id", flat=True
        )
    )
    assert history == others
    assert audited == {str(card_id) for card_id in others}
    stored = Card.objects.filter(pk__in=others).values_list("pk", "valid", "reasons")
    assert {(pk, valid, tuple(reasons)) for pk, valid, reasons in stored} == {
        (c.card_id, c.valid, c.reasons) for c in expected if c.card_id in others
    }
