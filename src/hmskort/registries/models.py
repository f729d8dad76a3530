"""Facts read from the public registers, one table per source, with the time they were read.

Registers never touch cards: the recompute (cards.recompute) turns these facts into card status.
Rows are keyed by organisation number, so a register can hold facts about units that have no
Company row yet.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BrregUnit(models.Model):
    """A unit (main unit or sub-unit) as last read from Enhetsregisteret."""

    orgnr = models.CharField(max_length=9, primary_key=True)
    name = models.CharField(max_length=300)
    organisation_form = models.CharField(max_length=40, blank=True)
    parent_orgnr = models.CharField(max_length=9, blank=True, db_index=True)
    is_sub_unit = models.BooleanField(default=False)
    registered_in_vat = models.BooleanField(default=False)  # registrertIMvaregisteret
    bankrupt = models.BooleanField(default=False)  # konkurs
    under_liquidation = models.BooleanField(default=False)  # underAvvikling
    under_forced_dissolution = models.BooleanField(default=False)
    deleted_on = models.DateField(null=True, blank=True)  # slettedato
    # Not found (404/410) or removed ("Fjernet") in the register.
    removed = models.BooleanField(default=False)
    nace_code = models.CharField(max_length=8, blank=True)
    address = models.JSONField(default=dict, blank=True)
    # A digest of the facts above: a bulk file skips units whose digest did not change.
    fact_hash = models.CharField(max_length=32, blank=True, default="")
    read_at = models.DateTimeField()
    # Where the facts were read: an API URL, a feed or a bulk file.
    read_from = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("Enhetsregisteret unit")
        verbose_name_plural = _("Enhetsregisteret units")

    def __str__(self) -> str:
        return f"{self.name} ({self.orgnr})"


class CleaningApproval(models.Model):
    """A company's status in Renholdsregisteret (Godkjenningsstatus)."""

    class Status(models.TextChoices):
        APPROVED_WITH_EMPLOYEES = "godkjent_med_ansatte", _("Approved with employees")
        APPROVED_WITHOUT_EMPLOYEES = "godkjent_uten_ansatte", _("Approved without employees")
        APPLICATION_PENDING = "soknad_under_behandling", _("Application being processed")
        CARD_ORDER_PENDING = (
            "hms_kortbestilling_under_behandling",
            _("HSE card order being processed"),
        )
        NOT_APPROVED = "ikke_godkjent", _("Not approved")
        # Was in the register, is no longer in its file.
        NOT_REGISTERED = "ikke_registrert", _("Not in the register")

    orgnr = models.CharField(max_length=9, primary_key=True)
    name = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=40, choices=Status.choices)
    read_at = models.DateTimeField()
    read_from = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("Renholdsregisteret approval")
        verbose_name_plural = _("Renholdsregisteret approvals")

    APPROVED_STATUSES = (Status.APPROVED_WITH_EMPLOYEES, Status.APPROVED_WITHOUT_EMPLOYEES)

    def __str__(self) -> str:
        return f"{self.orgnr} {self.status}"


class StaffingApproval(models.Model):
    """A staffing agency's status in Bemanningsforetaksregisteret (main units only)."""

    orgnr = models.CharField(max_length=9, primary_key=True)
    name = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=60)
    approved = models.BooleanField(default=False)
    read_at = models.DateTimeField()
    read_from = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("staffing agency approval")
        verbose_name_plural = _("staffing agency approvals")

    def __str__(self) -> str:
        return f"{self.orgnr} {self.status}"


class RegistryRun(models.Model):
    """One read of one source: what came in, what changed, and whether it was applied.

    A run that fails changes nothing. A run that proposes an implausible mass change is held:
    its proposed facts wait (StagedBrregUnit / StagedFact rows) until staff approve or reject.
    """

    class Source(models.TextChoices):
        BRREG_FEED = "brreg", _("Enhetsregisteret change feeds")
        BRREG_BULK = "brreg-bulk", _("Enhetsregisteret bulk file")
        BRREG_LOOKUP = "brreg-lookup", _("Enhetsregisteret look-up")
        RENHOLD = "renhold", _("Renholdsregisteret")
        BEMANNING = "bemanning", _("Staffing agency register")
        AAREG = "aareg", _("Aa-registeret")
        OAR = "oar", _("Register of foreign assignments")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("Applied")
        FAILED = "failed", _("Failed")
        HELD = "held", _("Held for review")
        APPROVED = "approved", _("Approved and applied")
        REJECTED = "rejected", _("Rejected")

    source = models.CharField(_("source"), max_length=16, choices=Source.choices, db_index=True)
    read_from = models.CharField(_("read from"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    records_read = models.PositiveIntegerField(_("records read"), default=0)
    records_changed = models.PositiveIntegerField(_("records changed"), default=0)
    # Changes that take a duty away (left the VAT register, deleted, approval lost …).
    records_lost = models.PositiveIntegerField(_("duties no longer met"), default=0)
    companies_recomputed = models.PositiveIntegerField(_("companies recomputed"), default=0)
    message = models.TextField(_("message"), blank=True)
    reviewed_by = models.CharField(_("reviewed by"), max_length=150, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("register run")
        verbose_name_plural = _("register runs")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["source", "status", "started_at"])]

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class FeedCursor(models.Model):
    """Where a change feed was last read to, so a restart resumes where it stopped."""

    feed = models.CharField(max_length=32, primary_key=True)
    last_update_id = models.BigIntegerField(null=True, blank=True)  # oppdateringsid
    since = models.DateTimeField(null=True, blank=True)  # start here when no id is known yet
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("change feed position")
        verbose_name_plural = _("change feed positions")

    def __str__(self) -> str:
        return f"{self.feed} @ {self.last_update_id}"


class StagedBrregUnit(models.Model):
    """Units read in a run before they are applied; kept while the run is held for review."""

    run = models.ForeignKey(RegistryRun, on_delete=models.CASCADE, related_name="+")
    orgnr = models.CharField(max_length=9)
    name = models.CharField(max_length=300)
    organisation_form = models.CharField(max_length=40, blank=True)
    parent_orgnr = models.CharField(max_length=9, blank=True)
    is_sub_unit = models.BooleanField(default=False)
    registered_in_vat = models.BooleanField(default=False)
    bankrupt = models.BooleanField(default=False)
    under_liquidation = models.BooleanField(default=False)
    under_forced_dissolution = models.BooleanField(default=False)
    deleted_on = models.DateField(null=True, blank=True)
    removed = models.BooleanField(default=False)
    nace_code = models.CharField(max_length=8, blank=True)
    address = models.JSONField(default=dict, blank=True)
    fact_hash = models.CharField(max_length=32, blank=True, default="")
    read_at = models.DateTimeField()
    read_from = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["run", "orgnr"])]

    def __str__(self) -> str:
        return f"{self.orgnr} (run {self.run_id})"


class StagedFact(models.Model):
    """A proposed fact of a smaller source (cleaning, staffing, employments) held for review."""

    run = models.ForeignKey(RegistryRun, on_delete=models.CASCADE, related_name="staged_facts")
    key = models.CharField(max_length=40)
    data = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["run", "key"])]

    def __str__(self) -> str:
        return f"{self.key} (run {self.run_id})"
