"""Alert e-mails to a company's orderers: where each person wants them, what they turned off,
and what was sent (so a job run twice sends nothing twice)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertContact(models.Model):
    """Where a person wants alert e-mails, and in which language. ID-porten gives a person's
    national ID number and no e-mail address: the person gives it on the alert settings page."""

    person = models.OneToOneField(
        "people.Person", on_delete=models.CASCADE, related_name="alert_contact"
    )
    email = models.EmailField(_("e-mail address"))
    language = models.CharField(_("language"), max_length=8, default="nb")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("alert contact")
        verbose_name_plural = _("alert contacts")

    def __str__(self) -> str:
        return f"alert contact of person {self.person_id}"


class AlertPreference(models.Model):
    """A person's choice for one company (a main unit). No row: both kinds of alert are on."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="alert_preferences"
    )
    company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="alert_preferences"
    )
    invalid_digest = models.BooleanField(_("daily list of cards that are no longer valid"))
    expiry = models.BooleanField(_("cards that expire within 60 and 30 days"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("alert preference")
        verbose_name_plural = _("alert preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "company"], name="alerts_one_preference_per_company"
            )
        ]

    def __str__(self) -> str:
        return f"alert preference {self.person_id}/{self.company_id}"


class Kind(models.TextChoices):
    INVALID = "invalid", _("Cards no longer valid")
    EXPIRY = "expiry", _("Cards expiring soon")


class Digest(models.Model):
    """One company's alert of one kind for one day, with the span of time it covers. The next
    day's digest starts where this one ended; a second run the same day finds it and adds
    nothing new."""

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    day = models.DateField()
    covers_from = models.DateTimeField()
    covers_to = models.DateTimeField()
    # The cards it lists: [{"card": id, "threshold": 60|30|None, "since": iso}, ...]
    items = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("alert digest")
        verbose_name_plural = _("alert digests")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind", "day"], name="alerts_one_digest_per_company_kind_day"
            )
        ]
        indexes = [models.Index(fields=["company", "kind", "-covers_to"])]

    def __str__(self) -> str:
        return f"{self.kind} digest {self.company_id} {self.day}"


class ExpiryNotice(models.Model):
    """A card has been announced as expiring within `threshold` days (60 or 30): once each."""

    card = models.ForeignKey("cards.Card", on_delete=models.CASCADE, related_name="+")
    threshold = models.PositiveSmallIntegerField()
    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="notices")

    class Meta:
        verbose_name = _("expiry notice")
        verbose_name_plural = _("expiry notices")
        constraints = [
            models.UniqueConstraint(
                fields=["card", "threshold"], name="alerts_one_notice_per_card_threshold"
            )
        ]

    def __str__(self) -> str:
        return f"card {self.card_id} within {self.threshold} days"


class Delivery(models.Model):
    """A digest e-mailed to one person: at most once (unique), recorded with the mail."""

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="deliveries")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    language = models.CharField(max_length=8)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("alert e-mail sent")
        verbose_name_plural = _("alert e-mails sent")
        constraints = [
            models.UniqueConstraint(
                fields=["digest", "person"], name="alerts_one_delivery_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"digest {self.digest_id} to person {self.person_id}"
