from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    """A key for a crew-list or access-control system. Only a hash of the key is stored."""

    name = models.CharField(_("name"), max_length=200, help_text=_("The integrator or system."))
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    # The first characters of the key, shown to tell keys apart; never enough to use it.
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    rate_per_minute = models.PositiveIntegerField(
        _("requests per minute"), default=600, help_text=_("Requests of any kind per minute.")
    )
    daily_quota = models.PositiveIntegerField(
        _("card checks per day"), default=200_000, help_text=_("Card numbers checked per day.")
    )
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WebhookSubscription(models.Model):
    """An integrator wants to hear when this card changes validity."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="subscriptions")
    card = models.ForeignKey("cards.Card", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["card", "api_key"], name="webhook_subscription_unique")
        ]

    def __str__(self) -> str:
        return f"{self.api_key_id} → card {self.card_id}"


class WebhookDelivery(models.Model):
    """One event for one integrator, with its attempts: the delivery log."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Gave up")

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="deliveries")
    card = models.ForeignKey(
        "cards.Card", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event_id = models.UUIDField(unique=True)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    url = models.URLField(max_length=500)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["api_key", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.status})"
