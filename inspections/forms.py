"""HTML forms of the inspection pages: they parse input; the rules live in ``services``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from declarations.choices import Action

from .choices import InspectionResult
from .models import InspectionSite

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class SiteForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Open on"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = InspectionSite
        fields = [
            "name_en",
            "name_zh",
            "address",
            "opens_at",
            "closes_at",
            "weekdays",
            "slot_minutes",
            "capacity_per_slot",
            "cutoff_hours",
            "active",
        ]
        widgets = {
            "opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "closes_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["weekdays"] = sorted(self.instance.open_weekdays)

    def site_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["weekdays"] = ",".join(str(day) for day in sorted(data["weekdays"]))
        return data


class ClosureForm(forms.Form):
    date = forms.DateField(label=_("Closed on"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=_("Traders with bookings that day read it."))


class SlotForm(forms.Form):
    slot = forms.IntegerField(widget=forms.HiddenInput)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(upload, initial) for upload in files]


class ResultForm(forms.Form):
    """Result, remarks, photos, the fail decision; per item a conformity box and note, per container a seal."""

    result = forms.ChoiceField(label=_("Result"), choices=InspectionResult.choices, widget=forms.RadioSelect)
    remarks = forms.CharField(
        label=_("Remarks"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required unless the goods simply passed."),
    )
    photos = MultipleFileField(label=_("Photos"), required=False, help_text=_("JPEG or PNG, at most 5 MB each."))
    fail_decision = forms.ChoiceField(
        label=_("If failed"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            (Action.REJECT, _("Reject the declaration")),
            (Action.REQUEST_AMENDMENT, _("Ask the trader to amend it")),
        ],
    )
    fail_message = forms.CharField(
        label=_("Message to the trader"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, items=(), containers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        self.containers = list(containers)
        for item in self.items:
            self.fields[f"conforms_{item.pk}"] = forms.BooleanField(
                label=_("Line %(line)s conforms") % {"line": item.line_number}, required=False, initial=True
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=_("Finding, line %(line)s") % {"line": item.line_number}, required=False, max_length=500
            )
        for container in self.containers:
            self.fields[f"seal_{container.number}"] = forms.CharField(
                label=_("New seal on %(number)s") % {"number": container.number}, required=False, max_length=35
            )

    def item_rows(self):
        return [(item, self[f"conforms_{item.pk}"], self[f"note_{item.pk}"]) for item in self.items]

    def container_rows(self):
        return [(container, self[f"seal_{container.number}"]) for container in self.containers]

    def findings(self):
        from .services import Finding

        return {
            item.pk: Finding(
                conforms=self.cleaned_data[f"conforms_{item.pk}"], note=self.cleaned_data[f"note_{item.pk}"]
            )
            for item in self.items
        }

    def new_seals(self) -> dict[str, str]:
        return {
            container.number: self.cleaned_data[f"seal_{container.number}"]
            for container in self.containers
            if self.cleaned_data[f"seal_{container.number}"].strip()
        }
