"""The issuer's side of an order: production batches and their shipments (one per address)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductionBatch(models.Model):
    """Approved cards gathered for the card printer. The PDF is rendered from the cards and
    the batch's issue date, the date printed on every card (shipping issues them with it)."""

    class Status(models.TextChoices):
        CREATED = "created", _("Ready to print")
        PRODUCED = "produced", _("Produced")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")

    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.CREATED, db_index=True
    )
    issue_date = models.DateField(_("issue date"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)
    produced_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("production batch")
        verbose_name_plural = _("production batches")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"batch {self.pk}"


class Shipment(models.Model):
    """The cards of a batch going to one delivery address."""

    batch = models.ForeignKey(ProductionBatch, on_delete=models.PROTECT, related_name="shipments")
    recipient = models.CharField(max_length=200)
    attention = models.CharField(max_length=200, blank=True)
    street = models.CharField(max_length=200)
    postcode = models.CharField(max_length=4)
    city = models.CharField(max_length=100)
    shipped_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["batch", "pk"]

    def __str__(self) -> str:
        return f"shipment {self.pk} of batch {self.batch_id}"

    def address_lines(self) -> list[str]:
        first = [self.recipient] + ([self.attention] if self.attention else [])
        return [*first, self.street, f"{self.postcode} {self.city}"]


class BatchItem(models.Model):
    """One card (by its order line) in a batch, and the shipment it went in."""

    batch = models.ForeignKey(ProductionBatch, on_delete=models.PROTECT, related_name="items")
    line = models.OneToOneField(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="batch_item"
    )
    shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )

    class Meta:
        verbose_name = _("card in a batch")
        verbose_name_plural = _("cards in batches")
        ordering = ["batch", "pk"]

    def __str__(self) -> str:
        return f"line {self.line_id} in batch {self.batch_id}"


class VerificationDecision(models.Model):
    """The issuer's decision on an order line's photo and photo ID: who, when, which document
    type, approved or rejected (with the reason). It stays after the images are deleted."""

    line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="verification_decisions"
    )
    approved = models.BooleanField()
    reason = models.CharField(max_length=32, blank=True)
    text = models.CharField(max_length=1000, blank=True)
    document_kind = models.CharField(max_length=32, blank=True)
    decided_by = models.CharField(max_length=150)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("verification decision")
        verbose_name_plural = _("verification decisions")
        ordering = ["-decided_at", "-pk"]

    def __str__(self) -> str:
        return f"decision {self.pk} on line {self.line_id}"
