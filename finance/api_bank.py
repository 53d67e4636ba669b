"""``/api/v1/finance/bank/requests`` (DESIGN §7): a bank's systems pull the financing requests addressed to
the bank, with the pledged declarations' ledger status, and post decisions, disbursements and repayments.

Token (or session) auth; bank officers only. A request addressed to another bank is 404.
Every POST honours ``Idempotency-Key``; the services check the role, the bank and the locked
status, and a request someone else changed first is 409 ``transition_not_allowed``.
"""

from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.api.idempotency import IdempotentMixin
from portal.api.pagination import KeysetPagination
from portal.api.serializers import ErrorSerializer
from portal.choices import Role
from portal.roles import HasRole

from . import services
from .choices import RequestAction, RequestStatus
from .models import FinancingRequest, MoneyMovement
from .selectors import (
    financing_request_get_for_bank,
    financing_request_list_for_bank,
    financing_request_review,
)

IsBankOfficer = HasRole.of(Role.BANK_OFFICER)

ERROR_DESCRIPTIONS = {
    400: "Invalid input; `fields` names each bad field (e.g. `approved_amount` above the amount requested, "
    "`reason` missing, `amount` above what is left to disburse).",
    403: "Not signed in, or not a bank officer.",
    404: "No such financing request addressed to the caller's bank (another bank's requests are not found).",
    409: "`transition_not_allowed`: the request's status does not allow this (e.g. someone else decided it first; "
    "the detail names its status now), or `idempotency_request_in_progress`.",
}
BANK_DECISIONS = (RequestAction.APPROVE, RequestAction.REJECT, RequestAction.ASK_INFORMATION)


def errors(*codes: int) -> dict:
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in codes}


# --- serializers -----------------------------------------------------------------------------------------------


class PartySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="name_en")


class ProductSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="name_en")
    kind = serializers.CharField()


class BankRequestSerializer(serializers.ModelSerializer):
    trader = PartySerializer()
    product = ProductSummarySerializer()
    currency = serializers.CharField(source="currency_id")
    status = serializers.ChoiceField(choices=RequestStatus.choices)

    class Meta:
        model = FinancingRequest
        fields = [
            "id",
            "reference",
            "status",
            "trader",
            "product",
            "amount",
            "currency",
            "tenor_days",
            "approved_amount",
            "interest_rate_percent",
            "conditions",
            "bank_message",
            "trader_message",
            "flagged",
            "flag_reason",
            "created_at",
            "decided_at",
        ]


class WarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    severity = serializers.CharField()
    message = serializers.CharField()


class CertificateSummarySerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    issued_at = serializers.DateTimeField()


class InspectionSummarySerializer(serializers.Serializer):
    result = serializers.CharField()
    port = serializers.CharField(source="port.locode", allow_null=True, default=None)
    recorded_at = serializers.DateTimeField()
    remarks = serializers.CharField()


class LedgerStatusSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="The record's public reference (`DECL-<declaration reference>`).")
    status = serializers.CharField(
        help_text="One of `verified`, `awaiting_checkpoint`, `mismatch`, `not_recorded`. `verified`: the "
        "declaration as stored now equals its latest ledger entry and the entry's "
        "inclusion proof checks against the latest signed checkpoint."
    )
    problem = serializers.CharField(
        help_text="For `mismatch`: `record_changed`, `entry_altered` or `proof_failed`; empty otherwise."
    )
    entry_seq = serializers.IntegerField(allow_null=True)
    leaf_hash = serializers.CharField(allow_null=True, help_text="Hex SHA-256.")
    checkpoint_tree_size = serializers.IntegerField(allow_null=True)
    checkpoint_root_hash = serializers.CharField(allow_null=True, help_text="Hex SHA-256.")
    audit_path = serializers.ListField(child=serializers.CharField(), help_text="Hex hashes, leaf to root.")
    entry_url = serializers.CharField(allow_null=True)
    proof_url = serializers.CharField(
        allow_null=True,
        help_text="The inclusion proof against the checkpoint, for the standalone verifier (`verifier.py inclusion`).",
    )


class PledgedDeclarationSerializer(serializers.Serializer):
    reference = serializers.CharField(source="declaration.reference")
    status = serializers.CharField(source="declaration.status")
    lane = serializers.CharField(source="declaration.lane")
    direction = serializers.CharField(source="declaration.direction")
    declared_value = serializers.DecimalField(source="declaration.total_value", max_digits=16, decimal_places=2)
    value_currency = serializers.CharField(source="declaration.invoice_currency_id")
    version = serializers.IntegerField(source="declaration.version")
    pledged_value = serializers.DecimalField(source="pledge.declared_value", max_digits=16, decimal_places=2)
    pledged_currency = serializers.CharField(source="pledge.value_currency_id")
    pledged_version = serializers.IntegerField(source="pledge.declaration_version")
    pledge_active = serializers.BooleanField(source="pledge.active")
    warnings = WarningSerializer(many=True)
    inspection = InspectionSummarySerializer(allow_null=True)
    certificates = CertificateSummarySerializer(many=True)
    ledger = serializers.SerializerMethodField()

    @extend_schema_field(LedgerStatusSerializer)
    def get_ledger(self, item) -> dict:
        request = self.context["request"]
        v = item.verification
        entry, checkpoint, proof = getattr(v, "entry", None), getattr(v, "checkpoint", None), getattr(v, "proof", None)
        entry_url = request.build_absolute_uri(reverse("api-ledger-entry", args=[entry.seq])) if entry else None
        proof_url = None
        if entry and checkpoint and checkpoint.tree_size > entry.seq:
            proof_url = (
                request.build_absolute_uri(reverse("api-ledger-proof", args=[entry.seq]))
                + f"?tree_size={checkpoint.tree_size}"
            )
        return {
            "reference": item.verification_reference,
            "status": v.status if v else "not_recorded",
            "problem": v.problem if v else "",
            "entry_seq": entry.seq if entry else None,
            "leaf_hash": v.leaf_hash.hex() if v and v.leaf_hash else None,
            "checkpoint_tree_size": checkpoint.tree_size if checkpoint else None,
            "checkpoint_root_hash": bytes(checkpoint.root_hash).hex() if checkpoint else None,
            "audit_path": [node.hex() for node in proof.audit_path] if proof else [],
            "entry_url": entry_url,
            "proof_url": proof_url,
        }


class MovementSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="`disbursement` or `repayment`.")

    class Meta:
        model = MoneyMovement
        fields = ["id", "kind", "amount", "value_date", "bank_reference", "recorded_at"]


class DocumentSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class BankRequestDetailSerializer(serializers.Serializer):
    request = BankRequestSerializer(source="financing_request")
    pledged_declarations = PledgedDeclarationSerializer(source="pledged", many=True)
    movements = MovementSerializer(many=True)
    documents = DocumentSummarySerializer(many=True)
    disbursed = serializers.DecimalField(max_digits=16, decimal_places=2)
    repaid = serializers.DecimalField(max_digits=16, decimal_places=2)
    outstanding = serializers.DecimalField(max_digits=16, decimal_places=2)
    allowed_actions = serializers.ListField(
        child=serializers.CharField(), help_text="What the caller may do now (`approve`, `disburse`, …)."
    )


class BankRequestQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RequestStatus.choices, required=False, allow_blank=True)
    product = serializers.IntegerField(required=False, min_value=1, help_text="One of the bank's product ids.")
    trader = serializers.IntegerField(required=False, min_value=1, help_text="The trader organisation's id.")
    amount_min = serializers.DecimalField(required=False, max_digits=16, decimal_places=2, min_value=0)
    amount_max = serializers.DecimalField(required=False, max_digits=16, decimal_places=2, min_value=0)

    def validate(self, data):
        if (
            data.get("amount_min") is not None
            and data.get("amount_max") is not None
            and data["amount_min"] > data["amount_max"]
        ):
            raise serializers.ValidationError({"amount_max": [_("Must not be below amount_min.")]})
        return data


class DecideSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[(a.value, a.label) for a in BANK_DECISIONS])
    approved_amount = serializers.DecimalField(
        required=False, max_digits=16, decimal_places=2, help_text="approve: at most the amount requested."
    )
    interest_rate_percent = serializers.DecimalField(
        required=False,
        max_digits=6,
        decimal_places=3,
        min_value=0,
        max_value=100,
        help_text="approve: yearly interest rate in %.",
    )
    conditions = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="approve: conditions of the financing."
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="reject: why (the trader reads it)."
    )
    message = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="ask_information: what the trader should provide."
    )

    REQUIRED = {
        RequestAction.APPROVE: ("approved_amount", "interest_rate_percent"),
        RequestAction.REJECT: ("reason",),
        RequestAction.ASK_INFORMATION: ("message",),
    }

    def validate(self, data):
        missing = {
            name: [_("Required for %(action)s.") % {"action": data["action"]}]
            for name in self.REQUIRED[data["action"]]
            if data.get(name) in (None, "")
        }
        if missing:
            raise serializers.ValidationError(missing)
        return data

    def service_arguments(self) -> dict:
        data = self.validated_data
        names = {
            RequestAction.APPROVE: ("approved_amount", "interest_rate_percent", "conditions"),
            RequestAction.REJECT: ("reason",),
            RequestAction.ASK_INFORMATION: ("message",),
        }[data["action"]]
        return {name: data.get(name, "") for name in names}


class MovementCreateSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=Decimal("0.01"))
    value_date = serializers.DateField()
    bank_reference = serializers.CharField(required=False, allow_blank=True, max_length=50, default="")


class CloseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class BankRequestPagination(KeysetPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


REQUEST_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The financing request's id.")


@extend_schema(tags=["finance"])
class BankRequestViewSet(IdempotentMixin, viewsets.GenericViewSet):
    """Financing requests addressed to the caller's bank."""

    queryset = FinancingRequest.objects.none()
    serializer_class = BankRequestSerializer
    permission_classes = [IsBankOfficer]
    pagination_class = BankRequestPagination

    def _visible_id(self) -> int:
        try:
            return financing_request_get_for_bank(actor=self.request.user, request_id=int(self.kwargs["pk"])).pk
        except (ObjectDoesNotExist, ValueError):
            raise Http404 from None

    def _present(self, request_id: int, code: int = status.HTTP_200_OK) -> Response:
        context = financing_request_review(actor=self.request.user, request_id=request_id)
        context["allowed_actions"] = services.financing_allowed_actions(context["financing_request"], self.request.user)
        data = BankRequestDetailSerializer(context, context={"request": self.request}).data
        return Response(data, status=code)

    def _act(self, request_id: int, action_name: str, **fields) -> int:
        services.financing_request_transition(
            actor=self.request.user, request_id=request_id, action=action_name, **fields
        )
        return request_id

    @extend_schema(
        summary="List the requests addressed to the bank",
        description="Newest first, cursor-paginated (`next` / `previous` links).",
        parameters=[BankRequestQuerySerializer],
        responses={200: BankRequestSerializer(many=True), **errors(400, 403)},
    )
    def list(self, request):
        query = BankRequestQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        queryset = financing_request_list_for_bank(
            actor=request.user,
            status=data.get("status", ""),
            product_id=data.get("product"),
            trader_id=data.get("trader"),
            amount_min=data.get("amount_min"),
            amount_max=data.get("amount_max"),
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(BankRequestSerializer(page, many=True).data)

    @extend_schema(
        summary="One request with its pledged declarations' status, warnings and ledger proof",
        parameters=[REQUEST_ID],
        responses={200: BankRequestDetailSerializer, **errors(403, 404)},
    )
    def retrieve(self, request, pk=None):
        return self._present(self._visible_id())

    @extend_schema(
        summary="Approve, reject or ask the trader for information",
        description="`approve` needs `approved_amount` (≤ the amount requested) and "
        "`interest_rate_percent` (and takes `conditions`); `reject` needs `reason`; "
        "`ask_information` needs `message`.",
        parameters=[REQUEST_ID],
        request=DecideSerializer,
        responses={200: BankRequestDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        request_id = self._visible_id()  # another bank's request is 404 whatever the body
        parsed = DecideSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        return self._present(self._act(request_id, parsed.validated_data["action"], **parsed.service_arguments()))

    @extend_schema(
        summary="Record the disbursement of an approved request",
        description="All disbursements together stay within the approved amount.",
        parameters=[REQUEST_ID],
        request=MovementCreateSerializer,
        responses={201: BankRequestDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def disbursements(self, request, pk=None):
        request_id = self._visible_id()  # another bank's request is 404 whatever the body
        parsed = MovementCreateSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        self._act(request_id, RequestAction.DISBURSE, **parsed.validated_data)
        return self._present(request_id, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record a repayment of a disbursed request",
        parameters=[REQUEST_ID],
        request=MovementCreateSerializer,
        responses={201: BankRequestDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def repayments(self, request, pk=None):
        request_id = self._visible_id()  # another bank's request is 404 whatever the body
        parsed = MovementCreateSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        self._act(request_id, RequestAction.REPAY, **parsed.validated_data)
        return self._present(request_id, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Close an approved or disbursed request (releases its pledges)",
        parameters=[REQUEST_ID],
        request=CloseSerializer,
        responses={200: BankRequestDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        request_id = self._visible_id()  # another bank's request is 404 whatever the body
        parsed = CloseSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        return self._present(self._act(request_id, RequestAction.CLOSE, **parsed.validated_data))
