"""Ordering pages: delivery addresses, the order flow, order history, a card's own page with lost
or stolen reporting, the employee's secure upload link and the worker's own cards.

Views are thin: forms read the input, services in `orders`, `companies` and `cards` decide.
Every company page passes the one access check (`company_view`); the upload link page is public
and checked by the link itself (and rate limited).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hmskort.audit.selectors import object_history
from hmskort.audit.services import Actor
from hmskort.cards.models import CardState
from hmskort.cards.numbers import format_card_number, normalise_card_number
from hmskort.cards.rules import reason_text, reason_title
from hmskort.cards.selectors import card_status_history, cards_for_company, cards_for_person
from hmskort.companies.models import Company
from hmskort.companies.selectors import delivery_addresses
from hmskort.companies.services import (
    delivery_address_add,
    delivery_address_archive,
    delivery_address_update,
)
from hmskort.identifiers import mask_national_id
from hmskort.orders import ehf, invoicing
from hmskort.orders import selectors as order_reads
from hmskort.orders import services as orders
from hmskort.people.selectors import current_employees
from hmskort.people.services import DocumentsUpload

from .access import PersonRequest, company_view, person_required
from .contact import known_for_orders
from .forms import (
    BirthDateForm,
    CsvOrderForm,
    DeliveryAddressForm,
    DocumentsForm,
    LinkForm,
    NewPersonFormSet,
    OrdererContactForm,
    OrderForm,
    ReplaceForm,
    ReportForm,
)
from .ratelimit import hit_upload
from .views import _history_rows

PAGE_SIZE = 25
DRAFT_KEY = "order_draft"
LINKS_KEY = "order_links"
OPEN_LINK_KEY = "upload_link_open"

STATE_COLORS = {
    "ordered": "info",
    "awaiting_documents": "warning",
    "awaiting_verification": "info",
    "approved": "info",
    "in_production": "info",
    "issued": "success",
}
PROGRESS_LABELS = {
    "placed": _("Received"),
    "in_progress": _("In progress"),
    "completed": _("Completed"),
    "cancelled": _("Cancelled"),
}


def _actor(request: PersonRequest) -> Actor:
    return Actor.person(request.person.pk, request.person.full_name)


def _state_label(state: str) -> str:
    return str(CardState(state).label) if state in CardState.values else state


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field_name, errors in error.message_dict.items():
            target = field_name if field_name in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


# --- Delivery addresses -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@company_view
def addresses(request: PersonRequest, company: Company, access) -> HttpResponse:
    form = DeliveryAddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            delivery_address_add(company=company, actor=_actor(request), **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The delivery address is added."))
            return redirect(
                _safe_next(request) or reverse("portal:addresses", args=[company.orgnr])
            )
    return render(
        request,
        "portal/addresses.html",
        {
            "company": company,
            "form": form,
            "addresses": delivery_addresses(company),
            "next": _safe_next(request),
        },
        status=400 if form.errors else 200,
    )


def _safe_next(request: HttpRequest) -> str:
    value = request.GET.get("next", "")
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def _address_of(company: Company, pk: int):
    address = delivery_addresses(company).filter(pk=pk).first()
    if address is None:
        raise Http404
    return address


@require_http_methods(["GET", "POST"])
@company_view
def address_edit(request: PersonRequest, company: Company, access, pk: int) -> HttpResponse:
    address = _address_of(company, pk)
    initial = {name: getattr(address, name) for name in DeliveryAddressForm.base_fields}
    form = DeliveryAddressForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            delivery_address_update(address=address, actor=_actor(request), **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The delivery address is changed."))
            return redirect("portal:addresses", orgnr=company.orgnr)
    return render(
        request,
        "portal/address_edit.html",
        {"company": company, "form": form, "address": address},
        status=400 if form.errors else 200,
    )


@require_POST
@company_view
def address_archive(request: PersonRequest, company: Company, access, pk: int) -> HttpResponse:
    address = _address_of(company, pk)
    delivery_address_archive(address=address, actor=_actor(request))
    messages.success(request, _("The delivery address is archived: new orders cannot use it."))
    return redirect("portal:addresses", orgnr=company.orgnr)


# --- The order flow ---------------------------------------------------------------------------


def _choosable(company: Company, again_ids: list[int]) -> list:
    """Current employees, and the people of an earlier order being ordered again."""
    people = list(current_employees(company)[:500])
    known = {p.pk for p in people}
    if again_ids:
        from hmskort.people.models import Person

        people += [p for p in Person.objects.filter(pk__in=again_ids) if p.pk not in known]
    for person in people:
        person.label = f"{person.full_name} ({mask_national_id(person.national_id)})"  # type: ignore[attr-defined]
    return people


def _again_ids(company: Company, value: str | None) -> list[int]:
    if not value or not value.isdigit():
        return []
    order = order_reads.order_for_company(company, int(value))
    if order is None:
        return []
    return list(order.lines.values_list("holder_id", flat=True))


@require_http_methods(["GET", "POST"])
@company_view
def order_new(request: PersonRequest, company: Company, access) -> HttpResponse:
    """Step one: choose people and the delivery address. Step two (review) shows the price."""
    main = company.main_unit
    addresses_list = list(delivery_addresses(company))
    again = _again_ids(company, request.GET.get("again") or request.POST.get("again"))
    people = _choosable(company, again)
    data = request.POST if request.method == "POST" else None
    form = OrderForm(data, initial={"employees": again}, employees=people, addresses=addresses_list)
    rows = NewPersonFormSet(data, prefix="new")
    card_type = orders.card_type_for(main)
    if request.method == "POST" and form.is_valid() & rows.is_valid():
        holders = [{"person_id": pk} for pk in form.cleaned_data["employees"]] + [
            {
                "national_id": row.cleaned_data["national_id"],
                "given_name": row.cleaned_data["given_name"],
                "family_name": row.cleaned_data["family_name"],
                "email": row.cleaned_data.get("email", ""),
                "language": row.cleaned_data.get("language") or "nb",
            }
            for row in rows.forms
            if row.has_changed() and row.cleaned_data
        ]
        problems = order_reads.holder_problems(main, card_type, holders)
        if not holders:
            form.add_error(None, _("Choose at least one person to order a card for."))
        for message in problems:
            form.add_error(None, message)
        if form.is_valid():
            key = form.cleaned_data["key"]
            request.session[DRAFT_KEY] = {
                "key": key,
                "orgnr": company.orgnr,
                "holders": holders,
                "address": form.cleaned_data["delivery_address"],
            }
            return redirect("portal:order_review", orgnr=company.orgnr)
    linked_errors = [
        {
            "id": row[name].id_for_label,
            "text": _("Person %(n)s") % {"n": i + 1} + f" - {row.fields[name].label}: {error}",
        }
        for i, row in enumerate(rows.forms)
        for name, errors in row.errors.items()
        for error in errors
    ]
    return render(
        request,
        "portal/order_new.html",
        {
            "company": company,
            "form": form,
            "linked_errors": linked_errors,
            "rows": rows,
            "card_type": card_type,
            "addresses": addresses_list,
            "again": request.GET.get("again") or request.POST.get("again") or "",
            "has_people": bool(people),
        },
        status=400 if form.errors or linked_errors else 200,
    )


@require_http_methods(["GET", "POST"])
@company_view
def order_csv(request: PersonRequest, company: Company, access) -> HttpResponse:
    """CSV bulk ordering: every row is checked and reported before anything is created; a
    clean file goes on to the same summary as any order."""
    from hmskort.orders import bulk

    addresses_list = list(delivery_addresses(company))
    form = CsvOrderForm(request.POST or None, request.FILES or None, addresses=addresses_list)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            rows = bulk.parse_csv(form.cleaned_data["file"].read(bulk.MAX_FILE_BYTES + 1))
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            card_type = orders.card_type_for(company.main_unit)
            report = bulk.check_rows(company, card_type, rows)
            if not any(row.problems for row in report):
                request.session[DRAFT_KEY] = {
                    "key": uuid.uuid4().hex,
                    "orgnr": company.orgnr,
                    "holders": [row.as_holder() for row in report],
                    "address": form.cleaned_data["delivery_address"],
                }
                return redirect("portal:order_review", orgnr=company.orgnr)
            form.add_error(
                None,
                _("%(n)s of %(total)s rows have problems. Correct the file and upload it again.")
                % {"n": sum(1 for r in report if r.problems), "total": len(report)},
            )
    return render(
        request,
        "portal/order_csv.html",
        {
            "company": company,
            "form": form,
            "report": [r for r in report if r.problems] if report else None,
            "has_addresses": bool(addresses_list),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@company_view
def order_review(request: PersonRequest, company: Company, access) -> HttpResponse:
    """Step two: the summary with the price in force and VAT; submitting places the order once."""
    if request.method == "POST":
        # A second click or a retry after a timeout: the order with this key is already there.
        placed = order_reads.order_by_key(request.POST.get("key", ""), ordered_by=request.person)
        if placed is not None and placed.company_id == company.main_unit.pk:
            return redirect("portal:order", orgnr=company.orgnr, pk=placed.pk)
    draft = request.session.get(DRAFT_KEY)
    if not draft or draft.get("orgnr") != company.orgnr:
        messages.info(request, _("Start the order by choosing people."))
        return redirect("portal:order_new", orgnr=company.orgnr)
    main = company.main_unit
    card_type = orders.card_type_for(main)
    price = order_reads.price_in_force(card_type)
    address = delivery_addresses(company).filter(pk=draft["address"]).first()
    holders = [orders.Holder(**h) for h in draft["holders"]]
    errors: list[str] = []
    contact_form = OrdererContactForm(
        request.POST if request.method == "POST" else None,
        initial=_known_contact(request.person),
    )
    if request.method == "POST" and contact_form.is_valid():
        try:
            contact = orders.orderer_contact(
                email=contact_form.cleaned_data["orderer_email"],
                language=contact_form.cleaned_data["orderer_language"],
            )
            result = orders.order_place(
                company=company,
                orderer=request.person,
                holders=holders,
                delivery_address=address,
                idempotency_key=request.POST.get("key", ""),
                contact=contact,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and set(error.message_dict) & set(contact_form.fields):
                _apply_errors(contact_form, error)
            else:
                errors = [m for msgs in _messages_of(error) for m in msgs]
        else:
            request.session.pop(DRAFT_KEY, None)
            if result.links:
                request.session[LINKS_KEY] = {
                    **request.session.get(LINKS_KEY, {}),
                    **{str(k): v for k, v in result.links.items()},
                }
            if result.created:
                messages.success(request, _("Thank you. The order is placed."))
            return redirect("portal:order", orgnr=company.orgnr, pk=result.order.pk)
    contact_form.mark_invalid_fields()
    rows = order_reads.describe_holders(draft["holders"])
    totals = (
        order_reads.totals(
            count=len(rows), unit_ex_vat=price.amount_ex_vat, vat_rate=price.vat_rate
        )
        if price
        else None
    )
    return render(
        request,
        "portal/order_review.html",
        {
            "company": company,
            "card_type": card_type,
            "rows": rows,
            "address": address,
            "totals": totals,
            "key": draft["key"],
            "errors": errors,
            "back_url": reverse(
                "portal:renew" if draft.get("renewal") else "portal:order_new", args=[company.orgnr]
            ),
            "form": contact_form,
        },
        status=400 if errors or contact_form.errors else 200,
    )


def _known_contact(person) -> dict[str, str]:
    """The orderer contact fields filled in: the person's last order's, else their alert
    address (portal.contact), else an empty address in the page's language."""
    known = known_for_orders(person)
    return {
        "orderer_email": known.email if known else "",
        "orderer_language": known.language if known else (translation.get_language() or "nb")[:2],
    }


def _messages_of(error: ValidationError) -> list[list[str]]:
    if hasattr(error, "error_dict"):
        return list(error.message_dict.values())
    return [error.messages]


@require_GET
@company_view
def order_list(request: PersonRequest, company: Company, access) -> HttpResponse:
    page = Paginator(order_reads.orders_for_company(company), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    states = order_reads.card_states_for_orders([o.pk for o in page.object_list])
    rows = []
    for order in page.object_list:
        progress = order_reads.order_progress(order, states.get(order.pk, []))
        rows.append(
            {
                "order": order,
                "progress": PROGRESS_LABELS[progress],
                "progress_code": progress,
                "totals": order_reads.order_totals(order, count=order.n_active),
            }
        )
    return render(
        request, "portal/order_list.html", {"company": company, "page": page, "rows": rows}
    )


def _order_of(company: Company, pk: int):
    order = order_reads.order_for_company(company, pk)
    if order is None:
        raise Http404
    return order


@require_GET
@company_view
def order_detail(request: PersonRequest, company: Company, access, pk: int) -> HttpResponse:
    order = _order_of(company, pk)
    order_lines = list(order_reads.order_lines(order))
    # Links made just now are shown once: taken out of the session as this page shows them.
    pending = request.session.get(LINKS_KEY, {})
    shown_links = {
        str(ln.pk): pending.pop(str(ln.pk)) for ln in order_lines if str(ln.pk) in pending
    }
    if shown_links:
        request.session[LINKS_KEY] = pending
    lines = []
    for line in order_lines:
        lines.append(
            {
                "line": line,
                "number": format_card_number(line.card.number),
                "state": _state_label(line.card.state),
                "state_color": STATE_COLORS.get(line.card.state, "neutral"),
                "masked": mask_national_id(line.holder.national_id),
                "waiting": line.card.state == CardState.AWAITING_DOCUMENTS
                and not line.cancelled_at,
                "cancellable": orders._line_cancellable(line),
                "link": shown_links.get(str(line.pk), ""),
            }
        )
    progress = order_reads.order_progress(order, [row["line"].card.state for row in lines])
    return render(
        request,
        "portal/order_detail.html",
        {
            "company": company,
            "order": order,
            "lines": lines,
            "progress": PROGRESS_LABELS[progress],
            "totals": order_reads.order_totals(order, count=order.n_active),
            "can_cancel": any(row["cancellable"] for row in lines),
            "invoices": invoicing.documents_of_order(order),
            "link_form": LinkForm(),
        },
    )


@require_GET
@company_view
def order_document(
    request: PersonRequest, company: Company, access, pk: int, kind: str, number: int
) -> HttpResponse:
    """An invoice or credit note of the order, as EHF (PEPPOL BIS Billing 3.0 UBL XML)."""
    order = _order_of(company, pk)
    invoices = invoicing.documents_of_order(order)
    content = b""
    if kind == "invoice":
        content = next((ehf.invoice_xml(i) for i in invoices if i.number == number), b"")
    elif kind == "credit-note":
        notes = [n for i in invoices for n in i.credit_notes.all() if n.number == number]
        content = ehf.credit_note_xml(notes[0]) if notes else b""
    if not content:
        raise Http404
    response = HttpResponse(content, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}-{number}.xml"'
    return response


@require_http_methods(["GET", "POST"])
@company_view
def order_cancel(request: PersonRequest, company: Company, access, pk: int) -> HttpResponse:
    order = _order_of(company, pk)
    if request.method == "POST":
        line = request.POST.get("line")
        try:
            n = orders.order_cancel(
                order=order,
                orderer=request.person,
                line_ids=[int(line)] if line and line.isdigit() else None,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if n:
                messages.success(
                    request,
                    _("%(n)s card(s) cancelled. Cancelled cards are not invoiced.") % {"n": n},
                )
        return redirect("portal:order", orgnr=company.orgnr, pk=order.pk)
    return render(request, "portal/order_cancel.html", {"company": company, "order": order})


def _line_of(order, line_pk: int):
    line = order_reads.order_lines(order).filter(pk=line_pk).first()
    if line is None:
        raise Http404
    return line


@require_POST
@company_view
def order_line_link(
    request: PersonRequest, company: Company, access, pk: int, line: int
) -> HttpResponse:
    order = _order_of(company, pk)
    order_line = _line_of(order, line)
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
        return redirect("portal:order", orgnr=company.orgnr, pk=order.pk)
    try:
        url = orders.upload_link_renew(
            line=order_line,
            orderer=request.person,
            email=form.cleaned_data["email"],
            language=form.cleaned_data["language"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        request.session[LINKS_KEY] = {**request.session.get(LINKS_KEY, {}), str(order_line.pk): url}
        messages.success(request, _("A new link is made; the earlier link no longer works."))
    return redirect("portal:order", orgnr=company.orgnr, pk=order.pk)


def _documents_form_submit(request, form, line, *, uploaded_by: str, link=None) -> bool:
    """Pass the uploads to the service; put its refusals on the form. True when stored."""
    if not form.is_valid():
        return False
    files = request.FILES
    upload = DocumentsUpload(
        photo=files.get("photo"),
        document_kind=form.cleaned_data.get("document_kind") or "",
        document_front=files.get("document_front"),
        document_back=files.get("document_back"),
    )
    actor = (
        _actor(request)
        if uploaded_by == "orderer"
        else Actor.person(line.holder_id, line.holder.full_name)
    )
    try:
        orders.documents_submit(
            line=line, upload=upload, actor=actor, uploaded_by=uploaded_by, link=link
        )
    except ValidationError as error:
        _apply_errors(form, error)
        return False
    return True


@require_http_methods(["GET", "POST"])
@company_view
def order_line_documents(
    request: PersonRequest, company: Company, access, pk: int, line: int
) -> HttpResponse:
    """The orderer uploads the photo and photo ID for one card."""
    order = _order_of(company, pk)
    order_line = _line_of(order, line)
    if order_line.card.state != CardState.AWAITING_DOCUMENTS or order_line.cancelled_at:
        messages.info(request, _("This card is not waiting for a photo and photo ID."))
        return redirect("portal:order", orgnr=company.orgnr, pk=order.pk)
    form = DocumentsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and _documents_form_submit(
        request, form, order_line, uploaded_by="orderer"
    ):
        messages.success(
            request,
            _("The photo and photo ID for %(name)s are received. The card issuer checks them next.")
            % {"name": order_line.holder.full_name},
        )
        return redirect("portal:order", orgnr=company.orgnr, pk=order.pk)
    return render(
        request,
        "portal/documents.html",
        {"company": company, "order": order, "line": order_line, "form": form},
        status=400 if form.errors else 200,
    )


# --- A card's own page: history, lost or stolen, employment ended -------------------------------


def _card_of(company: Company, number: str):
    try:
        digits = normalise_card_number(number)
    except Exception:
        raise Http404 from None
    card = cards_for_company(company).filter(number=digits).first()
    if card is None:
        raise Http404
    return card


@require_GET
@company_view
def card_detail(request: PersonRequest, company: Company, access, number: str) -> HttpResponse:
    card = _card_of(company, number)
    history = [
        {
            "change": change,
            "reasons": [reason_title(code) for code in change.reasons],
        }
        for change in card_status_history(card)[:50]
    ]
    events = _history_rows(list(object_history(card)[:50]))
    can_report = card.state in (CardState.ISSUED, CardState.BLOCKED)
    can_order_again = not can_report and order_reads.can_order_again(card)
    addresses_list = list(delivery_addresses(company))
    form_class = ReportForm if can_report else ReplaceForm
    return render(
        request,
        "portal/card.html",
        {
            "company": company,
            "card": card,
            "number": format_card_number(card.number),
            "state": _state_label(card.state),
            "masked": mask_national_id(card.holder.national_id),
            "reasons": [{"title": reason_title(c), "text": reason_text(c)} for c in card.reasons],
            "history": history,
            "events": events,
            "can_report": can_report,
            "reporting": can_report,
            "can_order_again": can_order_again,
            "can_block": card.state == CardState.ISSUED,
            "form": form_class(addresses=addresses_list, initial=_known_contact(request.person)),
            "totals": _replacement_totals(card) if can_report or can_order_again else None,
            "line": order_reads.line_for_card(card.pk),
        },
    )


def _replacement_totals(card) -> order_reads.Totals | None:
    """What the new card in place of `card` costs (the price in force for its card type)."""
    price = order_reads.price_in_force(card.card_type)
    if price is None:
        return None
    return order_reads.totals(count=1, unit_ex_vat=price.amount_ex_vat, vat_rate=price.vat_rate)


@require_POST
@company_view
def card_report(request: PersonRequest, company: Company, access, number: str) -> HttpResponse:
    """Lost or stolen: the card is reported and its replacement ordered in one step."""
    return _order_replacement(request, company, number, ReportForm)


@require_POST
@company_view
def card_replace(request: PersonRequest, company: Company, access, number: str) -> HttpResponse:
    """A new card again in place of a lost or stolen card whose replacement was cancelled or
    refused."""
    return _order_replacement(request, company, number, ReplaceForm)


def _order_replacement(
    request: PersonRequest, company: Company, number: str, form_class: type[ReplaceForm]
) -> HttpResponse:
    card = _card_of(company, number)
    addresses_list = list(delivery_addresses(company))
    form = form_class(request.POST, addresses=addresses_list)
    reporting = isinstance(form, ReportForm)
    if form.is_valid():
        address = next(a for a in addresses_list if a.pk == form.cleaned_data["delivery_address"])
        try:
            order_args = {
                "card": card,
                "orderer": request.person,
                "delivery_address": address,
                "idempotency_key": form.cleaned_data["key"],
                "contact": orders.orderer_contact(
                    email=form.cleaned_data["orderer_email"],
                    language=form.cleaned_data["orderer_language"],
                ),
            }
            if reporting:
                result = orders.card_report_and_replace(
                    report=form.cleaned_data["report"], **order_args
                )
            else:
                result = orders.card_replacement_order(**order_args)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            if result.links:
                request.session[LINKS_KEY] = {
                    **request.session.get(LINKS_KEY, {}),
                    **{str(k): v for k, v in result.links.items()},
                }
            if result.created:
                done = (
                    _("Card %(number)s is blocked at once, and a new card is ordered.")
                    if reporting
                    else _("A new card is ordered in place of card %(number)s.")
                )
                messages.success(request, done % {"number": format_card_number(card.number)})
            return redirect("portal:order", orgnr=company.orgnr, pk=result.order.pk)
    form.mark_invalid_fields()
    return render(
        request,
        "portal/card_report.html",
        {
            "company": company,
            "card": card,
            "number": format_card_number(card.number),
            "form": form,
            "reporting": reporting,
            "totals": _replacement_totals(card),
        },
        status=400,
    )


@require_POST
@company_view
def card_employment_ended(
    request: PersonRequest, company: Company, access, number: str
) -> HttpResponse:
    card = _card_of(company, number)
    try:
        orders.card_block_employment_ended(card=card, orderer=request.person)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Card %(number)s is blocked because the employment has ended. Destroy the card.")
            % {"number": format_card_number(card.number)},
        )
    return redirect("portal:card", orgnr=company.orgnr, number=card.number)


# --- The employee's secure upload link (no login) -----------------------------------------------

GONE_MESSAGES = {
    "expired": _("This link has expired. Ask your employer to send you a new one."),
    "revoked": _(
        "This link has been replaced or withdrawn. Use the newest link from your employer."
    ),
    "used": _("The photo and photo ID have already been received through this link. Thank you."),
    "locked": _(
        "This link is locked after too many wrong dates of birth. Ask your employer for a new link."
    ),
}


def _link_page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200):
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, token: str) -> HttpResponse:
    limit = hit_upload(request)
    if not limit.allowed:
        response = _link_page(request, "portal/upload_limited.html", {}, status=429)
        response["Retry-After"] = str(limit.retry_after)
        return response
    try:
        link = orders.upload_link_for(token)
    except orders.LinkNotFound:
        return _link_page(request, "portal/upload_gone.html", {"not_found": True}, status=404)
    except orders.LinkGone as gone:
        return _link_page(
            request, "portal/upload_gone.html", {"message": GONE_MESSAGES[gone.reason]}, status=410
        )
    line = link.line
    context = {
        "link": link,
        "holder": line.holder.full_name,
        "company": line.order.company,
        "orderer": line.order.ordered_by_name,
        "card_type": line.order.card_type,
    }
    opened = request.session.get(OPEN_LINK_KEY) == link.pk
    if not opened:
        form = BirthDateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                ok = orders.upload_link_check_birth_date(
                    link=link, birth_date=form.cleaned_data["birth_date"]
                )
            except orders.LinkGone as gone:
                return _link_page(
                    request,
                    "portal/upload_gone.html",
                    {"message": GONE_MESSAGES[gone.reason]},
                    status=410,
                )
            if ok:
                request.session.cycle_key()
                request.session[OPEN_LINK_KEY] = link.pk
                return redirect(request.path)
            form.add_error(
                "birth_date",
                _("The date of birth does not match. Check it and try again."),
            )
        return _link_page(
            request,
            "portal/upload_confirm.html",
            {**context, "form": form},
            status=400 if form.errors else 200,
        )
    documents = DocumentsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and _documents_form_submit(
        request, documents, line, uploaded_by="holder", link=link
    ):
        request.session.pop(OPEN_LINK_KEY, None)
        return _link_page(request, "portal/upload_done.html", context)
    return _link_page(
        request,
        "portal/upload_documents.html",
        {**context, "form": documents},
        status=400 if documents.errors else 200,
    )


# --- The worker's own cards ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@person_required
def my_cards(request: PersonRequest) -> HttpResponse:
    """A worker sees their own cards, valid or not and why, and uploads what waits for them."""
    person = request.person
    waiting = list(order_reads.waiting_lines_for_holder(person.pk))
    form = None
    selected = None
    if waiting:
        chosen = request.POST.get("line") or request.GET.get("line")
        selected = next((ln for ln in waiting if str(ln.pk) == chosen), waiting[0])
        form = DocumentsForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and _documents_form_submit(
            request, form, selected, uploaded_by="holder"
        ):
            messages.success(
                request, _("Thank you. The card issuer checks your photo and photo ID next.")
            )
            return redirect("portal:my_cards")
    cards = [
        {
            "card": card,
            "number": format_card_number(card.number),
            "state": _state_label(card.state),
            "reasons": [{"title": reason_title(c), "text": reason_text(c)} for c in card.reasons],
        }
        for card in cards_for_person(person.pk)
    ]
    return render(
        request,
        "portal/my_cards.html",
        {"cards": cards, "waiting": waiting, "selected": selected, "form": form},
        status=400 if form is not None and form.errors else 200,
    )
