"""Pages for people who act for companies. Every view passes the company access check."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from hmskort.audit.models import AuditEvent
from hmskort.audit.selectors import company_history, describe
from hmskort.audit.services import Actor
from hmskort.cards.models import CardState
from hmskort.cards.numbers import format_card_number
from hmskort.cards.rules import reason_text, reason_title
from hmskort.cards.selectors import (
    card_numbers,
    cards_for_company,
    cards_for_person,
    validity_counts,
)
from hmskort.companies.models import Company
from hmskort.companies.selectors import (
    companies_for,
    delegation_status,
    delegations_for,
    holder_name_for,
    role_holders,
    sub_units,
)
from hmskort.companies.services import DelegationError, grant_delegation, revoke_delegation
from hmskort.identifiers import format_orgnr, mask_national_id

from .access import PersonRequest, company_view, person_required
from .employees import to_act_on
from .forms import DelegationForm

PAGE_SIZE = 25

STATUS_LABELS = {
    "active": gettext_lazy("In force"),
    "scheduled": gettext_lazy("Not started yet"),
    "expired": gettext_lazy("Expired"),
    "revoked": gettext_lazy("Revoked"),
}
STATUS_COLORS = {
    "active": "success",
    "scheduled": "info",
    "expired": "neutral",
    "revoked": "danger",
}


def _actor(request: PersonRequest) -> Actor:
    return Actor.person(request.person.pk, request.person.full_name)


@require_GET
@person_required
def companies(request: PersonRequest) -> HttpResponse:
    entries = companies_for(request.person.national_id)
    if not entries and cards_for_person(request.person.pk).exists():
        # A worker with a card and no company role: their own cards are what they came for.
        return redirect("portal:my_cards")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/companies.html", {"page": page, "entries": page.object_list})


def _history_rows(events: list[AuditEvent]) -> list[dict]:
    """Each event in words (`audit.selectors.describe`); card events name the card (one query
    for the page)."""
    card_ids = [e.object_id for e in events if e.object_type == "cards.card"]
    numbers = card_numbers(card_ids)
    rows = []
    for event in events:
        described = describe(event)
        card_number = ""
        if event.object_type == "cards.card":
            card_number = format_card_number(numbers.get(int(event.object_id), "")) or ""
        rows.append(
            {
                "event": event,
                "label": described.label,
                "card": card_number,
                "actor": described.actor,
            }
        )
    return rows


def _delegation_rows(delegations) -> list[dict]:
    return [
        {
            "delegation": d,
            "masked": mask_national_id(d.national_id),
            "status": delegation_status(d),
            "status_label": STATUS_LABELS[delegation_status(d)],
            "status_color": STATUS_COLORS[delegation_status(d)],
        }
        for d in delegations
    ]


@require_GET
@company_view
def company_detail(request: PersonRequest, company: Company, access) -> HttpResponse:
    units = Paginator(sub_units(company), PAGE_SIZE).get_page(request.GET.get("units"))
    holders = [
        {"holder": h, "masked": mask_national_id(h.national_id)} for h in role_holders(company)
    ]
    # Access in force or not yet started leads; revoked and expired access is history.
    all_delegations = list(delegations_for(company))
    current = [d for d in all_delegations if delegation_status(d) in ("active", "scheduled")]
    past = [d for d in all_delegations if delegation_status(d) in ("revoked", "expired")]
    delegations = Paginator(current, PAGE_SIZE).get_page(request.GET.get("access"))
    past_delegations = Paginator(past, PAGE_SIZE).get_page(request.GET.get("past"))
    card_counts = validity_counts(company)
    return render(
        request,
        "portal/company.html",
        {
            "company": company,
            "orgnr": format_orgnr(company.orgnr),
            "access": access,
            "sub_units": units,
            "holders": holders,
            "delegations": delegations,
            "delegation_rows": _delegation_rows(delegations.object_list),
            "past_delegations": past_delegations,
            "past_delegation_rows": _delegation_rows(past_delegations.object_list),
            "card_counts": card_counts,
            "to_act_on": to_act_on(company),
        },
    )


@require_GET
@company_view
def company_history_page(request: PersonRequest, company: Company, access) -> HttpResponse:
    """The company's history (access given and revoked, cards ordered, issued, changed), newest
    first, a page at a time: behind a link from the company page, which leads with what to act
    on."""
    history = Paginator(company_history(company), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/company_history.html",
        {
            "company": company,
            "history": history,
            "events": _history_rows(list(history.object_list)),
        },
    )


CARD_FILTERS = {"valid": True, "not-valid": False}
FINISHED_STATES = ("lost", "stolen", "terminated", "replaced", "rejected")


@require_GET
@company_view
def company_cards(request: PersonRequest, company: Company, access) -> HttpResponse:
    """The cards of the company (a sub-unit shows its main unit's cards): valid or not, and why."""
    shown = request.GET.get("show", "")
    cards = cards_for_company(company, valid=CARD_FILTERS.get(shown))
    page = Paginator(cards, PAGE_SIZE).get_page(request.GET.get("page"))
    required_type = company.main_unit.card_type
    rows = [
        {
            "card": card,
            "number": format_card_number(card.number),
            "state": CardState(card.state).label if card.state in CardState.values else card.state,
            "reasons": [
                {"title": reason_title(code), "text": reason_text(code)} for code in card.reasons
            ],
            # The cleaning rule, also afterwards: a company turned cleaning company holds
            # construction cards it may no longer order.
            "wrong_type": bool(
                required_type is not None
                and required_type.requires_cleaning_approval
                and card.card_type_id != required_type.pk
                and card.state not in FINISHED_STATES
            ),
        }
        for card in page.object_list
    ]
    return render(
        request,
        "portal/company_cards.html",
        {"company": company, "page": page, "rows": rows, "shown": shown},
    )


@require_http_methods(["GET", "POST"])
@company_view
def delegation_new(request: PersonRequest, company: Company, access) -> HttpResponse:
    if not access.can_delegate:
        raise PermissionDenied(_("Only a holder of a role in the company can give access."))
    if not company.is_main_unit:
        return redirect("portal:delegation_new", orgnr=company.main_unit.orgnr)
    form = DelegationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            delegation = grant_delegation(
                company=company,
                grantor_national_id=request.person.national_id,
                actor=_actor(request),
                **form.cleaned_data,
            )
        except DelegationError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(
                request,
                _("%(name)s now has access to %(company)s.")
                % {"name": delegation.grantee_name, "company": company.name},
            )
            return redirect("portal:company", orgnr=company.orgnr)
    form.mark_invalid_fields()
    return render(request, "portal/delegation_new.html", {"company": company, "form": form})


def _delegation_of(company: Company, pk: int):
    delegation = delegations_for(company).filter(pk=pk).first()
    if delegation is None:
        raise Http404
    return delegation


@require_GET
@company_view
def delegation_detail(request: PersonRequest, company: Company, access, pk: int) -> HttpResponse:
    delegation = _delegation_of(company, pk)
    row = _delegation_rows([delegation])[0]
    granted_by = holder_name_for(delegation.granted_by_national_id) or mask_national_id(
        delegation.granted_by_national_id
    )
    return render(
        request,
        "portal/delegation.html",
        {"company": company, "access": access, "granted_by": granted_by, **row},
    )


@require_http_methods(["GET", "POST"])
@company_view
def delegation_revoke(request: PersonRequest, company: Company, access, pk: int) -> HttpResponse:
    delegation = _delegation_of(company, pk)
    if not access.can_delegate:
        raise PermissionDenied(_("Only a holder of a role in the company can revoke access."))
    if request.method == "POST":
        try:
            revoke_delegation(
                delegation=delegation,
                revoker_national_id=request.person.national_id,
                actor=_actor(request),
            )
        except DelegationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("The access of %(name)s is revoked.") % {"name": delegation.grantee_name},
            )
        return redirect("portal:company", orgnr=company.orgnr)
    row = _delegation_rows([delegation])[0]
    return render(request, "portal/delegation_revoke.html", {"company": company, **row})
