"""Forms of the risk rules editor: they only parse input; the services in ``services.risk_rules`` validate."""

from django import forms
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from portal.choices import OrganisationKind
from portal.models import Country, Organisation, Port

from .choices import Lane
from .models import PortRiskSettings
from .services.risk_rules import SETTINGS_FIELDS


class RiskRuleForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("What the rule is about, as officers will read it in the lane reason."),
    )
    port = forms.ModelChoiceField(
        label=_("Port of clearance"), queryset=Port.objects.none(), required=False, empty_label=_("Every port")
    )
    hs_prefix = forms.CharField(
        label=_("HS code or chapter starts with"),
        max_length=10,
        required=False,
        help_text=_("Digits only, e.g. 93 (a chapter) or 940360."),
    )
    origin_country = forms.ModelChoiceField(
        label=_("An item originates in"), queryset=Country.objects.all(), required=False, empty_label=_("Any country")
    )
    trader = forms.ModelChoiceField(
        label=_("Declarant"),
        queryset=Organisation.objects.filter(kind=OrganisationKind.TRADER).order_by("name_en"),
        required=False,
        empty_label=_("Any declarant"),
    )
    route_port = forms.ModelChoiceField(
        label=_("Route includes port"), queryset=Port.objects.all(), required=False, empty_label=_("Any route")
    )
    min_value = forms.DecimalField(label=_("Total value at least"), max_digits=16, decimal_places=2, required=False)
    score = forms.IntegerField(label=_("Score added"), min_value=0, max_value=32767, required=False, initial=0)
    forced_lane = forms.ChoiceField(
        label=_("Forced lane"), required=False, choices=[("", _("None: add the score only"))] + list(Lane.choices)
    )

    def __init__(self, *args, ports=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["port"].queryset = ports if ports is not None else Port.objects.none()

    def service_values(self) -> dict:
        values = dict(self.cleaned_data)
        values["score"] = values.get("score") or 0
        return values


class PortRiskSettingsForm(forms.Form):
    """The port's tolerances and thresholds, with the model's own field limits."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(PortRiskSettings, fields=SETTINGS_FIELDS))
