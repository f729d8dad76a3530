from django.db import models
from django.utils.translation import gettext_lazy as _


class CardType(models.Model):
    """A card scheme (construction, cleaning, …). New schemes are rows, not code paths."""

    code = models.SlugField(max_length=32, unique=True)
    name_nb = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    description_nb = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    regulation = models.CharField(max_length=100, blank=True)
    # The company must be approved in Renholdsregisteret (cleaning cards).
    requires_cleaning_approval = models.BooleanField(default=False)
    # Workers from outside the EEA need a residence permit where the job requires one.
    requires_residence_permit = models.BooleanField(default=False)
    # Card types this card also counts as (a cleaning card counts on construction sites).
    also_valid_as = models.ManyToManyField("self", symmetrical=False, blank=True)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#1E4B8C",
        help_text=_("The colour of the card type's band on the printed card, as #RRGGBB."),
    )
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("card type")
        verbose_name_plural = _("card types")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name_en

    def name(self, language: str | None = None) -> str:
        from django.utils.translation import get_language

        lang = (language or get_language() or "nb")[:2]
        return self.name_en if lang == "en" else self.name_nb

    def description(self, language: str | None = None) -> str:
        from django.utils.translation import get_language

        lang = (language or get_language() or "nb")[:2]
        return self.description_en if lang == "en" else self.description_nb


class CardState(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    AWAITING_DOCUMENTS = "awaiting_documents", _("Awaiting photo and ID")
    AWAITING_VERIFICATION = "awaiting_verification", _("Awaiting verification")
    APPROVED = "approved", _("Approved")
    IN_PRODUCTION = "in_production", _("In production")
    ISSUED = "issued", _("Issued")
    LOST = "lost", _("Reported lost")
    STOLEN = "stolen", _("Reported stolen")
    BLOCKED = "blocked", _("Blocked")
    TERMINATED = "terminated", _("Terminated")
    REPLACED = "replaced", _("Replaced")
    REJECTED = "rejected", _("Rejected")


# A replacement in one of these states was cancelled (terminated) or refused (rejected): it no
# longer stands in for the card it replaces.
DEAD_REPLACEMENT_STATES = (CardState.TERMINATED.value, CardState.REJECTED.value)


class Card(models.Model):
    # Unique by constraints (not `unique=True`), so PostgreSQL gets no second, LIKE-only
    # (varchar_pattern_ops) index on each: cards are only ever looked up by equality.
    number = models.CharField(_("card number"), max_length=12)
    qr_token = models.CharField(max_length=43)
    card_type = models.ForeignKey(CardType, on_delete=models.PROTECT, related_name="cards")
    holder = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="cards")
    # The main unit: its name and organisation number are printed on the card.
    # Indexed by (company, state) below, which also serves lookups by company alone.
    company = models.ForeignKey(
        "companies.Company", on_delete=models.PROTECT, related_name="cards", db_index=False
    )
    state = models.CharField(max_length=24, choices=CardState.choices, default=CardState.ORDERED)
    issued_on = models.DateField(_("issue date"), null=True, blank=True)
    expires_on = models.DateField(_("expiry date"), null=True, blank=True, db_index=True)
    # The card this one replaces (a renewal, or the replacement of a lost or stolen card). A card
    # has at most one live replacement (the constraint below); a cancelled or refused one does
    # not count, so the card can be renewed or replaced again.
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    # Stored validity: a check is one indexed read. Recomputed when facts change.
    valid = models.BooleanField(default=False)
    reasons = models.JSONField(default=list, blank=True)
    validity_changed_at = models.DateTimeField(null=True, blank=True)
    # The holder's facts the stored validity was computed from, as the recompute last read them
    # (docs/cards.md, "Worker facts on the card"): a recompute for a change of the company's
    # own register facts takes them from here instead of reading the person and employments
    # again, while they are known (`worker_national_id_valid` not NULL) and the employment's
    # value still holds today (`worker_employment_from` <= today < `worker_employment_until`).
    # Only the recompute writes them.
    worker_national_id_valid = models.BooleanField(null=True, editable=False)
    worker_needs_residence_permit = models.BooleanField(null=True, editable=False)
    worker_residence_permit_until = models.DateField(null=True, editable=False)
    # Employment with the card's company: NULL none reported, 0 none in force, 1 in force.
    worker_employment = models.SmallIntegerField(null=True, editable=False)
    worker_employment_from = models.DateField(null=True, editable=False)
    worker_employment_until = models.DateField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        # Each index is used by a query (docs/cards.md, "Indexes"); every extra one slows
        # generate and the lifecycle's writes.
        constraints = [
            models.UniqueConstraint(fields=["number"], name="cards_card_number_unique"),
            models.UniqueConstraint(fields=["qr_token"], name="cards_card_qr_token_unique"),
            models.UniqueConstraint(
                fields=["replaces"],
                condition=models.Q(replaces__isnull=False)
                & ~models.Q(state__in=DEAD_REPLACEMENT_STATES),
                name="cards_card_one_live_replacement",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "state"]),
            models.Index(fields=["state"], name="cards_card_state_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class CardStatusChange(models.Model):
    """Every change of a card's validity or reasons, with its time: since when, and why."""

    # Indexed by (card, at) below, which also serves lookups by card alone. No foreign-key
    # constraint in the database: the recompute writes tens of thousands of rows at once, and
    # the constraint would lock each card row again at commit. Only the recompute and the
    # lifecycle write these rows, for cards they just read; deleting a card through Django
    # still deletes its history (CASCADE) (docs/cards.md, "Recompute").
    card = models.ForeignKey(
        Card,
        on_delete=models.CASCADE,
        related_name="status_changes",
        db_index=False,
        db_constraint=False,
    )
    at = models.DateTimeField(db_index=True)
    valid = models.BooleanField()
    reasons = models.JSONField(default=list)
    state = models.CharField(max_length=24)
    cause = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("card status change")
        verbose_name_plural = _("card status changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["card", "at"])]

    def __str__(self) -> str:
        return f"{self.card_id} {'valid' if self.valid else 'invalid'} at {self.at}"
