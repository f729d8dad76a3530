"""Prices with effective dates (administrators)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from hmskort.accounts.staff import StaffRole, staff_actor
from hmskort.cards.models import CardType
from hmskort.orders.prices import price_list, price_schedule

from .access import staff_view


class PriceForm(forms.Form):
    card_type = forms.ModelChoiceField(
        label=gettext_lazy("Card type"),
        queryset=CardType.objects.filter(is_active=True),
        widget=forms.Select(attrs={"class": "ds-input"}),
    )
    amount_ex_vat = forms.DecimalField(
        label=gettext_lazy("Price per card in NOK, VAT not included"),
        max_digits=10,
        decimal_places=2,
        widget=forms.TextInput(attrs={"class": "ds-input", "inputmode": "decimal"}),
    )
    valid_from = forms.DateField(
        label=gettext_lazy("Valid from"),
        widget=forms.DateInput(attrs={"class": "ds-input", "type": "date"}, format="%Y-%m-%d"),
    )


@require_http_methods(["GET", "POST"])
@staff_view(StaffRole.ADMINISTRATOR)
def prices(request: HttpRequest) -> HttpResponse:
    form = PriceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            price_schedule(actor=staff_actor(request.user), **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The price is saved."))
            return redirect("backoffice:prices")
    today = timezone.localdate()
    rows, in_force = [], set()
    for price in price_list():
        if price.valid_from > today:
            status = _("Scheduled")
        elif price.card_type_id not in in_force:
            in_force.add(price.card_type_id)
            status = _("In force")
        else:
            status = _("Earlier")
        rows.append({"price": price, "status": status})
    return render(
        request,
        "backoffice/prices.html",
        {"form": form, "rows": rows},
        status=400 if form.errors else 200,
    )
