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
from hmskort.companies.models import OWNER_WORKER_FORMS, Company
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
                "pk",
                "valid",
                "reasons",
                "validity_changed_at",
                "updated_at",
                *recompute._WORKER_FIELDS,
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


def _run(
    settings, recompute, *, in_database: bool, at: dt.datetime = NOW
) -> tuple[int, dict[str, list]]:
    """Run one path inside a savepoint, note what it wrote, and undo it."""
    settings.HMSKORT_RECOMPUTE_IN_DATABASE = in_database
    result: dict[str, object] = {}
    try:
        with transaction.atomic(), time_machine.travel(at, tick=False):
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
    written, missed = recompute._write_facts_pg(cause="stale", today=today, now=NOW)

    others = {c.card_id for c in expected} - {target.card_id}
    assert written == len(others)
    assert missed == [target.card_id]  # for the caller to read again
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


def test_a_card_changed_between_the_read_and_the_write_is_read_again_and_gets_its_new_verdict(
    mixed_world, monkeypatch
):
    orgnrs, _person_ids = mixed_world
    main_ids = list(Company.objects.filter(orgnr__in=orgnrs).values_list("pk", flat=True))
    target = Card.objects.filter(company_id__in=main_ids, state=CardState.ISSUED).first()
    assert target is not None
    write = recompute._write_facts_pg
    writes = []

    def blocked_meanwhile(**kwargs):
        if not writes:  # the lifecycle blocks the card after the recompute read it
            Card.objects.filter(pk=target.pk).update(state=CardState.BLOCKED)
        writes.append(kwargs)
        return write(**kwargs)

    monkeypatch.setattr(recompute, "_write_facts_pg", blocked_meanwhile)
    with time_machine.travel(NOW, tick=False):
        recompute._recompute_in_database(
            "c.company_id = ANY(%s)", [main_ids], cause="registry:brreg", today=NOW.date()
        )

    assert len(writes) == 2  # the card was read and written again
    target.refresh_from_db()
    assert not target.valid
    assert "card_blocked" in target.reasons
    assert CardStatusChange.objects.get(card=target).reasons == target.reasons


# --- The holder's facts stored on the card (docs/cards.md, "Worker facts on the card") --------

T0 = NOW - dt.timedelta(days=10)
DAY = dt.timedelta(days=1)


def _flip_vat() -> list[str]:
    units = list(BrregUnit.objects.order_by("orgnr").values_list("orgnr", flat=True))
    BrregUnit.objects.update(
        registered_in_vat=Case(When(registered_in_vat=True, then=Value(False)), default=True)
    )
    return units


def _move_people_facts(today: dt.date) -> list[int]:
    """Every kind of change to a holder's facts, each on other people; returns who moved."""
    people = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    moved: list[int] = []

    def take(n: int) -> list[int]:
        chosen = people[len(moved) : len(moved) + n]
        moved.extend(chosen)
        return chosen

    Employment.objects.filter(person_id__in=take(6)).update(ends_on=today - DAY)  # ended
    Employment.objects.filter(person_id__in=take(6)).update(ends_on=today + 2 * DAY)  # ends soon
    Employment.objects.filter(person_id__in=take(6)).update(starts_on=today + 3 * DAY)  # not yet
    Employment.objects.filter(person_id__in=take(6)).delete()  # no longer reported
    for employment in Employment.objects.filter(person_id__in=take(6)):  # a second, later one
        Employment.objects.create(
            person_id=employment.person_id,
            employer_id=employment.employer_id,
            main_unit_id=employment.main_unit_id,
            starts_on=today + 5 * DAY,
            source=Employment.Source.FOREIGN,
            read_at=NOW,
        )
        Employment.objects.filter(pk=employment.pk).update(ends_on=today + DAY)
    other = Company.objects.filter(parent__isnull=True).order_by("-pk").first()
    Employment.objects.filter(person_id__in=take(6)).update(main_unit=other, employer=other)
    Person.objects.filter(pk__in=take(6)).update(national_id_valid=False)
    Person.objects.filter(pk__in=take(6)).update(
        needs_residence_permit=True, residence_permit_until=today + 4 * DAY
    )
    Person.objects.filter(pk__in=take(6)).update(
        needs_residence_permit=True, residence_permit_until=today - DAY
    )
    return moved


@pytest.fixture
def stored_world():
    """Cards that store their holders' facts (read at T0), then people's facts moved and
    announced (the people app's announcement recomputes their cards, reading them afresh)."""
    with time_machine.travel(T0 - DAY, tick=False):
        call_command("generate", companies=80, cards=600, seed=12, stdout=StringIO())
    with time_machine.travel(T0, tick=False):
        recompute_cards(card_ids=Card.objects.values_list("pk", flat=True), cause="stored")
        moved = _move_people_facts(T0.date())
        recompute_cards(person_ids=moved, cause="person")
    return moved


def _employed_holders_valid_card() -> Card:
    """A valid issued card whose validity rests on its holder's employment (not an owner's)."""
    card = (
        Card.objects.filter(state=CardState.ISSUED, valid=True, worker_employment=1)
        .exclude(company__organisation_form__in=OWNER_WORKER_FORMS)
        .first()
    )
    assert card is not None
    return card


def _end_employment_unannounced(card: Card) -> None:
    Employment.objects.filter(person_id=card.holder_id, main_unit_id=card.company_id).update(
        ends_on=T0.date() - DAY
    )


def test_a_card_stores_the_holders_facts_as_read_after_every_kind_of_change(stored_world):
    today = T0.date()
    with connection.cursor() as cursor:
        cursor.execute(recompute._facts_sql("TRUE", today), [])
        rows = cursor.fetchall()
    assert len(rows) == Card.objects.count()
    assert recompute._worker_updates(rows) == []
    employments = {row[recompute._KEY_END + 3] for row in rows}
    assert employments == {None, 0, 1}  # none reported, ended or not begun, in force


@pytest.mark.parametrize("days", [0, 1, 2, 3, 4, 5, 6, 10])
def test_a_register_change_gives_what_a_full_read_gives_as_days_pass(settings, stored_world, days):
    # The register's recompute takes the holders' facts stored on the cards where they still
    # hold; the reference reads every person and employment. Both write the same.
    at = T0 + days * DAY
    units = _flip_vat()

    def run():
        return recompute_cards(unit_orgnrs=units, cause="registry:brreg")

    changed_reference, reference = _run(settings, run, in_database=False, at=at)
    changed_fast, fast = _run(settings, run, in_database=True, at=at)

    assert changed_reference > 100
    assert changed_fast == changed_reference
    assert fast == reference


def test_a_register_change_reads_the_holder_of_a_card_that_stores_nothing_yet(settings):
    with time_machine.travel(T0, tick=False):
        call_command("generate", companies=40, cards=200, seed=13, stdout=StringIO())
    assert not Card.objects.filter(worker_national_id_valid__isnull=False).exists()
    units = _flip_vat()

    def run():
        return recompute_cards(unit_orgnrs=units, cause="registry:brreg")

    changed_reference, reference = _run(settings, run, in_database=False)
    changed_fast, fast = _run(settings, run, in_database=True)

    assert changed_fast == changed_reference > 50
    assert fast == reference
    stored = {row[-6] for row in fast["cards"]}  # worker_national_id_valid, now known
    assert None not in stored


def test_a_register_run_of_employments_reads_the_holders_afresh(
    stored_world, django_capture_on_commit_callbacks
):
    # Aa-registeret announces units too, but not as units alone: their cards read the people.
    from hmskort.registries.models import RegistryRun
    from hmskort.registries.signals import register_facts_changed

    card = _employed_holders_valid_card()
    with time_machine.travel(T0, tick=False):
        _end_employment_unannounced(card)
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            register_facts_changed.send(
                sender=RegistryRun,
                orgnrs=[card.company.orgnr],
                cause="registry:aareg",
                units_only=False,
            )
    card.refresh_from_db()
    assert card.reasons == ["employment_ended"]
    assert card.worker_employment == 0


def test_a_register_change_of_units_alone_takes_the_holders_facts_stored_on_the_card(
    stored_world,
):
    # What makes it quick: the people and employments are not read. (A change to them that
    # nobody announced is therefore not seen; every change to them is announced.)
    card = _employed_holders_valid_card()
    unit = BrregUnit.objects.get(orgnr=card.company.orgnr)
    with time_machine.travel(T0, tick=False):
        _end_employment_unannounced(card)
        BrregUnit.objects.filter(pk=unit.pk).update(bankrupt=True)
        recompute_cards(unit_orgnrs=[unit.orgnr], cause="registry:brreg")
    card.refresh_from_db()
    assert card.reasons == ["company_bankrupt"]
    assert card.worker_employment == 1


def test_a_unit_announced_with_other_facts_reads_the_holders_of_the_cards_those_facts_touch(
    stored_world,
):
    # One job for a register run and a person's change: the person's cards read the person,
    # the other cards of the unit take what they store.
    card = _employed_holders_valid_card()
    with time_machine.travel(T0, tick=False):
        _end_employment_unannounced(card)
        recompute_cards(
            unit_orgnrs=[card.company.orgnr], person_ids=[card.holder_id], cause="mixed"
        )
    card.refresh_from_db()
    assert card.reasons == ["employment_ended"]
    assert card.worker_employment == 0
