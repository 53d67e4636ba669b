"""Forms of the certificate pages: they only parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..choices import CertificateKind


class CertificateIssueForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of certificate"), choices=CertificateKind.choices, widget=forms.RadioSelect)
    items = forms.MultipleChoiceField(
        label=_("Items covered"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one item.")},
    )
    remarks = forms.CharField(
        label=_("Remarks"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Printed on the certificate."),
    )

    def __init__(self, *args, declaration, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [
            (str(item.pk), f"{item.line_number}. {item.hs_code_id} — {item.description}")
            for item in declaration.items.all()
        ]
        if not self.is_bound:
            self.initial["items"] = [value for value, _label in self.fields["items"].choices]


class CertificateRevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revocation"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown to anyone who verifies the certificate."),
    )
