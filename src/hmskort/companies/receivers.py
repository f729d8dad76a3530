"""Companies announce their own changed facts, whichever code saved them (services, admin,
register adapters), from the model signals of Company and Role."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import OWNER_WORKER_ROLE_CODES, Company, Role
from .signals import company_facts_changed

# Company fields the card rules read.
COMPANY_FACT_FIELDS = frozenset(
    {"vat_exempt", "is_staffing_agency", "organisation_form", "parent", "orgnr"}
)


def company_saved(
    sender: type[Company],
    instance: Company,
    created: bool,
    update_fields: Iterable[str] | None = None,
    **kwargs: Any,
) -> None:
    if created or kwargs.get("raw"):
        return
    if update_fields is not None and not (set(update_fields) & COMPANY_FACT_FIELDS):
        return
    company_facts_changed.send(sender=Company, company_ids=[instance.pk], cause="company")


def role_changed(sender: type[Role], instance: Role, **kwargs: Any) -> None:
    if kwargs.get("raw") or instance.code not in OWNER_WORKER_ROLE_CODES:
        return
    company_facts_changed.send(sender=Role, company_ids=[instance.company_id], cause="role")
