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
# The holder's facts as stored on the card (`Card.worker_*`), in this order: after the key,
# the facts query returns them as read now (or, for trusted cards, as stored), then as stored.
_WORKER_FIELDS = (
    "worker_national_id_valid",
    "worker_needs_residence_permit",
    "worker_residence_permit_until",
    "worker_employment",
    "worker_employment_from",
    "worker_employment_until",
)
_WORKER_READ = tuple(f"read_{name}" for name in _WORKER_FIELDS)
_WORKER_STORED = tuple(f"stored_{name}" for name in _WORKER_FIELDS)
_FACT_COLUMNS = _CARD_COLUMNS + _KEY_NAMES + _WORKER_READ + _WORKER_STORED
_WHOLE_TABLE_COLUMNS = _CARD_COLUMNS + _KEY_NAMES


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


def _next_day_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"({column} + 1)"
    return f"date({column}, '+1 day')"


def _employment_sql(day: str) -> dict[str, str]:
    """Per employment row `e`: whether it is in force today, and the days around today on which
    that could change (the window in which the card's employment value holds: from the last
    start or end on or before today, to the first after it)."""
    next_day = _next_day_sql("e.ends_on")
    return {
        "active": (
            f"CASE WHEN e.starts_on <= {day} AND (e.ends_on IS NULL OR e.ends_on >= {day}) "
            "THEN 1 ELSE 0 END"
        ),
        "from": (
            f"CASE WHEN e.ends_on < {day} THEN {next_day} "
            f"WHEN e.starts_on <= {day} THEN e.starts_on END"
        ),
        "until": (
            f"CASE WHEN e.starts_on > {day} THEN e.starts_on "
            f"WHEN e.ends_on >= {day} THEN {next_day} END"
        ),
    }


def _facts_sql(
    where: str,
    today: dt.date,
    *,
    whole_table: bool = False,
    ordered: bool = True,
    trusted: str | None = None,
) -> str:
    """The cards matching `where` with every fact the rules read, in one query (columns
    `_FACT_COLUMNS`; `_WHOLE_TABLE_COLUMNS` for the whole table), ordered by card id if
    `ordered`.

    Parameters: those of `trusted`, then those of `where` (which may end with its own ORDER BY
    and LIMIT: it chooses the cards). A few cards are chosen first (in the table's order, so the
    people and employments they name are read in that order too), their companies' facts once
    per company, then the rest per card through indexes. For the whole table everything is
    hash-joined and the employments aggregated once.

    `trusted` (an SQL condition on the card `c`, or None for none) names the chosen cards whose
    holder's facts may be taken as stored on the card (`Card.worker_*`) rather than read from
    the person and the employments: only a recompute for changes of the companies' own register
    facts passes one, and a card's stored facts are used only while they are known and the
    employment's value holds today. The owner role is always read (roles are company facts).
    """
    t = _tables()
    day = _date_literal(today)
    forms = ", ".join(f"'{f}'" for f in OWNER_WORKER_FORMS)
    codes = ", ".join(f"'{c}'" for c in OWNER_WORKER_ROLE_CODES)
    approved = ", ".join(f"'{s}'" for s in _APPROVED_CLEANING)
    employment = _employment_sql(day)
    company_facts = f"""
        SELECT co.id, co.organisation_form, co.is_staffing_agency, co.vat_exempt,
               b.orgnr AS brreg_orgnr, b.removed, b.deleted_on, b.bankrupt,
               b.under_forced_dissolution, b.registered_in_vat, cl.status AS cleaning_status,
               sa.approved AS staffing_approved
          FROM {t["company"]} co
          LEFT JOIN {t["brreg"]} b ON b.orgnr = co.orgnr
          LEFT JOIN {t["cleaning"]} cl ON cl.orgnr = co.orgnr
          LEFT JOIN {t["staffing"]} sa ON sa.orgnr = co.orgnr"""  # noqa: S608
    owner_role = f"""CASE WHEN co.organisation_form IN ({forms}) AND EXISTS (
                    SELECT 1 FROM {t["role"]} r
                     WHERE r.company_id = c.company_id AND r.national_id = {{national_id}}
                       AND r.code IN ({codes})) THEN 1 ELSE 0 END"""  # noqa: S608
    common = f"""
               c.state AS state,
               {_side_sql("c.expires_on", day)} AS expires_on,
               ct.requires_cleaning_approval AS requires_cleaning_approval,
               ct.requires_residence_permit AS requires_residence_permit,
               w.national_id_valid AS national_id_valid,
               w.needs_residence_permit AS needs_residence_permit,
               {_side_sql("w.residence_permit_until", day)} AS residence_permit_until,
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
               {{employment}} AS employment"""
    order = "ORDER BY c.id" if ordered else ""
    if whole_table:
        # Only table names, constants and today's date are interpolated; values are parameters.
        return f"""
        SELECT c.id, c.number, c.company_id, c.valid, c.reasons,
               {common.format(employment="em.active")},
               {owner_role.format(national_id="w.national_id")} AS owner_role
          FROM {t["card"]} c
          JOIN {t["type"]} ct ON ct.id = c.card_type_id
          JOIN {t["person"]} w ON w.id = c.holder_id
          JOIN ({company_facts}) co ON co.id = c.company_id
          LEFT JOIN (SELECT e.person_id, e.main_unit_id, MAX({employment["active"]}) AS active
                       FROM {t["employment"]} e GROUP BY e.person_id, e.main_unit_id) em
                 ON em.person_id = c.holder_id AND em.main_unit_id = c.company_id
         WHERE {where}
         {order}
        """  # noqa: S608

    stored = ", ".join(f"c.{name}" for name in _WORKER_FIELDS)
    in_window = (
        f"c.{_WORKER_FIELDS[0]} IS NOT NULL "
        f"AND (c.worker_employment_from IS NULL OR c.worker_employment_from <= {day}) "
        f"AND (c.worker_employment_until IS NULL OR c.worker_employment_until > {day})"
    )
    trust = f"CASE WHEN ({trusted}) AND {in_window} THEN 1 ELSE 0 END" if trusted else "0"
    per_employment = f"FROM {t['employment']} e WHERE e.main_unit_id = c.company_id AND e.person_id = c.holder_id"
    read_worker = f"""
        SELECT c.id AS card_id, p.national_id,
               p.national_id_valid, p.needs_residence_permit, p.residence_permit_until,
               (SELECT MAX({employment["active"]}) {per_employment}) AS employment,
               (SELECT MAX({employment["from"]}) {per_employment}) AS employment_from,
               (SELECT MIN({employment["until"]}) {per_employment}) AS employment_until
          FROM chosen c
          JOIN {t["person"]} p ON p.id = c.holder_id
         WHERE c.trusted = 0"""  # noqa: S608
    if trusted:
        read_worker += f"""
         UNION ALL
        SELECT c.id, NULL, {stored}
          FROM chosen c
         WHERE c.trusted = 1"""  # noqa: S608
    national_id = (
        f"COALESCE(w.national_id, (SELECT p.national_id FROM {t['person']} p "  # noqa: S608
        "WHERE p.id = c.holder_id))"
    )
    worker_read = ", ".join(
        f"w.{column} AS read_{name}"
        for column, name in zip(
            (
                "national_id_valid",
                "needs_residence_permit",
                "residence_permit_until",
                "employment",
                "employment_from",
                "employment_until",
            ),
            _WORKER_FIELDS,
            strict=True,
        )
    )
    worker_stored = ", ".join(f"c.{name} AS stored_{name}" for name in _WORKER_FIELDS)
    # Only table names, constants and today's date are interpolated; values are parameters.
    return f"""
        WITH chosen AS MATERIALIZED (
            SELECT c.*, {trust} AS trusted
              FROM (SELECT c.id, c.number, c.company_id, c.valid, c.reasons, c.state,
                           c.expires_on, c.card_type_id, c.holder_id, {stored}
                      FROM {t["card"]} c
                     WHERE {where}) c),
        company_facts AS MATERIALIZED (
            {company_facts}
             WHERE co.id IN (SELECT company_id FROM chosen)),
        worker AS ({read_worker})
        SELECT c.id, c.number, c.company_id, c.valid, c.reasons,
               {common.format(employment="w.employment")},
               {owner_role.format(national_id=national_id)} AS owner_role,
               {worker_read}, {worker_stored}
          FROM chosen c
          JOIN worker w ON w.card_id = c.id
          JOIN {t["type"]} ct ON ct.id = c.card_type_id
          JOIN company_facts co ON co.id = c.company_id
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
_KEY_END = _KEY_START + len(_KEY_NAMES)
_STORED_START = _KEY_END + len(_WORKER_FIELDS)


def _evaluate_rows(rows: Iterable[Sequence[Any]], today: dt.date) -> list[_Changed]:
    """The cards (rows of `_facts_sql`) whose verdict differs from the stored one; each
    distinct key is evaluated once per call."""
    changed = []
    verdicts: dict[tuple[Any, ...], tuple[bool, tuple[str, ...]]] = {}
    for row in rows:
        key = tuple(row[_KEY_START:_KEY_END])
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


_WorkerFacts = tuple[bool | None, bool | None, dt.date | None, int | None, Any, Any]


def _worker_facts(values: Sequence[Any]) -> _WorkerFacts:
    """The six `Card.worker_*` values as Python values, however the database returned them."""
    id_valid, needs_permit, permit_until, employment, since, until = values
    return (
        None if id_valid is None else bool(id_valid),
        None if needs_permit is None else bool(needs_permit),
        _as_date(permit_until),
        None if employment is None else int(employment),
        _as_date(since),
        _as_date(until),
    )


@dataclass
class _WorkerUpdate:
    card_id: int
    facts: _WorkerFacts  # as read now
    was: _WorkerFacts  # as stored


def _worker_updates(
    rows: Iterable[Sequence[Any]], only: set[int] | None = None
) -> list[_WorkerUpdate]:
    """The cards (rows of `_facts_sql`, or only those in `only`) whose holder's facts as read
    differ from those stored on the card."""
    updates = []
    for row in rows:
        if only is not None and row[0] not in only:
            continue
        facts = _worker_facts(row[_KEY_END:_STORED_START])
        was = _worker_facts(row[_STORED_START:])
        if facts != was:
            updates.append(_WorkerUpdate(card_id=row[0], facts=facts, was=was))
    return updates


def _write_worker_facts(updates: list[_WorkerUpdate]) -> None:
    """The reference path's write of the holder's facts onto the cards, each only if the card
    still stores what was read (a recompute that committed meanwhile read them later)."""
    if not updates:
        return
    assignments = ", ".join(f"{name} = %s" for name in _WORKER_FIELDS)
    unchanged = " AND ".join(f"{name} IS NOT DISTINCT FROM %s" for name in _WORKER_FIELDS)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Card._meta.db_table} SET {assignments} WHERE id = %s AND {unchanged}",  # noqa: S608
            [(*u.facts, u.card_id, *u.was) for u in updates],
        )


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


def _read_facts_pg(
    where: str,
    params: Sequence[Any],
    today: dt.date,
    *,
    trusted: str | None = None,
    trusted_params: Sequence[Any] = (),
) -> int:
    """The facts of the cards matching `where`, into a temporary table (dropped at commit),
    each row with its key and stored verdict as text (`k`, computed once: the writes join on
    it); `trusted` as for `_facts_sql`. Returns how many cards."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_FACTS_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_FACTS_TABLE} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT f.*, {_key_text('f')} AS k FROM ("
            + _facts_sql(where, today, ordered=False, trusted=trusted)
            + ") AS f",
            [*trusted_params, *params],
        )
        return int(cursor.rowcount)


# A card of the facts table `f` whose holder's facts as read differ from those it stores.
_WORKER_MOVED = " OR ".join(
    f"f.read_{name} IS DISTINCT FROM f.stored_{name}" for name in _WORKER_FIELDS
)


def _write_facts_pg(*, cause: str, today: dt.date, now: dt.datetime) -> tuple[int, list[int]]:
    """Evaluate the facts read by `_read_facts_pg` and write the cards whose verdict changed,
    their status history and audit events, each in one statement inside the database; the
    holder's facts as read go onto every card that stores others (`Card.worker_*`), in the same
    statement, without history. A card is written only if its state, validity, reasons and
    stored holder's facts are still what was read. Returns how many cards' verdicts were
    written, and the ids of the cards left alone because another transaction changed them
    between the read and the write (the caller reads those again)."""
    table = Card._meta.db_table
    history = CardStatusChange._meta.db_table
    verdict_join = f"LEFT JOIN {_VERDICT_TABLE} AS v ON v.k = f.k"
    to_write = f"v.k IS NOT NULL OR {_WORKER_MOVED}"
    with connection.cursor() as cursor:
        changed_keys = _changed_keys(cursor, _FACTS_TABLE, today)
        if not changed_keys:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_FACTS_TABLE} f WHERE {_WORKER_MOVED})")  # noqa: S608
            if not cursor.fetchone()[0]:
                return 0, []
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
            "reasons jsonb, was_valid boolean, was_reasons jsonb, changed boolean)",
        )
        worker_set = ", ".join(f"{name} = f.read_{name}" for name in _WORKER_FIELDS)
        worker_unchanged = " AND ".join(
            f"c.{name} IS NOT DISTINCT FROM f.stored_{name}" for name in _WORKER_FIELDS
        )
        cursor.execute(
            f"""
            WITH written AS (
                UPDATE {table} AS c
                   SET valid = COALESCE(v.valid, c.valid),
                       reasons = COALESCE(v.reasons, c.reasons),
                       validity_changed_at = CASE WHEN v.k IS NULL THEN c.validity_changed_at
                                                  ELSE %s END,
                       updated_at = CASE WHEN v.k IS NULL THEN c.updated_at ELSE %s END,
                       {worker_set}
                  FROM {_FACTS_TABLE} AS f
                  {verdict_join}
                 WHERE c.id = ANY(ARRAY(SELECT f.id FROM {_FACTS_TABLE} AS f {verdict_join}
                                         WHERE {to_write} ORDER BY f.id))
                   AND c.id = f.id AND c.state = f.state AND c.valid = f.valid
                   AND c.reasons = f.reasons AND {worker_unchanged}
             RETURNING c.id, c.number, c.company_id, c.state, c.valid, c.reasons, f.valid,
                       f.reasons, v.k IS NOT NULL
            )
            INSERT INTO {_WRITTEN_TABLE} SELECT * FROM written
            """,  # noqa: S608
            [now, now],
        )
        cursor.execute(
            f"""SELECT f.id FROM {_FACTS_TABLE} AS f {verdict_join}
                 WHERE ({to_write})
                   AND NOT EXISTS (SELECT 1 FROM {_WRITTEN_TABLE} w WHERE w.id = f.id)
                 ORDER BY f.id"""  # noqa: S608
        )
        missed = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"""
            INSERT INTO {history} (card_id, at, valid, reasons, state, cause)
            SELECT id, %s, valid, reasons, state, %s FROM {_WRITTEN_TABLE} WHERE changed
            """,  # noqa: S608
            [now, cause[:64]],
        )
        if not cursor.rowcount:
            return 0, missed
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
                 WHERE changed
            """,  # noqa: S608
            params=[cause],
        )
        cursor.execute(
            f"SELECT id, number, valid, reasons FROM {_WRITTEN_TABLE} WHERE changed"  # noqa: S608
        )
        changes = [
            CardValidityChange(
                card_id=card_id, number=number, valid=valid, reasons=_as_reasons(reasons), at=now
            )
            for card_id, number, valid, reasons in cursor.fetchall()
        ]
    _after_commit(changes)
    return len(changes), missed


# How often the cards another transaction changed between the read and the write are read
# and written again before the recompute gives up on them (logged; the next change or the
# daily job takes them up).
_ATTEMPTS = 3


def _recompute_in_database(
    where: str,
    params: Sequence[Any],
    *,
    cause: str,
    today: dt.date,
    trusted: str | None = None,
    trusted_params: Sequence[Any] = (),
) -> int:
    """Recompute the cards matching `where` in the current transaction; return how many
    changed.

    A card that another transaction changed between the read and the write (a lifecycle step,
    another recompute) is read again and recomputed from the facts as they are then, its
    holder's facts read afresh: whichever committed first, the card ends with the verdict of
    the newest facts."""
    total = 0
    for _attempt in range(_ATTEMPTS):
        if not _read_facts_pg(where, params, today, trusted=trusted, trusted_params=trusted_params):
            return total
        written, missed = _write_facts_pg(cause=cause, today=today, now=timezone.now())
        total += written
        if not missed:
            return total
        where, params, trusted, trusted_params = "c.id = ANY(%s)", [missed], None, ()
    log.warning(
        "recompute: %d cards kept changing under it; left to the next recompute", len(missed)
    )
    return total


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
            _write_worker_facts(_worker_updates(rows))
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
    unit_orgnrs: Iterable[str] | None = None,
    cause: str,
) -> int:
    """Recompute the cards touched by changed facts; return how many changed validity/reasons.

    `company_ids`, `orgnrs` and `unit_orgnrs` may name main units or sub-units: a sub-unit
    stands for its main unit's cards (the card always carries the main unit). `unit_orgnrs`
    are units whose own register facts moved (Enhetsregisteret, the cleaning and staffing
    registers) and nothing about people or employments: on PostgreSQL their cards take the
    holder's facts stored on the card while those are known and current (docs/cards.md,
    "Worker facts on the card"); any other selection reads them afresh.
    """
    if _in_database():
        return _recompute_matching_pg(
            card_ids=list(card_ids or ()),
            company_ids=list(company_ids or ()),
            orgnrs=list(orgnrs or ()),
            person_ids=list(person_ids or ()),
            unit_orgnrs=list(unit_orgnrs or ()),
            cause=cause,
        )
    ids = _card_ids_for(
        card_ids=card_ids,
        company_ids=company_ids,
        orgnrs=[*(orgnrs or ()), *(unit_orgnrs or ())],
        person_ids=person_ids,
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
    unit_orgnrs: list[str],
    cause: str,
) -> int:
    """PostgreSQL: select the cards and their facts in one query into a temporary table,
    evaluate each distinct key once, write in set-based statements; one transaction (one
    signal after commit). The companies are resolved to an array first, so the cards are read
    through a bitmap of the (company, state) index, in the table's order. The cards chosen by
    `unit_orgnrs` alone may take their holder's facts as stored."""
    company_table = Company._meta.db_table
    by_orgnr = (
        f"c.company_id = ANY(ARRAY(SELECT COALESCE(parent_id, id) FROM {company_table} "  # noqa: S608
        "WHERE orgnr = ANY(%s)))"
    )
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
        conditions.append(by_orgnr)
        params.append(orgnrs)
    if person_ids:
        conditions.append("c.holder_id = ANY(%s)")
        params.append(person_ids)
    trusted: str | None = None
    trusted_params: list[Any] = []
    if unit_orgnrs:
        # Trusted: chosen by the units' register facts and by nothing that reads the holder.
        trusted = f"NOT ({' OR '.join(conditions)})" if conditions else "TRUE"
        trusted_params = list(params)
        conditions.append(by_orgnr)
        params.append(unit_orgnrs)
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
            trusted=trusted,
            trusted_params=trusted_params,
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
            # As on PostgreSQL, where only the cards whose verdict changed are read again.
            _write_worker_facts(_worker_updates(rows, only={c.card_id for c in changed}))
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
