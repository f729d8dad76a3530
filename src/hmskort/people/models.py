from django.db import models
from django.utils.translation import gettext_lazy as _


class Person(models.Model):
    """A worker or a person who logs in, keyed by fødselsnummer or D-number."""

    national_id = models.CharField(_("national ID number"), max_length=11, unique=True)
    given_name = models.CharField(_("given name"), max_length=200)
    family_name = models.CharField(_("family name"), max_length=200)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    # Folkeregisteret: the number is a valid fødselsnummer or D-number in use. Checked when the
    # person is recorded and by `hmskort people revalidate`; a register adapter may clear it.
    national_id_valid = models.BooleanField(_("national ID number valid"), default=True)
    # Non-EEA workers in cleaning need a residence permit where the job requires one.
    needs_residence_permit = models.BooleanField(default=False)
    residence_permit_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class Employment(models.Model):
    """An employment as reported to a register (or a role that stands in for one)."""

    class Source(models.TextChoices):
        AAREG = "aareg", _("Aa-registeret")
        FOREIGN = "oar", _("Register of foreign assignments")
        ROLE = "role", _("Role in Enhetsregisteret")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="employments")
    employer = models.ForeignKey(
        "companies.Company", on_delete=models.PROTECT, related_name="employments"
    )
    # The employer's main unit (the company on the card); equals employer for main units.
    main_unit = models.ForeignKey("companies.Company", on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"), null=True, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    read_at = models.DateTimeField()

    class Meta:
        verbose_name = _("employment")
        verbose_name_plural = _("employments")
        indexes = [models.Index(fields=["main_unit", "person"])]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "employer", "source", "starts_on"],
                name="employment_unique_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"employment {self.pk}"
