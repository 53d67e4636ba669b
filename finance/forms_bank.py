"""Forms of the bank's pages: the queue's filters and one form per bank action. They only parse input;
the rules (amount ≤ requested, allowed transitions, who may act) are the services'."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import RequestStatus

MONEY = {"max_digits": 16, "decimal_places": 2, "min_value": Decimal("0.01")}


class BankQueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *RequestStatus.choices]
    )
    product = forms.TypedChoiceField(label=_("Product"), required=False, coerce=int, empty_value=None)
    trader = forms.TypedChoiceField(label=_("Trader"), required=False, coerce=int, empty_value=None)
    amount_min = forms.DecimalField(
        label=_("Amount from"), required=False, max_digits=16, decimal_places=2, min_value=Decimal("0")
    )
    amount_max = forms.DecimalField(
        label=_("Amount up to"), required=False, max_digits=16, decimal_places=2, min_value=Decimal("0")
    )

    def __init__(self, *args, products=(), traders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", _("Any product")), *((p.pk, str(p)) for p in products)]
        self.fields["trader"].choices = [("", _("Any trader")), *((t.pk, str(t)) for t in traders)]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("amount_min"), cleaned.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", _("Must not be below “Amount from”."))
        return cleaned

    def filters(self) -> dict:
        """The selector's keyword arguments (empty when the form is not valid)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "status": data.get("status") or "",
            "product_id": data.get("product"),
            "trader_id": data.get("trader"),
            "amount_min": data.get("amount_min"),
            "amount_max": data.get("amount_max"),
        }


class ApproveForm(forms.Form):
    approved_amount = forms.DecimalField(
        label=_("Amount approved"), **MONEY, help_text=_("At most the amount requested.")
    )
    interest_rate_percent = forms.DecimalField(
        label=_("Interest rate (% a year)"),
        max_digits=6,
        decimal_places=3,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
    )
    conditions = forms.CharField(label=_("Conditions"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejection"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The trader reads this."),
    )


class AskInformationForm(forms.Form):
    message = forms.CharField(
        label=_("What the trader should provide"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class MoneyMovementForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), **MONEY)
    value_date = forms.DateField(
        label=_("Value date"), widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
    bank_reference = forms.CharField(label=_("Bank reference"), max_length=50, required=False)


class CloseForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), max_length=500, required=False)
