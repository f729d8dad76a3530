"""Invoices for shipped cards at the price the order recorded, credit notes for terminated
cards, gapless numbers, and the CSV for the accounting system."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from hmskort.audit.models import AuditEvent
from hmskort.cards import services as cards
from hmskort.orders import invoicing
from hmskort.orders.invoicing import InvoicingRefused, amounts
from hmskort.orders.models import (
    CreditNote,
    Invoice,
    InvoiceLine,
    NumberSeries,
    Order,
    Price,
)
from hmskort.orders.selectors import price_in_force
from hmskort.orders.services import order_cancel
from tests.factories import BrregUnitFactory
from tests.orders.shipping import STAFF, approve, place, ship, shipped_order

pytestmark = pytest.mark.django_db


def invoice(order) -> Invoice:
    result = invoicing.invoice_order(order=order, actor=STAFF, staff="test-staff")
    assert result is not None
    return result


def terminate(line: InvoiceLine) -> None:
    cards.card_terminate(card=line.order_line.card, actor=STAFF, note="test")


# --- Amounts -------------------------------------------------------------------------------------


def test_vat_is_25_percent_of_the_sum_rounded_half_up_to_ore():
    assert amounts([Decimal("104.00")] * 3, Decimal("0.250")) == (
        invoicing.Amounts(Decimal("312.00"), Decimal("78.00"), Decimal("390.00"))
    )
    # 107.50 x 25 % = 26.875: rounded half up to 26.88.
    assert amounts([Decimal("107.50")], Decimal("0.250")).vat == Decimal("26.88")
    # VAT on the sum, not per line: 3 x 33.33 = 99.99, VAT 24.9975 -> 25.00 (per line: 24.99).
    three = amounts([Decimal("33.33")] * 3, Decimal("0.250"))
    assert (three.net, three.vat, three.gross) == (
        Decimal("99.99"),
        Decimal("25.00"),
        Decimal("124.99"),
    )


def test_an_order_is_invoiced_for_its_shipped_cards_with_a_line_per_card(world):
    order = shipped_order(world, 3)

    inv = invoice(order)

    assert inv.number == 1
    assert inv.net_amount == Decimal("312.00")
    assert inv.vat_amount == Decimal("78.00")
    assert inv.gross_amount == Decimal("390.00")
    assert inv.vat_rate == Decimal("0.250")
    assert inv.issue_date == timezone.localdate()
    assert inv.due_date == inv.issue_date + dt.timedelta(days=14)
    lines = list(inv.lines.order_by("position"))
    assert [line.position for line in lines] == [1, 2, 3]
    assert {line.card_number for line in lines} == {
        ln.card.number for ln in order.lines.select_related("card")
    }
    assert all(line.unit_price == Decimal("104.00") for line in lines)
    assert inv.buyer_reference == "Siri Sjef"


def test_an_order_placed_before_a_price_change_is_invoiced_at_the_old_price(world):
    with time_machine.travel(timezone.now() - dt.timedelta(days=40)):
        order = place(world, 1)
    Price.objects.create(
        card_type=order.card_type,
        amount_ex_vat=Decimal("129.50"),
        valid_from=timezone.localdate() - dt.timedelta(days=10),
    )
    ship(approve(order))

    inv = invoice(order)

    assert price_in_force(order.card_type).amount_ex_vat == Decimal("129.50")
    assert inv.net_amount == Decimal("104.00")
    assert inv.lines.get().unit_price == Decimal("104.00")


def test_the_price_the_order_recorded_is_invoiced_with_its_vat_rounded(world):
    Price.objects.create(
        card_type_id=world.company.card_type_id,
        amount_ex_vat=Decimal("107.50"),
        valid_from=timezone.localdate(),
    )
    order = shipped_order(world, 1)

    inv = invoice(order)

    assert (inv.net_amount, inv.vat_amount, inv.gross_amount) == (
        Decimal("107.50"),
        Decimal("26.88"),
        Decimal("134.38"),
    )


def test_cards_not_shipped_are_not_invoiced_and_a_cancelled_order_never_is(world):
    waiting = place(world, 2, serial=200)
    lines = approve(waiting, only=1)
    ship(lines)
    cancelled = place(world, 1, serial=300)
    order_cancel(order=cancelled, orderer=world.manager)

    made = invoicing.invoice_shipped(actor=STAFF, staff="test-staff")

    assert [i.order_id for i in made] == [waiting.pk]
    assert [line.order_line_id for line in made[0].lines.all()] == [lines[0].pk]
    assert not Invoice.objects.filter(order=cancelled).exists()


def test_invoicing_twice_invoices_nothing_twice(world):
    order = shipped_order(world, 2)

    first = invoicing.invoice_shipped(actor=STAFF, staff="test-staff")
    second = invoicing.invoice_shipped(actor=STAFF, staff="test-staff")

    assert len(first) == 1 and second == []
    assert invoicing.invoice_order(order=order, actor=STAFF, staff="x") is None
    assert Invoice.objects.count() == 1 and InvoiceLine.objects.count() == 2


def test_cards_shipped_later_get_their_own_invoice_and_no_card_is_billed_twice(world):
    order = place(world, 2, serial=400)
    first_line, second_line = order.lines.order_by("pk")
    ship(approve(order, only=1))
    first = invoice(order)
    ship(approve(Order.objects.get(pk=order.pk)))

    second = invoice(order)

    assert (first.number, second.number) == (1, 2)
    assert [line.order_line_id for line in first.lines.all()] == [first_line.pk]
    assert [line.order_line_id for line in second.lines.all()] == [second_line.pk]


def test_invoice_numbers_run_from_one_with_no_gap_when_an_invoice_is_rolled_back(world):
    orders = [shipped_order(world, 1, serial=500 + i) for i in range(3)]

    first = invoice(orders[0])
    with pytest.raises(RuntimeError), transaction.atomic():
        invoice(orders[1])
        raise RuntimeError("the transaction fails after the invoice was made")
    second = invoice(orders[2])
    third = invoice(orders[1])

    assert [first.number, second.number, third.number] == [1, 2, 3]
    assert NumberSeries.objects.get(name="invoice").last_number == 3


def test_the_buyer_is_the_company_as_the_register_names_it_and_the_seller_the_issuer(
    world, settings
):
    settings.HMSKORT_ISSUER_NAME = "Kortutstederen AS"
    BrregUnitFactory(
        orgnr=world.company.orgnr,
        name="ACME BYGG AS",
        registered_in_vat=True,
        address={
            "adresse": ["Storgata 1", None, ""],
            "postnummer": "0155",
            "poststed": "OSLO",
            "landkode": "NO",
        },
    )
    order = shipped_order(world, 1)

    inv = invoice(order)

    assert (inv.buyer_orgnr, inv.buyer_name) == (world.company.orgnr, "ACME BYGG AS")
    assert (inv.buyer_street, inv.buyer_postcode, inv.buyer_city) == ("Storgata 1", "0155", "OSLO")
    assert inv.buyer_vat_registered
    assert inv.seller["name"] == "Kortutstederen AS"
    assert inv.seller["orgnr"] == "910000004"
    assert inv.seller["vat_number"] == "NO910000004MVA"


def test_without_the_issuers_organisation_number_nothing_is_invoiced(world, settings):
    settings.HMSKORT_ISSUER_ORGNR = ""
    shipped_order(world, 1)

    with pytest.raises(InvoicingRefused) as refused:
        invoicing.invoice_shipped(actor=STAFF, staff="test-staff")

    assert "organisasjonsnummer" in " ".join(refused.value.messages)
    assert Invoice.objects.count() == 0
    assert NumberSeries.objects.get(name="invoice").last_number == 0


def test_invoicing_is_audited(world):
    order = shipped_order(world, 2)

    inv = invoice(order)

    event = AuditEvent.objects.get(action="invoice.issued")
    assert event.company == world.company
    assert event.data["number"] == inv.number and event.data["cards"] == 2
    assert event.data["gross"] == "260.00"


# --- Credit notes ---------------------------------------------------------------------------


def test_a_terminated_card_is_credited_on_a_note_that_references_its_invoice(world):
    inv = invoice(shipped_order(world, 3))
    line = inv.lines.order_by("position")[1]
    terminate(line)

    note = invoicing.credit_note_create(
        invoice=inv,
        line_ids=[line.pk],
        reason="Kortet ble sperret ved en feil",
        actor=STAFF,
        staff="test-staff",
    )

    assert note is not None and note.number == 1
    assert note.invoice == inv
    assert (note.net_amount, note.vat_amount, note.gross_amount) == (
        Decimal("104.00"),
        Decimal("26.00"),
        Decimal("130.00"),
    )
    assert [cl.invoice_line_id for cl in note.lines.all()] == [line.pk]
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.PARTLY_CREDITED
    event = AuditEvent.objects.get(action="invoice.credited")
    assert event.data["invoice"] == inv.number and event.data["cards"] == [line.card_number]


def test_a_card_is_never_credited_twice(world):
    inv = invoice(shipped_order(world, 2))
    lines = list(inv.lines.order_by("position"))
    for line in lines:
        terminate(line)
    first = invoicing.credit_note_create(
        invoice=inv, line_ids=[lines[0].pk], reason="Feil", actor=STAFF, staff="s"
    )

    again = invoicing.credit_note_create(
        invoice=inv, line_ids=[lines[0].pk], reason="Feil", actor=STAFF, staff="s"
    )
    both = invoicing.credit_note_create(
        invoice=inv, line_ids=[ln.pk for ln in lines], reason="Feil", actor=STAFF, staff="s"
    )

    assert again is None
    assert both is not None and [cl.invoice_line_id for cl in both.lines.all()] == [lines[1].pk]
    assert (first.number, both.number) == (1, 2)
    assert CreditNote.objects.count() == 2
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.CREDITED


def test_a_card_still_in_use_cannot_be_credited(world):
    inv = invoice(shipped_order(world, 1))
    line = inv.lines.get()

    with pytest.raises(InvoicingRefused) as refused:
        invoicing.credit_note_create(
            invoice=inv, line_ids=[line.pk], reason="Feil", actor=STAFF, staff="s"
        )

    assert "Bare avsluttede kort kan krediteres" in " ".join(refused.value.messages)
    assert CreditNote.objects.count() == 0
    assert NumberSeries.objects.get(name="credit_note").last_number == 0


def test_a_credit_note_needs_a_reason(world):
    inv = invoice(shipped_order(world, 1))
    line = inv.lines.get()
    terminate(line)

    with pytest.raises(InvoicingRefused) as refused:
        invoicing.credit_note_create(
            invoice=inv, line_ids=[line.pk], reason="  ", actor=STAFF, staff="s"
        )

    assert "reason" in refused.value.message_dict
    assert CreditNote.objects.count() == 0


# --- CSV ---------------------------------------------------------------------------------------


def test_the_csv_has_a_row_per_invoice_and_credit_note_with_credits_negative(world):
    inv = invoice(shipped_order(world, 2))
    line = inv.lines.order_by("position")[0]
    terminate(line)
    note = invoicing.credit_note_create(
        invoice=inv, line_ids=[line.pk], reason="Feil", actor=STAFF, staff="s"
    )

    text = invoicing.documents_csv([inv], [note])

    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(invoicing.CSV_COLUMNS)
    assert rows[0] == {
        "document_type": "invoice",
        "number": "1",
        "issue_date": inv.issue_date.isoformat(),
        "due_date": inv.due_date.isoformat(),
        "credited_invoice": "",
        "order": str(inv.order_id),
        "buyer_orgnr": world.company.orgnr,
        "buyer_name": "Acme Bygg AS",
        "cards": "2",
        "currency": "NOK",
        "net_amount": "208.00",
        "vat_rate": "25.00",
        "vat_amount": "52.00",
        "gross_amount": "260.00",
        "status": "partly_credited",
    }
    assert rows[1]["document_type"] == "credit_note"
    assert rows[1]["credited_invoice"] == "1"
    assert (rows[1]["net_amount"], rows[1]["vat_amount"], rows[1]["gross_amount"]) == (
        "-104.00",
        "-26.00",
        "-130.00",
    )
    # No national ID number of a holder in the export.
    for ln in inv.lines.select_related("order_line__holder"):
        assert ln.order_line.holder.national_id not in text


def test_the_invoices_command_invoices_the_shipped_cards_and_exports_the_csv(world, tmp_path):
    from django.core.management import call_command

    shipped_order(world, 2)
    out = io.StringIO()

    call_command("invoices", "make", stdout=out)
    call_command("invoices", "make", stdout=out)
    call_command("invoices", "export", "--output", str(tmp_path / "x.csv"))

    assert out.getvalue().splitlines() == ["1 invoices made (numbers 1 to 1).", "0 invoices made."]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "x.csv").read_text())))
    assert [(r["document_type"], r["number"], r["cards"]) for r in rows] == [("invoice", "1", "2")]
