from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class Price(models.Model):
    """The price of a card type from a date on. Prices are data with an effective date."""

    card_type = models.ForeignKey("cards.CardType", on_delete=models.PROTECT, related_name="prices")
    amount_ex_vat = models.DecimalField(_("price excluding VAT"), max_digits=10, decimal_places=2)
    vat_rate = models.DecimalField(
        _("VAT rate"), max_digits=4, decimal_places=3, default=Decimal("0.250")
    )
    valid_from = models.DateField(_("valid from"))

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        ordering = ["card_type", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["card_type", "valid_from"], name="one_price_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.card_type_id} {self.amount_ex_vat} from {self.valid_from}"

    @property
    def amount_inc_vat(self) -> Decimal:
        return (self.amount_ex_vat * (1 + self.vat_rate)).quantize(Decimal("0.01"))


class Order(models.Model):
    """An order of cards placed by a person for a company (its main unit), with the price in
    force and the delivery address as they were when it was placed."""

    class Status(models.TextChoices):
        PLACED = "placed", _("Placed")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    company = models.ForeignKey(
        "companies.Company", on_delete=models.PROTECT, related_name="orders"
    )
    card_type = models.ForeignKey("cards.CardType", on_delete=models.PROTECT, related_name="+")
    ordered_by = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="orders_placed"
    )
    ordered_by_name = models.CharField(max_length=300)
    # Where the issuer writes to the orderer about this order (a refused photo, shipping), and in
    # which language ("nb" or "en"). Empty on orders placed before it was asked for.
    orderer_email = models.EmailField(blank=True)
    orderer_language = models.CharField(max_length=2, default="nb")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PLACED, db_index=True
    )
    # "order" (a new order) or "replacement" (a card reported lost or stolen).
    kind = models.CharField(max_length=16, default="order")
    # The form's one-time key: a double click or a retry after a timeout makes one order.
    idempotency_key = models.CharField(max_length=64, unique=True)
    # The price in force when the order was placed (the price table may change later).
    price = models.ForeignKey(Price, null=True, on_delete=models.PROTECT, related_name="+")
    unit_price_ex_vat = models.DecimalField(max_digits=10, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=4, decimal_places=3)
    # The delivery address as it was when ordered; the address row may change or be archived.
    delivery_address = models.ForeignKey(
        "companies.DeliveryAddress",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    delivery_recipient = models.CharField(max_length=200)
    delivery_attention = models.CharField(max_length=200, blank=True)
    delivery_street = models.CharField(max_length=200)
    delivery_postcode = models.CharField(max_length=4)
    delivery_city = models.CharField(max_length=100)
    placed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-pk"]
        indexes = [models.Index(fields=["company", "placed_at"])]

    def __str__(self) -> str:
        return f"order {self.pk}"

    def delivery_lines(self) -> list[str]:
        first = [self.delivery_recipient] + (
            [self.delivery_attention] if self.delivery_attention else []
        )
        return [*first, self.delivery_street, f"{self.delivery_postcode} {self.delivery_city}"]


class OrderLine(models.Model):
    """One card of an order: whom it is for, and the photo and photo ID sent for it."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="lines")
    card = models.OneToOneField("cards.Card", on_delete=models.PROTECT, related_name="order_line")
    holder = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    unit_price_ex_vat = models.DecimalField(max_digits=10, decimal_places=2)
    # Where the employee's upload link is e-mailed (optional; the orderer can pass it on too).
    email = models.EmailField(blank=True)
    language = models.CharField(max_length=8, default="nb")
    photo = models.ForeignKey(
        "people.Photo", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    identity_document = models.ForeignKey(
        "people.IdentityDocument",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"line {self.pk} of order {self.order_id}"


class UploadLink(models.Model):
    """A secure link that lets a worker upload their own photo and photo ID for one card.

    Single purpose (one order line), unguessable (only a hash of its secret is stored, and the
    URL carries the secret signed), expiring, revocable, and locked after too many wrong birth
    dates.
    """

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="upload_links")
    secret_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(blank=True)
    language = models.CharField(max_length=8, default="nb")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("upload link")
        verbose_name_plural = _("upload links")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"upload link {self.pk}"


from .fulfilment_models import BatchItem, ProductionBatch, Shipment, VerificationDecision  # noqa: E402, F401
from .invoicing_models import (  # noqa: E402, F401
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    NumberSeries,
)
