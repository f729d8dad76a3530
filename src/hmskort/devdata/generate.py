"""Synthetic data at national scale for benchmarks: `hmskort generate --companies N --cards M`.

Generated in stages, each a function below, in the order the facts depend on each other:

1. companies: main units and sub-units, each with the register facts it will have;
2. register facts: the registers' own rows for them (Enhetsregisteret, the cleaning and the
   staffing registers), as the adapters would have stored them;
3. people and employments: one person per card (D-numbers, so they never meet the demo's
   persons), employed by the unit or a sub-unit (sole proprietors get an owner role instead);
4. cards: state, issue and expiry dates, numbers and QR tokens;
5. recompute: each card's validity from the rules over the generated facts (the same pure
   function the recompute uses), so a full recompute of fresh data changes nothing;
6. finish: sequences reset and, on PostgreSQL, fresh planner statistics.

Stages 3-5 run in chunks of CHUNK cards so memory stays flat at any size. Each stage draws from
its own random stream derived from the seed, so the data is deterministic for a seed and does
not depend on the chunk size. Rows are written with COPY on PostgreSQL and large executemany
batches on SQLite; ids are assigned here. Card numbers come from a bijection of the card's
index, so they are unique without remembering them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from stdnum import damm

from hmskort.bulk import copy_rows
from hmskort.cards.models import Card, CardState, CardType
from hmskort.cards.rules import CardFacts, evaluate
from hmskort.cards.services import expiry_for
from hmskort.companies.models import Company, Role
from hmskort.identifiers import make_national_id, make_orgnr
from hmskort.people.models import Employment, Person
from hmskort.registries.models import BrregUnit, CleaningApproval, StaffingApproval

CHUNK = 20_000  # cards per chunk of stages 3-5
ORGNR_PREFIX = 32_000_000  # 8-digit bodies from here: generated units start with 32
GIVEN = (
    "Ola",
    "Kari",
    "Per",
    "Anne",
    "Jan",
    "Ingrid",
    "Lars",
    "Marte",
    "Piotr",
    "Agnieszka",
    "Mohammed",
    "Fatima",
    "Jonas",
    "Sofie",
    "Tomas",
    "Elena",
    "Andris",
    "Ieva",
    "Erik",
    "Liv",
)
FAMILY = (
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kowalski",
    "Nowak",
    "Berg",
    "Haugen",
    "Hagen",
    "Johnsen",
    "Kristiansen",
    "Jensen",
    "Ali",
    "Ozols",
)
STATES = (
    (CardState.ISSUED, 0.88),
    (CardState.ORDERED, 0.015),
    (CardState.AWAITING_DOCUMENTS, 0.01),
    (CardState.AWAITING_VERIFICATION, 0.01),
    (CardState.IN_PRODUCTION, 0.005),
    (CardState.LOST, 0.01),
    (CardState.STOLEN, 0.005),
    (CardState.BLOCKED, 0.015),
    (CardState.TERMINATED, 0.02),
    (CardState.REPLACED, 0.02),
    (CardState.REJECTED, 0.01),
)


NOT_YET_ISSUED = (
    CardState.ORDERED,
    CardState.AWAITING_DOCUMENTS,
    CardState.AWAITING_VERIFICATION,
    CardState.IN_PRODUCTION,
    CardState.REJECTED,
)
COMPANY_COLUMNS = (
    "id",
    "orgnr",
    "name",
    "organisation_form",
    "parent",
    "card_type",
    "is_staffing_agency",
    "is_foreign",
    "vat_exempt",
    "vat_exempt_note",
    "created_at",
    "updated_at",
)
BRREG_COLUMNS = (
    "orgnr",
    "name",
    "organisation_form",
    "parent_orgnr",
    "is_sub_unit",
    "registered_in_vat",
    "bankrupt",
    "under_liquidation",
    "under_forced_dissolution",
    "deleted_on",
    "removed",
    "nace_code",
    "address",
    "read_at",
)
PERSON_COLUMNS = (
    "id",
    "national_id",
    "given_name",
    "family_name",
    "birth_date",
    "needs_residence_permit",
    "residence_permit_until",
    "national_id_valid",
    "created_at",
    "updated_at",
)
EMPLOYMENT_COLUMNS = (
    "id",
    "person",
    "employer",
    "main_unit",
    "starts_on",
    "ends_on",
    "source",
    "read_at",
)
ROLE_COLUMNS = ("id", "company", "national_id", "code", "holder_name", "source", "read_at")
CARD_COLUMNS = (
    "id",
    "number",
    "qr_token",
    "card_type",
    "holder",
    "company",
    "state",
    "issued_on",
    "expires_on",
    "replaces",
    "valid",
    "reasons",
    "validity_changed_at",
    "created_at",
    "updated_at",
)


@dataclass(slots=True)
class _SubUnit:
    pk: int
    orgnr: str
    name: str


@dataclass(slots=True)
class _Unit:
    """A generated main unit and the register facts it is to have."""

    pk: int
    orgnr: str
    name: str
    form: str
    cleaning: bool
    staffing: bool
    foreign: bool
    vat_exempt: bool
    facts: dict[str, Any]
    sub_units: list[_SubUnit] = field(default_factory=list)


@dataclass(slots=True)
class _Worker:
    """A generated person, where they work, and what the registers say about it."""

    person_id: int
    national_id: str
    unit: _Unit
    id_valid: bool
    needs_permit: bool
    permit_until: dt.date | None
    owner_role: bool = False
    employment_reported: bool = False
    employment_active: bool = False


@dataclass(slots=True)
class _Context:
    seed: int
    today: dt.date
    now: dt.datetime
    card_types: dict[str, CardType]
    say: Callable[[str], None]
    counts: dict[str, int]

    def rng(self, stage: str) -> random.Random:
        """The stage's own random stream: its draws do not shift another stage's."""
        return random.Random(f"{self.seed}:{stage}")

    def card_type(self, unit: _Unit) -> CardType:
        return self.card_types["cleaning" if unit.cleaning else "construction"]

    def write(
        self, name: str, model: type[models.Model], columns: tuple[str, ...], rows: Iterable[tuple]
    ) -> None:
        self.counts[name] = self.counts.get(name, 0) + copy_rows(model, columns, rows)


def _orgnrs(start: int) -> Iterator[str]:
    body = ORGNR_PREFIX + start
    while True:
        number = make_orgnr(str(body))
        body += 1
        if number:
            yield number


def _d_numbers() -> Iterator[tuple[str, dt.date]]:
    """Unique valid D-numbers: every birth date 1960-2004, then the next individual number."""
    first = dt.date(1960, 1, 1)
    days = (dt.date(2004, 12, 31) - first).days + 1
    for individual in range(500):
        for offset in range(days):
            born = first + dt.timedelta(days=offset)
            ind = individual if born.year < 2000 else 500 + individual
            number = make_national_id(born, ind, d_number=True, verify=False)
            if number:
                yield number, born


class _CardNumbers:
    """Distinct 12-digit card numbers: an affine bijection of the index, plus a Damm digit."""

    SPACE = 9 * 10**10

    def __init__(self, rng: random.Random):
        self.a = rng.randrange(10**9, self.SPACE)
        while _gcd(self.a, self.SPACE) != 1:
            self.a += 1
        self.b = rng.randrange(self.SPACE)

    def __call__(self, index: int) -> str:
        body = str((self.a * index + self.b) % self.SPACE + 10**10)
        return body + damm.calc_check_digit(body)


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0) + 1


def _reset_sequences(*models_: type[models.Model]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def generate(
    *,
    companies: int,
    cards: int,
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Generate `companies` main units and `cards` cards; return the counts written."""
    ctx = _Context(
        seed=seed,
        today=timezone.localdate(),
        now=timezone.now(),
        card_types={t.code: t for t in CardType.objects.all()},
        say=progress or (lambda _msg: None),
        counts={},
    )
    with transaction.atomic():
        units = _companies(ctx, companies)
        _register_facts(ctx, units)
        ctx.say(f"{ctx.counts['companies']:,} companies and sub-units")
        for name in ("persons", "employments", "roles", "cards"):
            ctx.counts[name] = 0
        people_rng, card_rng = ctx.rng("people"), ctx.rng("cards")
        numbers = _CardNumbers(ctx.rng("card-numbers"))
        national_ids = _free_d_numbers()
        next_ids: dict[type[models.Model], int] = {
            m: _next_id(m) for m in (Person, Employment, Role, Card)
        }
        for start in range(0, cards, CHUNK):
            size = min(CHUNK, cards - start)
            workers = _people_and_employments(ctx, people_rng, units, size, national_ids, next_ids)
            planned = _cards(ctx, card_rng, workers, numbers, next_ids)
            _recompute(ctx, planned)
            if start + size < cards:
                ctx.say(f"{ctx.counts['cards']:,} cards")
        _finish(ctx)
    ctx.say(f"{ctx.counts['cards']:,} cards")
    return ctx.counts


# --- Stage 1: companies ---------------------------------------------------------------------


def _companies(ctx: _Context, count: int) -> list[_Unit]:
    """Main units (AS, ENK, NUF; some cleaning, some staffing) with sub-units under some AS."""
    rng = ctx.rng("companies")
    today, now = ctx.today, ctx.now
    company_id = _next_id(Company)
    orgnrs = _orgnrs(Company.objects.filter(orgnr__startswith="32").count() * 2)
    units: list[_Unit] = []
    for i in range(count):
        r = rng.random()
        form = "ENK" if r < 0.10 else "NUF" if r < 0.12 else "AS"
        is_cleaning = rng.random() < 0.08
        is_staffing = not is_cleaning and rng.random() < 0.05
        facts = {
            "brreg_read": rng.random() > 0.002,
            "brreg_removed": rng.random() < 0.001,
            "deleted_on": today - dt.timedelta(days=rng.randrange(1, 400))
            if rng.random() < 0.003
            else None,
            "bankrupt": rng.random() < 0.005,
            "under_forced_dissolution": rng.random() < 0.003,
            "registered_in_vat": rng.random() > 0.02,
            "staffing_approved": rng.random() < 0.92,
            "cleaning_approved": rng.random() < 0.90,
        }
        vat_exempt = not facts["registered_in_vat"] and rng.random() < 0.1
        trade = rng.choice(("Bygg", "Anlegg", "Renhold", "Elektro", "Rør", "Maler"))
        name = f"{rng.choice(FAMILY)} {trade} {i}" + ("" if form == "ENK" else f" {form}")
        unit = _Unit(
            company_id,
            next(orgnrs),
            name,
            form,
            is_cleaning,
            is_staffing,
            form == "NUF",
            vat_exempt,
            facts,
        )
        company_id += 1
        if form == "AS" and rng.random() < 0.2:
            for s in range(rng.randint(1, 3)):
                unit.sub_units.append(_SubUnit(company_id, next(orgnrs), f"{name} avd. {s + 1}"))
                company_id += 1
        units.append(unit)

    def rows() -> Iterator[tuple]:
        for u in units:
            card_type = ctx.card_type(u).pk
            yield (
                u.pk,
                u.orgnr,
                u.name,
                u.form,
                None,
                card_type,
                u.staffing,
                u.foreign,
                u.vat_exempt,
                "",
                now,
                now,
            )
        # Sub-units after every main unit: the parent must exist.
        for u in units:
            for sub in u.sub_units:
                yield (
                    sub.pk,
                    sub.orgnr,
                    sub.name,
                    "BEDR",
                    u.pk,
                    None,
                    False,
                    False,
                    False,
                    "",
                    now,
                    now,
                )

    ctx.write("companies", Company, COMPANY_COLUMNS, list(rows()))
    return units


# --- Stage 2: register facts ----------------------------------------------------------------


def _register_facts(ctx: _Context, units: list[_Unit]) -> None:
    """The registers' rows for the units, as each adapter stores them."""
    now = ctx.now
    brreg: list[tuple] = []
    cleaning: list[tuple] = []
    staffing: list[tuple] = []
    for u in units:
        f = u.facts
        if f["brreg_read"]:
            brreg.append(
                (
                    u.orgnr,
                    u.name,
                    u.form,
                    "",
                    False,
                    f["registered_in_vat"],
                    f["bankrupt"],
                    False,
                    f["under_forced_dissolution"],
                    f["deleted_on"],
                    f["brreg_removed"],
                    "43.210",
                    "{}",
                    now,
                )
            )
        for sub in u.sub_units:
            brreg.append(
                (
                    sub.orgnr,
                    sub.name,
                    "BEDR",
                    u.orgnr,
                    True,
                    True,
                    False,
                    False,
                    False,
                    None,
                    False,
                    "43.210",
                    "{}",
                    now,
                )
            )
        if u.cleaning:
            status = (
                CleaningApproval.Status.APPROVED_WITH_EMPLOYEES
                if f["cleaning_approved"]
                else CleaningApproval.Status.APPLICATION_PENDING
            )
            cleaning.append((u.orgnr, u.name, str(status), now))
        if u.staffing:
            approved = f["staffing_approved"]
            status_text = "Godkjent" if approved else "Ikke godkjent"
            staffing.append((u.orgnr, u.name, status_text, approved, now))
    ctx.write("brreg_units", BrregUnit, BRREG_COLUMNS, brreg)
    ctx.write(
        "cleaning_approvals", CleaningApproval, ("orgnr", "name", "status", "read_at"), cleaning
    )
    ctx.write(
        "staffing_approvals",
        StaffingApproval,
        ("orgnr", "name", "status", "approved", "read_at"),
        staffing,
    )


# --- Stage 3: people and employments --------------------------------------------------------


def _free_d_numbers() -> Iterator[tuple[str, dt.date]]:
    """D-numbers no person in the database has yet (so generating twice never collides)."""
    taken = (
        set(
            Person.objects.filter(national_id__regex=r"^[4-7]").values_list(
                "national_id", flat=True
            )
        )
        if Person.objects.exists()
        else set()
    )
    return ((n, born) for n, born in _d_numbers() if n not in taken)


def _people_and_employments(
    ctx: _Context,
    rng: random.Random,
    units: list[_Unit],
    count: int,
    national_ids: Iterator[tuple[str, dt.date]],
    next_ids: dict[type[models.Model], int],
) -> list[_Worker]:
    """One person per card, at a unit picked with a skew (few large companies, many small):
    employed by the unit or one of its sub-units (ended or unreported for some), or, in a sole
    proprietorship, holding the owner role."""
    today, now = ctx.today, ctx.now
    n_units = len(units)
    workers: list[_Worker] = []
    persons: list[tuple] = []
    employments: list[tuple] = []
    roles: list[tuple] = []
    for _ in range(count):
        unit = units[min(int(n_units * rng.random() ** 2), n_units - 1)]
        national_id, born = next(national_ids)
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        needs_permit = unit.cleaning and rng.random() < 0.10
        permit_until = (
            today + dt.timedelta(days=rng.randrange(30, 900))
            if needs_permit and rng.random() < 0.85
            else None
        )
        worker = _Worker(
            next_ids[Person],
            national_id,
            unit,
            id_valid=rng.random() > 0.001,
            needs_permit=needs_permit,
            permit_until=permit_until,
        )
        next_ids[Person] += 1
        persons.append(
            (
                worker.person_id,
                national_id,
                given,
                family,
                born,
                needs_permit,
                permit_until,
                worker.id_valid,
                now,
                now,
            )
        )
        if unit.form == "ENK":
            worker.owner_role = True
            roles.append(
                (
                    next_ids[Role],
                    unit.pk,
                    national_id,
                    "INNH",
                    f"{given} {family}",
                    "generated",
                    now,
                )
            )
            next_ids[Role] += 1
        else:
            r = rng.random()
            if r > 0.015:
                worker.employment_reported = True
                worker.employment_active = r > 0.04
                employer = (
                    rng.choice(unit.sub_units).pk
                    if unit.sub_units and rng.random() < 0.7
                    else unit.pk
                )
                starts = today - dt.timedelta(days=rng.randrange(30, 4000))
                ends = (
                    None
                    if worker.employment_active
                    else today - dt.timedelta(days=rng.randrange(1, 25))
                )
                source = "oar" if unit.foreign else "aareg"
                employments.append(
                    (
                        next_ids[Employment],
                        worker.person_id,
                        employer,
                        unit.pk,
                        starts,
                        ends,
                        source,
                        now,
                    )
                )
                next_ids[Employment] += 1
        workers.append(worker)
    ctx.write("persons", Person, PERSON_COLUMNS, persons)
    ctx.write("employments", Employment, EMPLOYMENT_COLUMNS, employments)
    ctx.write("roles", Role, ROLE_COLUMNS, roles)
    return workers


# --- Stage 4: cards -------------------------------------------------------------------------


@dataclass(slots=True)
class _PlannedCard:
    """A card before its validity is known: its row (in CARD_COLUMNS order, without `valid`
    and `reasons`) and the facts the recompute needs."""

    row: tuple
    worker: _Worker
    state: str
    expires_on: dt.date | None


def _cards(
    ctx: _Context,
    rng: random.Random,
    workers: list[_Worker],
    numbers: _CardNumbers,
    next_ids: dict[type[models.Model], int],
) -> list[_PlannedCard]:
    """One card per worker, in a state drawn from a realistic mix; issued cards have dates."""
    today = ctx.today
    state_names = [s for s, _w in STATES]
    state_weights = [w for _s, w in STATES]
    planned: list[_PlannedCard] = []
    for worker in workers:
        card_id = next_ids[Card]
        next_ids[Card] += 1
        state = rng.choices(state_names, state_weights)[0]
        issued_on = expires_on = None
        if state not in NOT_YET_ISSUED:
            issued_on = today - dt.timedelta(days=rng.randrange(0, 800))
            expires_on = expiry_for(issued_on)
        digest = hashlib.sha256(f"{ctx.seed}:{card_id}".encode()).digest()
        qr = base64.urlsafe_b64encode(digest[:24]).decode()
        row = (
            card_id,
            numbers(card_id),
            qr,
            ctx.card_type(worker.unit).pk,
            worker.person_id,
            worker.unit.pk,
            str(state),
            issued_on,
            expires_on,
            None,
        )
        planned.append(_PlannedCard(row, worker, state, expires_on))
    return planned


# --- Stage 5: recompute ---------------------------------------------------------------------


def _recompute(ctx: _Context, planned: list[_PlannedCard]) -> None:
    """Each card's validity from the rules over the generated facts; then write the cards."""
    now = ctx.now

    def rows() -> Iterator[tuple]:
        for card in planned:
            w, u = card.worker, card.worker.unit
            f = u.facts
            verdict = evaluate(
                CardFacts(
                    today=ctx.today,
                    state=card.state,
                    expires_on=card.expires_on,
                    requires_cleaning_approval=u.cleaning,
                    requires_residence_permit=u.cleaning,
                    national_id_valid=w.id_valid,
                    needs_residence_permit=w.needs_permit,
                    residence_permit_until=w.permit_until,
                    employment_reported=w.employment_reported,
                    employment_active=w.employment_active,
                    owner_role=w.owner_role,
                    brreg_read=f["brreg_read"],
                    brreg_removed=f["brreg_removed"],
                    deleted_on=f["deleted_on"],
                    bankrupt=f["bankrupt"],
                    under_forced_dissolution=f["under_forced_dissolution"],
                    registered_in_vat=f["registered_in_vat"],
                    vat_exempt=u.vat_exempt,
                    is_staffing_agency=u.staffing,
                    staffing_approved=f["staffing_approved"],
                    cleaning_approved=f["cleaning_approved"],
                )
            )
            reasons = json.dumps(list(verdict.reasons))
            yield (*card.row, verdict.valid, reasons, now, now, now)

    ctx.write("cards", Card, CARD_COLUMNS, rows())


# --- Stage 6: finish ------------------------------------------------------------------------


def _finish(ctx: _Context) -> None:
    """Sequences past the ids assigned here; on PostgreSQL fresh statistics, so the
    recompute's joins are planned for the real sizes."""
    written = (
        Company,
        BrregUnit,
        CleaningApproval,
        StaffingApproval,
        Person,
        Employment,
        Role,
        Card,
    )
    _reset_sequences(Company, Person, Employment, Role, Card)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in written:
                cursor.execute(f"ANALYZE {model._meta.db_table}")
