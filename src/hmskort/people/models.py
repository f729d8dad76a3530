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


class Photo(models.Model):
    """A card photo as stored: decoded, turned upright, cropped to the card's photo ratio,
    stripped of all metadata and re-encoded (see people.images). The file is personal data:
    it lives in the private storage (`storages["private"]`), never under a public URL."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="photos")
    file_name = models.CharField(max_length=300)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # "orderer" (uploaded by the company) or "holder" (the worker, by a secure link or logged in)
    uploaded_by = models.CharField(max_length=16)
    # When the issuer approved it against the photo ID (the QR landing shows only such photos).
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return f"photo {self.pk} of person {self.person_id}"


class IdentityDocument(models.Model):
    """A photo ID the worker's identity is checked against. Images are stored privately and
    deleted once the issuer has verified them; this record stays (what, when, by whom)."""

    class Kind(models.TextChoices):
        PASSPORT = "passport", _("Passport (not an emergency passport)")
        NATIONAL_ID_CARD = "national_id_card", _("National ID card from an EU/EEA country")
        DRIVING_LICENCE_NO = "driving_licence_no", _("Norwegian driving licence issued after 1998")
        DRIVING_LICENCE_NORDIC = "driving_licence_nordic", _("Nordic driving licence")
        REFUGEE_TRAVEL = "refugee_travel", _("Refugee travel document")
        ALIENS_PASSPORT = "aliens_passport", _("Alien's passport")
        RESIDENCE_CARD = "residence_card", _("Residence card")
        ARMED_FORCES = "armed_forces", _("Norwegian armed forces ID card")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identity_documents")
    kind = models.CharField(_("type of photo ID"), max_length=32, choices=Kind.choices)
    # Names in the private storage; blank once the images are deleted after verification.
    front_file_name = models.CharField(max_length=300, blank=True)
    back_file_name = models.CharField(max_length=300, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.CharField(max_length=16)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.CharField(max_length=150, blank=True)
    images_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("photo ID")
        verbose_name_plural = _("photo IDs")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} of person {self.person_id}"
