"""The card check's one lookup path: one indexed read per card, never a write.

The check paths (the `checks` page and QR landing, the `api` GET, batch and subscriptions) use
only these functions, so they keep working while the database is read-only (scheduled
maintenance). They live in the cards app so that the two audience apps of the check path share
them without importing each other.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.translation import get_language

from hmskort import ratelimit
from hmskort.companies.models import Company
from hmskort.people.models import Person

from . import checkcache
from .models import Card, CardState, CardType
from .numbers import InvalidCardNumber, format_card_number, normalise_card_number

# Looked up when the input is malformed, so a bad number costs the same indexed read as a good
# one (no card number starts with 0, so this never matches).
_NO_SUCH_NUMBER = "000000000000"


def _select(where: str) -> str:
    """The check's one query: the card with its type, holder and employer, by a unique index.

    Plain SQL (built once from the models' table names): the check is the hottest path of the
    system and the ORM's query compilation would cost more than the indexed read itself.
    """
    card, ctype, person, company = (m._meta.db_table for m in (Card, CardType, Person, Company))
    return (
        # Table names come from the models; every value is a bound parameter.
        f"SELECT c.id, c.number, c.state, c.valid, c.expires_on, "  # noqa: S608
        f"t.code, t.name_nb, t.name_en, p.given_name, p.family_name, p.birth_date, "
        f"co.name, co.orgnr "
        f"FROM {card} c JOIN {ctype} t ON t.id = c.card_type_id "
        f"JOIN {person} p ON p.id = c.holder_id JOIN {company} co ON co.id = c.company_id "
        f"WHERE {where}"
    )


_BY_NUMBER = _select("c.number = %s")
_BY_TOKEN = _select("c.qr_token = %s")
_BY_ID_AFTER = _select("c.id > %s ORDER BY c.id LIMIT %s")


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

    @property
    def formatted_number(self) -> str:
        return format_card_number(self.number)

    @property
    def card_type_name(self) -> str:
        return self.card_type_name_in(get_language() or "nb")

    def card_type_name_in(self, language: str) -> str:
        return self.card_type_name_en if language[:2] == "en" else self.card_type_name_nb

    @property
    def state_notice(self) -> str:
        """A state a checker must know about (replaced, blocked, lost …, or "expired" for an
        issued card whose expiry date has come), or "" for an issued card in its term."""
        if self.state == CardState.ISSUED:
            expired = self.expires_on is not None and self.expires_on <= timezone.localdate()
            return "expired" if expired else ""
        return self.state

    @property
    def state_label(self) -> str:
        return str(CardState(self.state).label) if self.state in CardState.values else self.state


def _to_check(row: Sequence[Any]) -> CardCheck:
    (card_id, number, state, valid, expires_on, code, name_nb, name_en) = row[:8]
    (given, family, birth_date, employer, orgnr) = row[8:]
    return CardCheck(
        card_id=card_id,
        number=number,
        state=state,
        valid=bool(valid),
        card_type_code=code,
        card_type_name_nb=name_nb,
        card_type_name_en=name_en,
        holder_name=f"{given} {family}".strip(),
        birth_date=_date(birth_date),
        employer_name=employer,
        employer_orgnr=orgnr,
        expires_on=_date(expires_on),
    )


def _date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _connection() -> BaseDatabaseWrapper:
    """The database the check reads from: the read replica when one serves the check."""
    return connections[router.db_for_read(Card)]


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    conn = _connection()
    if conn.vendor == "postgresql" and not conn.queries_logged:
        return _fetch_prepared(conn, sql, params)
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def _fetch_prepared(conn: BaseDatabaseWrapper, sql: str, params: Sequence[Any]) -> list[Any]:
    """PostgreSQL: the check's few queries as prepared statements, planned once per connection
    instead of on every check (planning the four-table join costs PostgreSQL more than executing
    it), on one psycopg `RawCursor` kept per connection: it sends the query as written (`$1`
    placeholders, no conversion) and skips Django's cursor wrapper, which together cost the
    worker more CPU than PostgreSQL spends answering (bench/README.md). Errors are Django's, as
    for any query (`wrap_database_errors`, which also marks the connection for closing). While
    queries are logged (DEBUG, a test capturing them) Django's ordinary cursor runs them
    instead, so the log shows their SQL. (A pooler in front of PostgreSQL must pass
    protocol-level prepared statements through: pgbouncer >= 1.21 with
    max_prepared_statements > 0.)"""
    conn.ensure_connection()
    raw = conn.connection
    cursor = getattr(conn, "_hmskort_check_cursor", None)
    if cursor is None or cursor.connection is not raw or cursor.closed:
        import psycopg

        if raw.prepare_threshold is None:
            # Django opens psycopg connections with prepared statements off (None), which
            # refuses even `prepare=True`. Turned on, it changes nothing for Django's own
            # cursors (client-side binding never prepares).
            raw.prepare_threshold = 5
        cursor = conn._hmskort_check_cursor = psycopg.RawCursor(raw)  # type: ignore[attr-defined]
    with conn.wrap_database_errors:
        cursor.execute(_numbered(sql), params, prepare=True)
        rows: list[Any] = cursor.fetchall()
        return rows


@functools.cache
def _numbered(sql: str) -> str:
    """The query with PostgreSQL's own placeholders ($1, $2 …) for a RawCursor."""
    parts = sql.split("%s")
    return parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))


def check_card_number(raw: str) -> CardCheck | None:
    """The card with this number, or None. Raises InvalidCardNumber for a malformed number,
    after doing the same indexed read a well-formed number gets (no timing oracle)."""
    try:
        number = normalise_card_number(raw)
    except InvalidCardNumber:
        _fetch(_BY_NUMBER, [_NO_SUCH_NUMBER])
        raise
    rows = _fetch(_BY_NUMBER, [number])
    return _to_check(rows[0]) if rows else None


def check_card_number_limited(
    raw: str, windows: tuple[ratelimit.Window, ratelimit.Window]
) -> tuple[ratelimit.Limit, CardCheck | None]:
    """The anonymous API check: count the client's rate limits, then the card with this number
    (None: unknown; nothing when the limit refuses). Raises InvalidCardNumber for a malformed
    number, after counting it and doing the same indexed read a well-formed number gets.

    With the Redis answer cache (`cards.checkcache`) the limits are counted and a cached answer
    fetched in one round trip, and the database is read only on a miss."""
    number: str | None = None
    malformed: InvalidCardNumber | None = None
    try:
        number = normalise_card_number(raw)
    except InvalidCardNumber as exc:
        malformed = exc
    read_started = time.monotonic()
    counted = checkcache.count_and_fetch(windows, number)
    if counted is None:  # no answer cache: count, then read the database
        limit = ratelimit.count_anonymous(windows)
        return limit, (check_card_number(raw) if limit.allowed else None)
    limit, cached = counted
    if not limit.allowed or cached is not None:
        return limit, cached
    if number is None:
        _fetch(_BY_NUMBER, [_NO_SUCH_NUMBER])
        raise malformed or InvalidCardNumber("length")
    rows = _fetch(_BY_NUMBER, [number])
    if not rows:
        return limit, None
    check = _to_check(rows[0])
    checkcache.remember(check, read_started=read_started)
    return limit, check


def cards_after(last_id: int, limit: int) -> list[CardCheck]:
    """The next `limit` cards by id after `last_id`, as the check shows them (filling the answer
    cache: `checkcache.warm`). One indexed range read, its own snapshot."""
    return [_to_check(row) for row in _fetch(_BY_ID_AFTER, [last_id, limit])]


def check_qr_token(token: str) -> CardCheck | None:
    """The card behind a QR code's token, or None (same indexed read for any token)."""
    rows = _fetch(_BY_TOKEN, [(token or "")[:64]])
    return _to_check(rows[0]) if rows else None


def check_card_numbers(numbers: Iterable[str]) -> dict[str, CardCheck]:
    """Cards by normalised number, for well-formed numbers: one indexed read for the batch."""
    wanted = list(dict.fromkeys(numbers))
    if not wanted:
        return {}
    if _connection().vendor == "postgresql":
        rows = _fetch(_select("c.number = ANY(%s)"), [wanted])
    else:
        rows = _fetch(_select(f"c.number IN ({', '.join(['%s'] * len(wanted))})"), wanted)
    return {row[1]: _to_check(row) for row in rows}


@dataclass(frozen=True)
class HolderPhoto:
    photo_id: int
    file_name: str


def verified_photo(card_id: int) -> HolderPhoto | None:
    """The newest photo of the card's holder that the issuer approved against a photo ID, for a
    valid card only (None otherwise): what the QR landing shows to compare faces. Read-only."""
    from hmskort.people.models import Photo

    holder = Card.objects.filter(pk=card_id, valid=True, state=CardState.ISSUED).values("holder_id")
    row = (
        Photo.objects.filter(person_id__in=holder, verified_at__isnull=False)
        .exclude(file_name="")
        .order_by("-verified_at", "-pk")
        .values_list("pk", "file_name")
        .first()
    )
    return HolderPhoto(photo_id=row[0], file_name=row[1]) if row else None
