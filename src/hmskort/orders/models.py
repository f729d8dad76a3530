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
