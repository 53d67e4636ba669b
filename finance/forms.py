"""Trader forms of ``finance``: they parse input; the services decide what is allowed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import Currency

from .models import FinancingProduct


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files (checked by ``validate_document_file`` in the service)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class DeclarationChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, declaration):
        return _("%(reference)s — %(status)s — %(value)s %(currency)s") % {
            "reference": declaration,
            "status": declaration.get_status_display(),
            "value": declaration.total_value,
            "currency": declaration.invoice_currency_id or "",
        }


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, product):
        currencies = ", ".join(currency.code for currency in product.currencies.all())
        return _("%(bank)s — %(product)s (%(kind)s; up to %(percent)s%%; %(low)s–%(high)s days; %(currencies)s)") % {
            "bank": product.bank,
            "product": product,
            "kind": product.get_kind_display(),
            "percent": format(product.max_advance_percent.normalize(), "f"),
            "low": product.min_tenor_days,
            "high": product.max_tenor_days,
            "currencies": currencies,
        }


class FinancingRequestForm(forms.Form):
    product = ProductChoiceField(
        label=_("Bank and product"), queryset=FinancingProduct.objects.none(), empty_label=_("Choose a bank's product")
    )
    declarations = DeclarationChoiceField(
        label=_("Declarations to pledge"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only your declarations that no active financing request holds are listed."),
    )
    currency = forms.ModelChoiceField(
        label=_("Currency"), queryset=Currency.objects.none(), to_field_name="code", empty_label=_("Choose a currency")
    )
    amount = forms.DecimalField(label=_("Amount"), max_digits=16, decimal_places=2, min_value=0.01)
    tenor_days = forms.IntegerField(label=_("Tenor (days)"), min_value=1, max_value=3650)
    message = forms.CharField(label=_("Message to the bank"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    documents = MultipleFileField(label=_("Documents (PDF, JPEG or PNG, at most 10 MB each)"), required=False)

    def __init__(self, *args, products, declarations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["declarations"].queryset = declarations
        codes = {code for product in products for code in product.currencies.values_list("code", flat=True)}
        self.fields["currency"].queryset = Currency.objects.filter(code__in=codes).order_by("code")


class ProvideInformationForm(forms.Form):
    message = forms.CharField(label=_("Your answer to the bank"), widget=forms.Textarea(attrs={"rows": 4}))
    documents = MultipleFileField(label=_("Documents (PDF, JPEG or PNG, at most 10 MB each)"), required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why (optional)"), required=False, max_length=500)
