"""Reads about companies, and THE access check for company data.

`access_for` is the one answer to "may this person see this company's data?": an ordering role in
the main unit, or a delegation in force on it, covers the main unit and every sub-unit. A role
registered on a sub-unit gives no access: the cards and the delegations are the main unit's (the
legal entity's), and only its roles speak for it (docs/login.md). Every portal view and the
delegation services go through it (see hmskort.portal.access).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import ORDERING_ROLE_CODES, Company, Delegation, DeliveryAddress, Role

ROLE = "role"
DELEGATION = "delegation"


@dataclass(frozen=True)
class Access:
    """Why a person may see a company: ordering roles, or a delegation (by id)."""

    company: Company
    # The unit the access was given on: the company itself or its main unit.
    via: Company
    kind: str  # ROLE or DELEGATION
    role_codes: tuple[str, ...] = ()
    delegation_id: int | None = None
    delegation_ends_on: dt.date | None = None

    @property
    def can_delegate(self) -> bool:
        """Only role holders grant and revoke access; a delegate cannot delegate further."""
        return self.kind == ROLE


def _units(company: Company) -> list[int]:
    return [company.pk, company.parent_id] if company.parent_id else [company.pk]


def delegations_in_force(today: dt.date | None = None) -> QuerySet[Delegation]:
    today = today or timezone.localdate()
    return Delegation.objects.filter(
        Q(starts_on__isnull=True) | Q(starts_on__lte=today),
        Q(ends_on__isnull=True) | Q(ends_on__gte=today),
        revoked_at__isnull=True,
    )


def access_for(
    national_id: str | None, company: Company, *, today: dt.date | None = None
) -> Access | None:
    """The access a person has to a company (main unit covering sub-units), or None."""
    if not national_id or company is None:
        return None
    units = _units(company)
    main = company.main_unit
    held = Role.objects.filter(
        company_id=main.pk, national_id=national_id, code__in=ORDERING_ROLE_CODES
    ).values_list("code", flat=True)
    codes = tuple(sorted(set(held)))
    if codes:
        return Access(company=company, via=main, kind=ROLE, role_codes=codes)
    delegation = (
        delegations_in_force(today)
        .filter(company_id__in=units, national_id=national_id)
        .order_by("ends_on", "pk")
        .first()
    )
    if delegation:
        via = company if delegation.company_id == company.pk else company.main_unit
        return Access(
            company=company,
            via=via,
            kind=DELEGATION,
            delegation_id=delegation.pk,
            delegation_ends_on=delegation.ends_on,
        )
    return None


def main_units_with_access(
    national_ids: list[str], *, today: dt.date | None = None
) -> dict[str, set[int]]:
    """For each of these people, the main units they have ordering access to, by `access_for`'s
    rule: an ordering role in the main unit, or a delegation in force given on the main unit
    itself (a delegation on a sub-unit covers only that sub-unit). Two queries in all; used for
    the alert e-mails, which speak of a main unit's cards."""
    found: dict[str, set[int]] = {nid: set() for nid in national_ids}
    roles = Role.objects.filter(
        national_id__in=national_ids, code__in=ORDERING_ROLE_CODES, company__parent__isnull=True
    ).values_list("national_id", "company_id")
    delegations = (
        delegations_in_force(today)
        .filter(national_id__in=national_ids, company__parent__isnull=True)
        .values_list("national_id", "company_id")
    )
    for national_id, company_id in [*roles, *delegations]:
        found.setdefault(national_id, set()).add(company_id)
    return found


@dataclass
class CompanyEntry:
    """One line of "My companies": the company and every reason the person has access."""

    company: Company
    role_codes: list[str] = field(default_factory=list)
    delegations: list[Delegation] = field(default_factory=list)

    @property
    def can_delegate(self) -> bool:
        return bool(self.role_codes)


def companies_for(national_id: str, *, today: dt.date | None = None) -> list[CompanyEntry]:
    """Every company the person holds an ordering role in or has a delegation in force for."""
    entries: dict[int, CompanyEntry] = {}
    roles = (
        Role.objects.filter(
            national_id=national_id, code__in=ORDERING_ROLE_CODES, company__parent__isnull=True
        )
        .select_related("company")
        .order_by("company__name", "code")
    )
    for role in roles:
        entry = entries.setdefault(role.company_id, CompanyEntry(company=role.company))
        if role.code not in entry.role_codes:
            entry.role_codes.append(role.code)
    delegations = (
        delegations_in_force(today)
        .filter(national_id=national_id)
        .select_related("company")
        .order_by("company__name", "pk")
    )
    for delegation in delegations:
        entry = entries.setdefault(delegation.company_id, CompanyEntry(company=delegation.company))
        entry.delegations.append(delegation)
    return sorted(entries.values(), key=lambda e: (e.company.name.casefold(), e.company.orgnr))


@dataclass(frozen=True)
class AccessHolder:
    """A line of "who has access" on a company page."""

    kind: str  # ROLE or DELEGATION
    name: str
    national_id: str
    via: Company
    role_codes: tuple[str, ...] = ()
    delegation: Delegation | None = None
    read_at: dt.datetime | None = None  # when the roles were last read from their source


def role_holders(company: Company) -> list[AccessHolder]:
    """The main unit's ordering role holders (the ones with access), one line per person."""
    rows = (
        Role.objects.filter(company_id=company.main_unit.pk, code__in=ORDERING_ROLE_CODES)
        .select_related("company")
        .order_by("company_id", "holder_name", "national_id", "code")
    )
    grouped: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        line = grouped.setdefault(
            (row.company_id, row.national_id),
            {"name": row.holder_name, "via": row.company, "codes": [], "read_at": row.read_at},
        )
        line["codes"].append(row.code)
        line["read_at"] = min(line["read_at"], row.read_at)
    return [
        AccessHolder(
            kind=ROLE,
            name=line["name"],
            national_id=national_id,
            via=line["via"],
            role_codes=tuple(line["codes"]),
            read_at=line["read_at"],
        )
        for (_, national_id), line in grouped.items()
    ]


def delegations_for(company: Company) -> QuerySet[Delegation]:
    """Delegations given on the company or its main unit, newest first (revoked ones included)."""
    return Delegation.objects.filter(company_id__in=_units(company)).select_related("company")


def delegation_status(delegation: Delegation, today: dt.date | None = None) -> str:
    """'revoked', 'expired', 'scheduled' or 'active'."""
    today = today or timezone.localdate()
    if delegation.revoked_at:
        return "revoked"
    if delegation.ends_on and delegation.ends_on < today:
        return "expired"
    if delegation.starts_on and delegation.starts_on > today:
        return "scheduled"
    return "active"


def holder_name_for(national_id: str) -> str:
    """The name a roles source gave for this person ("" if none): ID-porten gives no name."""
    name = (
        Role.objects.filter(national_id=national_id)
        .exclude(holder_name="")
        .order_by("-read_at")
        .values_list("holder_name", flat=True)
        .first()
    )
    return name or ""


def persons_for_test_login() -> list[dict[str, Any]]:
    """Persons who may act for a company according to the local data, for the test login.

    Read from the database (local roles and delegations in force), so it works with any data.
    """
    persons: dict[str, dict[str, Any]] = {}
    roles = (
        Role.objects.filter(
            source="local", code__in=ORDERING_ROLE_CODES, company__parent__isnull=True
        )
        .select_related("company")
        .order_by("holder_name", "national_id", "company__name")
    )
    for role in roles:
        person = persons.setdefault(
            role.national_id,
            {"national_id": role.national_id, "name": role.holder_name, "companies": []},
        )
        person["companies"].append(f"{role.company.name} ({role.code})")
    for delegation in delegations_in_force().select_related("company").order_by("grantee_name"):
        person = persons.setdefault(
            delegation.national_id,
            {
                "national_id": delegation.national_id,
                "name": delegation.grantee_name,
                "companies": [],
            },
        )
        person["companies"].append(f"{delegation.company.name} ({DELEGATION})")
    return sorted(persons.values(), key=lambda p: (p["name"].casefold(), p["national_id"]))


def sub_units(company: Company) -> QuerySet[Company]:
    return Company.objects.filter(parent=company).order_by("name", "orgnr")


def delivery_addresses(company: Company, *, archived: bool = False) -> QuerySet[DeliveryAddress]:
    """The main unit's delivery addresses in use (or the archived ones)."""
    return DeliveryAddress.objects.filter(
        company=company.main_unit, archived_at__isnull=not archived
    ).order_by("recipient", "street", "pk")


def companies_matching(query: str, *, limit: int = 50) -> list[Company]:
    """Companies whose organisation number is `query` (spaces allowed) or whose name contains
    it, main units first."""
    query = query.strip()
    digits = query.replace(" ", "")
    qs = Company.objects.select_related("parent")
    if digits.isascii() and digits.isdigit():
        qs = qs.filter(orgnr=digits)
    elif len(query) >= 2:
        qs = qs.filter(name__icontains=query)
    else:
        return []
    return list(qs.order_by("parent_id", "name")[:limit])
