from django import forms
from django.utils.translation import gettext_lazy as _

BLOCK_REASONS = [
    ("employment_ended", _("The employment has ended")),
    ("employer_request", _("The employer asks for it")),
    ("issuer_decision", _("The issuer's decision")),
]


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Card number, national ID number, name or organisation number"),
        max_length=200,
        widget=forms.TextInput(
            attrs={"class": "ds-input", "autocomplete": "off", "type": "search"}
        ),
    )


class BlockForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why"), choices=BLOCK_REASONS, widget=forms.Select(attrs={"class": "ds-input"})
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"class": "ds-input", "autocomplete": "off"}),
    )


class VatExemptionForm(forms.Form):
    exempt = forms.BooleanField(label=_("Exempt from the VAT register duty"), required=False)
    note = forms.CharField(
        label=_("Why it is exempt"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"class": "ds-input", "autocomplete": "off"}),
    )
