import uuid
from typing import cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from hmskort.identifiers import InvalidIdentifier, parse_national_id, parse_postcode


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "ds-input", **(attrs or {})}, format="%Y-%m-%d")


class DelegationForm(forms.Form):
    """What a role holder enters to give a person access; the rules live in the service."""

    national_id = forms.CharField(
        label=_("National ID number or D-number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"class": "ds-input", "inputmode": "numeric", "autocomplete": "off"}
        ),
    )
    grantee_name = forms.CharField(
        label=_("Name"),
        max_length=300,
        widget=forms.TextInput(attrs={"class": "ds-input", "autocomplete": "off"}),
    )
    starts_on = forms.DateField(label=_("From (optional)"), required=False, widget=DateInput())
    ends_on = forms.DateField(label=_("To (optional)"), required=False, widget=DateInput())

    def mark_invalid_fields(self) -> None:
        """aria-invalid on each field with an error, described by its error message."""
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{self[name].auto_id}-error"}
                )

    def clean_national_id(self) -> str:
        # Checked here too, so every mistake in the form is shown at once.
        try:
            return parse_national_id(
                self.cleaned_data["national_id"],
                allow_test=settings.HMSKORT_ALLOW_TEST_IDENTITIES,
            ).number
        except InvalidIdentifier as exc:
            raise forms.ValidationError(str(exc)) from None


class TextInput(forms.TextInput):
    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "ds-input", **(attrs or {})})


class DeliveryAddressForm(forms.Form):
    """A delivery address; the service checks the postcode and trims the values."""

    recipient = forms.CharField(label=_("Recipient"), max_length=200, widget=TextInput())
    attention = forms.CharField(
        label=_("Attention (optional)"), max_length=200, required=False, widget=TextInput()
    )
    street = forms.CharField(label=_("Street address"), max_length=200, widget=TextInput())
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=10,
        widget=TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    city = forms.CharField(label=_("City"), max_length=100, widget=TextInput())

    def clean_postcode(self) -> str:
        try:
            return parse_postcode(self.cleaned_data["postcode"])
        except InvalidIdentifier as exc:
            raise forms.ValidationError(str(exc)) from None


LANGUAGE_CHOICES = [("nb", _("Norwegian")), ("en", _("English"))]


def _link_email_field(label) -> forms.EmailField:
    """Where to e-mail an employee's upload link (optional)."""
    return forms.EmailField(
        label=label,
        required=False,
        widget=forms.EmailInput(attrs={"class": "ds-input", "autocomplete": "off"}),
    )


def _link_language_field() -> forms.ChoiceField:
    """The language of the e-mail with the upload link."""
    return forms.ChoiceField(
        label=_("Language of the e-mail"),
        choices=LANGUAGE_CHOICES,
        initial="nb",
        widget=forms.Select(attrs={"class": "ds-input"}),
    )


class NewPersonForm(forms.Form):
    """A person not (yet) among the employees: number, name, and where to send the upload link."""

    national_id = forms.CharField(
        label=_("National ID number or D-number"),
        max_length=20,
        widget=TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    given_name = forms.CharField(label=_("Given name"), max_length=200, widget=TextInput())
    family_name = forms.CharField(label=_("Family name"), max_length=200, widget=TextInput())
    email = _link_email_field(_("E-mail for the upload link (optional)"))
    language = _link_language_field()

    def clean_national_id(self) -> str:
        try:
            return parse_national_id(
                self.cleaned_data["national_id"],
                allow_test=settings.HMSKORT_ALLOW_TEST_IDENTITIES,
            ).number
        except InvalidIdentifier as exc:
            raise forms.ValidationError(str(exc)) from None

    def has_changed(self) -> bool:
        # The language select alone does not make a row.
        return any(
            self[name].data for name in ("national_id", "given_name", "family_name", "email")
        )


NewPersonFormSet = forms.formset_factory(NewPersonForm, extra=3, max_num=50)


class DeliveryAddressChoiceForm(forms.Form):
    """Base of the forms that send cards somewhere: one of the company's delivery addresses
    (`addresses`), already chosen when there is only one."""

    delivery_address_label = _("Delivery address")
    delivery_address = forms.TypedChoiceField(
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "ds-input"}),
        error_messages={"required": _("Choose a delivery address.")},
    )

    def __init__(self, *args, addresses=(), **kwargs):
        super().__init__(*args, **kwargs)
        addresses = list(addresses)
        field = cast(forms.ChoiceField, self.fields["delivery_address"])
        field.label = self.delivery_address_label
        field.choices = [(a.pk, ", ".join(a.lines())) for a in addresses]
        if len(addresses) == 1:
            self.initial.setdefault("delivery_address", addresses[0].pk)


class OneTimeOrderForm(DeliveryAddressChoiceForm):
    """A delivery address and a hidden one-time key, new each time the form is shown: the order
    service places one order per key, so a double submit is one order."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("key", uuid.uuid4().hex)


class OrderForm(OneTimeOrderForm):
    """Step one of an order: whom for, and where to send the cards."""

    field_order = ["employees"]
    employees = forms.TypedMultipleChoiceField(
        label=_("Employees"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "ds-input"}),
    )

    def __init__(self, *args, employees=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["employees"]).choices = [
            (p.pk, p.label) for p in employees
        ]


class DocumentsForm(forms.Form):
    """Photo and photo ID. The files are decoded and checked by the service, not trusted here."""

    photo = forms.FileField(
        label=_("Photo (JPEG or PNG, at most 10 MB)"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"class": "ds-input", "accept": "image/jpeg,image/png"}
        ),
    )
    document_kind = forms.ChoiceField(
        label=_("Type of photo ID"),
        choices=[("", "—")],
        required=False,
        widget=forms.Select(attrs={"class": "ds-input"}),
    )
    document_front = forms.FileField(
        label=_("Photo ID: the page or side with the photo"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"class": "ds-input", "accept": "image/jpeg,image/png"}
        ),
    )
    document_back = forms.FileField(
        label=_("Photo ID: the back (optional, for cards)"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"class": "ds-input", "accept": "image/jpeg,image/png"}
        ),
    )

    def __init__(self, *args, **kwargs):
        from hmskort.people.models import IdentityDocument

        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["document_kind"]).choices = [
            ("", "—"),
            *IdentityDocument.Kind.choices,
        ]


class BirthDateForm(forms.Form):
    birth_date = forms.DateField(
        label=_("Your date of birth"),
        widget=DateInput(attrs={"autocomplete": "bday"}),
        error_messages={
            "required": _("Enter your date of birth."),
            "invalid": _("Enter a valid date."),
        },
    )


class LinkForm(forms.Form):
    """A new upload link: where to e-mail it, if anywhere, and in which language."""

    email = _link_email_field(_("E-mail (optional)"))
    language = _link_language_field()


class OrdererContactForm(forms.Form):
    """The orderer's e-mail address and language for the issuer's messages about the order.
    The service checks the values (the fields take any text, so its messages are the ones shown)."""

    orderer_email = forms.CharField(
        label=_("Your e-mail address"),
        help_text=_(
            "The card issuer writes to you here about this order, for example when a photo must "
            "be replaced and when the cards are sent."
        ),
        required=False,
        widget=forms.EmailInput(attrs={"class": "ds-input", "autocomplete": "email"}),
    )
    orderer_language = forms.ChoiceField(
        label=_("Language of these e-mails"),
        choices=LANGUAGE_CHOICES,
        widget=forms.RadioSelect(attrs={"class": "ds-input"}),
        error_messages={"required": _("Choose Norwegian or English.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        email = self.fields["orderer_email"].widget.attrs
        email["aria-describedby"] = f"{self['orderer_email'].auto_id}-help"

    def mark_invalid_fields(self) -> None:
        """aria-invalid on each field with an error, described by its error message (and the
        e-mail field by its help text too)."""
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                described = f"{self[name].auto_id}-error {attrs.get('aria-describedby', '')}"
                attrs.update({"aria-invalid": "true", "aria-describedby": described.strip()})


class ReplaceForm(OrdererContactForm, OneTimeOrderForm):
    """A new card in place of a lost or stolen one: where to send it, and where the issuer
    writes about its order."""

    field_order = ["delivery_address", "orderer_email", "orderer_language"]
    delivery_address_label = _("Send the new card to")


class ReportForm(ReplaceForm):
    field_order = ["report", *ReplaceForm.field_order]
    report = forms.ChoiceField(
        label=_("What happened to the card?"),
        choices=[("lost", _("It is lost")), ("stolen", _("It was stolen"))],
        widget=forms.RadioSelect(attrs={"class": "ds-input"}),
        error_messages={"required": _("Choose lost or stolen.")},
    )


class CsvOrderForm(DeliveryAddressChoiceForm):
    field_order = ["file"]
    file = forms.FileField(
        label=_("CSV file: national ID number, name, e-mail (optional) per row"),
        widget=forms.ClearableFileInput(attrs={"class": "ds-input", "accept": ".csv,text/csv"}),
        error_messages={"required": _("Choose a CSV file.")},
    )


class AlertSettingsForm(forms.Form):
    """A person's e-mail alerts for one company; the rules (an address while an alert is on)
    are checked here for the page and again by the service."""

    invalid_digest = forms.BooleanField(
        label=_("A daily e-mail listing the cards that are no longer valid, with the reasons"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "ds-input"}),
    )
    expiry = forms.BooleanField(
        label=_("An e-mail when cards expire within 60 days, and again within 30 days"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "ds-input"}),
    )
    email = forms.EmailField(
        label=_("Your e-mail address for alerts"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Enter an e-mail address such as name@example.no.")},
        widget=forms.EmailInput(attrs={"class": "ds-input", "autocomplete": "email"}),
    )
    language = forms.ChoiceField(
        label=_("Language of the e-mails"),
        choices=LANGUAGE_CHOICES,
        widget=forms.Select(attrs={"class": "ds-input"}),
    )

    def clean(self):
        data = super().clean() or {}
        wanted = data.get("invalid_digest") or data.get("expiry")
        if wanted and not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("Enter the e-mail address the alerts should go to."))
        return data

    def mark_invalid_fields(self) -> None:
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{self[name].auto_id}-error"}
                )


class RenewForm(OneTimeOrderForm):
    """Renewal in one step: which expiring cards, and where to send the new ones."""

    field_order = ["cards"]
    cards = forms.TypedMultipleChoiceField(
        label=_("Cards to renew"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "ds-input"}),
        error_messages={"required": _("Choose at least one card to renew.")},
    )

    def __init__(self, *args, cards=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["cards"]).choices = [
            (card.pk, card.label) for card in cards
        ]
