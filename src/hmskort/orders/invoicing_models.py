"""Invoices and credit notes for ordered cards, with their gapless number series.

An invoice copies what it states (buyer, seller, prices, amounts) when it is made: the
registers, the settings and the price table may change later; the invoice does not.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NumberSeries(models.Model):
    """The last number given in a series ("invoice", "credit_note"). The row is locked
    (SELECT … FOR UPDATE) by the transaction that makes the document, so numbers are given one
    at a time and a rolled-back document gives its number back: no gaps, no duplicates."""

    name = models.CharField(max_length=32, primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_number}"


class _Document(models.Model):
    """What an invoice and a credit note both state."""

    number = models.PositiveIntegerField(_("number"), unique=True)
    company = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    issue_date = models.DateField(_("issue date"), db_index=True)
    currency = models.CharField(max_length=3, default="NOK")
    vat_rate = models.DecimalField(max_digits=4, decimal_places=3)
    net_amount = models.DecimalField(_("excluding VAT"), max_digits=12, decimal_places=2)
    vat_amount = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2)
    gross_amount = models.DecimalField(_("including VAT"), max_digits=12, decimal_places=2)
    # The buyer (the company's main unit) as the registers named it when the document was made.
    buyer_orgnr = models.CharField(max_length=9, db_index=True)
    buyer_name = models.CharField(max_length=300)
    buyer_street = models.CharField(max_length=300, blank=True)
    buyer_postcode = models.CharField(max_length=10, blank=True)
    buyer_city = models.CharField(max_length=100, blank=True)
    buyer_country = models.CharField(max_length=2, default="NO")
    buyer_vat_registered = models.BooleanField(default=False)
    # The seller (the issuer) as the settings named it then: name, orgnr, address, account.
    seller = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)

    class Meta:
        abstract = True


class Invoice(_Document):
    """An invoice for the shipped cards of one order, at the price the order recorded."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        PARTLY_CREDITED = "partly_credited", _("Partly credited")
        CREDITED = "credited", _("Credited")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="invoices")
    due_date = models.DateField(_("due date"))
    # "Your reference": who placed the order.
    buyer_reference = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.ISSUED, db_index=True
    )

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-number"]
        indexes = [models.Index(fields=["company", "issue_date"])]

    def __str__(self) -> str:
        return f"invoice {self.number}"


class InvoiceLine(models.Model):
    """One card on an invoice. An order line is invoiced at most once (unique)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    order_line = models.OneToOneField(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="invoice_line"
    )
    position = models.PositiveIntegerField()
    card_number = models.CharField(max_length=12)
    holder_name = models.CharField(max_length=300)
    item_name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    net_amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]

    def __str__(self) -> str:
        return f"line {self.position} of invoice {self.invoice_id}"


class CreditNote(_Document):
    """A credit note for cards of one invoice that were stopped after it was made."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    reason = models.CharField(_("reason"), max_length=500)

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"credit note {self.number}"


class CreditNoteLine(models.Model):
    """One credited card. An invoice line is credited at most once (unique)."""

    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, related_name="lines")
    invoice_line = models.OneToOneField(
        InvoiceLine, on_delete=models.PROTECT, related_name="credit_line"
    )
    position = models.PositiveIntegerField()
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    net_amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("credit note line")
        verbose_name_plural = _("credit note lines")
        ordering = ["credit_note", "position"]

    def __str__(self) -> str:
        return f"line {self.position} of credit note {self.credit_note_id}"
