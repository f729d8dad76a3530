"""Back-office pages for invoicing: the invoices (support reads them, administrators also make
invoices and credit notes), the CSV for the accounting system and EHF (UBL) files."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hmskort.accounts.staff import StaffRole, has_role, staff_actor
from hmskort.cards.numbers import format_card_number
from hmskort.identifiers import format_orgnr
from hmskort.orders import ehf, invoicing
from hmskort.orders.invoicing_models import CreditNote, Invoice

from .access import staff_view

R = StaffRole
READERS = (R.SUPPORT, R.ADMINISTRATOR)
PAGE_SIZE = 50


class _Form(forms.Form):
    def mark_invalid_fields(self) -> None:
        """aria-invalid on each field with an error, described by the error summary."""
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = "error-summary"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(attrs={"class": "ds-input"}, format="%Y-%m-%d")


class FilterForm(_Form):
    company = forms.CharField(
        label=gettext_lazy("Company (organisation number or name)"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"class": "ds-input", "type": "search"}),
    )
    date_from = forms.DateField(
        label=gettext_lazy("Issued from"), required=False, widget=DateInput()
    )
    date_to = forms.DateField(label=gettext_lazy("Issued to"), required=False, widget=DateInput())
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All")), *Invoice.Status.choices],
        widget=forms.Select(attrs={"class": "ds-input"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data


class CreditForm(_Form):
    lines = forms.MultipleChoiceField(
        label=gettext_lazy("Cards to credit"), choices=[], widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(
        label=gettext_lazy("Why they are credited (printed on the credit note)"),
        max_length=500,
        widget=forms.TextInput(attrs={"class": "ds-input", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["lines"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = choices


def _filters(form: FilterForm) -> dict[str, Any]:
    if not form.is_valid():
        return {}
    data = form.cleaned_data
    return {
        "company": data.get("company") or "",
        "date_from": data.get("date_from"),
        "date_to": data.get("date_to"),
    }


def _query_without_page(request: HttpRequest) -> str:
    return urlencode([(k, str(v)) for k, v in request.GET.items() if k != "page" and v])


@require_GET
@staff_view(*READERS)
def invoices(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    filters = _filters(form) if request.GET else {}
    status = form.cleaned_data.get("status", "") if request.GET and form.is_valid() else ""
    if form.errors:
        form.mark_invalid_fields()
        found = Invoice.objects.none()
    else:
        found = invoicing.invoices(**filters, status=status)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"invoice": i, "orgnr": format_orgnr(i.buyer_orgnr)} for i in page]
    can_invoice = has_role(request.user, R.ADMINISTRATOR)
    return render(
        request,
        "backoffice/invoices.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "keep": _query_without_page(request),
            "waiting": invoicing.orders_to_invoice().count(),
            "can_invoice": can_invoice,
        },
        status=400 if form.errors else 200,
    )


@require_POST
@staff_view(R.ADMINISTRATOR)
def invoices_make(request: HttpRequest) -> HttpResponse:
    """Invoice every order with shipped cards not invoiced yet (a second submit finds none)."""
    try:
        made = invoicing.invoice_shipped(
            actor=staff_actor(request.user), staff=request.user.get_username()
        )
    except ValidationError as exc:
        messages.error(request, " ".join(str(m) for m in exc.messages))
        return redirect("backoffice:invoices")
    if made:
        numbers = [i.number for i in made]
        messages.success(
            request,
            _("%(n)s invoices made: numbers %(first)s to %(last)s.")
            % {"n": len(made), "first": min(numbers), "last": max(numbers)}
            if len(made) > 1
            else _("Invoice %(number)s made.") % {"number": numbers[0]},
        )
    else:
        messages.info(request, _("No shipped cards wait for an invoice."))
    return redirect("backoffice:invoices")


def _invoice_or_404(number: int) -> Invoice:
    invoice = Invoice.objects.select_related("order", "company").filter(number=number).first()
    if invoice is None:
        raise Http404
    return invoice


def _credit_choices(invoice: Invoice) -> list[tuple[str, str]]:
    return [
        (str(line.pk), f"{format_card_number(line.card_number)}: {line.holder_name}")
        for line in invoicing.lines_waiting_for_credit(invoice)
    ]


def _detail(request: HttpRequest, invoice: Invoice, form: CreditForm, status: int) -> HttpResponse:
    lines = list(invoicing.invoice_lines(invoice))
    rows = [
        {
            "line": line,
            "number": format_card_number(line.card_number),
            "state": line.order_line.card.get_state_display(),
            "credit_note": line.credit_line.credit_note if hasattr(line, "credit_line") else None,
        }
        for line in lines
    ]
    return render(
        request,
        "backoffice/invoice.html",
        {
            "invoice": invoice,
            "orgnr": format_orgnr(invoice.buyer_orgnr),
            "seller_orgnr": format_orgnr(invoice.seller.get("orgnr", "")),
            "vat_percent": (invoice.vat_rate * 100).normalize(),
            "rows": rows,
            "credit_notes": list(invoice.credit_notes.order_by("number")),
            "form": form,
            "can_credit": has_role(request.user, R.ADMINISTRATOR),
        },
        status=status,
    )


@require_GET
@staff_view(*READERS)
def invoice_detail(request: HttpRequest, number: int) -> HttpResponse:
    invoice = _invoice_or_404(number)
    return _detail(request, invoice, CreditForm(choices=_credit_choices(invoice)), 200)


@require_http_methods(["POST"])
@staff_view(R.ADMINISTRATOR)
def invoice_credit(request: HttpRequest, number: int) -> HttpResponse:
    invoice = _invoice_or_404(number)
    form = CreditForm(request.POST, choices=_credit_choices(invoice))
    if form.is_valid():
        try:
            note = invoicing.credit_note_create(
                invoice=invoice,
                line_ids=[int(x) for x in form.cleaned_data["lines"]],
                reason=form.cleaned_data["reason"],
                actor=staff_actor(request.user),
                staff=request.user.get_username(),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if note is None:
                messages.info(request, _("These cards are credited already."))
            else:
                messages.success(
                    request, _("Credit note %(number)s made.") % {"number": note.number}
                )
            return redirect("backoffice:invoice", number=invoice.number)
    elif not _credit_choices(invoice) and request.POST.getlist("lines"):
        # A second submit after the cards were credited: nothing to do.
        messages.info(request, _("These cards are credited already."))
        return redirect("backoffice:invoice", number=invoice.number)
    form.mark_invalid_fields()
    return _detail(request, invoice, form, 400)


def _xml_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@staff_view(*READERS)
def invoice_xml(request: HttpRequest, number: int) -> HttpResponse:
    invoice = _invoice_or_404(number)
    return _xml_response(ehf.invoice_xml(invoice), f"invoice-{invoice.number}.xml")


@require_GET
@staff_view(*READERS)
def credit_note_xml(request: HttpRequest, number: int) -> HttpResponse:
    note = CreditNote.objects.select_related("invoice").filter(number=number).first()
    if note is None:
        raise Http404
    return _xml_response(ehf.credit_note_xml(note), f"credit-note-{note.number}.xml")


@require_GET
@staff_view(*READERS)
def invoices_csv(request: HttpRequest) -> HttpResponse:
    """Invoices and credit notes of the filter (company, period) for the accounting system."""
    form = FilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return HttpResponse(
            " ".join(str(e) for errors in form.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    filters = _filters(form) if request.GET else {}
    status = form.cleaned_data.get("status", "") if request.GET else ""
    text = invoicing.documents_csv(
        invoicing.invoices(**filters, status=status), invoicing.credit_notes(**filters)
    )
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="invoices-{day}.csv"'
    return response
