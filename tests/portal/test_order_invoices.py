"""The company's order page shows the order's invoices and credit notes and downloads them as
EHF; nobody else can."""

from __future__ import annotations

import pytest

from hmskort.cards import services as cards
from hmskort.orders import invoicing
from tests.factories import PersonFactory, RoleFactory
from tests.orders.shipping import STAFF, shipped_order

pytestmark = pytest.mark.django_db


def test_the_order_page_shows_its_invoice_and_credit_note_and_downloads_them(world, log_in_as):
    order = shipped_order(world, 2)
    invoice = invoicing.invoice_order(order=order, actor=STAFF, staff="t")
    line = invoice.lines.order_by("position").first()
    cards.card_terminate(card=line.order_line.card, actor=STAFF)
    invoicing.credit_note_create(
        invoice=invoice, line_ids=[line.pk], reason="Feil", actor=STAFF, staff="t"
    )
    client = log_in_as(world.manager)
    base = f"/virksomheter/{world.company.orgnr}/bestillinger/{order.pk}/"

    page = client.get(base).content.decode()
    xml = client.get(f"{base}invoice/{invoice.number}/ehf.xml")
    note = client.get(f"{base}credit-note/1/ehf.xml")

    assert "Faktura 1 av" in page and "260,00 NOK inklusiv mva." in page
    assert "Kreditnota 1 av" in page
    assert xml.status_code == 200 and xml["Content-Type"] == "application/xml; charset=utf-8"
    assert b"<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>" in xml.content
    assert b"<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>" in note.content
    assert client.get(f"{base}invoice/999/ehf.xml").status_code == 404


def test_another_companys_person_cannot_download_the_invoice(world, log_in_as):
    order = shipped_order(world, 1)
    invoice = invoicing.invoice_order(order=order, actor=STAFF, staff="t")
    other = PersonFactory()
    RoleFactory(national_id=other.national_id, code="DAGL")
    client = log_in_as(other)

    response = client.get(
        f"/virksomheter/{world.company.orgnr}/bestillinger/{order.pk}/invoice/"
        f"{invoice.number}/ehf.xml"
    )

    assert response.status_code == 404
