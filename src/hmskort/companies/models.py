from django.db import models
from django.utils.translation import gettext_lazy as _

# Role codes in Enhetsregisteret that give ordering rights (our rule, from Altinn's key roles).
ORDERING_ROLE_CODES = ("DAGL", "INNH", "LEDE", "DTPR", "DTSO", "KOMP", "BEST", "BOBE")
# Organisation forms whose owners are not employees: their role stands in for Aa-registeret.
OWNER_WORKER_FORMS = ("ENK", "ANS", "DA")
OWNER_WORKER_ROLE_CODES = ("INNH", "DTPR", "DTSO")


class Company(models.Model):
    """A unit in Enhetsregisteret: a main unit (parent is null) or a sub-unit of one.

    The card shows the main unit; employments may be registered under a sub-unit.
    """

    orgnr = models.CharField(_("organisation number"), max_length=9, unique=True)
    name = models.CharField(_("name"), max_length=300)
    organisation_form = models.CharField(_("organisation form"), max_length=40, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sub_units",
        verbose_name=_("main unit"),
    )
    card_type = models.ForeignKey(
        "cards.CardType",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("card type it may order"),
    )
    is_staffing_agency = models.BooleanField(_("staffing agency"), default=False)
    is_foreign = models.BooleanField(_("foreign company (NUF)"), default=False)
    vat_exempt = models.BooleanField(_("exempt from the VAT register duty"), default=False)
    vat_exempt_note = models.CharField(_("why it is exempt"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.orgnr})"

    @property
    def is_main_unit(self) -> bool:
        return self.parent_id is None

    @property
    def main_unit(self) -> "Company":
        return self.parent if self.parent is not None else self


class Role(models.Model):
    """A person's role in a company, as read from a roles source, keyed by national ID number."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="roles")
    national_id = models.CharField(max_length=11, db_index=True)
    code = models.CharField(max_length=8)
    holder_name = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=32, default="local")
    read_at = models.DateTimeField()

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "national_id", "code"], name="role_unique_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.company_id}"


class Delegation(models.Model):
    """Ordering access granted by a role holder to another person, optionally time-limited."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="delegations")
    national_id = models.CharField(_("national ID number"), max_length=11, db_index=True)
    grantee_name = models.CharField(_("name"), max_length=300, blank=True)
    granted_by_national_id = models.CharField(max_length=11)
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("to"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by_national_id = models.CharField(max_length=11, blank=True)

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"delegation {self.pk} for {self.company_id}"


class DeliveryAddress(models.Model):
    """Where a company wants its cards sent. A company keeps several; archived ones stay, so
    old orders still name them (an order also copies the address as it was)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="addresses")
    recipient = models.CharField(_("recipient"), max_length=200)
    attention = models.CharField(_("attention"), max_length=200, blank=True)
    street = models.CharField(_("street address"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=4)
    city = models.CharField(_("city"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery address")
        verbose_name_plural = _("delivery addresses")
        ordering = ["recipient", "pk"]

    def __str__(self) -> str:
        return ", ".join(self.lines())

    def lines(self) -> list[str]:
        """The address as printed on a parcel."""
        first = [self.recipient] + ([self.attention] if self.attention else [])
        return [*first, self.street, f"{self.postcode} {self.city}"]
