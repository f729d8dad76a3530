"""Renewal in one step: choose the company's expiring cards (from the employees' overview or the
expiry e-mail) and a delivery address, then the order summary with price and VAT, and place it.

The same order flow as any order (`portal:order_review`, `orders.services.order_place` with each
card to renew); the form's one-time key makes a double submit one order.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hmskort.cards.numbers import format_card_number
from hmskort.companies.models import Company
from hmskort.companies.selectors import delivery_addresses
from hmskort.orders import selectors as order_reads
from hmskort.orders import services as orders

from .access import PersonRequest, company_view
from .forms import RenewForm
from .ordering import DRAFT_KEY


@require_http_methods(["GET", "POST"])
@company_view
def renew(request: PersonRequest, company: Company, access) -> HttpResponse:
    cards = list(order_reads.renewable_cards(company))
    for card in cards:
        card.label = _("%(name)s, card %(number)s, expires %(date)s") % {  # type: ignore[attr-defined]
            "name": card.holder.full_name,
            "number": format_card_number(card.number),
            "date": formats.date_format(card.expires_on) if card.expires_on else "",
        }
    addresses = list(delivery_addresses(company))
    asked = {n.replace(" ", "") for n in request.GET.getlist("card")}
    initial = {"cards": [c.pk for c in cards if c.number in asked]}
    form = RenewForm(request.POST or None, initial=initial, cards=cards, addresses=addresses)
    if request.method == "POST" and form.is_valid():
        chosen = {c.pk: c for c in cards}
        request.session[DRAFT_KEY] = {
            "key": form.cleaned_data["key"],
            "orgnr": company.orgnr,
            "holders": [
                {"person_id": chosen[pk].holder_id, "renews_card_id": pk}
                for pk in form.cleaned_data["cards"]
            ],
            "address": form.cleaned_data["delivery_address"],
            "renewal": True,
        }
        return redirect("portal:order_review", orgnr=company.orgnr)
    return render(
        request,
        "portal/renew.html",
        {
            "company": company,
            "form": form,
            "cards": cards,
            "addresses": addresses,
            "card_type": orders.card_type_for(company.main_unit),
        },
        status=400 if form.errors else 200,
    )
