"""Orders whose cards have gone the issuer's whole way: documents, approval, batch, shipping."""

from __future__ import annotations

from hmskort.audit.services import Actor
from hmskort.cards import services as cards
from hmskort.orders import fulfilment, invoicing
from hmskort.orders.models import Invoice, Order
from hmskort.orders.services import Holder, documents_submit
from tests.orders.conftest import new_holder, place_order, upload

STAFF = Actor.staff("test-staff")


def place(world, n: int = 1, *, serial: int = 100, company=None) -> Order:
    holders: list[Holder] = [new_holder(serial=serial + i) for i in range(n)]
    return place_order(world, holders, company=company or world.company).order


def approve(order: Order, *, only: int | None = None) -> list:
    """Photo and photo ID for the order's lines waiting for them (of the first `only`),
    then approved."""
    lines = [
        line
        for line in list(order.lines.select_related("card").order_by("pk"))[:only]
        if line.card.state == "awaiting_documents"
    ]
    for line in lines:
        documents_submit(line=line, upload=upload(), actor=STAFF, uploaded_by="orderer")
        line.refresh_from_db()
        fulfilment.verification_approve(line=line, staff="test-staff", actor=STAFF)
    return lines


def ship(lines) -> None:
    batch = fulfilment.batch_create(
        staff="test-staff", actor=STAFF, line_ids=[line.pk for line in lines]
    )
    fulfilment.batch_mark_produced(batch=batch, actor=STAFF)
    fulfilment.batch_ship(batch=batch, actor=STAFF)


def shipped_order(world, n: int = 1, *, serial: int = 100, company=None) -> Order:
    """An order of n cards, all of them shipped (issued)."""
    order = place(world, n, serial=serial, company=company)
    ship(approve(order))
    return Order.objects.get(pk=order.pk)


def invoiced_with_a_credit_note(world, n: int = 3) -> Invoice:
    """An invoice of n shipped cards; the first two cards terminated, the first one credited."""
    invoice = invoicing.invoice_order(order=shipped_order(world, n), actor=STAFF, staff="t")
    lines = list(invoice.lines.order_by("position"))
    for line in lines[:2]:
        cards.card_terminate(card=line.order_line.card, actor=STAFF)
    invoicing.credit_note_create(
        invoice=invoice, line_ids=[lines[0].pk], reason="Feil", actor=STAFF, staff="t"
    )
    return invoice
