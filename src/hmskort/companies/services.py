"""State changes for companies: roles read from a source, and delegations of access.

Every change is audited in the same transaction, with the company, so it shows in its history.
Audit data never holds a national ID number: persons appear masked or by primary key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hmskort.audit.services import Actor, record
from hmskort.identifiers import (
    InvalidIdentifier,
    mask_national_id,
    parse_national_id,
    parse_postcode,
)

from .models import ORDERING_ROLE_CODES, Company, Delegation, DeliveryAddress, Role
from .roles import CompanyRoleSource, RoleFact, RoleSource, RoleSourceError, configured_source
from .selectors import ROLE, access_for


class DelegationError(Exception):
    """A delegation cannot be made or changed. `field` names the form field, `message` says why."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class RolesRefresh:
    read: int
    added: int
    removed: int
    failed: bool = False


def _store_roles(
    *, source_name: str, facts: list[RoleFact], scope: dict[str, Any], read_at: dt.datetime
) -> tuple[int, int]:
    """Make the stored roles of `source_name` within `scope` equal `facts`; returns (added, removed)."""
    wanted = {(f.orgnr, f.national_id, f.code): f for f in facts if f.code in ORDERING_ROLE_CODES}
    orgnrs = {orgnr for orgnr, _, _ in wanted}
    companies = {c.orgnr: c for c in Company.objects.filter(orgnr__in=orgnrs)}
    for fact in wanted.values():
        if fact.orgnr not in companies:
            companies[fact.orgnr], _ = Company.objects.get_or_create(
                orgnr=fact.orgnr, defaults={"name": fact.company_name or fact.orgnr}
            )
    existing = {
        (role.company.orgnr, role.national_id, role.code): role
        for role in Role.objects.filter(source=source_name, **scope).select_related("company")
    }
    added = removed = 0
    for key, role in existing.items():
        if key not in wanted:
            record(
                actor=Actor.system(f"roles:{source_name}"),
                action="role.removed",
                target=role,
                company=role.company,
                data={"code": role.code, "holder": role.holder_name},
            )
            role.delete()
            removed += 1
    for key, fact in wanted.items():
        company = companies[fact.orgnr]
        found = existing.get(key)
        if found is None:
            role, created = Role.objects.update_or_create(
                company=company,
                national_id=fact.national_id,
                code=fact.code,
                defaults={
                    "holder_name": fact.holder_name,
                    "source": source_name,
                    "read_at": read_at,
                },
            )
            if created:
                added += 1
                record(
                    actor=Actor.system(f"roles:{source_name}"),
                    action="role.added",
                    target=role,
                    company=company,
                    data={"code": role.code, "holder": role.holder_name},
                )
        else:
            found.read_at = read_at
            found.holder_name = fact.holder_name or found.holder_name
            found.save(update_fields=["read_at", "holder_name"])
    return added, removed


def refresh_roles_for_person(*, national_id: str, source: RoleSource | None = None) -> RolesRefresh:
    """Re-read a person's roles (at login). A failing source keeps the roles already stored."""
    source = source or configured_source()
    try:
        facts = source.roles_for_person(national_id)
    except RoleSourceError:
        return RolesRefresh(read=0, added=0, removed=0, failed=True)
    with transaction.atomic():
        added, removed = _store_roles(
            source_name=source.name,
            facts=[f for f in facts if f.national_id == national_id],
            scope={"national_id": national_id},
            read_at=timezone.now(),
        )
    return RolesRefresh(read=len(facts), added=added, removed=removed)


def refresh_roles_for_company(*, orgnr: str, source: CompanyRoleSource) -> RolesRefresh:
    """Re-read every ordering role of one company from a company-keyed source."""
    facts = source.roles_for_company(orgnr)
    with transaction.atomic():
        added, removed = _store_roles(
            source_name=source.name,
            facts=facts,
            scope={"company__orgnr": orgnr},
            read_at=timezone.now(),
        )
    return RolesRefresh(read=len(facts), added=added, removed=removed)


@transaction.atomic
def import_local_roles(*, facts: list[RoleFact]) -> RolesRefresh:
    """Replace the local roles of every company named in `facts` (the file import)."""
    orgnrs = sorted({f.orgnr for f in facts})
    added = removed = 0
    now = timezone.now()
    for orgnr in orgnrs:
        a, r = _store_roles(
            source_name="local",
            facts=[f for f in facts if f.orgnr == orgnr],
            scope={"company__orgnr": orgnr},
            read_at=now,
        )
        added += a
        removed += r
    return RolesRefresh(read=len(facts), added=added, removed=removed)


def _delegation_data(delegation: Delegation) -> dict[str, Any]:
    return {
        "delegation_id": delegation.pk,
        "grantee": delegation.grantee_name,
        "grantee_id": mask_national_id(delegation.national_id),
        "starts_on": delegation.starts_on.isoformat() if delegation.starts_on else None,
        "ends_on": delegation.ends_on.isoformat() if delegation.ends_on else None,
    }


@transaction.atomic
def grant_delegation(
    *,
    company: Company,
    grantor_national_id: str,
    actor: Actor,
    national_id: str,
    grantee_name: str,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> Delegation:
    """A role holder gives a person access to a main unit (and so its sub-units).

    Submitting the same delegation twice returns the first one.
    """
    # Serialise grants for one company, so a double submit cannot create two delegations.
    company = Company.objects.select_for_update().get(pk=company.pk)
    access = access_for(grantor_national_id, company)
    if access is None or access.kind != ROLE:
        raise DelegationError(_("Only a holder of a role in the company can give access."))
    if not company.is_main_unit:
        raise DelegationError(_("Access is given on the main unit; it covers its sub-units."))
    try:
        grantee = parse_national_id(
            national_id, allow_test=settings.HMSKORT_ALLOW_TEST_IDENTITIES
        ).number
    except InvalidIdentifier as exc:
        raise DelegationError(str(exc), field="national_id") from None
    grantee_name = " ".join(grantee_name.split())
    if not grantee_name:
        raise DelegationError(_("Enter the person's name."), field="grantee_name")
    today = timezone.localdate()
    if ends_on and ends_on < today:
        raise DelegationError(_("The end date cannot be in the past."), field="ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        raise DelegationError(
            _("The end date must be on or after the start date."), field="ends_on"
        )
    if starts_on and starts_on < today:
        raise DelegationError(_("The start date cannot be in the past."), field="starts_on")
    grantee_access = access_for(grantee, company)
    if grantee_access and grantee_access.kind == ROLE:
        raise DelegationError(
            _("This person already has access through a role in the company."), field="national_id"
        )
    same = Delegation.objects.filter(
        company=company,
        national_id=grantee,
        starts_on=starts_on,
        ends_on=ends_on,
        revoked_at__isnull=True,
    ).first()
    if same:
        return same
    current = (
        Delegation.objects.filter(company=company, national_id=grantee, revoked_at__isnull=True)
        .exclude(ends_on__lt=today)
        .first()
    )
    if current:
        raise DelegationError(
            _(
                "This person already has access given by the company. Revoke it first to give "
                "access for other dates."
            ),
            field="national_id",
        )
    delegation = Delegation.objects.create(
        company=company,
        national_id=grantee,
        grantee_name=grantee_name,
        granted_by_national_id=grantor_national_id,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    record(
        actor=actor,
        action="delegation.granted",
        target=delegation,
        company=company,
        data=_delegation_data(delegation),
    )
    return delegation


@transaction.atomic
def revoke_delegation(
    *, delegation: Delegation, revoker_national_id: str, actor: Actor
) -> Delegation:
    """A role holder ends a delegation now. Revoking twice changes nothing the second time."""
    delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
    access = access_for(revoker_national_id, delegation.company)
    if access is None or access.kind != ROLE:
        raise DelegationError(_("Only a holder of a role in the company can revoke access."))
    if delegation.revoked_at:
        return delegation
    delegation.revoked_at = timezone.now()
    delegation.revoked_by_national_id = revoker_national_id
    delegation.save(update_fields=["revoked_at", "revoked_by_national_id"])
    record(
        actor=actor,
        action="delegation.revoked",
        target=delegation,
        company=delegation.company,
        data=_delegation_data(delegation),
    )
    return delegation


# --- Delivery addresses -----------------------------------------------------------------------

ADDRESS_FIELDS = ("recipient", "attention", "street", "postcode", "city")
_ADDRESS_LIMITS = {"recipient": 200, "attention": 200, "street": 200, "city": 100}


def _clean_address(values: dict[str, Any]) -> dict[str, Any]:
    """Trimmed values; every problem at once, per field, in the user's language."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in ADDRESS_FIELDS:
        cleaned[name] = " ".join(str(values.get(name) or "").split())
    for name in ("recipient", "street", "city"):
        if not cleaned[name]:
            errors[name] = _("This field is required.")
    for name, limit in _ADDRESS_LIMITS.items():
        if len(cleaned[name]) > limit:
            errors[name] = _("At most %(n)s characters.") % {"n": limit}
    try:
        cleaned["postcode"] = parse_postcode(cleaned["postcode"])
    except InvalidIdentifier as exc:
        errors["postcode"] = str(exc)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _address_data(address: DeliveryAddress) -> dict[str, Any]:
    return {"address_id": address.pk, "address": ", ".join(address.lines())}


@transaction.atomic
def delivery_address_add(*, company: Company, actor: Actor, **values: Any) -> DeliveryAddress:
    """Add a delivery address to a main unit. The same address twice is kept once."""
    main = Company.objects.select_for_update().get(pk=company.main_unit.pk)
    cleaned = _clean_address(values)
    same = DeliveryAddress.objects.filter(company=main, archived_at__isnull=True, **cleaned).first()
    if same:
        return same
    address = DeliveryAddress.objects.create(company=main, **cleaned)
    record(
        actor=actor,
        action="address.added",
        target=address,
        company=main,
        data=_address_data(address),
    )
    return address


@transaction.atomic
def delivery_address_update(
    *, address: DeliveryAddress, actor: Actor, **values: Any
) -> DeliveryAddress:
    """Change an address. Orders already placed keep the address as it was."""
    address = DeliveryAddress.objects.select_for_update().get(pk=address.pk)
    cleaned = _clean_address(values)
    if all(getattr(address, k) == v for k, v in cleaned.items()):
        return address
    for name, value in cleaned.items():
        setattr(address, name, value)
    address.save()
    record(
        actor=actor,
        action="address.changed",
        target=address,
        company=address.company,
        data=_address_data(address),
    )
    return address


@transaction.atomic
def delivery_address_archive(*, address: DeliveryAddress, actor: Actor) -> DeliveryAddress:
    """Stop offering an address; archiving twice changes nothing the second time."""
    address = DeliveryAddress.objects.select_for_update().get(pk=address.pk)
    if address.archived_at is None:
        address.archived_at = timezone.now()
        address.save(update_fields=["archived_at", "updated_at"])
        record(
            actor=actor,
            action="address.archived",
            target=address,
            company=address.company,
            data=_address_data(address),
        )
    return address


@transaction.atomic
def company_set_vat_exemption(
    *, company: Company, exempt: bool, note: str, actor: Actor
) -> Company:
    """Record (or lift) the issuer's exemption from the VAT register duty for a main unit.

    An exemption needs a reason. The cards of the company are recomputed (the duty is one of
    the rules), through `company_facts_changed`.
    """
    from django.core.exceptions import ValidationError

    from .signals import company_facts_changed

    company = Company.objects.select_for_update().get(pk=company.main_unit.pk)
    note = note.strip()[:300]
    if exempt and not note:
        raise ValidationError({"note": _("Say why the company is exempt.")})
    if company.vat_exempt == exempt and company.vat_exempt_note == (note if exempt else ""):
        return company
    company.vat_exempt = exempt
    company.vat_exempt_note = note if exempt else ""
    company.save(update_fields=["vat_exempt", "vat_exempt_note", "updated_at"])
    record(
        actor=actor,
        action="company.vat_exemption_recorded" if exempt else "company.vat_exemption_lifted",
        target=company,
        company=company,
        data={"note": company.vat_exempt_note},
    )
    company_facts_changed.send(
        sender=Company, company_ids=[company.pk], cause="company.vat_exemption"
    )
    return company
