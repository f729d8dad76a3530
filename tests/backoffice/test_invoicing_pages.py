"""The invoicing pages: administrators invoice the shipped cards and credit terminated ones;
support reads invoices; the CSV and the EHF files download."""

from __future__ import annotations

import csv
import io

import pytest

from hmskort.cards import services as cards
from hmskort.orders.models import CreditNote, Invoice
from tests.orders.shipping import STAFF, shipped_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(staff_client):
    return staff_client("administrator", "ada")


def make_invoices(admin):
    return admin.post("/kontor/fakturaer/lag/", follow=True)


def test_an_administrator_invoices_the_shipped_cards_once_however_often_they_press(world, admin):
    order = shipped_order(world, 2)

    page = admin.get("/kontor/fakturaer/").content.decode()
    first = make_invoices(admin)
    second = make_invoices(admin)

    assert "1 bestilling har sendte kort som ikke er fakturert ennå." in page
    assert "Faktura 1 er laget." in first.content.decode()
    assert "Ingen sendte kort venter på faktura." in second.content.decode()
    invoice = Invoice.objects.get()
    assert invoice.order == order and invoice.lines.count() == 2
    assert invoice.created_by == "ada"


def test_the_list_filters_by_company_and_period_and_refuses_a_period_backwards(world, admin):
    shipped_order(world, 1)
    make_invoices(admin)
    day = Invoice.objects.get().issue_date.isoformat()

    found = admin.get("/kontor/fakturaer/", {"company": world.company.orgnr, "date_from": day})
    other = admin.get("/kontor/fakturaer/", {"company": "Ingen slik AS"})
    backwards = admin.get(
        "/kontor/fakturaer/", {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )

    assert 'href="/kontor/fakturaer/1/"' in found.content.decode()
    assert "Fant ingen fakturaer." in other.content.decode()
    assert backwards.status_code == 400
    text = backwards.content.decode()
    assert 'id="error-summary"' in text
    assert "Slutten av perioden er før starten." in text
    assert 'aria-invalid="true"' in text


def test_a_terminated_card_is_credited_from_the_invoice_page_and_only_once(world, admin):
    shipped_order(world, 2)
    make_invoices(admin)
    invoice = Invoice.objects.get()
    line = invoice.lines.order_by("position").first()
    cards.card_terminate(card=line.order_line.card, actor=STAFF)

    page = admin.get("/kontor/fakturaer/1/").content.decode()
    data = {"lines": [str(line.pk)], "reason": "Kortet ble avsluttet samme dag"}
    first = admin.post("/kontor/fakturaer/1/krediter/", data, follow=True)
    second = admin.post("/kontor/fakturaer/1/krediter/", data, follow=True)

    assert "Krediter avsluttede kort" in page and f'value="{line.pk}"' in page
    assert "Kreditnota 1 er laget." in first.content.decode()
    assert "Disse kortene er allerede kreditert." in second.content.decode()
    note = CreditNote.objects.get()
    assert note.reason == "Kortet ble avsluttet samme dag"
    assert [cl.invoice_line_id for cl in note.lines.all()] == [line.pk]
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PARTLY_CREDITED


def test_a_credit_without_a_reason_shows_a_summary_and_credits_nothing(world, admin):
    shipped_order(world, 1)
    make_invoices(admin)
    line = Invoice.objects.get().lines.get()
    cards.card_terminate(card=line.order_line.card, actor=STAFF)

    response = admin.post("/kontor/fakturaer/1/krediter/", {"lines": [str(line.pk)]})

    assert response.status_code == 400
    assert 'id="error-summary"' in response.content.decode()
    assert CreditNote.objects.count() == 0


def test_the_csv_and_the_ehf_files_download(world, admin):
    shipped_order(world, 1)
    make_invoices(admin)
    line = Invoice.objects.get().lines.get()
    cards.card_terminate(card=line.order_line.card, actor=STAFF)
    admin.post("/kontor/fakturaer/1/krediter/", {"lines": [str(line.pk)], "reason": "Feil"})

    exported = admin.get("/kontor/fakturaer/eksport.csv", {"company": world.company.orgnr})
    invoice_xml = admin.get("/kontor/fakturaer/1/ehf.xml")
    note_xml = admin.get("/kontor/kreditnotaer/1/ehf.xml")

    assert exported["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [(r["document_type"], r["number"]) for r in rows] == [
        ("invoice", "1"),
        ("credit_note", "1"),
    ]
    assert invoice_xml["Content-Type"] == "application/xml; charset=utf-8"
    assert b"<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>" in invoice_xml.content
    assert b"<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>" in note_xml.content


def test_support_reads_invoices_but_makes_none(world, staff_client):
    shipped_order(world, 1)
    support = staff_client("support", "sven")

    page = support.get("/kontor/fakturaer/").content.decode()

    assert "Fakturering" in page
    assert "Fakturer de sendte kortene" not in page
    assert support.post("/kontor/fakturaer/lag/").status_code == 403
    assert Invoice.objects.count() == 0


def test_the_invoicing_page_is_in_english_under_en(world, admin):
    shipped_order(world, 1)

    page = admin.get("/en/office/invoices/").content.decode()

    assert "1 order has shipped cards that are not invoiced yet." in page
    assert "Invoice the shipped cards" in page
