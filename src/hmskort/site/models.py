from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Bilingual(models.Model):
    """Fields `<name>_nb` and `<name>_en` read in the active language."""

    class Meta:
        abstract = True

    def _lang(self) -> str:
        return (get_language() or "nb")[:2]

    def _pick(self, name: str) -> str:
        return getattr(self, f"{name}_en" if self._lang() == "en" else f"{name}_nb")


class NewsItem(Bilingual):
    """A news item on the front page ("Nytt for året / New for the year").

    Shown from `published_on` (a later date schedules it) until `unpublish_on` (excluded)."""

    published_on = models.DateField(_("published"), default=timezone.localdate)
    unpublish_on = models.DateField(
        _("unpublish on"),
        null=True,
        blank=True,
        help_text=_("Not shown from this day on. Empty: shown until unpublished by hand."),
    )
    title_nb = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    body_nb = models.TextField()
    body_en = models.TextField()
    is_published = models.BooleanField(default=True)
    # The back office's form sends a random key once per form: the same key twice (a double
    # submit) writes one item.
    form_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    class Meta(Bilingual.Meta):
        verbose_name = _("news item")
        verbose_name_plural = _("news items")
        ordering = ["-published_on", "-id"]

    def __str__(self) -> str:
        return self.title_en

    @property
    def title(self) -> str:
        return self._pick("title")

    @property
    def body(self) -> str:
        return self._pick("body")


class ServiceMessage(Bilingual):
    """An operational message ("driftsmelding"): shown from `publish_at` until `unpublish_at`."""

    class Severity(models.TextChoices):
        INFO = "info", _("Information")
        WARNING = "warning", _("Disruption")
        RESOLVED = "resolved", _("Resolved")

    publish_at = models.DateTimeField(_("publish at"), default=timezone.now)
    unpublish_at = models.DateTimeField(
        _("unpublish at"),
        null=True,
        blank=True,
        help_text=_("Not shown from this time on. Empty: shown until unpublished by hand."),
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.INFO
    )
    title_nb = models.CharField(_("title (bokmål)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    body_nb = models.TextField(_("text (bokmål)"))
    body_en = models.TextField(_("text (English)"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("operational message")
        verbose_name_plural = _("operational messages")
        ordering = ["-publish_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unpublish_at__isnull=True) | Q(unpublish_at__gt=F("publish_at")),
                name="site_servicemessage_unpublish_after_publish",
            )
        ]
        indexes = [models.Index(fields=["publish_at"])]

    def __str__(self) -> str:
        return self.title_en

    @property
    def title(self) -> str:
        return self._pick("title")

    @property
    def body(self) -> str:
        return self._pick("body")


class MaintenanceWindow(Bilingual):
    """A scheduled maintenance window.

    During it the portal, login and back office answer 503 with a maintenance page, background
    jobs that write wait until it ends, and the card check keeps answering read-only. Windows
    never overlap (checked by `services.schedule_window`); a cancelled window is kept for the
    record and no longer counts.
    """

    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    message_nb = models.TextField(_("message (bokmål)"), blank=True)
    message_en = models.TextField(_("message (English)"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="site_maintenancewindow_ends_after_start",
            )
        ]
        indexes = [models.Index(fields=["ends_at"])]

    def __str__(self) -> str:
        return f"{self.pk}: {self.starts_at.isoformat()} to {self.ends_at.isoformat()}"

    @property
    def message(self) -> str:
        return self._pick("message")

    def is_active(self, now) -> bool:
        return self.cancelled_at is None and self.starts_at <= now < self.ends_at
