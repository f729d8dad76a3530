"""The recompute engine: facts in the lower apps' tables become each card's stored validity.

It turns facts (registers' tables, employments, roles, the card's state) into each card's
stored `valid` and `reasons`, reading them with SQL this app owns. It writes a status-history
row and an AuditEvent only for cards whose validity or reasons changed, and after commit sends
`card_validity_changed`. It streams cards in id order in chunks, so memory stays flat however
many cards there are.

Nothing outside `cards` calls this module: lower apps announce changed facts through their
own signals, and `cards.jobs` queues one recompute job per transaction (see
docs/architecture.md). The lifecycle (`cards.services`) refreshes the card it changes here,
synchronously.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from hmskort.audit.services import Actor, record_many, record_select
from hmskort.bulk import copy_rows
from hmskort.companies.models import OWNER_WORKER_FORMS, OWNER_WORKER_ROLE_CODES, Company, Role
from hmskort.people.models import Employment, Person
from hmskort.registries.models import BrregUnit, CleaningApproval, StaffingApproval

from . import checkcache
from .models import Card, CardStatusChange, CardType
from .rules import CardFacts, evaluate
from .signals import CardValidityChange, card_validity_changed

log = logging.getLogger(__name__)

__all__ = ["recompute_all", "recompute_cards", "refresh_cards"]

CHUNK_SIZE = 20000
AUDIT_ACTION = "card.validity_changed"
AUDIT_OBJECT_TYPE = "cards.card"
_VERDICT_TABLE = "hmskort_card_verdict"
_ID_BATCH = 900  # ids per IN (...) on SQLite

_FACT_COLUMNS = (
    "id",
    "number",
    "state",
    "expires_on",
    "valid",
    "reasons",
    "company_id",
    "requires_cleaning_approval",
    "requires_residence_permit",
    "national_id_valid",
    "needs_residence_permit",
    "residence_permit_until",
    "organisation_form",
    "is_staffing_agency",
    "vat_exempt",
    "brreg_orgnr",
    "removed",
    "deleted_on",
    "bankrupt",
    "under_forced_dissolution",
    "registered_in_vat",
    "cleaning_status",
    "staffing_approved",
    "employment",
    "owner_role",
)


def _in_list(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _facts_sql(where: str, *, whole_table: bool = False) -> str:
    """The cards matching `where` with every fact the rules read, in one query.

    Parameters: today, today, then those of `where`. For a few cards the employment is looked
    up per card (index); for the whole table it is aggregated once and hash-joined, unordered.
    """
    t = {
        "card": Card._meta.db_table,
        "type": CardType._meta.db_table,
        "person": Person._meta.db_table,
        "company": Company._meta.db_table,
        "brreg": BrregUnit._meta.db_table,
        "cleaning": CleaningApproval._meta.db_table,
        "staffing": StaffingApproval._meta.db_table,
        "employment": Employment._meta.db_table,
        "role": Role._meta.db_table,
    }
    forms = ", ".join(f"'{f}'" for f in OWNER_WORKER_FORMS)
    codes = ", ".join(f"'{c}'" for c in OWNER_WORKER_ROLE_CODES)
    active = (
        "CASE WHEN e.starts_on <= %s AND (e.ends_on IS NULL OR e.ends_on >= %s) THEN 1 ELSE 0 END"
    )
    if whole_table:
        employment_column = "em.active"
        employment_join = f"""
          LEFT JOIN (SELECT e.person_id, e.main_unit_id, MAX({active}) AS active
                       FROM {t["employment"]} e GROUP BY e.person_id, e.main_unit_id) em
                 ON em.person_id = c.holder_id AND em.main_unit_id = c.company_id"""  # noqa: S608
        order = ""
    else:
        employment_column = f"""(SELECT MAX({active}) FROM {t["employment"]} e
                 WHERE e.main_unit_id = c.company_id AND e.person_id = c.holder_id)"""  # noqa: S608
        employment_join = ""
        order = "ORDER BY c.id"
    # Only table names and constants are interpolated; values go in as parameters.
    return f"""
        SELECT c.id, c.number, c.state, c.expires_on, c.valid, c.reasons, c.company_id,
               ct.requires_cleaning_approval, ct.requires_residence_permit,
               p.national_id_valid, p.needs_residence_permit, p.residence_permit_until,
               co.organisation_form, co.is_staffing_agency, co.vat_exempt,
               b.orgnr, b.removed, b.deleted_on, b.bankrupt, b.under_forced_dissolution,
               b.registered_in_vat, cl.status, sa.approved,
               {employment_column},
               CASE WHEN co.organisation_form IN ({forms}) AND EXISTS (
                    SELECT 1 FROM {t["role"]} r
                     WHERE r.company_id = c.company_id AND r.national_id = p.national_id
                       AND r.code IN ({codes})) THEN 1 ELSE 0 END
          FROM {t["card"]} c
          JOIN {t["type"]} ct ON ct.id = c.card_type_id
          JOIN {t["person"]} p ON p.id = c.holder_id
          JOIN {t["company"]} co ON co.id = c.company_id
          LEFT JOIN {t["brreg"]} b ON b.orgnr = co.orgnr
          LEFT JOIN {t["cleaning"]} cl ON cl.orgnr = co.orgnr
          LEFT JOIN {t["staffing"]} sa ON sa.orgnr = co.orgnr
          {employment_join}
         WHERE {where}
         {order}
    """  # noqa: S608


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@functools.lru_cache(maxsize=4096)
def _reasons_from_text(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def _as_reasons(value: Any) -> tuple[str, ...]:
    """Stored reasons as a tuple (the database hands JSON back as text or as a list)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return _reasons_from_text(value)
    return tuple(value)


@functools.lru_cache(maxsize=4096)
def _reasons_json(reasons: tuple[str, ...]) -> str:
    """Reasons as JSON text; few distinct lists exist, so each is encoded once."""
    return json.dumps(list(reasons))


@functools.lru_cache(maxsize=4096)
def _audit_data_json(
    valid: bool, reasons: tuple[str, ...], was_valid: bool, was_reasons: tuple[str, ...], cause: str
) -> str:
    return json.dumps(
        {
            "valid": valid,
            "reasons": list(reasons),
            "previous_valid": was_valid,
            "previous_reasons": list(was_reasons),
            "cause": cause,
        }
    )


_APPROVED_CLEANING = frozenset(str(s) for s in CleaningApproval.APPROVED_STATUSES)


def facts_from_row(row: Sequence[Any], today: dt.date) -> CardFacts:
    (
        _id,
        _number,
        state,
        expires_on,
        _valid,
        _reasons,
        _company_id,
        requires_cleaning_approval,
        requires_residence_permit,
        national_id_valid,
        needs_residence_permit,
        residence_permit_until,
        _organisation_form,
        is_staffing_agency,
        vat_exempt,
        brreg_orgnr,
        removed,
        deleted_on,
        bankrupt,
        under_forced_dissolution,
        registered_in_vat,
        cleaning_status,
        staffing_approved,
        employment,
        owner_role,
    ) = row
    return CardFacts(
        today=today,
        state=state,
        expires_on=expires_on if type(expires_on) is dt.date else _as_date(expires_on),
        requires_cleaning_approval=bool(requires_cleaning_approval),
        requires_residence_permit=bool(requires_residence_permit),
        national_id_valid=bool(national_id_valid),
        needs_residence_permit=bool(needs_residence_permit),
        residence_permit_until=_as_date(residence_permit_until),
        employment_reported=employment is not None,
        employment_active=bool(employment),
        owner_role=bool(owner_role),
        brreg_read=brreg_orgnr is not None,
        brreg_removed=bool(removed),
        deleted_on=_as_date(deleted_on),
        bankrupt=bool(bankrupt),
        under_forced_dissolution=bool(under_forced_dissolution),
        registered_in_vat=bool(registered_in_vat),
        vat_exempt=bool(vat_exempt),
        is_staffing_agency=bool(is_staffing_agency),
        staffing_approved=bool(staffing_approved),
        cleaning_approved=cleaning_status in _APPROVED_CLEANING,
    )


@dataclass
class _Changed:
    card_id: int
    number: str
    company_id: int
    state: str
    valid: bool
    reasons: tuple[str, ...]
    was_valid: bool
    was_reasons: tuple[str, ...]


# Every fact column of a row the rules read except the unit's number and the dates (the key of
# `_evaluate_rows` adds those as "read or not" and before/on/after today).
_KEY_FACTS = operator.itemgetter(2, 7, 8, 9, 10, 12, 13, 14, 16, 18, 19, 20, 21, 22, 23, 24)


def _side(value: Any, today: dt.date) -> int:
    """-1, 0 or 1: the date before, on or after today."""
    if type(value) is not dt.date:
        value = _as_date(value)
    return int(value > today) - int(value < today)


def _evaluate_rows(rows: Iterable[Sequence[Any]], today: dt.date) -> list[_Changed]:
    """The cards whose verdict differs from the stored one.

    Cards share facts (a company's cards, the same state): each distinct set of facts is
    evaluated once per call. `evaluate` is pure and compares dates only with `today`
    (rules.py), so the key holds every fact it reads, each date as before/on/after today."""
    changed = []
    verdicts: dict[tuple[Any, ...], tuple[bool, tuple[str, ...]]] = {}
    for row in rows:
        expires_on, permit_until, deleted_on = row[3], row[11], row[17]
        key = (
            _KEY_FACTS(row),
            row[15] is None,  # read from Enhetsregisteret or not
            None if expires_on is None else _side(expires_on, today),
            None if permit_until is None else _side(permit_until, today),
            None if deleted_on is None else _side(deleted_on, today),
        )
        known = verdicts.get(key)
        if known is None:
            verdict = evaluate(facts_from_row(row, today))
            known = verdicts[key] = (verdict.valid, verdict.reasons)
        valid, reasons = known
        stored = row[5]
        was_valid = bool(row[4])
        if type(stored) is str:
            same = _reasons_from_text(stored) == reasons
        else:
            same = _as_reasons(stored) == reasons
        if valid != was_valid or not same:
            changed.append(
                _Changed(
                    card_id=row[0],
                    number=row[1],
                    company_id=row[6],
                    state=row[2],
                    valid=valid,
                    reasons=reasons,
                    was_valid=was_valid,
                    was_reasons=_as_reasons(stored),
                )
            )
    return changed


def _actor(cause: str) -> Actor:
    return Actor(kind="system", ref="recompute", label=cause[:200])


def _write_changes(changed: list[_Changed], *, cause: str, now: dt.datetime) -> list[_Changed]:
    """Store new validity, status history and audit events for changed cards (one transaction).

    A card is written only if its state, validity and reasons are still what the recompute read:
    a lifecycle change or another recompute that committed meanwhile wins (it saw newer facts).
    Returns the cards written.
    """
    if not changed:
        return []
    table = Card._meta.db_table
    ops = connection.ops
    now_db = ops.adapt_datetimefield_value(now)
    if connection.vendor == "postgresql":
        in_database = settings.HMSKORT_RECOMPUTE_IN_DATABASE
        changed = _write_changes_pg(changed, cause=cause, now=now, in_database=in_database)
        if not changed:
            return []
    else:
        # SQLite: a write after another connection's commit fails (BUSY_SNAPSHOT) rather than
        # overwriting newer data, so a plain update is safe.
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET valid = %s, reasons = %s, validity_changed_at = %s, "  # noqa: S608
                "updated_at = %s WHERE id = %s",
                [(c.valid, _reasons_json(c.reasons), now_db, now_db, c.card_id) for c in changed],
            )
        _write_history_python(changed, cause=cause, now=now)
    changes = [
        CardValidityChange(
            card_id=c.card_id, number=c.number, valid=c.valid, reasons=c.reasons, at=now
        )
        for c in changed
    ]
    transaction.on_commit(lambda: _send_changes(changes))
    return changed


def _write_history_python(changed: list[_Changed], *, cause: str, now: dt.datetime) -> None:
    """The reference path: status history and audit rows built in Python, bulk-written."""
    copy_rows(
        CardStatusChange,
        ("card", "at", "valid", "reasons", "state", "cause"),
        ((c.card_id, now, c.valid, _reasons_json(c.reasons), c.state, cause[:64]) for c in changed),
    )
    record_many(
        actor=_actor(cause),
        action=AUDIT_ACTION,
        object_type=AUDIT_OBJECT_TYPE,
        at=now,
        events=(
            (
                c.card_id,
                c.company_id,
                _audit_data_json(c.valid, c.reasons, c.was_valid, c.was_reasons, cause),
            )
            for c in changed
        ),
    )


def _write_changes_pg(
    changed: list[_Changed], *, cause: str, now: dt.datetime, in_database: bool
) -> list[_Changed]:
    """PostgreSQL: only the verdicts travel (COPY into a temporary table); the card update, the
    status history and the audit rows are each one statement inside the database
    (`UPDATE … FROM`, `INSERT … SELECT`). With `in_database` off (setting
    HMSKORT_RECOMPUTE_IN_DATABASE) the history and audit rows are built in Python as on SQLite:
    the reference the tests compare with. Returns the cards written."""
    table = Card._meta.db_table
    history = CardStatusChange._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_VERDICT_TABLE} "
            "(id bigint PRIMARY KEY, company_id bigint, valid boolean, reasons jsonb, "
            "state text, was_valid boolean, was_reasons jsonb) ON COMMIT DROP"
        )
        columns = "id, company_id, valid, reasons, state, was_valid, was_reasons"
        with cursor.cursor.copy(f"COPY {_VERDICT_TABLE} ({columns}) FROM STDIN") as copy:
            for c in changed:
                copy.write_row(
                    (
                        c.card_id,
                        c.company_id,
                        c.valid,
                        _reasons_json(c.reasons),
                        c.state,
                        c.was_valid,
                        _reasons_json(c.was_reasons),
                    )
                )
        # Written only if state, validity and reasons are still what the recompute read. The
        # ids again as an array: the cards are found through the primary key (a bitmap scan
        # in page order), not by scanning the whole table against the unanalysed temporary one.
        cursor.execute(
            f"""
            UPDATE {table} AS c
               SET valid = v.valid, reasons = v.reasons, validity_changed_at = %s,
                   updated_at = %s
              FROM {_VERDICT_TABLE} AS v
             WHERE c.id = ANY(%s) AND c.id = v.id AND c.state = v.state
               AND c.valid = v.was_valid AND c.reasons = v.was_reasons
         RETURNING c.id
            """,  # noqa: S608
            [now, now, [c.card_id for c in changed]],
        )
        written = {row[0] for row in cursor.fetchall()}
        if len(written) != len(changed):
            changed = [c for c in changed if c.card_id in written]
            cursor.execute(
                f"DELETE FROM {_VERDICT_TABLE} WHERE NOT (id = ANY(%s))",  # noqa: S608
                [sorted(written)],
            )
        if changed and not in_database:
            _write_history_python(changed, cause=cause, now=now)
        elif changed:
            cursor.execute(
                f"""
                INSERT INTO {history} (card_id, at, valid, reasons, state, cause)
                SELECT id, %s, valid, reasons, state, %s FROM {_VERDICT_TABLE}
                """,  # noqa: S608
                [now, cause[:64]],
            )
            record_select(
                actor=_actor(cause),
                action=AUDIT_ACTION,
                object_type=AUDIT_OBJECT_TYPE,
                at=now,
                select=f"""
                    SELECT id::text, company_id,
                           jsonb_build_object('valid', valid, 'reasons', reasons,
                                              'previous_valid', was_valid,
                                              'previous_reasons', was_reasons, 'cause', %s::text)
                      FROM {_VERDICT_TABLE}
                """,  # noqa: S608
                params=[cause],
            )
        cursor.execute(f"DELETE FROM {_VERDICT_TABLE}")  # noqa: S608
    return changed


def _send_changes(changes: list[CardValidityChange]) -> None:
    """After commit: the check's answer cache forgets the changed cards first (so a receiver
    that tells a client "changed" is never ahead of the check), then the signal goes out.
    Every path that writes a card's validity must end here, or call `checkcache.forget` with
    the changed card numbers after its commit itself."""
    checkcache.forget(change.number for change in changes)
    for receiver, response in card_validity_changed.send_robust(sender=Card, changes=changes):
        if isinstance(response, Exception):
            log.error(
                "card_validity_changed receiver %r failed",
                receiver,
                exc_info=(type(response), response, response.__traceback__),
            )


def _recompute_ids(card_ids: Sequence[int], *, cause: str, today: dt.date) -> int:
    """Recompute the given cards (already resolved), chunk by chunk; return how many changed."""
    total = 0
    ops = connection.ops
    today_db = ops.adapt_datefield_value(today)
    batch = CHUNK_SIZE if connection.vendor == "postgresql" else _ID_BATCH
    for start in range(0, len(card_ids), batch):
        ids = list(card_ids[start : start + batch])
        with transaction.atomic():
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute(_facts_sql("c.id = ANY(%s)"), [today_db, today_db, ids])
                else:
                    cursor.execute(
                        _facts_sql(f"c.id IN ({_in_list(ids)})"), [today_db, today_db, *ids]
                    )
                rows = cursor.fetchall()
            changed = _write_changes(_evaluate_rows(rows, today), cause=cause, now=timezone.now())
        total += len(changed)
    return total


def _card_ids_for(
    *,
    card_ids: Iterable[int] | None,
    company_ids: Iterable[int] | None,
    orgnrs: Iterable[str] | None,
    person_ids: Iterable[int] | None,
) -> list[int]:
    condition = Q(pk__in=[])
    main_ids: set[int] = set()
    if company_ids:
        company_ids = list(company_ids)
        main_ids.update(company_ids)
        main_ids.update(
            Company.objects.filter(pk__in=company_ids, parent__isnull=False).values_list(
                "parent_id", flat=True
            )
        )
    if orgnrs:
        for pk, parent_id in Company.objects.filter(orgnr__in=list(orgnrs)).values_list(
            "pk", "parent_id"
        ):
            main_ids.add(parent_id or pk)
    if main_ids:
        condition |= Q(company_id__in=main_ids)
    if card_ids:
        condition |= Q(pk__in=list(card_ids))
    if person_ids:
        condition |= Q(holder_id__in=list(person_ids))
    return sorted(Card.objects.filter(condition).values_list("pk", flat=True))


def recompute_cards(
    *,
    card_ids: Iterable[int] | None = None,
    company_ids: Iterable[int] | None = None,
    orgnrs: Iterable[str] | None = None,
    person_ids: Iterable[int] | None = None,
    cause: str,
) -> int:
    """Recompute the cards touched by changed facts; return how many changed validity/reasons.

    `company_ids` and `orgnrs` may name main units or sub-units: a sub-unit stands for its main
    unit's cards (the card always carries the main unit).
    """
    if connection.vendor == "postgresql":
        return _recompute_matching_pg(
            card_ids=list(card_ids or ()),
            company_ids=list(company_ids or ()),
            orgnrs=list(orgnrs or ()),
            person_ids=list(person_ids or ()),
            cause=cause,
        )
    ids = _card_ids_for(
        card_ids=card_ids, company_ids=company_ids, orgnrs=orgnrs, person_ids=person_ids
    )
    if not ids:
        return 0
    return _recompute_ids(ids, cause=cause, today=timezone.localdate())


def _relax_commit() -> None:
    """A transaction that only writes what the facts determine need not wait for the disk:
    after a crash the last few commits may be lost, never corrupted, and the next recompute
    derives the same result again. Only for transactions the recompute owns."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _recompute_matching_pg(
    *,
    card_ids: list[int],
    company_ids: list[int],
    orgnrs: list[str],
    person_ids: list[int],
    cause: str,
) -> int:
    """PostgreSQL: select the cards and their facts in one query, streamed from a server-side
    cursor in chunks, in one transaction (one signal after commit)."""
    company_table = Company._meta.db_table
    conditions: list[str] = []
    params: list[Any] = []
    if card_ids:
        conditions.append("c.id = ANY(%s)")
        params.append(card_ids)
    if company_ids:
        conditions.append(
            f"c.company_id IN (SELECT COALESCE(parent_id, id) FROM {company_table} "  # noqa: S608
            "WHERE id = ANY(%s))"
        )
        params.append(company_ids)
    if orgnrs:
        conditions.append(
            f"c.company_id IN (SELECT COALESCE(parent_id, id) FROM {company_table} "  # noqa: S608
            "WHERE orgnr = ANY(%s))"
        )
        params.append(orgnrs)
    if person_ids:
        conditions.append("c.holder_id = ANY(%s)")
        params.append(person_ids)
    if not conditions:
        return 0
    today = timezone.localdate()
    today_db = connection.ops.adapt_datefield_value(today)
    total = 0
    owns_transaction = not connection.in_atomic_block
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        with connection.cursor() as setup:
            # Every row is read: plan for all of them, not for the first few (hash joins).
            setup.execute("SET LOCAL cursor_tuple_fraction = 1.0")
            setup.execute("SET LOCAL jit = off")
        if owns_transaction:
            _relax_commit()
        cursor.execute(
            _facts_sql(" OR ".join(f"({c})" for c in conditions)), [today_db, today_db, *params]
        )
        while rows := cursor.fetchmany(CHUNK_SIZE):
            changed = _write_changes(_evaluate_rows(rows, today), cause=cause, now=timezone.now())
            total += len(changed)
    return total


def recompute_all(
    *, cause: str, progress: Callable[[int, int, int], None] | None = None, chunk_size: int = 0
) -> int:
    """Recompute every card, streaming in id order; return how many changed.

    `progress(done, total, changed)` is called after each chunk.
    """
    today = timezone.localdate()
    today_db = connection.ops.adapt_datefield_value(today)
    chunk = chunk_size or CHUNK_SIZE
    total = Card.objects.count()
    done = changed_total = 0
    last_id = 0
    owns_transaction = not connection.in_atomic_block
    if connection.vendor == "postgresql":
        return _recompute_all_pg(
            cause=cause, progress=progress, chunk=chunk, total=total, today=today
        )
    while True:
        with transaction.atomic():
            if owns_transaction:
                _relax_commit()
            with connection.cursor() as cursor:
                cursor.execute(
                    _facts_sql("c.id > %s") + " LIMIT %s", [today_db, today_db, last_id, chunk]
                )
                rows = cursor.fetchall()
            if not rows:
                break
            changed = _write_changes(_evaluate_rows(rows, today), cause=cause, now=timezone.now())
        last_id = rows[-1][0]
        done += len(rows)
        changed_total += len(changed)
        if progress:
            progress(done, total, changed_total)
        if len(rows) < chunk:
            break
    return changed_total


def _recompute_all_pg(
    *,
    cause: str,
    progress: Callable[[int, int, int], None] | None,
    chunk: int,
    total: int,
    today: dt.date,
) -> int:
    """PostgreSQL: one query over all cards, planned with hash joins and streamed from a
    server-side cursor. Outside a transaction the cursor is WITH HOLD (the server keeps the
    result) and each chunk's writes commit on their own; inside one, they join it."""
    today_db = connection.ops.adapt_datefield_value(today)
    owns_transaction = not connection.in_atomic_block
    done = changed_total = 0
    with connection.cursor() as setup:
        setup.execute("SET jit = off")
        setup.execute("SET cursor_tuple_fraction = 1.0")
    try:
        with connection.chunked_cursor() as cursor:
            cursor.execute(_facts_sql("TRUE", whole_table=True), [today_db, today_db])
            while rows := cursor.fetchmany(chunk):
                with transaction.atomic():
                    if owns_transaction:
                        _relax_commit()
                    changed = _write_changes(
                        _evaluate_rows(rows, today), cause=cause, now=timezone.now()
                    )
                done += len(rows)
                changed_total += len(changed)
                if progress:
                    progress(done, total, changed_total)
    finally:
        with connection.cursor() as setup:
            setup.execute("RESET jit")
            setup.execute("RESET cursor_tuple_fraction")
    return changed_total


def refresh_cards(card_ids: Sequence[int], *, cause: str) -> int:
    """Recompute these cards now, in the caller's transaction (the lifecycle's own refresh)."""
    return _recompute_ids(list(card_ids), cause=cause, today=timezone.localdate())
