"""The demo world: companies of every kind, persons who can log in, and cards valid and invalid
for each reason. Deterministic (same identities, names and card numbers everywhere) and
idempotent. Register facts are stored as the registers' own rows, so every card's validity comes
out of the real recompute; `expected` says what it must come out as.

Every identity is fictitious: organisation numbers start with 31 (real ones start with 8 or 9),
persons are named Demo and born on 1 January.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from hmskort.audit.services import Actor
from hmskort.cards import services
from hmskort.cards.models import Card, CardState, CardType
from hmskort.cards.numbers import card_number_from, qr_token_from
from hmskort.cards.recompute import recompute_cards
from hmskort.companies.models import Company, Role
from hmskort.identifiers import make_national_id, make_orgnr
from hmskort.people.models import Employment, Person
from hmskort.registries.models import BrregUnit, CleaningApproval, StaffingApproval

ACTOR = Actor.system("demo")


@dataclass(frozen=True)
class DemoCompany:
    key: str
    name: str
    form: str = "AS"
    card_type: str = "construction"
    sub_units: tuple[str, ...] = ()
    staffing: bool | None = None  # None: not a staffing agency; else approved or not
    cleaning_status: str | None = None
    foreign: bool = False
    vat_exempt: bool = False
    brreg: dict[str, Any] = field(default_factory=dict)  # overrides of a healthy unit


COMPANIES = (
    DemoCompany(
        "bygg", "Demo Bygg AS", sub_units=("Demo Bygg AS avd. Oslo", "Demo Bygg AS avd. Bergen")
    ),
    DemoCompany(
        "renhold",
        "Demo Renhold AS",
        card_type="cleaning",
        cleaning_status=CleaningApproval.Status.APPROVED_WITH_EMPLOYEES,
    ),
    DemoCompany(
        "renhold_soker",
        "Demo Renhold Søker AS",
        card_type="cleaning",
        cleaning_status=CleaningApproval.Status.APPLICATION_PENDING,
    ),
    DemoCompany("bemanning", "Demo Bemanning AS", staffing=True),
    DemoCompany("bemanning_ikke", "Demo Bemanning Uten Godkjenning AS", staffing=False),
    DemoCompany("enk", "Demo Snekker Hansen", form="ENK"),
    DemoCompany("nuf", "Demo Construction Ltd NUF", form="NUF", foreign=True),
    DemoCompany(
        "stiftelse",
        "Demo Stiftelse Bygg",
        form="STI",
        vat_exempt=True,
        brreg={"registered_in_vat": False},
    ),
    DemoCompany("konkurs", "Demo Konkurs AS", brreg={"bankrupt": True}),
    DemoCompany("slettet", "Demo Slettet AS", brreg={"deleted": True}),
    DemoCompany("tvang", "Demo Tvangsoppløsning AS", brreg={"under_forced_dissolution": True}),
    DemoCompany("uten_mva", "Demo Uten MVA AS", brreg={"registered_in_vat": False}),
    DemoCompany("ukjent", "Demo Ukjent AS", brreg={"removed": True}),
)


@dataclass(frozen=True)
class DemoPerson:
    key: str
    given_name: str
    family_name: str
    born: dt.date
    description: str
    roles: tuple[tuple[str, str], ...] = ()  # (company key, role code)


PERSONS = (
    DemoPerson(
        "leder",
        "Ingrid",
        "Demo-Berg",
        dt.date(1970, 1, 1),
        "General manager of Demo Bygg AS (sub-units, valid cards and cards invalid for each "
        "lifecycle and worker reason) and of the demo companies with register problems.",
        (
            ("bygg", "DAGL"),
            ("stiftelse", "LEDE"),
            ("konkurs", "DAGL"),
            ("slettet", "DAGL"),
            ("tvang", "DAGL"),
            ("uten_mva", "DAGL"),
            ("ukjent", "DAGL"),
        ),
    ),
    DemoPerson(
        "renhold",
        "Renate",
        "Demo-Vask",
        dt.date(1975, 1, 1),
        "General manager of an approved cleaning company and of one whose approval is pending.",
        (("renhold", "DAGL"), ("renhold_soker", "DAGL")),
    ),
    DemoPerson(
        "bemanning",
        "Bjørn",
        "Demo-Bemann",
        dt.date(1980, 1, 1),
        "General manager of an approved staffing agency; chair of one that is not approved.",
        (("bemanning", "DAGL"), ("bemanning_ikke", "LEDE")),
    ),
    DemoPerson(
        "snekker",
        "Hans",
        "Demo-Hansen",
        dt.date(1985, 1, 1),
        "Sole proprietor (ENK) holding his own card: his role stands in for an employment.",
        (("enk", "INNH"),),
    ),
    DemoPerson(
        "foreign",
        "John",
        "Demo-Smith",
        dt.date(1972, 1, 1),
        "Manager of a foreign company with a Norwegian organisation number (NUF).",
        (("nuf", "DAGL"),),
    ),
    DemoPerson(
        "arbeider",
        "Per",
        "Demo-Arbeider",
        dt.date(1990, 1, 1),
        "A worker with a card and no company role: sees no company after login.",
    ),
)


@dataclass(frozen=True)
class DemoCard:
    key: str
    company: str
    holder: str  # a DemoPerson key, or a worker's given name (family name Demo-Arbeider)
    expected: tuple[str, ...]  # reason codes; () = valid
    state: str = CardState.ISSUED
    card_type: str | None = None  # default: the company's
    sub_unit: int | None = None  # employed under this sub-unit (index)
    employment: str = "active"  # active, ended, none, oar
    issued_days_ago: int = 30
    needs_permit: bool | None = None  # None: no permit needed; True: has one; False: missing
    national_id_valid: bool = True


CARDS = (
    DemoCard("bygg-valid-oslo", "bygg", "Ola", (), sub_unit=0),
    DemoCard("bygg-valid-bergen", "bygg", "Kari", (), sub_unit=1),
    DemoCard("bygg-worker", "bygg", "arbeider", ()),
    DemoCard("bygg-ordered", "bygg", "Nils", ("card_not_issued",), state=CardState.ORDERED),
    DemoCard(
        "bygg-awaiting", "bygg", "Sigrid", ("card_not_issued",), state=CardState.AWAITING_DOCUMENTS
    ),
    DemoCard("bygg-lost", "bygg", "Lars", ("card_lost",), state=CardState.LOST),
    DemoCard("bygg-stolen", "bygg", "Astrid", ("card_stolen",), state=CardState.STOLEN),
    DemoCard("bygg-blocked", "bygg", "Erik", ("card_blocked",), state=CardState.BLOCKED),
    DemoCard(
        "bygg-terminated", "bygg", "Ingeborg", ("card_terminated",), state=CardState.TERMINATED
    ),
    DemoCard("bygg-replaced", "bygg", "Magnus", ("card_replaced",), state=CardState.REPLACED),
    DemoCard("bygg-replacement", "bygg", "Magnus", ()),
    DemoCard("bygg-rejected", "bygg", "Solveig", ("card_rejected",), state=CardState.REJECTED),
    DemoCard("bygg-expired", "bygg", "Knut", ("card_expired",), issued_days_ago=760),
    DemoCard("bygg-employment-ended", "bygg", "Liv", ("employment_ended",), employment="ended"),
    DemoCard("bygg-not-reported", "bygg", "Odd", ("employment_not_reported",), employment="none"),
    DemoCard("bygg-id-invalid", "bygg", "Randi", ("national_id_invalid",), national_id_valid=False),
    DemoCard("renhold-valid", "renhold", "Fatima", ()),
    DemoCard("renhold-permit", "renhold", "Amir", (), needs_permit=True),
    DemoCard(
        "renhold-no-permit", "renhold", "Yusuf", ("residence_permit_missing",), needs_permit=False
    ),
    DemoCard("renhold-pending", "renhold_soker", "Mona", ("cleaning_not_approved",)),
    DemoCard("bemanning-valid", "bemanning", "Tore", ()),
    DemoCard("bemanning-not-approved", "bemanning_ikke", "Jonas", ("staffing_not_approved",)),
    DemoCard("enk-owner", "enk", "snekker", (), employment="none"),
    DemoCard("nuf-valid", "nuf", "Piotr", (), employment="oar"),
    DemoCard("stiftelse-exempt", "stiftelse", "Elin", ()),
    DemoCard("konkurs", "konkurs", "Geir", ("company_bankrupt",)),
    DemoCard("slettet", "slettet", "Hilde", ("company_deleted",)),
    DemoCard("tvang", "tvang", "Arne", ("company_forcibly_dissolved",)),
    DemoCard("uten-mva", "uten_mva", "Berit", ("not_in_vat_register",)),
    DemoCard("ukjent", "ukjent", "Trond", ("company_not_found",)),
)


def _orgnr(index: int) -> str:
    n = index * 2
    while True:
        number = make_orgnr(f"31{n:06d}")
        if number:
            return number
        n += 1


def _national_id(born: dt.date, start: int = 0) -> str:
    for individual in range(start, 500):
        number = make_national_id(born, individual)
        if number:
            return number
    raise AssertionError("no number")


def _worker_birth(given_name: str) -> dt.date:
    # A fixed birth date per worker name: 1 January of a year between 1975 and 2004.
    return dt.date(1975 + sum(map(ord, given_name)) % 30, 1, 1)


def _orgnrs() -> dict[str, str]:
    out: dict[str, str] = {}
    i = 1
    for company in COMPANIES:
        out[company.key] = _orgnr(i)
        i += 1
        for s, _name in enumerate(company.sub_units):
            out[f"{company.key}/{s}"] = _orgnr(i)
            i += 1
    return out


def is_loaded() -> bool:
    return Company.objects.filter(orgnr=_orgnrs()["bygg"]).exists()


@transaction.atomic
def load() -> dict[str, Any]:
    """Load the demo world unless it is there, recompute its cards; return the demo.json data."""
    if not is_loaded():
        _create()
    orgnrs = _orgnrs()
    companies = {c.orgnr: c for c in Company.objects.filter(orgnr__in=orgnrs.values())}
    recompute_cards(company_ids=[c.pk for c in companies.values()], cause="demo")
    return _describe(orgnrs, companies)


def _create() -> None:
    today = timezone.localdate()
    now = timezone.now()
    orgnrs = _orgnrs()
    types = {t.code: t for t in CardType.objects.all()}
    companies: dict[str, Company] = {}
    for spec in COMPANIES:
        main = Company.objects.create(
            orgnr=orgnrs[spec.key],
            name=spec.name,
            organisation_form=spec.form,
            card_type=types[spec.card_type],
            is_staffing_agency=spec.staffing is not None,
            is_foreign=spec.foreign,
            vat_exempt=spec.vat_exempt,
            vat_exempt_note="Demo: exempt as a foundation" if spec.vat_exempt else "",
        )
        companies[spec.key] = main
        brreg = {
            "registered_in_vat": True,
            "bankrupt": False,
            "under_forced_dissolution": False,
            "removed": False,
            **spec.brreg,
        }
        deleted = brreg.pop("deleted", False)
        BrregUnit.objects.create(
            orgnr=main.orgnr,
            name=main.name,
            organisation_form=spec.form,
            deleted_on=today - dt.timedelta(days=60) if deleted else None,
            address={"adresse": ["Demoveien 1"], "postnummer": "0150", "poststed": "OSLO"},
            read_at=now,
            **brreg,
        )
        for s, name in enumerate(spec.sub_units):
            sub = Company.objects.create(
                orgnr=orgnrs[f"{spec.key}/{s}"], name=name, organisation_form="BEDR", parent=main
            )
            companies[f"{spec.key}/{s}"] = sub
            BrregUnit.objects.create(
                orgnr=sub.orgnr,
                name=name,
                organisation_form="BEDR",
                parent_orgnr=main.orgnr,
                is_sub_unit=True,
                registered_in_vat=True,
                read_at=now,
            )
        if spec.cleaning_status:
            CleaningApproval.objects.create(
                orgnr=main.orgnr, name=main.name, status=spec.cleaning_status, read_at=now
            )
        if spec.staffing is not None:
            StaffingApproval.objects.create(
                orgnr=main.orgnr,
                name=main.name,
                status="Godkjent" if spec.staffing else "Ikke godkjent",
                approved=spec.staffing,
                read_at=now,
            )

    persons: dict[str, Person] = {}
    for p in PERSONS:
        persons[p.key] = Person.objects.create(
            national_id=_national_id(p.born),
            given_name=p.given_name,
            family_name=p.family_name,
            birth_date=p.born,
        )
        for company_key, code in p.roles:
            Role.objects.create(
                company=companies[company_key],
                national_id=persons[p.key].national_id,
                code=code,
                holder_name=f"{p.given_name} {p.family_name}",
                source="local",
                read_at=now,
            )

    used_ids = {p.national_id for p in persons.values()}
    for i, card_spec in enumerate(CARDS):
        company = companies[card_spec.company]
        holder = persons.get(card_spec.holder)
        if holder is None:
            born = _worker_birth(card_spec.holder)
            start = 0
            number = _national_id(born, start)
            while number in used_ids:
                start = int(number[6:9]) + 1
                number = _national_id(born, start)
            holder = Person.objects.filter(
                given_name=card_spec.holder, family_name="Demo-Arbeider"
            ).first()
            if holder is None:
                holder = Person.objects.create(
                    national_id=number,
                    given_name=card_spec.holder,
                    family_name="Demo-Arbeider",
                    birth_date=born,
                )
                used_ids.add(number)
            persons[card_spec.holder] = holder
        if not card_spec.national_id_valid:
            holder.national_id_valid = False
            holder.save(update_fields=["national_id_valid"])
        if card_spec.needs_permit is not None:
            holder.needs_residence_permit = True
            holder.residence_permit_until = (
                today + dt.timedelta(days=365) if card_spec.needs_permit else None
            )
            holder.save(update_fields=["needs_residence_permit", "residence_permit_until"])
        employer = (
            companies[f"{card_spec.company}/{card_spec.sub_unit}"]
            if card_spec.sub_unit is not None
            else company
        )
        if (
            card_spec.employment != "none"
            and not Employment.objects.filter(person=holder, main_unit=company).exists()
        ):
            Employment.objects.create(
                person=holder,
                employer=employer,
                main_unit=company,
                starts_on=dt.date(2019, 8, 1),
                ends_on=today - dt.timedelta(days=30) if card_spec.employment == "ended" else None,
                source=Employment.Source.FOREIGN
                if card_spec.employment == "oar"
                else Employment.Source.AAREG,
                read_at=now,
            )
        _make_card(card_spec, i, company, holder, types, today)


def _make_card(spec: DemoCard, index: int, company: Company, holder: Person, types, today) -> Card:
    card_type = types[spec.card_type] if spec.card_type else company.card_type
    if spec.key == "bygg-replacement":
        old = Card.objects.get(number=card_number_from("demo:bygg-replaced"))
        card = services.card_replace(card=old, actor=ACTOR)
    else:
        card = services.card_order(actor=ACTOR, company=company, holder=holder, card_type=card_type)
    # Fixed numbers, so the demo world is the same everywhere.
    Card.objects.filter(pk=card.pk).update(
        number=card_number_from(f"demo:{spec.key}"), qr_token=qr_token_from(f"demo:{spec.key}")
    )
    card.refresh_from_db()
    step = lambda state: services.card_transition(card=card, to_state=state, actor=ACTOR)  # noqa: E731
    if spec.state == CardState.ORDERED:
        return card
    if spec.state == CardState.AWAITING_DOCUMENTS:
        return step(CardState.AWAITING_DOCUMENTS)
    step(CardState.AWAITING_VERIFICATION)
    if spec.state == CardState.REJECTED:
        return step(CardState.REJECTED)
    step(CardState.APPROVED)
    step(CardState.IN_PRODUCTION)
    card = services.card_issue(
        card=card, actor=ACTOR, issued_on=today - dt.timedelta(days=spec.issued_days_ago)
    )
    if spec.state == CardState.LOST:
        return services.card_report_lost(card=card, actor=ACTOR)
    if spec.state == CardState.STOLEN:
        return services.card_report_stolen(card=card, actor=ACTOR)
    if spec.state == CardState.BLOCKED:
        return services.card_block(card=card, actor=ACTOR, reason="employer_request")
    if spec.state == CardState.TERMINATED:
        return services.card_terminate(card=card, actor=ACTOR)
    return card


def _describe(orgnrs: dict[str, str], companies: dict[str, Company]) -> dict[str, Any]:
    by_key = {key: companies[orgnr] for key, orgnr in orgnrs.items() if orgnr in companies}
    persons = []
    for p in PERSONS:
        national_id = _national_id(p.born)
        persons.append(
            {
                "national_id": national_id,
                "name": f"{p.given_name} {p.family_name}",
                "description": p.description,
                "companies": [
                    {"orgnr": by_key[key].orgnr, "name": by_key[key].name, "role": code}
                    for key, code in p.roles
                ],
            }
        )
    cards = []
    stored = {
        c.number: c
        for c in Card.objects.select_related("holder", "company", "card_type").filter(
            number__in=[card_number_from(f"demo:{spec.key}") for spec in CARDS]
        )
    }
    for spec in CARDS:
        card = stored[card_number_from(f"demo:{spec.key}")]
        cards.append(
            {
                "key": spec.key,
                "number": card.number,
                "qr_token": card.qr_token,
                "card_type": card.card_type.code,
                "holder_name": card.holder.full_name,
                "company_orgnr": card.company.orgnr,
                "company_name": card.company.name,
                "state": card.state,
                "valid": not spec.expected,
                "reasons": list(spec.expected),
            }
        )
    return {"persons": persons, "cards": cards}


def mismatches(data: dict[str, Any]) -> list[str]:
    """Cards whose stored validity or reasons differ from what demo.json promises."""
    stored = {
        c.number: c for c in Card.objects.filter(number__in=[c["number"] for c in data["cards"]])
    }
    problems = []
    for expected in data["cards"]:
        card = stored.get(expected["number"])
        if card is None:
            problems.append(f"{expected['key']}: missing")
        elif (card.valid, card.reasons) != (expected["valid"], expected["reasons"]):
            problems.append(
                f"{expected['key']}: expected {expected['valid']} {expected['reasons']}, "
                f"got {card.valid} {card.reasons}"
            )
    return problems
