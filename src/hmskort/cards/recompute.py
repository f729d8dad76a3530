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
# Temporary tables of the PostgreSQL path (dropped at commit).
_FACTS_TABLE = "hmskort_card_facts"
_VERDICT_TABLE = "hmskort_card_verdict"
_WRITTEN_TABLE = "hmskort_card_written"
_ALL_FACTS_TABLE = "hmskort_card_all_facts"
_CHANGED_TABLE = "hmskort_card_changed"
_ID_BATCH = 900  # ids per IN (...) on SQLite


def _in_list(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _date_literal(today: dt.date) -> str:
    """Today as an SQL literal: built here from a date, never from input (digits and dashes)."""
    if not isinstance(today, dt.date):
        raise TypeError(today)
    return f"'{today.isoformat()}'"


def _side_sql(column: str, today: str) -> str:
    """-1, 0 or 1 as the date is before, on or after today; NULL without a date."""
    return (
        f"CASE WHEN {column} < {today} THEN -1 WHEN {column} > {today} THEN 1 "
        f"WHEN {column} = {today} THEN 0 END"
    )


# The facts the rules read, as the columns of the facts query after the card's own
# (id, number, company_id, valid, reasons). `evaluate` is pure and compares dates only with
# `today` (rules.py), so each date is reduced to before/on/after today: cards share these keys
# (a company's cards, the same state), and each distinct key is evaluated once.
_KEY_NAMES = (
    "state",
    "expires_on",
    "requires_cleaning_approval",
    "requires_residence_permit",
    "national_id_valid",
    "needs_residence_permit",
    "residence_permit_until",
    "is_staffing_agency",
    "vat_exempt",
    "brreg_read",
    "brreg_removed",
    "deleted_on",
    "bankrupt",
    "under_forced_dissolution",
    "registered_in_vat",
    "staffing_approved",
    "cleaning_approved",
    "employment",
    "owner_role",
)
_KEY_DATES = frozenset({"expires_on", "residence_permit_until", "deleted_on"})
_CARD_COLUMNS = ("id", "number", "company_id", "valid", "reasons")
_FACT_COLUMNS = _CARD_COLUMNS + _KEY_NAMES


def _tables() -> dict[str, str]:
    return {
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


def _facts_sql(
    where: str, today: dt.date, *, whole_table: bool = False, ordered: bool = True
) -> str:
    """The cards matching `where` with every fact the rules read, in one query (columns
    `_FACT_COLUMNS`, ordered by card id if `ordered`).

    Parameters: those of `where` (which may end with its own ORDER BY and LIMIT: it chooses the
    cards). A few cards are chosen first (in the table's order, so the people and employments
    they name are read in that order too), their companies' facts once per company, then the
    rest per card through indexes. For the whole table everything is hash-joined and the
    employments aggregated once.
    """
    t = _tables()
    day = _date_literal(today)
    forms = ", ".join(f"'{f}'" for f in OWNER_WORKER_FORMS)
    codes = ", ".join(f"'{c}'" for c in OWNER_WORKER_ROLE_CODES)
    approved = ", ".join(f"'{s}'" for s in _APPROVED_CLEANING)
    active = (
        f"CASE WHEN e.starts_on <= {day} AND (e.ends_on IS NULL OR e.ends_on >= {day}) "
        "THEN 1 ELSE 0 END"
    )
    company_facts = f"""
        SELECT co.id, co.organisation_form, co.is_staffing_agency, co.vat_exempt,
               b.orgnr AS brreg_orgnr, b.removed, b.deleted_on, b.bankrupt,
               b.under_forced_dissolution, b.registered_in_vat, cl.status AS cleaning_status,
               sa.approved AS staffing_approved
          FROM {t["company"]} co
          LEFT JOIN {t["brreg"]} b ON b.orgnr = co.orgnr
          LEFT JOIN {t["cleaning"]} cl ON cl.orgnr = co.orgnr
          LEFT JOIN {t["staffing"]} sa ON sa.orgnr = co.orgnr"""  # noqa: S608
    if whole_table:
        head = ""
        cards = f"{t['card']} c"
        companies = f"({company_facts}) co"
        employment_column = "em.active"
        employment_join = f"""
          LEFT JOIN (SELECT e.person_id, e.main_unit_id, MAX({active}) AS active
                       FROM {t["employment"]} e GROUP BY e.person_id, e.main_unit_id) em
                 ON em.person_id = c.holder_id AND em.main_unit_id = c.company_id"""  # noqa: S608
        condition = f"WHERE {where}"
    else:
        head = f"""
        WITH chosen AS MATERIALIZED (
            SELECT c.id, c.number, c.company_id, c.valid, c.reasons, c.state, c.expires_on,
                   c.card_type_id, c.holder_id
              FROM {t["card"]} c
             WHERE {where}),
        company_facts AS MATERIALIZED (
            {company_facts}
             WHERE co.id IN (SELECT company_id FROM chosen))"""  # noqa: S608
        cards = "chosen c"
        companies = "company_facts co"
        employment_column = f"""(SELECT MAX({active}) FROM {t["employment"]} e
                 WHERE e.main_unit_id = c.company_id AND e.person_id = c.holder_id)"""  # noqa: S608
        employment_join = ""
        condition = ""
    order = "ORDER BY c.id" if ordered else ""
    # Only table names, constants and today's date are interpolated; values are parameters.
    return f"""{head}
        SELECT c.id, c.number, c.company_id, c.valid, c.reasons,
               c.state AS state,
               {_side_sql("c.expires_on", day)} AS expires_on,
               ct.requires_cleaning_approval AS requires_cleaning_approval,
               ct.requires_residence_permit AS requires_residence_permit,
               p.national_id_valid AS national_id_valid,
               p.needs_residence_permit AS needs_residence_permit,
               {_side_sql("p.residence_permit_until", day)} AS residence_permit_until,
               co.is_staffing_agency AS is_staffing_agency,
               co.vat_exempt AS vat_exempt,
               CASE WHEN co.brreg_orgnr IS NULL THEN 0 ELSE 1 END AS brreg_read,
               co.removed AS brreg_removed,
               {_side_sql("co.deleted_on", day)} AS deleted_on,
               co.bankrupt AS bankrupt,
               co.under_forced_dissolution AS under_forced_dissolution,
               co.registered_in_vat AS registered_in_vat,
               co.staffing_approved AS staffing_approved,
               CASE WHEN co.cleaning_status IN ({approved}) THEN 1 ELSE 0 END
                   AS cleaning_approved,
               {employment_column} AS employment,
               CASE WHEN co.organisation_form IN ({forms}) AND EXISTS (
                    SELECT 1 FROM {t["role"]} r
                     WHERE r.company_id = c.company_id AND r.national_id = p.national_id
                       AND r.code IN ({codes})) THEN 1 ELSE 0 END AS owner_role
          FROM {cards}
          JOIN {t["type"]} ct ON ct.id = c.card_type_id
          JOIN {t["person"]} p ON p.id = c.holder_id
          JOIN {companies} ON co.id = c.company_id
          {employment_join}
         {condition}
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


_APPROVED_CLEANING = tuple(str(s) for s in CleaningApproval.APPROVED_STATUSES)
_ONE_DAY = dt.timedelta(days=1)


def facts_from_key(key: Sequence[Any], today: dt.date) -> CardFacts:
    """The facts of a key (columns `_KEY_NAMES`); each date stands as yesterday, today or
    tomorrow for before, on or after today."""
    values = dict(zip(_KEY_NAMES, key, strict=True))
    for name in _KEY_DATES:
        side = values[name]
        values[name] = None if side is None else today + int(side) * _ONE_DAY
    employment = values.pop("employment")
    return CardFacts(
        today=today,
        state=values["state"],
        expires_on=values["expires_on"],
        requires_cleaning_approval=bool(values["requires_cleaning_approval"]),
        requires_residence_permit=bool(values["requires_residence_permit"]),
        national_id_valid=bool(values["national_id_valid"]),
        needs_residence_permit=bool(values["needs_residence_permit"]),
        residence_permit_until=values["residence_permit_until"],
        employment_reported=employment is not None,
        employment_active=bool(employment),
        owner_role=bool(values["owner_role"]),
        brreg_read=bool(values["brreg_read"]),
        brreg_removed=bool(values["brreg_removed"]),
        deleted_on=values["deleted_on"],
        bankrupt=bool(values["bankrupt"]),
        under_forced_dissolution=bool(values["under_forced_dissolution"]),
        registered_in_vat=bool(values["registered_in_vat"]),
        vat_exempt=bool(values["vat_exempt"]),
        is_staffing_agency=bool(values["is_staffing_agency"]),
        staffing_approved=bool(values["staffing_approved"]),
        cleaning_approved=bool(values["cleaning_approved"]),
    )


def _verdict(key: tuple[Any, ...], today: dt.date) -> tuple[bool, tuple[str, ...]]:
    verdict = evaluate(facts_from_key(key, today))
    return verdict.valid, verdict.reasons


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


_KEY_START = len(_CARD_COLUMNS)


def _evaluate_rows(rows: Iterable[Sequence[Any]], today: dt.date) -> list[_Changed]:
    """The cards (rows of `_facts_sql`) whose verdict differs from the stored one; each
    distinct key is evaluated once per call."""
    changed = []
    verdicts: dict[tuple[Any, ...], tuple[bool, tuple[str, ...]]] = {}
    for row in rows:
        key = tuple(row[_KEY_START:])
        known = verdicts.get(key)
        if known is None:
            known = verdicts[key] = _verdict(key, today)
        valid, reasons = known
        was_valid, was_reasons = bool(row[3]), _as_reasons(row[4])
        if valid != was_valid or reasons != was_reasons:
            changed.append(
                _Changed(
                    card_id=row[0],
                    number=row[1],
                    company_id=row[2],
                    state=key[0],
                    valid=valid,
                    reasons=reasons,
                    was_valid=was_valid,
                    was_reasons=was_reasons,
                )
            )
    return changed


def _actor(cause: str) -> Actor:
    return Actor(kind="system", ref="recompute", label=cause[:200])


def _in_database() -> bool:
    """PostgreSQL with HMSKORT_RECOMPUTE_IN_DATABASE (the default): verdicts are found per
    distinct key and written by set-based statements. Otherwise (SQLite, or the setting off:
    the reference the tests compare with) each card's row passes through Python."""
    return connection.vendor == "postgresql" and settings.HMSKORT_RECOMPUTE_IN_DATABASE


def _write_changes(changed: list[_Changed], *, cause: str, now: dt.datetime) -> list[_Changed]:
    """The reference path's write: new validity, status history and audit events for the
    changed cards (one transaction), rows built in Python.

    A card is written only if its state, validity and reasons are still what the recompute read:
    a lifecycle change or another recompute that committed meanwhile wins (it saw newer facts).
    Returns the cards written.
    """
    if not changed:
        return []
    table = Card._meta.db_table
    if connection.vendor == "postgresql":
        changed = _update_cards_pg(changed, now=now)
        if not changed:
            return []
    else:
        # SQLite: a write after another connection's commit fails (BUSY_SNAPSHOT) rather than
        # overwriting newer data, so a plain update is safe.
        now_db = connection.ops.adapt_datetimefield_value(now)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET valid = %s, reasons = %s, validity_changed_at = %s, "  # noqa: S608
                "updated_at = %s WHERE id = %s",
                [(c.valid, _reasons_json(c.reasons), now_db, now_db, c.card_id) for c in changed],
            )
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
    _after_commit(
        [
            CardValidityChange(
                card_id=c.card_id, number=c.number, valid=c.valid, reasons=c.reasons, at=now
            )
            for c in changed
        ]
    )
    return changed


def _update_cards_pg(changed: list[_Changed], *, now: dt.datetime) -> list[_Changed]:
    """Reference path on PostgreSQL: the verdicts by COPY into a temporary table, the cards by
    one guarded `UPDATE … FROM`. Returns the cards written."""
    table = Card._meta.db_table
    with connection.cursor() as cursor:
        _drop_and_create(
            cursor,
            _VERDICT_TABLE,
            "(id bigint PRIMARY KEY, valid boolean, reasons jsonb, state text, "
            "was_valid boolean, was_reasons jsonb)",
        )
        columns = "id, valid, reasons, state, was_valid, was_reasons"
        with cursor.cursor.copy(f"COPY {_VERDICT_TABLE} ({columns}) FROM STDIN") as copy:
            for c in changed:
                copy.write_row(
                    (
                        c.card_id,
                        c.valid,
                        _reasons_json(c.reasons),
                        c.state,
                        c.was_valid,
                        _reasons_json(c.was_reasons),
                    )
                )
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
    return [c for c in changed if c.card_id in written]


def _after_commit(changes: list[CardValidityChange]) -> None:
    if changes:
        transaction.on_commit(lambda: _send_changes(changes))


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


# --- PostgreSQL: verdicts per distinct key, written inside the database --------------------


def _drop_and_create(cursor: Any, table: str, definition: str) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(f"CREATE TEMPORARY TABLE {table} {definition} ON COMMIT DROP")


def _key_text(alias: str) -> str:
    """A row's key and stored verdict as one text (hash-joinable, NULLs included)."""
    columns = ", ".join(f"{alias}.{name}" for name in (*_KEY_NAMES, "valid", "reasons"))
    return f"ROW({columns})::text"


def _changed_keys(cursor: Any, source: str, today: dt.date) -> list[tuple[str, bool, str]]:
    """Group the facts in `source` (a table or a parenthesised query with `_FACT_COLUMNS`) by
    key and stored verdict; evaluate each key once. Returns (key text, valid, reasons JSON)
    for the groups whose verdict differs from the stored one."""
    grouped = ", ".join(f"f.{name}" for name in (*_KEY_NAMES, "valid", "reasons"))
    cursor.execute(
        f"SELECT {_key_text('f')}, {grouped} FROM {source} f GROUP BY {grouped}"  # noqa: S608
    )
    changed = []
    for key_text, *key, was_valid, was_reasons in cursor.fetchall():
        valid, reasons = _verdict(tuple(key), today)
        if valid != was_valid or reasons != _as_reasons(was_reasons):
            changed.append((key_text, valid, _reasons_json(reasons)))
    return changed


def _read_facts_pg(where: str, params: Sequence[Any], today: dt.date) -> int:
    """The facts of the cards matching `where`, into a temporary table (dropped at commit).
    Returns how many cards."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_FACTS_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_FACTS_TABLE} ON COMMIT DROP AS "
            + _facts_sql(where, today, ordered=False),
            params,
        )
        return int(cursor.rowcount)


def _write_facts_pg(*, cause: str, today: dt.date, now: dt.datetime) -> int:
    """Evaluate the facts read by `_read_facts_pg` and write the changed cards, their status
    history and audit events, each in one statement inside the database. A card is written
    only if its state, validity and reasons are still what was read (a lifecycle change or
    another recompute that committed meanwhile wins). Returns how many cards were written."""
    table = Card._meta.db_table
    history = CardStatusChange._meta.db_table
    with connection.cursor() as cursor:
        changed_keys = _changed_keys(cursor, _FACTS_TABLE, today)
        if not changed_keys:
            return 0
        _drop_and_create(
            cursor, _VERDICT_TABLE, "(k text PRIMARY KEY, valid boolean, reasons jsonb)"
        )
        with cursor.cursor.copy(f"COPY {_VERDICT_TABLE} (k, valid, reasons) FROM STDIN") as copy:
            for row in changed_keys:
                copy.write_row(row)
        _drop_and_create(
            cursor,
            _WRITTEN_TABLE,
            "(id bigint, number text, company_id bigint, state text, valid boolean, "
            "reasons jsonb, was_valid boolean, was_reasons jsonb)",
        )
        cursor.execute(
            f"""
            WITH written AS (
                UPDATE {table} AS c
                   SET valid = v.valid, reasons = v.reasons, validity_changed_at = %s,
                       updated_at = %s
                  FROM {_FACTS_TABLE} AS f
                  JOIN {_VERDICT_TABLE} AS v ON v.k = {_key_text("f")}
                 WHERE c.id = ANY(ARRAY(SELECT f.id FROM {_FACTS_TABLE} AS f
                                          JOIN {_VERDICT_TABLE} AS v ON v.k = {_key_text("f")}
                                         ORDER BY f.id))
                   AND c.id = f.id AND c.state = f.state AND c.valid = f.valid
                   AND c.reasons = f.reasons
             RETURNING c.id, c.number, c.company_id, c.state, c.valid, c.reasons, f.valid,
                       f.reasons
            )
            INSERT INTO {_WRITTEN_TABLE} SELECT * FROM written
            """,  # noqa: S608
            [now, now],
        )
        if not cursor.rowcount:
            return 0
        cursor.execute(
            f"""
            INSERT INTO {history} (card_id, at, valid, reasons, state, cause)
            SELECT id, %s, valid, reasons, state, %s FROM {_WRITTEN_TABLE}
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
                  FROM {_WRITTEN_TABLE}
            """,  # noqa: S608
            params=[cause],
        )
        cursor.execute(f"SELECT id, number, valid, reasons FROM {_WRITTEN_TABLE}")  # noqa: S608
        changes = [
            CardValidityChange(
                card_id=card_id, number=number, valid=valid, reasons=_as_reasons(reasons), at=now
            )
            for card_id, number, valid, reasons in cursor.fetchall()
        ]
    _after_commit(changes)
    return len(changes)


def _recompute_in_database(where: str, params: Sequence[Any], *, cause: str, today: dt.date) -> int:
    """Recompute the cards matching `where` in the current transaction; return how many
    changed."""
    if not _read_facts_pg(where, params, today):
        return 0
    return _write_facts_pg(cause=cause, today=today, now=timezone.now())


# --- Entry points ----------------------------------------------------------------------------


def _recompute_ids(card_ids: Sequence[int], *, cause: str, today: dt.date) -> int:
    """Recompute the given cards (already resolved), chunk by chunk; return how many changed."""
    total = 0
    in_database = _in_database()
    batch = CHUNK_SIZE if connection.vendor == "postgresql" else _ID_BATCH
    for start in range(0, len(card_ids), batch):
        ids = list(card_ids[start : start + batch])
        with transaction.atomic():
            if in_database:
                total += _recompute_in_database("c.id = ANY(%s)", [ids], cause=cause, today=today)
                continue
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute(_facts_sql("c.id = ANY(%s)", today), [ids])
                else:
                    cursor.execute(_facts_sql(f"c.id IN ({_in_list(ids)})", today), ids)
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
    if _in_database():
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
    """PostgreSQL: select the cards and their facts in one query into a temporary table,
    evaluate each distinct key once, write in set-based statements; one transaction (one
    signal after commit). The companies are resolved to an array first, so the cards are read
    through a bitmap of the (company, state) index, in the table's order."""
    company_table = Company._meta.db_table
    conditions: list[str] = []
    params: list[Any] = []
    if card_ids:
        conditions.append("c.id = ANY(%s)")
        params.append(card_ids)
    if company_ids:
        conditions.append(
            f"c.company_id = ANY(ARRAY(SELECT COALESCE(parent_id, id) FROM {company_table} "  # noqa: S608
            "WHERE id = ANY(%s)))"
        )
        params.append(company_ids)
    if orgnrs:
        conditions.append(
            f"c.company_id = ANY(ARRAY(SELECT COALESCE(parent_id, id) FROM {company_table} "  # noqa: S608
            "WHERE orgnr = ANY(%s)))"
        )
        params.append(orgnrs)
    if person_ids:
        conditions.append("c.holder_id = ANY(%s)")
        params.append(person_ids)
    if not conditions:
        return 0
    owns_transaction = not connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as setup:
            setup.execute("SET LOCAL jit = off")
        if owns_transaction:
            _relax_commit()
        return _recompute_in_database(
            " OR ".join(f"({c})" for c in conditions),
            params,
            cause=cause,
            today=timezone.localdate(),
        )


def recompute_all(
    *, cause: str, progress: Callable[[int, int, int], None] | None = None, chunk_size: int = 0
) -> int:
    """Recompute every card; return how many changed.

    `progress(done, total, changed)` is called after each chunk.
    """
    today = timezone.localdate()
    chunk = chunk_size or CHUNK_SIZE
    total = Card.objects.count()
    if _in_database():
        return _recompute_all_pg(
            cause=cause, progress=progress, chunk=chunk, total=total, today=today
        )
    done = changed_total = 0
    last_id = 0
    owns_transaction = not connection.in_atomic_block
    while True:
        with transaction.atomic():
            if owns_transaction:
                _relax_commit()
            with connection.cursor() as cursor:
                cursor.execute(
                    _facts_sql("c.id > %s ORDER BY c.id LIMIT %s", today), [last_id, chunk]
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
    """PostgreSQL: one query over all cards (hash joins) into a temporary table, grouped by key
    inside the database, so only the distinct keys reach Python. The ids of the cards whose
    key's verdict changed are taken from that table (no second pass over the joins); those
    cards are recomputed in chunks of `chunk` cards, their facts read afresh. Outside a
    transaction each chunk commits on its own; inside one, they join it. Memory stays flat:
    the rows stay in the database."""
    owns_transaction = not connection.in_atomic_block
    changed_total = 0
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        try:
            cursor.execute(f"DROP TABLE IF EXISTS {_ALL_FACTS_TABLE}")
            cursor.execute(f"DROP TABLE IF EXISTS {_CHANGED_TABLE}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {_ALL_FACTS_TABLE} AS "
                + _facts_sql("TRUE", today, whole_table=True, ordered=False)
            )
            # The planner cannot know that a million cards share a few thousand keys: it
            # would sort them all on disk to group them. Hashing keeps the groups in memory.
            cursor.execute("SET enable_sort = off")
            changed_keys = _changed_keys(cursor, _ALL_FACTS_TABLE, today)
            cursor.execute("RESET enable_sort")
            if progress:
                progress(total, total, 0)
            if not changed_keys:
                return 0
            cursor.execute(
                f"CREATE TEMPORARY TABLE {_CHANGED_TABLE} AS SELECT f.id "  # noqa: S608
                f"FROM {_ALL_FACTS_TABLE} f WHERE {_key_text('f')} "
                "IN (SELECT unnest(%s::text[])) ORDER BY f.id",
                [[k for k, _valid, _reasons in changed_keys]],
            )
            cursor.execute(f"DROP TABLE {_ALL_FACTS_TABLE}")
            last_id = 0
            while True:
                cursor.execute(
                    f"SELECT id FROM {_CHANGED_TABLE} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608
                    [last_id, chunk],
                )
                ids = [row[0] for row in cursor.fetchall()]
                if not ids:
                    break
                with transaction.atomic():
                    if owns_transaction:
                        _relax_commit()
                    changed_total += _recompute_in_database(
                        "c.id = ANY(%s)", [ids], cause=cause, today=today
                    )
                last_id = ids[-1]
                if progress:
                    progress(total, total, changed_total)
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {_ALL_FACTS_TABLE}")
            cursor.execute(f"DROP TABLE IF EXISTS {_CHANGED_TABLE}")
            cursor.execute("RESET enable_sort")
            cursor.execute("RESET jit")
    return changed_total


def refresh_cards(card_ids: Sequence[int], *, cause: str) -> int:
    """Recompute these cards now, in the caller's transaction (the lifecycle's own refresh)."""
    return _recompute_ids(list(card_ids), cause=cause, today=timezone.localdate())
