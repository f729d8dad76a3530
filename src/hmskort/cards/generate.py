"""Synthetic data at national scale for benchmarks: `hmskort generate --companies N --cards M`.

Companies (with sub-units, Enhetsregisteret rows, staffing and cleaning approvals), persons
(D-numbers, so they never meet the demo's persons), employments, owner roles and cards, with a
realistic share of every problem. Every card's stored validity is what the rules say about the
generated facts, so a full recompute of fresh data changes nothing.

Written with COPY on PostgreSQL and large executemany batches on SQLite; ids are assigned here
and the sequences reset afterwards. Deterministic for a seed (card numbers come from a bijection
of the card's index, so they are unique without remembering them).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from stdnum import damm

from hmskort.bulk import copy_rows
from hmskort.companies.models import Company, Role
from hmskort.identifiers import make_national_id, make_orgnr
from hmskort.people.models import Employment, Person
from hmskort.registries.models import BrregUnit, CleaningApproval, StaffingApproval

from .models import Card, CardState, CardType
from .rules import CardFacts, evaluate
from .services import expiry_for

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


@dataclass
class _Unit:
    pk: int
    orgnr: str
    form: str
    cleaning: bool
    staffing: bool
    foreign: bool
    vat_exempt: bool
    facts: dict[str, Any]
    sub_unit_ids: list[int]


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
    return (model.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1


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
    say = progress or (lambda _msg: None)
    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    types = {t.code: t for t in CardType.objects.all()}
    construction, cleaning = types["construction"], types["cleaning"]
    counts: dict[str, int] = {}

    with transaction.atomic():
        # --- Companies, sub-units and their register rows ---------------------------------
        company_id = _next_id(Company)
        orgnr_start = Company.objects.filter(orgnr__startswith="32").count() * 2
        orgnrs = _orgnrs(orgnr_start)
        units: list[_Unit] = []
        company_rows: list[tuple] = []
        brreg_rows: list[tuple] = []
        cleaning_rows: list[tuple] = []
        staffing_rows: list[tuple] = []
        for i in range(companies):
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
            pk = company_id
            company_id += 1
            orgnr = next(orgnrs)
            name = f"{rng.choice(FAMILY)} {rng.choice(('Bygg', 'Anlegg', 'Renhold', 'Elektro', 'Rør', 'Maler'))} {i}"
            name += "" if form == "ENK" else f" {form}"
            company_rows.append(
                (
                    pk,
                    orgnr,
                    name,
                    form,
                    None,
                    (cleaning if is_cleaning else construction).pk,
                    is_staffing,
                    form == "NUF",
                    vat_exempt,
                    "",
                    now,
                    now,
                )
            )
            if facts["brreg_read"]:
                brreg_rows.append(
                    (
                        orgnr,
                        name,
                        form,
                        "",
                        False,
                        facts["registered_in_vat"],
                        facts["bankrupt"],
                        False,
                        facts["under_forced_dissolution"],
                        facts["deleted_on"],
                        facts["brreg_removed"],
                        "43.210",
                        "{}",
                        now,
                    )
                )
            if is_cleaning:
                status = (
                    CleaningApproval.Status.APPROVED_WITH_EMPLOYEES
                    if facts["cleaning_approved"]
                    else CleaningApproval.Status.APPLICATION_PENDING
                )
                cleaning_rows.append((orgnr, name, str(status), now))
            if is_staffing:
                staffing_rows.append(
                    (
                        orgnr,
                        name,
                        "Godkjent" if facts["staffing_approved"] else "Ikke godkjent",
                        facts["staffing_approved"],
                        now,
                    )
                )
            unit = _Unit(
                pk, orgnr, form, is_cleaning, is_staffing, form == "NUF", vat_exempt, facts, []
            )
            units.append(unit)
            if form == "AS" and rng.random() < 0.2:
                for s in range(rng.randint(1, 3)):
                    sub_pk = company_id
                    company_id += 1
                    sub_orgnr = next(orgnrs)
                    company_rows.append(
                        (
                            sub_pk,
                            sub_orgnr,
                            f"{name} avd. {s + 1}",
                            "BEDR",
                            pk,
                            None,
                            False,
                            False,
                            False,
                            "",
                            now,
                            now,
                        )
                    )
                    brreg_rows.append(
                        (
                            sub_orgnr,
                            f"{name} avd. {s + 1}",
                            "BEDR",
                            orgnr,
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
                    unit.sub_unit_ids.append(sub_pk)
        # Main units first, then sub-units (the parent must exist).
        company_cols = (
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
        counts["companies"] = copy_rows(Company, company_cols, company_rows)
        del company_rows
        counts["brreg_units"] = copy_rows(
            BrregUnit,
            (
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
            ),
            brreg_rows,
        )
        del brreg_rows
        counts["cleaning_approvals"] = copy_rows(
            CleaningApproval, ("orgnr", "name", "status", "read_at"), cleaning_rows
        )
        counts["staffing_approvals"] = copy_rows(
            StaffingApproval, ("orgnr", "name", "status", "approved", "read_at"), staffing_rows
        )
        say(f"{counts['companies']:,} companies and sub-units")

        # --- Persons, employments, roles and cards, streamed ------------------------------
        person_id, employment_id, role_id, card_id = (
            _next_id(Person),
            _next_id(Employment),
            _next_id(Role),
            _next_id(Card),
        )
        numbers = _CardNumbers(rng)
        ids = _d_numbers()
        existing = (
            set(
                Person.objects.filter(national_id__regex=r"^[4-7]").values_list(
                    "national_id", flat=True
                )
            )
            if Person.objects.exists()
            else set()
        )
        state_names = [s for s, _w in STATES]
        state_weights = [w for _s, w in STATES]
        persons_out: list[tuple] = []
        employments_out: list[tuple] = []
        roles_out: list[tuple] = []
        cards_out: list[tuple] = []
        for name in ("persons", "employments", "roles", "cards"):
            counts[name] = 0

        def flush() -> None:
            counts["persons"] += copy_rows(
                Person,
                (
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
                ),
                persons_out,
            )
            counts["employments"] += copy_rows(
                Employment,
                (
                    "id",
                    "person",
                    "employer",
                    "main_unit",
                    "starts_on",
                    "ends_on",
                    "source",
                    "read_at",
                ),
                employments_out,
            )
            counts["roles"] += copy_rows(
                Role,
                ("id", "company", "national_id", "code", "holder_name", "source", "read_at"),
                roles_out,
            )
            counts["cards"] += copy_rows(
                Card,
                (
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
                ),
                cards_out,
            )
            for out in (persons_out, employments_out, roles_out, cards_out):
                out.clear()

        n_units = len(units)
        for _i in range(cards):
            unit = units[min(int(n_units * rng.random() ** 2), n_units - 1)]
            national_id, born = next(ids)
            while national_id in existing:
                national_id, born = next(ids)
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            needs_permit = unit.cleaning and rng.random() < 0.10
            permit_until = (
                today + dt.timedelta(days=rng.randrange(30, 900))
                if needs_permit and rng.random() < 0.85
                else None
            )
            id_valid = rng.random() > 0.001
            persons_out.append(
                (
                    person_id,
                    national_id,
                    given,
                    family,
                    born,
                    needs_permit,
                    permit_until,
                    id_valid,
                    now,
                    now,
                )
            )
            owner_role = False
            employment_reported = employment_active = False
            if unit.form == "ENK":
                owner_role = True
                roles_out.append(
                    (role_id, unit.pk, national_id, "INNH", f"{given} {family}", "generated", now)
                )
                role_id += 1
            else:
                r = rng.random()
                if r > 0.015:
                    employment_reported = True
                    employment_active = r > 0.04
                    employer = (
                        rng.choice(unit.sub_unit_ids)
                        if unit.sub_unit_ids and rng.random() < 0.7
                        else unit.pk
                    )
                    starts = today - dt.timedelta(days=rng.randrange(30, 4000))
                    ends = (
                        None
                        if employment_active
                        else today - dt.timedelta(days=rng.randrange(1, 25))
                    )
                    employments_out.append(
                        (
                            employment_id,
                            person_id,
                            employer,
                            unit.pk,
                            starts,
                            ends,
                            "oar" if unit.foreign else "aareg",
                            now,
                        )
                    )
                    employment_id += 1
            state = rng.choices(state_names, state_weights)[0]
            issued_on = expires_on = None
            if state not in (
                CardState.ORDERED,
                CardState.AWAITING_DOCUMENTS,
                CardState.AWAITING_VERIFICATION,
                CardState.IN_PRODUCTION,
                CardState.REJECTED,
            ):
                issued_on = today - dt.timedelta(days=rng.randrange(0, 800))
                expires_on = expiry_for(issued_on)
            f = unit.facts
            verdict = evaluate(
                CardFacts(
                    today=today,
                    state=state,
                    expires_on=expires_on,
                    requires_cleaning_approval=unit.cleaning,
                    requires_residence_permit=unit.cleaning,
                    national_id_valid=id_valid,
                    needs_residence_permit=needs_permit,
                    residence_permit_until=permit_until,
                    employment_reported=employment_reported,
                    employment_active=employment_active,
                    owner_role=owner_role,
                    brreg_read=f["brreg_read"],
                    brreg_removed=f["brreg_removed"],
                    deleted_on=f["deleted_on"],
                    bankrupt=f["bankrupt"],
                    under_forced_dissolution=f["under_forced_dissolution"],
                    registered_in_vat=f["registered_in_vat"],
                    vat_exempt=unit.vat_exempt,
                    is_staffing_agency=unit.staffing,
                    staffing_approved=f["staffing_approved"],
                    cleaning_approved=f["cleaning_approved"],
                )
            )
            seed_bytes = f"{seed}:{card_id}".encode()
            qr = base64.urlsafe_b64encode(hashlib.sha256(seed_bytes).digest()[:24]).decode()
            cards_out.append(
                (
                    card_id,
                    numbers(card_id),
                    qr,
                    (cleaning if unit.cleaning else construction).pk,
                    person_id,
                    unit.pk,
                    str(state),
                    issued_on,
                    expires_on,
                    None,
                    verdict.valid,
                    json.dumps(list(verdict.reasons)),
                    now,
                    now,
                    now,
                )
            )
            person_id += 1
            card_id += 1
            if len(cards_out) >= 50000:
                flush()
                say(f"{counts['cards']:,} cards")
        flush()
        _reset_sequences(Company, Person, Employment, Role, Card)
        if connection.vendor == "postgresql":
            # Fresh statistics, so the recompute's joins are planned for the real sizes.
            with connection.cursor() as cursor:
                for model in (
                    Company,
                    BrregUnit,
                    CleaningApproval,
                    StaffingApproval,
                    Person,
                    Employment,
                    Role,
                    Card,
                ):
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
    say(f"{counts['cards']:,} cards")
    return counts
