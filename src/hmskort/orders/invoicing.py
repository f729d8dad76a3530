"""Invoicing the ordered cards: invoices, credit notes, their gapless numbers, the CSV export.

When: a card is invoiced once it has been shipped (its batch marked shipped), at the price its
order recorded when it was placed (the price in force on the order date, VAT as then). The
issuer's staff make the invoices ("invoice the shipped cards", or `hmskort invoices make`):
one invoice per order for its shipped cards not yet invoiced. An order whose cards ship in two
batches therefore gets a second invoice for the later cards; an order line is never invoiced
twice (a unique link), and cards cancelled before production are never shipped, so never
invoiced.

Credit notes: a card that was invoiced and is then terminated can be credited (staff choose the
cards and say why). A credit note references its invoice and has its own number series; an
invoice line is credited at most once, so crediting twice changes nothing.

Numbers: each series is a row in NumberSeries, locked with SELECT … FOR UPDATE in the same
transaction that saves the document, and taken as the last step before saving it. A document
that is rolled back gives its number back, so the numbers of a series run 1, 2, 3, … with no
gap and no duplicate, however many staff or jobs invoice at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hmskort.audit.services import Actor, record
from hmskort.cards.models import CardState
from hmskort.companies.models import Company
from hmskort.identifiers import InvalidIdentifier, parse_orgnr

from .invoicing_models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, NumberSeries
from .models import Order, OrderLine

INVOICE_SERIES = "invoice"
CREDIT_NOTE_SERIES = "credit_note"
CENT = Decimal("0.01")
# Only a card that has been stopped for good can be credited (a credited card must not stay
# valid).
CREDITABLE_STATES = (CardState.TERMINATED,)


class InvoicingRefused(ValidationError):
    """The invoice or credit note cannot be made; the message says why."""


# --- Amounts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Amounts:
    net: Decimal
    vat: Decimal
    gross: Decimal


def amounts(unit_prices: Iterable[Decimal], vat_rate: Decimal) -> Amounts:
    """The sum of the line amounts, VAT on that sum, rounded half up to øre (EN 16931: the VAT
    of a category is its taxable amount times the rate, rounded to two decimals)."""
    net = sum((Decimal(p).quantize(CENT, ROUND_HALF_UP) for p in unit_prices), Decimal("0"))
    net = net.quantize(CENT)
    vat = (net * vat_rate).quantize(CENT, ROUND_HALF_UP)
    return Amounts(net, vat, net + vat)


# --- Parties -------------------------------------------------------------------------------------


def seller_party() -> dict[str, Any]:
    """The issuer as the seller, from the settings. Refuses when a required part is missing."""
    name = settings.HMSKORT_ISSUER_NAME.strip()
    street = settings.HMSKORT_ISSUER_STREET.strip()
    postcode = settings.HMSKORT_ISSUER_POSTCODE.strip()
    city = settings.HMSKORT_ISSUER_CITY.strip()
    try:
        orgnr = parse_orgnr(settings.HMSKORT_ISSUER_ORGNR)
    except InvalidIdentifier:
        orgnr = ""
    if not (name and orgnr and street and postcode and city):
        raise InvoicingRefused(
            _(
                "The issuer's name, organisation number and address are not all set: no "
                "invoice can be made (see HMSKORT_ISSUER_* in the operating guide)."
            ),
            code="seller",
        )
    return {
        "name": name,
        "orgnr": orgnr,
        "vat_number": f"NO{orgnr}MVA",
        "street": street,
        "postcode": postcode,
        "city": city,
        "country": "NO",
        "account": "".join(ch for ch in settings.HMSKORT_ISSUER_ACCOUNT if ch.isdigit()),
    }


@dataclass(frozen=True)
class Buyer:
    orgnr: str
    name: str
    street: str
    postcode: str
    city: str
    country: str
    vat_registered: bool


def buyer_party(order: Order) -> Buyer:
    """The ordering company (its main unit) as Enhetsregisteret names it: business address,
    VAT registration. Without a register entry yet: the company's name and the order's delivery
    address."""
    from hmskort.registries.models import BrregUnit

    company: Company = order.company.main_unit
    unit = BrregUnit.objects.filter(orgnr=company.orgnr).first()
    address = unit.address if unit is not None and isinstance(unit.address, dict) else {}
    lines = [str(x).strip() for x in (address.get("adresse") or []) if x and str(x).strip()]
    if address.get("postnummer") or lines:
        return Buyer(
            orgnr=company.orgnr,
            name=(unit.name if unit is not None and unit.name else company.name)[:300],
            street=", ".join(lines)[:300],
            postcode=str(address.get("postnummer") or "")[:10],
            city=str(address.get("poststed") or "")[:100],
            country=str(address.get("landkode") or "NO")[:2].upper(),
            vat_registered=bool(unit and unit.registered_in_vat),
        )
    return Buyer(
        orgnr=company.orgnr,
        name=company.name,
        street=order.delivery_street,
        postcode=order.delivery_postcode,
        city=order.delivery_city.upper(),
        country="NO",
        vat_registered=bool(unit and unit.registered_in_vat),
    )


# --- Numbers -------------------------------------------------------------------------------------


def _next_number(series: str) -> int:
    """The next number of a series, with the series row locked until the transaction ends."""
    # The row exists after the migration; a flushed test database makes it again (race-safe).
    NumberSeries.objects.bulk_create([NumberSeries(name=series)], ignore_conflicts=True)
    row = NumberSeries.objects.select_for_update().get(name=series)
    row.last_number += 1
    row.save(update_fields=["last_number"])
    return row.last_number


# --- Invoices ------------------------------------------------------------------------------------


def lines_to_invoice() -> QuerySet[OrderLine]:
    """Shipped cards not invoiced yet."""
    return OrderLine.objects.filter(
        batch_item__shipment__isnull=False, invoice_line__isnull=True, cancelled_at__isnull=True
    )


def orders_to_invoice() -> QuerySet[Order]:
    """Orders with shipped cards not invoiced yet, oldest first."""
    ids = lines_to_invoice().values("order_id")
    return Order.objects.filter(pk__in=ids).order_by("placed_at", "pk")


def _item_name(order: Order) -> str:
    return f"HMS-kort: {order.card_type.name('nb')} / HSE card: {order.card_type.name('en')}"


@transaction.atomic
def invoice_order(
    *, order: Order, actor: Actor, staff: str, issue_date: dt.date | None = None
) -> Invoice | None:
    """Invoice the order's shipped cards not invoiced yet. None when there are none (already
    invoiced: a second request changes nothing)."""
    seller = seller_party()
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("company__parent", "card_type")
        .get(pk=order.pk)
    )
    lines = list(
        lines_to_invoice().filter(order=order).select_related("card", "holder").order_by("pk")
    )
    if not lines:
        return None
    buyer = buyer_party(order)
    total = amounts((line.unit_price_ex_vat for line in lines), order.vat_rate)
    day = issue_date or timezone.localdate()
    number = _next_number(INVOICE_SERIES)
    invoice = Invoice.objects.create(
        number=number,
        order=order,
        company=order.company,
        issue_date=day,
        due_date=day + dt.timedelta(days=settings.HMSKORT_INVOICE_DUE_DAYS),
        vat_rate=order.vat_rate,
        net_amount=total.net,
        vat_amount=total.vat,
        gross_amount=total.gross,
        buyer_orgnr=buyer.orgnr,
        buyer_name=buyer.name,
        buyer_street=buyer.street,
        buyer_postcode=buyer.postcode,
        buyer_city=buyer.city,
        buyer_country=buyer.country,
        buyer_vat_registered=buyer.vat_registered,
        buyer_reference=order.ordered_by_name[:300],
        seller=seller,
        created_by=staff,
    )
    item = _item_name(order)
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                order_line=line,
                position=position,
                card_number=line.card.number,
                holder_name=line.holder.full_name[:300],
                item_name=item[:200],
                unit_price=line.unit_price_ex_vat,
                net_amount=line.unit_price_ex_vat.quantize(CENT, ROUND_HALF_UP),
            )
            for position, line in enumerate(lines, start=1)
        ]
    )
    record(
        actor=actor,
        action="invoice.issued",
        target=invoice,
        company=order.company,
        data={
            "number": number,
            "order": order.pk,
            "cards": len(lines),
            "net": str(total.net),
            "vat": str(total.vat),
            "gross": str(total.gross),
        },
    )
    return invoice


def invoice_shipped(
    *, actor: Actor, staff: str, issue_date: dt.date | None = None
) -> list[Invoice]:
    """Invoice every order with shipped cards not invoiced yet: one invoice per order, each in
    its own transaction. Running it twice (or twice at once) invoices nothing twice."""
    seller_party()  # refuse before the first order when the issuer is not set up
    invoices = []
    for order in list(orders_to_invoice()):
        invoice = invoice_order(order=order, actor=actor, staff=staff, issue_date=issue_date)
        if invoice is not None:
            invoices.append(invoice)
    return invoices


# --- Credit notes --------------------------------------------------------------------------------


@transaction.atomic
def credit_note_create(
    *,
    invoice: Invoice,
    line_ids: Sequence[int],
    reason: str,
    actor: Actor,
    staff: str,
    issue_date: dt.date | None = None,
) -> CreditNote | None:
    """Credit the chosen cards of an invoice (each must be terminated). Cards credited already
    are left out; None when all of them were (a second request changes nothing)."""
    reason = " ".join((reason or "").split())[:500]
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    chosen = list(
        invoice.lines.filter(pk__in=list(line_ids))
        .select_related("order_line__card", "credit_line")
        .order_by("position")
    )
    if not chosen:
        raise InvoicingRefused({"lines": _("Choose the cards to credit.")}, code="no_lines")
    fresh = [line for line in chosen if not hasattr(line, "credit_line")]
    if not fresh:
        return None
    if not reason:
        raise InvoicingRefused({"reason": _("Say why the cards are credited.")}, code="reason")
    in_use = [line for line in fresh if line.order_line.card.state not in CREDITABLE_STATES]
    if in_use:
        from hmskort.cards.numbers import format_card_number

        raise InvoicingRefused(
            {
                "lines": _(
                    "Only terminated cards can be credited. Terminate these first: %(cards)s."
                )
                % {"cards": ", ".join(format_card_number(ln.card_number) for ln in in_use)}
            },
            code="in_use",
        )
    total = amounts((line.unit_price for line in fresh), invoice.vat_rate)
    number = _next_number(CREDIT_NOTE_SERIES)
    note = CreditNote.objects.create(
        number=number,
        invoice=invoice,
        company_id=invoice.company_id,
        issue_date=issue_date or timezone.localdate(),
        vat_rate=invoice.vat_rate,
        net_amount=total.net,
        vat_amount=total.vat,
        gross_amount=total.gross,
        buyer_orgnr=invoice.buyer_orgnr,
        buyer_name=invoice.buyer_name,
        buyer_street=invoice.buyer_street,
        buyer_postcode=invoice.buyer_postcode,
        buyer_city=invoice.buyer_city,
        buyer_country=invoice.buyer_country,
        buyer_vat_registered=invoice.buyer_vat_registered,
        seller=invoice.seller,
        reason=reason,
        created_by=staff,
    )
    CreditNoteLine.objects.bulk_create(
        [
            CreditNoteLine(
                credit_note=note,
                invoice_line=line,
                position=position,
                quantity=line.quantity,
                unit_price=line.unit_price,
                net_amount=line.net_amount,
            )
            for position, line in enumerate(fresh, start=1)
        ]
    )
    credited = CreditNoteLine.objects.filter(invoice_line__invoice=invoice).count()
    invoice.status = (
        Invoice.Status.CREDITED
        if credited >= invoice.lines.count()
        else Invoice.Status.PARTLY_CREDITED
    )
    invoice.save(update_fields=["status"])
    record(
        actor=actor,
        action="invoice.credited",
        target=note,
        company=invoice.company,
        data={
            "number": number,
            "invoice": invoice.number,
            "cards": [line.card_number for line in fresh],
            "net": str(total.net),
            "vat": str(total.vat),
            "gross": str(total.gross),
            "reason": reason,
        },
    )
    return note


# --- Reads ---------------------------------------------------------------------------------------


def invoices(
    *,
    company: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    status: str = "",
) -> QuerySet[Invoice]:
    """Invoices, newest first; `company` matches an organisation number or part of a name."""
    qs = Invoice.objects.all()
    if company:
        digits = "".join(ch for ch in company if ch.isdigit())
        if len(digits) == 9:
            qs = qs.filter(buyer_orgnr=digits)
        else:
            qs = qs.filter(buyer_name__icontains=company.strip())
    if date_from:
        qs = qs.filter(issue_date__gte=date_from)
    if date_to:
        qs = qs.filter(issue_date__lte=date_to)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-number")


def credit_notes(
    *, company: str = "", date_from: dt.date | None = None, date_to: dt.date | None = None
) -> QuerySet[CreditNote]:
    qs = CreditNote.objects.select_related("invoice")
    if company:
        digits = "".join(ch for ch in company if ch.isdigit())
        qs = (
            qs.filter(buyer_orgnr=digits)
            if len(digits) == 9
            else qs.filter(buyer_name__icontains=company.strip())
        )
    if date_from:
        qs = qs.filter(issue_date__gte=date_from)
    if date_to:
        qs = qs.filter(issue_date__lte=date_to)
    return qs.order_by("-number")


def invoice_lines(invoice: Invoice) -> QuerySet[InvoiceLine]:
    return (
        InvoiceLine.objects.filter(invoice=invoice)
        .select_related("order_line__card", "credit_line__credit_note")
        .order_by("position")
    )


def invoices_of_orders(order_ids: Iterable[int]) -> dict[int, list[Invoice]]:
    """The invoices of each order (for the company's order pages)."""
    found: dict[int, list[Invoice]] = {}
    for invoice in Invoice.objects.filter(order_id__in=list(order_ids)).order_by("number"):
        found.setdefault(invoice.order_id, []).append(invoice)
    return found


def documents_of_order(order: Order) -> list[Invoice]:
    """The order's invoices, each with its credit notes (`credit_notes.all()` prefetched)."""
    return list(
        Invoice.objects.filter(order=order).prefetch_related("credit_notes").order_by("number")
    )


def lines_waiting_for_credit(invoice: Invoice) -> QuerySet[InvoiceLine]:
    """Lines of the invoice whose card is terminated and not credited yet."""
    return invoice_lines(invoice).filter(
        Q(order_line__card__state__in=CREDITABLE_STATES), credit_line__isnull=True
    )


# --- CSV for the accounting system -----------------------------------------------------------

CSV_COLUMNS = (
    "document_type",
    "number",
    "issue_date",
    "due_date",
    "credited_invoice",
    "order",
    "buyer_orgnr",
    "buyer_name",
    "cards",
    "currency",
    "net_amount",
    "vat_rate",
    "vat_amount",
    "gross_amount",
    "status",
)


def documents_csv(
    invoice_list: Iterable[Invoice], credit_note_list: Iterable[CreditNote] = ()
) -> str:
    """One row per invoice and per credit note, invoices first, each in number order. A credit
    note's amounts are negative (so a column's sum is what was invoiced less what was
    credited); amounts with a decimal point and two decimals; dates ISO 8601; UTF-8."""
    from django.db.models import Count

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    invoice_ids = [i.pk for i in invoice_list]
    rows = Invoice.objects.filter(pk__in=invoice_ids).annotate(n=Count("lines")).order_by("number")
    for inv in rows:
        writer.writerow(
            [
                "invoice",
                inv.number,
                inv.issue_date.isoformat(),
                inv.due_date.isoformat(),
                "",
                inv.order_id,
                inv.buyer_orgnr,
                inv.buyer_name,
                inv.n,
                inv.currency,
                f"{inv.net_amount:.2f}",
                f"{inv.vat_rate * 100:.2f}",
                f"{inv.vat_amount:.2f}",
                f"{inv.gross_amount:.2f}",
                inv.status,
            ]
        )
    note_ids = [n.pk for n in credit_note_list]
    notes = (
        CreditNote.objects.filter(pk__in=note_ids)
        .select_related("invoice")
        .annotate(n=Count("lines"))
        .order_by("number")
    )
    for note in notes:
        writer.writerow(
            [
                "credit_note",
                note.number,
                note.issue_date.isoformat(),
                "",
                note.invoice.number,
                note.invoice.order_id,
                note.buyer_orgnr,
                note.buyer_name,
                note.n,
                note.currency,
                f"{-note.net_amount:.2f}",
                f"{note.vat_rate * 100:.2f}",
                f"{-note.vat_amount:.2f}",
                f"{-note.gross_amount:.2f}",
                "",
            ]
        )
    return out.getvalue()
