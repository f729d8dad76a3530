"""Invoicing at once from several connections: numbers 1..N with no gap and no duplicate, and
no card invoiced twice.

Real concurrency: PostgreSQL only (tests.orders.conftest.CONCURRENT)."""

from __future__ import annotations

from hmskort.cards import services as cards
from hmskort.orders import invoicing
from hmskort.orders.models import CreditNote, Invoice, InvoiceLine, NumberSeries
from tests.orders.conftest import CONCURRENT, race
from tests.orders.shipping import STAFF, shipped_order

pytestmark = CONCURRENT


def test_eight_connections_invoicing_at_once_number_the_invoices_1_to_n_without_gaps(world):
    orders = [shipped_order(world, 1, serial=600 + i) for i in range(6)]

    def invoice(order):
        return lambda: invoicing.invoice_order(order=order, actor=STAFF, staff="t")

    # Six orders, two of them asked for twice at the same moment (a double click).
    results = race(*[invoice(o) for o in orders], invoice(orders[0]), invoice(orders[1]))

    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5, 6]
    assert sum(r is None for r in results) == 2
    assert InvoiceLine.objects.count() == 6
    assert NumberSeries.objects.get(name="invoice").last_number == 6


def test_invoicing_all_shipped_orders_from_four_connections_at_once_invoices_each_once(world):
    for i in range(5):
        shipped_order(world, 2, serial=700 + 10 * i)

    def run():
        return invoicing.invoice_shipped(actor=STAFF, staff="t")

    results = race(run, run, run, run)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(len(r) for r in results) == 5
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5]
    assert InvoiceLine.objects.count() == 10


def test_crediting_the_same_cards_from_two_connections_at_once_credits_them_once(world):
    invoice = invoicing.invoice_order(
        order=shipped_order(world, 2, serial=800), actor=STAFF, staff="t"
    )
    lines = list(invoice.lines.select_related("order_line__card"))
    for line in lines:
        cards.card_terminate(card=line.order_line.card, actor=STAFF)
    ids = [line.pk for line in lines]

    def credit():
        return invoicing.credit_note_create(
            invoice=invoice, line_ids=ids, reason="Feil", actor=STAFF, staff="t"
        )

    results = race(credit, credit, credit)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r is not None for r in results) == 1
    assert list(CreditNote.objects.values_list("number", flat=True)) == [1]
