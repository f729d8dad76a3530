"""Register runs: start, apply or hold, fail; company facts; the recompute hand-off.

Every source module (brreg, renhold, bemanning, aareg) reads its facts, stages them, and calls
`conclude` here (the adapters import this module, never the reverse: staff review of held runs,
which dispatches to the adapters, is in `sources`): a run that would take a registration duty away from an implausible share of the
units it knows (HMSKORT_REGISTRY_MASS_CHANGE_RATIO, default 2 %) is held for staff review and
changes nothing until approved. Facts that did change trigger the incremental card recompute.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.utils import timezone

from hmskort.audit.services import Actor, record
from hmskort.companies.models import Company

from .models import BrregUnit, CleaningApproval, RegistryRun, StaffingApproval
from .signals import register_facts_changed

T = TypeVar("T")

log = logging.getLogger(__name__)

STAFFING_NACE_CODES = ("78.200",)


class RunRefused(Exception):
    """A held run cannot be approved or rejected (wrong status, or its facts are gone)."""


@dataclass
class Proposal:
    """What a run would change, measured against the facts already stored."""

    read: int = 0
    changed: int = 0
    lost: int = 0  # duties that stop being met
    gained: int = 0  # duties that start being met (a file marking many units approved)
    known: int = 0  # units with facts before the run (the base for the mass-change share)
    affected_orgnrs: set[str] = field(default_factory=set)  # rule-relevant changes
    unknown_statuses: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def mass_change_limit(known: int) -> float:
    ratio = float(getattr(settings, "HMSKORT_REGISTRY_MASS_CHANGE_RATIO", 0.02))
    floor = int(getattr(settings, "HMSKORT_REGISTRY_MASS_CHANGE_MIN", 20))
    return max(float(floor), ratio * known)


def is_implausible(proposal: Proposal) -> bool:
    limit = mass_change_limit(proposal.known)
    return proposal.lost > limit or proposal.gained > limit


def start_run(source: str, read_from: str = "") -> RegistryRun:
    """Record that a run started (its own commit, so staff see runs in progress)."""
    return RegistryRun.objects.create(
        source=source, read_from=read_from[:300], started_at=timezone.now()
    )


def fail_run(run: RegistryRun, message: str) -> RegistryRun:
    """The source failed: nothing changed, the last known facts stay."""
    log.warning("register run %s (%s) failed: %s", run.pk, run.source, message)
    run.status = RegistryRun.Status.FAILED
    run.finished_at = timezone.now()
    run.message = message[:5000]
    run.save(update_fields=["status", "finished_at", "message"])
    return run


def conclude(
    run: RegistryRun,
    proposal: Proposal,
    *,
    apply: Callable[[], None],
    discard_unchanged: Callable[[], None],
    force: bool = False,
) -> RegistryRun:
    """Apply the staged facts, or hold them for review. Runs inside the caller's transaction."""
    run.records_read = proposal.read
    run.records_changed = proposal.changed
    run.records_lost = proposal.lost
    run.finished_at = timezone.now()
    problems = []
    if proposal.unknown_statuses:
        listed = ", ".join(f"{s!r} ({n})" for s, n in sorted(proposal.unknown_statuses.items()))
        problems.append(f"unknown statuses: {listed}")
    limit = mass_change_limit(proposal.known)
    if proposal.lost > limit:
        problems.append(
            f"{proposal.lost} of {proposal.known} known units would stop meeting a duty "
            f"(limit {limit:.0f})"
        )
    if proposal.gained > limit:
        problems.append(
            f"{proposal.gained} units would start meeting a duty, against {proposal.known} "
            f"known (limit {limit:.0f})"
        )
    notes = list(proposal.notes)
    if problems and not force:
        discard_unchanged()
        run.status = RegistryRun.Status.HELD
        run.message = "; ".join(["held for review: " + "; ".join(problems), *notes])[:5000]
        run.save()
        record(
            actor=Actor.system(f"registries.{run.source}"),
            action="registries.run_held",
            target=run,
            data={
                "lost": proposal.lost,
                "gained": proposal.gained,
                "known": proposal.known,
                "changed": proposal.changed,
            },
        )
        log.warning("register run %s (%s) held: %s", run.pk, run.source, run.message)
        return run
    apply()
    run.status = RegistryRun.Status.APPROVED if force else RegistryRun.Status.OK
    run.companies_recomputed = schedule_recompute(proposal.affected_orgnrs, run)
    run.message = "; ".join(notes)[:5000]
    run.save()
    if proposal.changed:
        record(
            actor=Actor.system(f"registries.{run.source}"),
            action="registries.facts_changed",
            target=run,
            data={"changed": proposal.changed, "lost": proposal.lost},
        )
    return run


# The sources whose runs move facts about people (employments), not only the units' own facts.
_PEOPLE_SOURCES = frozenset({RegistryRun.Source.AAREG, RegistryRun.Source.OAR})


def schedule_recompute(orgnrs: Iterable[str], run: RegistryRun) -> int:
    """Announce the companies (and their main units) whose facts moved; the cards they carry
    are recomputed after commit by whoever listens (`cards`).

    Returns how many companies were announced.
    """
    orgnrs = set(orgnrs)
    if not orgnrs:
        return 0
    company_orgnrs: set[str] = set()
    for chunk in _chunks(sorted(orgnrs), 2000):
        for orgnr, parent_orgnr in Company.objects.filter(orgnr__in=chunk).values_list(
            "orgnr", "parent__orgnr"
        ):
            company_orgnrs.add(orgnr)
            if parent_orgnr:
                company_orgnrs.add(parent_orgnr)
    if not company_orgnrs:
        return 0
    update_company_facts(orgnrs=company_orgnrs)
    register_facts_changed.send(
        sender=RegistryRun,
        orgnrs=sorted(company_orgnrs),
        cause=f"registry:{run.source}",
        units_only=run.source not in _PEOPLE_SOURCES,
    )
    return len(company_orgnrs)


def update_company_facts(*, orgnrs: Iterable[str]) -> int:
    """Carry register facts onto Company rows: name, organisation form, main unit, staffing
    agency, cleaning card type.

    The organisation form decides the owner rule (ENK, ANS, DA); a sub-unit is tied to its main
    unit (its role holders, its bankruptcy), which becomes a company of the card register when
    Enhetsregisteret's facts about it are stored. A company in Renholdsregisteret gets cleaning
    cards only; NACE 78.200 or presence in the staffing register makes it a staffing agency.
    These are only ever set here, never cleared automatically: a company that leaves a register
    still has to be looked at by staff.
    """
    # The card type is the companies' foreign key's target: reached through it, not imported.
    card_types = Company._meta.get_field("card_type").related_model
    assert isinstance(card_types, type)  # a model class, not the unresolved name
    wanted = set(orgnrs)
    wanted |= _main_units_of_sub_units(wanted)
    cleaning = card_types._default_manager.filter(code="cleaning").first()
    changed = 0
    for chunk in _chunks(sorted(wanted), 1000):
        units = {u.orgnr: u for u in BrregUnit.objects.filter(orgnr__in=chunk)}
        parents = {
            c.orgnr: c
            for c in Company.objects.filter(
                orgnr__in={u.parent_orgnr for u in units.values() if u.is_sub_unit}
            )
        }
        in_cleaning = set(
            CleaningApproval.objects.filter(orgnr__in=chunk)
            .exclude(status=CleaningApproval.Status.NOT_REGISTERED)
            .values_list("orgnr", flat=True)
        )
        in_staffing = set(
            StaffingApproval.objects.filter(orgnr__in=chunk)
            .exclude(status=NOT_REGISTERED_STAFFING)
            .values_list("orgnr", flat=True)
        )
        for company in Company.objects.filter(orgnr__in=chunk).select_related(
            "card_type", "parent"
        ):
            before = _company_facts(company)
            unit = units.get(company.orgnr)
            if unit and unit.name and unit.name != company.name:
                company.name = unit.name
            if unit and unit.organisation_form:
                company.organisation_form = unit.organisation_form
            main = parents.get(unit.parent_orgnr) if unit and unit.is_sub_unit else None
            if main is not None and main.pk != company.pk:
                company.parent = main
            if not company.is_staffing_agency and (
                company.orgnr in in_staffing
                or (unit is not None and unit.nace_code in STAFFING_NACE_CODES)
            ):
                company.is_staffing_agency = True
            if (
                cleaning is not None
                and company.orgnr in in_cleaning
                and company.is_main_unit
                and company.card_type_id != cleaning.pk
            ):
                company.card_type_id = cleaning.pk
            after = _company_facts(company)
            if after != before:
                moved = [k for k in COMPANY_FACTS if before[k] != after[k]]
                company.save(update_fields=[*moved, "updated_at"])
                record(
                    actor=Actor.system("registries"),
                    action="company.register_facts_applied",
                    target=company,
                    company=company,
                    data={k: [before[k], after[k]] for k in after if before[k] != after[k]},
                )
                changed += 1
    return changed


# The Company fields this module sets from the registers.
COMPANY_FACTS = (
    "name",
    "organisation_form",
    "parent",
    "is_staffing_agency",
    "card_type",
)


def _company_facts(company: Company) -> dict[str, Any]:
    return {
        "name": company.name,
        "organisation_form": company.organisation_form,
        "parent": company.parent.orgnr if company.parent else None,
        "is_staffing_agency": company.is_staffing_agency,
        "card_type": company.card_type.code if company.card_type else None,
    }


def _main_units_of_sub_units(orgnrs: Iterable[str]) -> set[str]:
    """The main units of these sub-units; each stored main unit that is not yet a company of
    the card register becomes one (named as the register names it)."""
    parents: set[str] = set()
    for chunk in _chunks(sorted(orgnrs), 1000):
        parents.update(
            BrregUnit.objects.filter(orgnr__in=chunk, is_sub_unit=True)
            .exclude(parent_orgnr="")
            .values_list("parent_orgnr", flat=True)
        )
    if not parents:
        return parents
    known = set(Company.objects.filter(orgnr__in=parents).values_list("orgnr", flat=True))
    for unit in BrregUnit.objects.filter(orgnr__in=parents - known, is_sub_unit=False):
        company = Company.objects.create(
            orgnr=unit.orgnr, name=unit.name, organisation_form=unit.organisation_form
        )
        record(
            actor=Actor.system("registries"),
            action="company.register_facts_applied",
            target=company,
            company=company,
            data={"created": "main unit of a sub-unit in the card register"},
        )
    return parents


NOT_REGISTERED_STAFFING = "Ikke registrert"


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
