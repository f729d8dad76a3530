"""Facts that live outside the registers' tables but still decide validity: the company's own
flags (VAT exemption recorded by the issuer, staffing agency, organisation form) and owner roles
of sole proprietorships and partnerships. When they change, the cards they touch are recomputed
after commit, whichever service changed them."""

from __future__ import annotations

from django.db import transaction

from hmskort.companies.models import OWNER_WORKER_ROLE_CODES, Company, Role

# Company fields the rules read.
COMPANY_FACT_FIELDS = frozenset(
    {"vat_exempt", "is_staffing_agency", "organisation_form", "parent", "orgnr"}
)


def company_saved(sender, instance: Company, created: bool, update_fields=None, **kwargs) -> None:
    if created or kwargs.get("raw"):
        return
    if update_fields is not None and not (set(update_fields) & COMPANY_FACT_FIELDS):
        return
    company_id = instance.parent_id or instance.pk

    def recompute() -> None:
        from .services import recompute_cards

        recompute_cards(company_ids=[company_id], cause="company")

    transaction.on_commit(recompute)


def role_changed(sender, instance: Role, **kwargs) -> None:
    if kwargs.get("raw") or instance.code not in OWNER_WORKER_ROLE_CODES:
        return
    company_id, national_id = instance.company_id, instance.national_id

    def recompute() -> None:
        from .models import Card
        from .services import recompute_cards

        ids = list(
            Card.objects.filter(company_id=company_id, holder__national_id=national_id).values_list(
                "pk", flat=True
            )
        )
        if ids:
            recompute_cards(card_ids=ids, cause="role")

    transaction.on_commit(recompute)
