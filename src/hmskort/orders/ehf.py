"""Invoices and credit notes as EHF: PEPPOL BIS Billing 3.0 in UBL 2.1 XML.

One Invoice (type 380) or CreditNote (type 381, referencing its invoice) per document, VAT
category S at the document's rate, Norwegian parties addressed by organisation number (scheme
0192), the seller's VAT number (NO…MVA) and "Foretaksregisteret" (Norwegian rule NO-R-002).
The elements come in the order the UBL 2.1 schema requires; tests validate the output against
the OASIS schema and check the BIS sums.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from .invoicing_models import CreditNote, CreditNoteLine, Invoice, InvoiceLine

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
ORGNR_SCHEME = "0192"  # Enhetsregisteret, Brønnøysundregistrene
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ET.register_namespace("cac", CAC)
ET.register_namespace("cbc", CBC)


def _cbc(parent: ET.Element, tag: str, text: object, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{CBC}}}{tag}", attrs)
    el.text = str(text)
    return el


def _cac(parent: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{CAC}}}{name}")


def _money(parent: ET.Element, name: str, amount: Decimal, currency: str) -> None:
    _cbc(parent, name, f"{amount:.2f}", currencyID=currency)


def _percent(rate: Decimal) -> str:
    value = (rate * 100).normalize()
    return f"{value:f}"


def _tax_category(parent: ET.Element, name: str, rate: Decimal) -> None:
    category = _cac(parent, name)
    _cbc(category, "ID", "S")
    _cbc(category, "Percent", _percent(rate))
    scheme = _cac(category, "TaxScheme")
    _cbc(scheme, "ID", "VAT")


def _address(parent: ET.Element, street: str, postcode: str, city: str, country: str) -> None:
    address = _cac(parent, "PostalAddress")
    if street:
        _cbc(address, "StreetName", street)
    if city:
        _cbc(address, "CityName", city)
    if postcode:
        _cbc(address, "PostalZone", postcode)
    _cbc(_cac(address, "Country"), "IdentificationCode", country or "NO")


def _seller(parent: ET.Element, seller: dict[str, Any]) -> None:
    party = _cac(_cac(parent, "AccountingSupplierParty"), "Party")
    _cbc(party, "EndpointID", seller["orgnr"], schemeID=ORGNR_SCHEME)
    _cbc(_cac(party, "PartyName"), "Name", seller["name"])
    _address(party, seller["street"], seller["postcode"], seller["city"], seller["country"])
    vat = _cac(party, "PartyTaxScheme")
    _cbc(vat, "CompanyID", seller["vat_number"])
    _cbc(_cac(vat, "TaxScheme"), "ID", "VAT")
    register = _cac(party, "PartyTaxScheme")
    _cbc(register, "CompanyID", "Foretaksregisteret")
    _cbc(_cac(register, "TaxScheme"), "ID", "TAX")
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", seller["name"])
    _cbc(legal, "CompanyID", seller["orgnr"], schemeID=ORGNR_SCHEME)


def _buyer(parent: ET.Element, doc: Invoice | CreditNote) -> None:
    party = _cac(_cac(parent, "AccountingCustomerParty"), "Party")
    _cbc(party, "EndpointID", doc.buyer_orgnr, schemeID=ORGNR_SCHEME)
    identification = _cac(party, "PartyIdentification")
    _cbc(identification, "ID", doc.buyer_orgnr, schemeID=ORGNR_SCHEME)
    _cbc(_cac(party, "PartyName"), "Name", doc.buyer_name)
    _address(party, doc.buyer_street, doc.buyer_postcode, doc.buyer_city, doc.buyer_country)
    if doc.buyer_vat_registered and doc.buyer_country == "NO":
        vat = _cac(party, "PartyTaxScheme")
        _cbc(vat, "CompanyID", f"NO{doc.buyer_orgnr}MVA")
        _cbc(_cac(vat, "TaxScheme"), "ID", "VAT")
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", doc.buyer_name)
    _cbc(legal, "CompanyID", doc.buyer_orgnr, schemeID=ORGNR_SCHEME)


def _totals(root: ET.Element, doc: Invoice | CreditNote) -> None:
    currency = doc.currency
    tax_total = _cac(root, "TaxTotal")
    _money(tax_total, "TaxAmount", doc.vat_amount, currency)
    subtotal = _cac(tax_total, "TaxSubtotal")
    _money(subtotal, "TaxableAmount", doc.net_amount, currency)
    _money(subtotal, "TaxAmount", doc.vat_amount, currency)
    _tax_category(subtotal, "TaxCategory", doc.vat_rate)
    legal = _cac(root, "LegalMonetaryTotal")
    _money(legal, "LineExtensionAmount", doc.net_amount, currency)
    _money(legal, "TaxExclusiveAmount", doc.net_amount, currency)
    _money(legal, "TaxInclusiveAmount", doc.gross_amount, currency)
    _money(legal, "PayableAmount", doc.gross_amount, currency)


def _line(
    root: ET.Element,
    kind: str,
    *,
    position: int,
    quantity: int,
    net: Decimal,
    unit_price: Decimal,
    invoice_line: InvoiceLine,
    rate: Decimal,
    currency: str,
) -> None:
    from hmskort.cards.numbers import format_card_number

    line = _cac(root, f"{kind}Line")
    _cbc(line, "ID", position)
    quantity_name = "InvoicedQuantity" if kind == "Invoice" else "CreditedQuantity"
    _cbc(line, quantity_name, quantity, unitCode="C62")
    _money(line, "LineExtensionAmount", net, currency)
    if kind == "Invoice":
        _cbc(_cac(line, "OrderLineReference"), "LineID", invoice_line.order_line_id)
    item = _cac(line, "Item")
    _cbc(
        item,
        "Description",
        f"{format_card_number(invoice_line.card_number)}: {invoice_line.holder_name}",
    )
    _cbc(item, "Name", invoice_line.item_name)
    _cbc(_cac(item, "SellersItemIdentification"), "ID", invoice_line.card_number)
    _tax_category(item, "ClassifiedTaxCategory", rate)
    price = _cac(line, "Price")
    _money(price, "PriceAmount", unit_price, currency)
    _cbc(price, "BaseQuantity", 1, unitCode="C62")


def _head(root: ET.Element, doc: Invoice | CreditNote) -> None:
    _cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    _cbc(root, "ProfileID", PROFILE_ID)
    _cbc(root, "ID", doc.number)
    _cbc(root, "IssueDate", doc.issue_date.isoformat())


def _root(name: str, namespace: str) -> ET.Element:
    # The document element in the default namespace, declared by hand: ElementTree's
    # default_namespace option refuses the unqualified attributes (currencyID, schemeID, …).
    return ET.Element(name, {"xmlns": namespace})


def _serialise(root: ET.Element) -> bytes:
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode()


def invoice_xml(invoice: Invoice, lines: QuerySet[InvoiceLine] | None = None) -> bytes:
    """The invoice as a PEPPOL BIS Billing 3.0 UBL Invoice."""
    rows = list(lines if lines is not None else invoice.lines.order_by("position"))
    root = _root("Invoice", INVOICE_NS)
    _head(root, invoice)
    _cbc(root, "DueDate", invoice.due_date.isoformat())
    _cbc(root, "InvoiceTypeCode", "380")
    order = invoice.order_id
    _cbc(root, "Note", f"HMS-kort, bestilling {order} / HSE cards, order {order}")
    _cbc(root, "DocumentCurrencyCode", invoice.currency)
    _cbc(root, "BuyerReference", invoice.buyer_reference or str(invoice.order_id))
    _cbc(_cac(root, "OrderReference"), "ID", invoice.order_id)
    _seller(root, invoice.seller)
    _buyer(root, invoice)
    account = invoice.seller.get("account", "")
    if account:
        means = _cac(root, "PaymentMeans")
        _cbc(means, "PaymentMeansCode", "30", name="Credit transfer")
        _cbc(_cac(means, "PayeeFinancialAccount"), "ID", account)
    terms = _cac(root, "PaymentTerms")
    days = (invoice.due_date - invoice.issue_date).days
    _cbc(terms, "Note", f"{days} dager netto / {days} days net")
    _totals(root, invoice)
    for row in rows:
        _line(
            root,
            "Invoice",
            position=row.position,
            quantity=row.quantity,
            net=row.net_amount,
            unit_price=row.unit_price,
            invoice_line=row,
            rate=invoice.vat_rate,
            currency=invoice.currency,
        )
    return _serialise(root)


def credit_note_xml(note: CreditNote) -> bytes:
    """The credit note as a PEPPOL BIS Billing 3.0 UBL CreditNote referencing its invoice."""
    invoice = note.invoice
    rows: list[CreditNoteLine] = list(
        note.lines.select_related("invoice_line").order_by("position")
    )
    root = _root("CreditNote", CREDIT_NOTE_NS)
    _head(root, note)
    _cbc(root, "CreditNoteTypeCode", "381")
    _cbc(root, "Note", note.reason)
    _cbc(root, "DocumentCurrencyCode", note.currency)
    _cbc(root, "BuyerReference", invoice.buyer_reference or str(invoice.order_id))
    _cbc(_cac(root, "OrderReference"), "ID", invoice.order_id)
    reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
    _cbc(reference, "ID", invoice.number)
    _cbc(reference, "IssueDate", invoice.issue_date.isoformat())
    _seller(root, note.seller)
    _buyer(root, note)
    # BR-CO-25: a positive amount due needs payment terms (a credit note has no due date).
    terms = _cac(root, "PaymentTerms")
    _cbc(
        terms,
        "Note",
        f"Godskrives mot faktura {invoice.number} / Credited against invoice {invoice.number}",
    )
    _totals(root, note)
    for row in rows:
        _line(
            root,
            "CreditNote",
            position=row.position,
            quantity=row.quantity,
            net=row.net_amount,
            unit_price=row.unit_price,
            invoice_line=row.invoice_line,
            rate=note.vat_rate,
            currency=note.currency,
        )
    return _serialise(root)
