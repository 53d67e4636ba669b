"""JSON in and out for the declarations API.

Input serializers only parse: text into codes, ``Decimal`` and ``int``, with the limits the
database columns impose. The domain rules (HS code is a leaf, net ≤ gross, the integrated
pair, ISO 6346 …) are checked by ``declarations.services.validation`` so that forms, the API
and the services give the same messages, and every write goes through the services.
Errors of either kind reach the client keyed by the field's dotted path, e.g.
``items.2.hs_code`` or ``containers.0.number``.
"""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.api.serializers import ModelSerializer, Serializer
from portal.choices import Role

from ..choices import Action, Direction, DocumentKind, Incoterm, Lane, Procedure, Status, Unit
from ..models import Declaration, DeclarationContainer, DeclarationItem, SupportingDocument
from ..services.workflow import OFFICER_DECISIONS

MAX_LINES = 999
MASS_MAX = Decimal("99999999999.999")  # 14 digits, 3 decimals (the mass columns)
VALUE_MAX = Decimal("99999999999999.99")  # 16 digits, 2 decimals (the money columns)
INTEGER_MAX = 2_147_483_647


class CodeField(serializers.CharField):
    """A reference code as people type it: upper-cased, with spaces (and for HS codes, dots) dropped."""

    def __init__(self, *, drop: str = " ", **kwargs):
        self.drop = drop
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        for character in self.drop:
            value = value.replace(character, "")
        return value.upper()


def _optional_text(max_length: int, **kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, required=False, allow_null=True, allow_blank=True, **kwargs)


def _mass(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=14, decimal_places=3, max_value=MASS_MAX, required=False, allow_null=True, help_text=help_text
    )


class ItemInputSerializer(Serializer):
    """A goods item. In a draft every field of a given item is still required; submit checks the rest."""

    hs_code = CodeField(
        drop=" .",
        max_length=20,
        help_text="HS code (6 digits, or the 10-digit Chinese tariff code), a leaf of the tariff; dots are ignored.",
    )
    description = _optional_text(300, help_text="Description of the goods.")
    origin_country = CodeField(max_length=10, help_text="Country of origin, ISO 3166 alpha-2 (e.g. CN).")
    quantity = _mass("Quantity in ``unit``, > 0.")
    unit = serializers.ChoiceField(
        choices=Unit.choices, required=False, allow_null=True, help_text="UN/ECE Recommendation 20 unit code."
    )
    packages = serializers.IntegerField(
        required=False, allow_null=True, max_value=INTEGER_MAX, help_text="Number of packages, at least 1."
    )
    gross_mass = _mass("Gross mass in kg, > 0.")
    net_mass = _mass("Net mass in kg, > 0 and at most the gross mass.")
    value = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        max_value=VALUE_MAX,
        required=False,
        allow_null=True,
        help_text="Value in the invoice currency, ≥ 0, at most two decimals.",
    )


class ContainerInputSerializer(Serializer):
    number = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text="ISO 6346 container number with its check digit, e.g. CSQU3054383.",
    )
    size_type = serializers.CharField(
        max_length=4,
        required=False,
        allow_blank=True,
        help_text="ISO 6346 size/type code, e.g. 22G1, 45G1, 45R1 (reefer).",
    )
    seal_number = serializers.CharField(max_length=35, required=False, allow_blank=True)
    temperature_min = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        required=False,
        allow_null=True,
        help_text="Reefers: lowest allowed temperature, °C.",
    )
    temperature_max = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        required=False,
        allow_null=True,
        help_text="Reefers: highest allowed temperature, °C.",
    )


class DeclarationInputSerializer(Serializer):
    """A declaration with its items and containers, written in one request.

    A draft may be incomplete; values that are given must be right. Ports are UN/LOCODEs,
    countries ISO 3166 alpha-2, the currency ISO 4217.
    """

    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    procedure = serializers.ChoiceField(choices=Procedure.choices, required=False)
    origin_port = CodeField(max_length=10, help_text="Port of declaration (UN/LOCODE), e.g. CNSUD.")
    transfer_port = CodeField(max_length=10, help_text="Integrated only: the other port of the pair, e.g. CNSHK.")
    foreign_port = CodeField(max_length=10, help_text="Foreign port of discharge (export) or loading (import).")
    transport_document_number = _optional_text(35, help_text="Bill of lading number; required to submit.")
    consignor_name = _optional_text(200)
    consignor_address = _optional_text(300)
    consignee_name = _optional_text(200)
    consignee_address = _optional_text(300)
    consignee_country = CodeField(max_length=10, help_text="ISO 3166 alpha-2.")
    incoterm = serializers.ChoiceField(choices=Incoterm.choices, required=False, allow_blank=True, allow_null=True)
    invoice_currency = CodeField(max_length=10, help_text="ISO 4217, e.g. USD.")
    items = ItemInputSerializer(many=True, required=False, max_length=MAX_LINES)
    containers = ContainerInputSerializer(many=True, required=False, max_length=MAX_LINES)

    HEADER_TEXT = [
        "transport_document_number",
        "consignor_name",
        "consignor_address",
        "consignee_name",
        "consignee_address",
        "incoterm",
    ]
    HEADER_CODES = ["origin_port", "transfer_port", "foreign_port", "consignee_country", "invoice_currency"]

    def service_input(self, *, current: dict | None = None, replace: bool = True) -> dict:
        """``header``, ``items`` and ``containers`` as the draft services take them.

        ``replace`` (create, PUT): what is left out is cleared. Otherwise (PATCH) what is left
        out keeps its ``current`` value.
        """
        data = self.validated_data
        given = {name: value for name, value in data.items() if name not in ("items", "containers")}
        given.update({name: given[name] or "" for name in self.HEADER_TEXT if name in given})
        given.update({name: given[name] or None for name in self.HEADER_CODES if name in given})
        if replace:
            header = {
                **dict.fromkeys(self.HEADER_TEXT, ""),
                **dict.fromkeys(self.HEADER_CODES),
                "direction": None,
                "procedure": None,
            }  # None keeps the declaration's direction/procedure
            header.update(given)
            items, containers = data.get("items", []), data.get("containers", [])
        else:
            header = {**current["header"], **given}
            items = data["items"] if "items" in data else current["items"]
            containers = data["containers"] if "containers" in data else current["containers"]
        return {
            "header": header,
            "items": [dict(item) for item in items],
            "containers": [dict(container) for container in containers],
        }


class CreateQuerySerializer(serializers.Serializer):
    submit = serializers.BooleanField(
        required=False,
        default=False,
        help_text="`true` files the declaration at once: it is created and submitted in one transaction, "
        "checked as submit checks it (every required field), and nothing is stored if anything is wrong. "
        "For systems that file complete declarations: one call instead of a create and a submit.",
    )


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the trader withdraws the declaration.",
    )


class DecisionInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[(action, Action(action).label) for action in OFFICER_DECISIONS])
    message = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required to request an amendment (what to change) or to reject (why). For `order_inspection` "
        "of goods already inspected at either port, a supervisor's reason for the second inspection.",
    )


class DeclarationListQuerySerializer(serializers.Serializer):
    search = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        help_text="A reference, container number or transport document number.",
    )
    status = serializers.ChoiceField(choices=Status.choices, required=False, allow_blank=True)
    lane = serializers.ChoiceField(choices=Lane.choices, required=False, allow_blank=True)
    submitted_from = serializers.DateField(required=False, help_text="First submitted on or after this day.")
    submitted_to = serializers.DateField(required=False, help_text="First submitted on or before this day.")


# --- output ----------------------------------------------------------------------------------------------------


class ItemSerializer(ModelSerializer):
    hs_code = serializers.CharField(source="hs_code_id")
    hs_code_description = serializers.CharField(source="hs_code.description_en")
    origin_country = serializers.CharField(source="origin_country_id")

    class Meta:
        model = DeclarationItem
        fields = [
            "line_number",
            "hs_code",
            "hs_code_description",
            "description",
            "origin_country",
            "quantity",
            "unit",
            "packages",
            "gross_mass",
            "net_mass",
            "value",
        ]


class ContainerSerializer(ModelSerializer):
    is_reefer = serializers.BooleanField()

    class Meta:
        model = DeclarationContainer
        fields = ["number", "size_type", "seal_number", "temperature_min", "temperature_max", "is_reefer"]


class DocumentSerializer(ModelSerializer):
    """A supporting document's metadata; on upload (multipart) only ``kind`` and ``file`` are read.

    One serializer for both directions keeps one ``kind`` enum in the schema. It never saves:
    ``services.document_attach`` checks the file and writes the record.
    """

    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField(write_only=True, help_text="PDF, JPEG or PNG (checked by content), at most 10 MB.")
    uploaded_by = serializers.IntegerField(
        source="uploaded_by_id", read_only=True, help_text="Id of the user who uploaded it."
    )

    class Meta:
        model = SupportingDocument
        fields = ["id", "kind", "file", "original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]
        read_only_fields = ["id", "original_name", "content_type", "size", "sha256", "uploaded_at"]


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="history_date")
    status = serializers.ChoiceField(choices=Status.choices)
    version = serializers.IntegerField()
    change = serializers.SerializerMethodField(help_text="The action recorded, or created/changed.")
    by = serializers.CharField(source="history_user.username", allow_null=True, default=None)

    def get_change(self, entry) -> str:
        if entry.history_change_reason:
            return entry.history_change_reason
        return {"+": "created", "~": "changed", "-": "deleted"}[entry.history_type]


class DeclarationSummarySerializer(ModelSerializer):
    """A row of the declarations list."""

    # A draft may have no ports yet and no lane or Incoterm ("" until chosen or verified): say so in the schema.
    origin_port = serializers.SlugRelatedField(slug_field="locode", read_only=True, allow_null=True)
    transfer_port = serializers.SlugRelatedField(slug_field="locode", read_only=True, allow_null=True)
    foreign_port = serializers.SlugRelatedField(slug_field="locode", read_only=True, allow_null=True)
    lane = serializers.ChoiceField(choices=Lane.choices, allow_blank=True, read_only=True)
    declarant = serializers.IntegerField(source="declarant_id")
    declarant_name = serializers.CharField(source="declarant.name_en")

    class Meta:
        model = Declaration
        fields = [
            "id",
            "reference",
            "public_id",
            "status",
            "lane",
            "version",
            "direction",
            "procedure",
            "origin_port",
            "transfer_port",
            "foreign_port",
            "transport_document_number",
            "declarant",
            "declarant_name",
            "consignee_name",
            "item_count",
            "container_count",
            "total_packages",
            "total_gross_mass",
            "total_net_mass",
            "total_value",
            "created_at",
            "updated_at",
            "submitted_at",
            "decided_at",
        ]
        read_only_fields = fields


class DeclarationDetailSerializer(DeclarationSummarySerializer):
    """One declaration with its items, containers, documents and what the caller may do with it.

    ``allowed_actions`` and ``history`` come from the view (context): the actions the caller
    may take now, and the timeline when ``?include=history`` was asked for (else null).
    """

    consignee_country = serializers.CharField(source="consignee_country_id", allow_null=True)
    invoice_currency = serializers.CharField(source="invoice_currency_id", allow_null=True)
    items = ItemSerializer(many=True)
    containers = ContainerSerializer(many=True)
    documents = DocumentSerializer(many=True)
    allowed_actions = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    incoterm = serializers.ChoiceField(choices=Incoterm.choices, allow_blank=True, read_only=True)

    class Meta(DeclarationSummarySerializer.Meta):
        fields = [
            *DeclarationSummarySerializer.Meta.fields,
            "consignor_name",
            "consignor_address",
            "consignee_address",
            "consignee_country",
            "incoterm",
            "invoice_currency",
            "officer_message",
            "items",
            "containers",
            "documents",
            "allowed_actions",
            "history",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(choices=[Action.SUBMIT, Action.AMEND, Action.CANCEL, *OFFICER_DECISIONS])
        )
    )
    def get_allowed_actions(self, declaration) -> list[str]:
        return self.context.get("allowed_actions", [])

    @extend_schema_field(HistoryEntrySerializer(many=True, allow_null=True))
    def get_history(self, declaration):
        history = self.context.get("history")
        return None if history is None else HistoryEntrySerializer(history, many=True).data


# Which workflow actions each role can reach through this API (``choices.allowed_actions`` also
# lists system transitions, which no person takes).
API_ACTIONS = {
    Role.TRADER_STAFF: (Action.SUBMIT, Action.AMEND, Action.CANCEL),
    Role.CUSTOMS_OFFICER: OFFICER_DECISIONS,
    Role.CUSTOMS_SUPERVISOR: OFFICER_DECISIONS,
}
