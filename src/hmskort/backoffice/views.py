"""Pages for the issuer's staff. Every view passes `staff_view` with the roles it allows."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hmskort.accounts.staff import StaffRole, roles_of, staff_actor
from hmskort.audit.selectors import company_history, describe
from hmskort.cards import services as card_services
from hmskort.cards.models import CardState
from hmskort.cards.numbers import format_card_number
from hmskort.cards.rules import reason_text, reason_title
from hmskort.cards.selectors import card_by_id, card_history, cards_for_company, cards_matching
from hmskort.companies.models import Company
from hmskort.companies.selectors import companies_matching
from hmskort.companies.services import company_set_vat_exemption
from hmskort.identifiers import format_orgnr, mask_national_id

from .access import staff_view
from .forms import BlockForm, NoteForm, SearchForm, VatExemptionForm

R = StaffRole


def _errors(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


@require_GET
@staff_view()
def home(request: HttpRequest) -> HttpResponse:
    roles = [StaffRole(r).label for r in StaffRole.values if r in roles_of(request.user)]
    return render(request, "backoffice/home.html", {"roles": roles})


# --- Support: find a card, person or company; history; block, unblock, terminate; loss -------


@require_GET
@staff_view(R.SUPPORT)
def support(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    cards, companies = [], []
    if form.is_valid():
        cards = cards_matching(form.cleaned_data["q"])
        companies = companies_matching(form.cleaned_data["q"])
    rows = [
        {
            "card": c,
            "number": format_card_number(c.number),
            "masked": mask_national_id(c.holder.national_id),
            "state": CardState(c.state).label,
        }
        for c in cards
    ]
    return render(
        request,
        "backoffice/support.html",
        {
            "form": form,
            "rows": rows,
            "companies": [{"company": c, "orgnr": format_orgnr(c.orgnr)} for c in companies],
            "searched": form.is_bound,
        },
    )


def _card_or_404(card_id: int):
    card = card_by_id(card_id)
    if card is None:
        raise Http404
    return card


CARD_ACTIONS = ("lost", "stolen", "block", "unblock", "terminate")


@require_GET
@staff_view(R.SUPPORT, R.VERIFIER, R.PRODUCTION)
def card_detail(request: HttpRequest, pk: int) -> HttpResponse:
    card = _card_or_404(pk)
    history = [
        {"event": e, "described": describe(e)} for e in card_history(card).order_by("-at")[:100]
    ]
    allowed = set(card_services.TRANSITIONS.get(card.state, frozenset()))
    actions = {
        "lost": CardState.LOST in allowed,
        "stolen": CardState.STOLEN in allowed,
        "block": CardState.BLOCKED in allowed,
        "unblock": card.state == CardState.BLOCKED,
        "terminate": CardState.TERMINATED in allowed,
    }
    can_act = R.SUPPORT in roles_of(request.user) or R.ADMINISTRATOR in roles_of(request.user)
    return render(
        request,
        "backoffice/card.html",
        {
            "card": card,
            "number": format_card_number(card.number),
            "masked": mask_national_id(card.holder.national_id),
            "orgnr": format_orgnr(card.company.orgnr),
            "state": CardState(card.state).label,
            "reasons": [{"title": reason_title(r), "text": reason_text(r)} for r in card.reasons],
            "history": history,
            "actions": actions if can_act else {},
            "block_form": BlockForm(),
            "note_form": NoteForm(),
        },
    )


@require_POST
@staff_view(R.SUPPORT)
def card_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    card = _card_or_404(pk)
    if action not in CARD_ACTIONS:
        raise Http404
    actor = staff_actor(request.user)
    try:
        if action == "lost":
            card_services.card_report_lost(card=card, actor=actor)
        elif action == "stolen":
            card_services.card_report_stolen(card=card, actor=actor)
        elif action == "block":
            form = BlockForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            card_services.card_block(card=card, actor=actor, reason=reason)
        elif action == "unblock":
            card_services.card_unblock(card=card, actor=actor)
        else:
            note_form = NoteForm(request.POST)
            note = note_form.cleaned_data["note"] if note_form.is_valid() else ""
            card_services.card_terminate(card=card, actor=actor, note=note)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        card.refresh_from_db()
        messages.success(
            request,
            _("Card %(number)s is now: %(state)s.")
            % {"number": format_card_number(card.number), "state": CardState(card.state).label},
        )
    return redirect("backoffice:card", pk=card.pk)


def _company_or_404(orgnr: str) -> Company:
    company = Company.objects.select_related("parent").filter(orgnr=orgnr).first()
    if company is None:
        raise Http404
    return company


@require_http_methods(["GET", "POST"])
@staff_view(R.SUPPORT)
def company_detail(request: HttpRequest, orgnr: str) -> HttpResponse:
    company = _company_or_404(orgnr)
    main = company.main_unit
    form = VatExemptionForm(
        request.POST or None, initial={"exempt": main.vat_exempt, "note": main.vat_exempt_note}
    )
    if request.method == "POST" and form.is_valid():
        try:
            company_set_vat_exemption(
                company=main,
                exempt=form.cleaned_data["exempt"],
                note=form.cleaned_data["note"],
                actor=staff_actor(request.user),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Saved."))
            return redirect("backoffice:company", orgnr=company.orgnr)
    cards = [
        {"card": c, "number": format_card_number(c.number), "state": CardState(c.state).label}
        for c in cards_for_company(main)[:50]
    ]
    history = [{"event": e, "described": describe(e)} for e in company_history(main)[:50]]
    return render(
        request,
        "backoffice/company.html",
        {
            "company": company,
            "main": main,
            "orgnr": format_orgnr(company.orgnr),
            "form": form,
            "cards": cards,
            "history": history,
        },
        status=400 if form.errors else 200,
    )
