"""HTML forms of the trader pages: they parse text into codes, Decimals and ints, and nothing more.

The domain rules live in ``services.validation``; a service's ``ValidationError`` names bad
fields with dotted paths (``origin_port``, ``items.2.hs_code``, ``containers.0.number``),
which :class:`DeclarationFormSet` maps back onto the form or formset row that showed them,
so the error summary links to the exact input.
"""

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.models import Country, Currency, Port

from .choices import Direction, DocumentKind, Incoterm, Lane, Procedure, Status, Unit
from .services.drafts import CONTAINER_VALUES, HEADER_FIELDS
from .services.validation import ITEM_FIELDS

BLANK = [("", "—")]


@dataclass
class ReferenceChoices:
    """Choices of the select inputs, read once per request however many rows the form has."""

    ports: list[tuple[str, str]]
    countries: list[tuple[str, str]]
    currencies: list[tuple[str, str]]

    @classmethod
    def load(cls) -> "ReferenceChoices":
        return cls(
            ports=[(port.locode, str(port)) for port in Port.objects.order_by("locode")],
            countries=[(country.alpha2, str(country)) for country in Country.objects.order_by("alpha2")],
            currencies=[
                (code, f"{code} {name}")
                for code, name in Currency.objects.order_by("code").values_list("code", "name_en")
            ],
        )


@dataclass(frozen=True)
class SummaryError:
    """One line of the error summary: the input it links to, what it is called, what is wrong."""

    anchor: str
    label: str
    message: str


class DeclarationHeaderForm(forms.Form):
    """Route and transport, parties and terms: every field may stay empty in a draft."""

    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices, initial=Direction.EXPORT)
    procedure = forms.ChoiceField(label=_("Procedure"), choices=Procedure.choices, initial=Procedure.INTEGRATED)
    origin_port = forms.ChoiceField(
        label=_("Origin port (port of declaration)"),
        required=False,
        help_text=_("For an integrated export, the river port where the goods are declared (e.g. Shunde)."),
    )
    transfer_port = forms.ChoiceField(
        label=_("Transfer port"),
        required=False,
        help_text=_("Integrated declarations only: the hub port of the pair (e.g. Shekou)."),
    )
    foreign_port = forms.ChoiceField(label=_("Foreign port of discharge or loading"), required=False)
    transport_document_number = forms.CharField(
        label=_("Transport document (bill of lading) number"), max_length=35, required=False
    )
    consignor_name = forms.CharField(label=_("Consignor"), max_length=200, required=False)
    consignor_address = forms.CharField(label=_("Consignor address"), max_length=300, required=False)
    consignee_name = forms.CharField(label=_("Consignee"), max_length=200, required=False)
    consignee_address = forms.CharField(label=_("Consignee address"), max_length=300, required=False)
    consignee_country = forms.ChoiceField(label=_("Consignee country"), required=False)
    incoterm = forms.ChoiceField(label=_("Incoterm"), choices=BLANK + Incoterm.choices, required=False)
    invoice_currency = forms.ChoiceField(label=_("Invoice currency"), required=False)

    ROUTE_FIELDS = [
        "direction",
        "procedure",
        "origin_port",
        "transfer_port",
        "foreign_port",
        "transport_document_number",
    ]
    PARTY_FIELDS = [
        "consignor_name",
        "consignor_address",
        "consignee_name",
        "consignee_address",
        "consignee_country",
        "incoterm",
        "invoice_currency",
    ]

    def __init__(self, *args, reference: ReferenceChoices, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("origin_port", "transfer_port", "foreign_port"):
            self.fields[name].choices = BLANK + reference.ports
        self.fields["consignee_country"].choices = BLANK + reference.countries
        self.fields["invoice_currency"].choices = BLANK + reference.currencies

    def route_fields(self):
        return [self[name] for name in self.ROUTE_FIELDS]

    def party_fields(self):
        return [self[name] for name in self.PARTY_FIELDS]

    def service_values(self) -> dict:
        """The header as the services take it: codes, with empty values as empty strings or None."""
        values = {name: self.cleaned_data.get(name, "") for name in HEADER_FIELDS}
        for name in ("origin_port", "transfer_port", "foreign_port", "consignee_country", "invoice_currency"):
            values[name] = values[name] or None
        return values


class CodeField(forms.CharField):
    """A code typed by hand: spaces and dots dropped, upper case (``9403.60`` → ``940360``)."""

    def __init__(self, *args, strip_dots: bool = False, **kwargs):
        self.strip_dots = strip_dots
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        value = "".join(value.split()).upper()
        return value.replace(".", "") if self.strip_dots else value


class ItemForm(forms.Form):
    """One goods item. Rows are complete or left empty; the rules are checked by the service."""

    hs_code = CodeField(
        label=_("HS code"),
        max_length=13,
        required=False,
        strip_dots=True,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    description = forms.CharField(label=_("Description of goods"), max_length=300, required=False)
    origin_country = CodeField(
        label=_("Country of origin"),
        max_length=2,
        required=False,
        widget=forms.TextInput(attrs={"list": "country-codes", "autocomplete": "off", "size": 3}),
    )
    quantity = forms.DecimalField(label=_("Quantity"), required=False)
    unit = forms.ChoiceField(label=_("Unit"), choices=BLANK + Unit.choices, required=False)
    packages = forms.IntegerField(label=_("Packages"), required=False)
    gross_mass = forms.DecimalField(label=_("Gross mass (kg)"), required=False)
    net_mass = forms.DecimalField(label=_("Net mass (kg)"), required=False)
    value = forms.DecimalField(label=_("Value"), required=False)

    def service_values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in ITEM_FIELDS}


class ContainerForm(forms.Form):
    number = CodeField(
        label=_("Container number"),
        max_length=13,
        required=False,
        help_text=_("ISO 6346, e.g. CSQU3054383."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    size_type = CodeField(
        label=_("Size/type code"), max_length=4, required=False, help_text=_("e.g. 22G1, 45G1, 45R1 (reefer).")
    )
    seal_number = forms.CharField(label=_("Seal number"), max_length=35, required=False)
    temperature_min = forms.DecimalField(
        label=_("Lowest temperature (°C)"), required=False, help_text=_("Reefers only.")
    )
    temperature_max = forms.DecimalField(label=_("Highest temperature (°C)"), required=False)

    def service_values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in CONTAINER_VALUES}


class BaseRowFormSet(forms.BaseFormSet):
    """Every row may be left blank (it is then ignored) or removed with its "Remove" box."""

    def kept_forms(self) -> list[forms.Form]:
        """The rows sent to the service, in order: changed and not marked for removal."""
        return [
            form
            for form in self.forms
            if form.has_changed() and not (self.can_delete and self._should_delete_form(form))
        ]


ItemFormSet = forms.formset_factory(ItemForm, formset=BaseRowFormSet, extra=0, can_delete=True)
ContainerFormSet = forms.formset_factory(ContainerForm, formset=BaseRowFormSet, extra=0, can_delete=True)


class DocumentForm(forms.Form):
    """A supporting document; its content is checked by ``services.documents``, not its name."""

    kind = forms.ChoiceField(label=_("Kind of document"), choices=BLANK + DocumentKind.choices, required=False)
    file = forms.FileField(
        label=_("File (PDF, JPEG or PNG, at most 10 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args, require_file: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if require_file:
            self.fields["kind"].required = True
            self.fields["file"].required = True

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("file") and not cleaned.get("kind"):
            self.add_error("kind", gettext("Choose the kind of document."))
        return cleaned


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=500, required=False, widget=forms.TextInput())


class ImportForm(forms.Form):
    REPLACE, APPEND = "replace", "append"

    file = forms.FileField(
        label=_("Item lines (CSV or XLSX)"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"})
    )
    mode = forms.ChoiceField(
        label=_("What to do with the items already on the declaration"),
        widget=forms.RadioSelect,
        choices=[(REPLACE, _("Replace them with the file's lines")), (APPEND, _("Keep them and add the file's lines"))],
        initial=REPLACE,
    )


class DeclarationFormSet:
    """The whole declaration form: header, item rows, container rows and a document to attach."""

    def __init__(
        self, data=None, files=None, *, reference: ReferenceChoices, initial: dict | None = None, add_row: str = ""
    ):
        # Bound rows are compared with nothing, so that every filled row counts as filled.
        initial = initial if data is None and initial else {}
        if data is not None and add_row in ("items", "containers"):
            data = data.copy()
            key = f"{add_row}-TOTAL_FORMS"
            data[key] = str(int(data.get(key) or 0) + 1)
        self.header = DeclarationHeaderForm(data, initial=initial.get("header"), reference=reference)
        self.items = ItemFormSet(data, initial=initial.get("items"), prefix="items")
        self.containers = ContainerFormSet(data, initial=initial.get("containers"), prefix="containers")
        self.document = DocumentForm(data, files, prefix="document")
        self.section_errors: dict[str, list[str]] = {}
        self._item_rows: list[forms.Form] = []
        self._container_rows: list[forms.Form] = []

    def is_valid(self) -> bool:
        results = [self.header.is_valid(), self.items.is_valid(), self.containers.is_valid(), self.document.is_valid()]
        return all(results)

    def service_input(self) -> dict:
        self._item_rows = self.items.kept_forms()
        self._container_rows = self.containers.kept_forms()
        return {
            "header": self.header.service_values(),
            "items": [form.service_values() for form in self._item_rows],
            "containers": [form.service_values() for form in self._container_rows],
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """Put each message of a service's dotted-key ``ValidationError`` on the input it names."""
        for key, messages in error_dict(error).items():
            section, index, name = split_key(key)
            target = None
            if section is None and key in self.header.fields:
                target, name = self.header, key
            elif section == "items" and index is not None and index < len(self._item_rows):
                target = self._item_rows[index]
            elif section == "containers" and index is not None and index < len(self._container_rows):
                target = self._container_rows[index]
            elif section is None and key in ("file", "kind"):
                target, name = self.document, key
            for message in messages:
                if target is not None and name in target.fields:
                    target.add_error(name, message)
                else:
                    self.section_errors.setdefault(section or key, []).append(message)

    def summary(self) -> list[SummaryError]:
        """Every error on the page, in page order, each linking to its input."""
        lines = [
            SummaryError(f"section-{section}", section_label(section), message)
            for section, messages in self.section_errors.items()
            if section not in ("items", "containers")
            for message in messages
        ]
        lines += form_summary(self.header)
        for section, formset, label in (
            ("items", self.items, gettext("Item %(n)d")),
            ("containers", self.containers, gettext("Container %(n)d")),
        ):
            for message in self.section_errors.get(section, []):
                lines.append(SummaryError(f"section-{section}", section_label(section), message))
            for message in formset.non_form_errors():
                lines.append(SummaryError(f"section-{section}", section_label(section), message))
            for position, form in enumerate(formset.forms):
                if formset.can_delete and formset._should_delete_form(form):
                    continue
                lines += form_summary(form, prefix=label % {"n": position + 1})
        lines += form_summary(self.document)
        return lines


def form_summary(form: forms.Form, prefix: str = "") -> list[SummaryError]:
    lines = [SummaryError("", prefix, message) for message in form.non_field_errors()]
    for bound in form:
        for message in bound.errors:
            label = f"{prefix} — {bound.label}" if prefix else str(bound.label)
            lines.append(SummaryError(bound.id_for_label, label, message))
    return lines


def error_dict(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {"__all__": list(error.messages)}


def split_key(key: str) -> tuple[str | None, int | None, str]:
    """``items.2.hs_code`` → ("items", 2, "hs_code"); ``items`` → ("items", None, "");
    ``origin_port`` → (None, None, "origin_port")."""
    parts = key.split(".")
    if parts[0] in ("items", "containers"):
        index = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        return parts[0], index, parts[2] if len(parts) > 2 else ""
    return None, None, key


def section_label(section: str) -> str:
    return {
        "items": gettext("Goods items"),
        "containers": gettext("Containers"),
        "__all__": gettext("Declaration"),
    }.get(section, section)


# Labels of every input by its dotted service key, for summaries shown away from the form (review, submit).
def field_label(key: str) -> str:
    section, index, name = split_key(key)
    if section is None:
        field = DeclarationHeaderForm.base_fields.get(name)
        return str(field.label) if field else section_label(name)
    if index is None:
        return section_label(section)
    form_class = ItemForm if section == "items" else ContainerForm
    field = form_class.base_fields.get(name)
    row = (gettext("Item %(n)d") if section == "items" else gettext("Container %(n)d")) % {"n": index + 1}
    return f"{row} — {field.label}" if field else row


def field_anchor(key: str) -> str:
    """The id of the edit form's input for a dotted service key (rows in the order they are stored)."""
    section, index, name = split_key(key)
    if section is None:
        return f"id_{name}" if name in DeclarationHeaderForm.base_fields else "section-route"
    if index is None or not name:
        return f"section-{section}"
    return f"id_{section}-{index}-{name}"


def summary_from_service(error: ValidationError) -> list[SummaryError]:
    return [
        SummaryError(field_anchor(key), field_label(key), message)
        for key, messages in error_dict(error).items()
        for message in messages
    ]


class DeclarationFilterForm(forms.Form):
    """The list's search and filters; every field optional, bad values are simply not applied."""

    search = forms.CharField(
        label=_("Reference, container or transport document"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any status"))] + Status.choices)
    lane = forms.ChoiceField(label=_("Lane"), required=False, choices=[("", _("Any lane"))] + Lane.choices)
    submitted_from = forms.DateField(
        label=_("Submitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    submitted_to = forms.DateField(
        label=_("Submitted until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> dict:
        self.is_valid()  # invalid fields are left out of cleaned_data and shown as errors
        return {name: value for name, value in self.cleaned_data.items() if value}
