"""Forms of the bank's product and rate pages: they parse text; the services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from declarations.choices import Status

from .choices import ProductKind
from .services import PLEDGEABLE_STATUSES


class ProductForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ProductKind.choices)
    name_en = forms.CharField(label=_("Name (English)"), max_length=150)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=150, required=False)
    currencies = forms.CharField(
        label=_("Currencies lent in"), max_length=200, help_text=_("ISO 4217 codes separated by commas, e.g. USD, CNY.")
    )
    max_advance_percent = forms.DecimalField(label=_("Maximum advance rate (%)"), max_digits=5, decimal_places=2)
    min_tenor_days = forms.IntegerField(label=_("Shortest tenor (days)"), min_value=1)
    max_tenor_days = forms.IntegerField(label=_("Longest tenor (days)"), min_value=1)
    accepted_statuses = forms.MultipleChoiceField(
        label=_("Declaration statuses accepted"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(status, Status(status).label) for status in PLEDGEABLE_STATUSES],
        help_text=_("Leave empty for the product kind's usual statuses."),
    )
    exports_only = forms.BooleanField(label=_("Exports only"), required=False)
    active = forms.BooleanField(label=_("Offered to traders"), required=False, initial=True)

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        data["currencies"] = [code for code in data["currencies"].replace(" ", ",").split(",") if code]
        return data


class ExchangeRateForm(forms.Form):
    base = forms.CharField(label=_("1 unit of"), max_length=3, help_text=_("ISO 4217 code, e.g. USD."))
    quote = forms.CharField(label=_("is worth, in"), max_length=3, help_text=_("ISO 4217 code, e.g. CNY."))
    rate = forms.DecimalField(label=_("Rate"), max_digits=18, decimal_places=8)
