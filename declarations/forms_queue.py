"""Forms of the officer queue: its filters and the take-over note."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.choices import OrganisationKind
from portal.models import Organisation
from portal.widgets import Select

from .choices import AWAITING_DECISION, Lane, WarningCode
from .officer_queue import NOT_VERIFIED, QueueFilters


class QueueFilterForm(forms.Form):
    """The queue's search and filters; every field optional, bad values are shown and not applied."""

    search = forms.CharField(
        label=_("Reference, container or transport document"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    lane = forms.ChoiceField(
        label=_("Lane"),
        required=False,
        choices=[("", _("Any lane")), *Lane.choices, (NOT_VERIFIED, _("Not yet verified"))],
        widget=Select,
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *((s.value, s.label) for s in AWAITING_DECISION)],
        widget=Select,
    )
    warning_code = forms.ChoiceField(
        label=_("Warning"),
        required=False,
        choices=[("", _("Any or no warning")), *WarningCode.choices],
        widget=Select,
    )
    trader = forms.ModelChoiceField(
        label=_("Trader"),
        required=False,
        empty_label=_("Any trader"),
        queryset=Organisation.objects.filter(kind=OrganisationKind.TRADER).order_by("name_en"),
        widget=Select,
    )
    hs_chapter = forms.RegexField(
        label=_("HS chapter"),
        required=False,
        regex=r"^\d{2}$",
        max_length=2,
        help_text=_("Two digits, e.g. 94; any goods item of the declaration."),
        error_messages={"invalid": _("Enter the chapter as two digits, e.g. 94.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 2}),
    )
    submitted_from = forms.DateField(
        label=_("Submitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    submitted_to = forms.DateField(
        label=_("Submitted until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def queue_filters(self) -> QueueFilters:
        self.is_valid()  # invalid fields are left out of cleaned_data and shown as errors
        values = dict(self.cleaned_data)
        if values.get("trader") is not None:
            values["trader"] = values["trader"].pk
        return QueueFilters.of(values)


class TakeOverForm(forms.Form):
    note = forms.CharField(
        label=_("Why you take it over"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The officer working on it now is told, with this note."),
    )
