"""Facts read from the public registers, one table per source, with the time they were read.

Registers never touch cards: the recompute (cards.services) turns these facts into card status.
Rows are keyed by organisation number, so a register can hold facts about units that have no
Company row yet.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BrregUnit(models.Model):
    """A unit (main unit or sub-unit) as last read from Enhetsregisteret."""

    orgnr = models.CharField(max_length=9, primary_key=True)
    name = models.CharField(max_length=300)
    organisation_form = models.CharField(max_length=8, blank=True)
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
    read_at = models.DateTimeField()

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

    orgnr = models.CharField(max_length=9, primary_key=True)
    name = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=40, choices=Status.choices)
    read_at = models.DateTimeField()

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

    def __str__(self) -> str:
        return f"{self.orgnr} {self.status}"
