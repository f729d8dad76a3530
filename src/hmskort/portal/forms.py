from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from hmskort.identifiers import InvalidIdentifier, parse_national_id


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
