"""``/api/v1/finance/requests`` and ``/api/v1/finance/products`` for traders (DESIGN §7).

Traders list and read their organisation's requests, create requests that pledge their own
declarations, withdraw and answer the bank; anyone signed in reads the products on offer.
A request of another organisation is 404. Every POST honours ``Idempotency-Key``. The bank's
endpoints are in ``api_bank.py``; both are routed by ``api_urls.py``.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from portal.api.idempotency import IdempotentMixin
from portal.api.pagination import KeysetPagination
from portal.api.serializers import ErrorSerializer
from portal.choices import Role
from portal.roles import HasRole

from . import services
from .choices import ProductKind, RequestStatus
from .models import FinancingProduct, FinancingRequest, MoneyMovement
from .selectors_trader import financing_products_offered, financing_request_get, financing_request_list

IsTrader = HasRole.of(Role.TRADER_STAFF)

ERROR_DESCRIPTIONS = {
    400: "Invalid input; `fields` names each bad field (e.g. `amount` above the maximum, `tenor_days` out of the "
    "product's range, `declarations` not eligible or already pledged — the message names the request that "
    "holds it — or `currency` the bank has no rate for).",
    403: "Not signed in, or not trader staff.",
    404: "No such financing request (another organisation's requests are not found), or a declaration that is "
    "not the caller's.",
    409: "`transition_not_allowed`: the request's status does not allow this now (the detail names its status), "
    "or `idempotency_request_in_progress`.",
}


def errors(*codes: int) -> dict:
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in codes}


class OfferedProductSerializer(serializers.ModelSerializer):
    bank = serializers.IntegerField(source="bank_id")
    bank_name = serializers.CharField(source="bank.name_en")
    kind = serializers.ChoiceField(choices=ProductKind.choices)
    currencies = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = FinancingProduct
        fields = [
            "id",
            "bank",
            "bank_name",
            "kind",
            "name_en",
            "name_zh",
            "currencies",
            "max_advance_percent",
            "min_tenor_days",
            "max_tenor_days",
            "accepted_statuses",
            "exports_only",
        ]


class TraderPledgeSerializer(serializers.Serializer):
    declaration = serializers.IntegerField(source="declaration_id")
    reference = serializers.CharField(source="declaration.reference")
    declared_value = serializers.DecimalField(max_digits=16, decimal_places=2)
    value_currency = serializers.CharField(source="value_currency_id")
    declaration_version = serializers.IntegerField()
    active = serializers.BooleanField()
    released_at = serializers.DateTimeField(allow_null=True)


class TraderMovementSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MoneyMovement.Kind.choices)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    value_date = serializers.DateField()
    bank_reference = serializers.CharField()


class TraderDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class TraderFinancingRequestSerializer(serializers.ModelSerializer):
    bank = serializers.IntegerField(source="bank_id")
    bank_name = serializers.CharField(source="bank.name_en")
    product = serializers.IntegerField(source="product_id")
    product_kind = serializers.ChoiceField(source="product.kind", choices=ProductKind.choices)
    currency = serializers.CharField(source="currency_id")
    status = serializers.ChoiceField(choices=RequestStatus.choices)

    class Meta:
        model = FinancingRequest
        fields = [
            "id",
            "reference",
            "bank",
            "bank_name",
            "product",
            "product_kind",
            "amount",
            "currency",
            "tenor_days",
            "status",
            "approved_amount",
            "interest_rate_percent",
            "flagged",
            "created_at",
            "decided_at",
        ]


class TraderFinancingRequestDetailSerializer(TraderFinancingRequestSerializer):
    conditions = serializers.CharField()
    bank_message = serializers.CharField()
    trader_message = serializers.CharField()
    flag_reason = serializers.CharField()
    pledges = TraderPledgeSerializer(many=True)
    movements = TraderMovementSerializer(many=True)
    documents = TraderDocumentSerializer(many=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(TraderFinancingRequestSerializer.Meta):
        fields = [
            *TraderFinancingRequestSerializer.Meta.fields,
            "conditions",
            "bank_message",
            "trader_message",
            "flag_reason",
            "pledges",
            "movements",
            "documents",
            "allowed_actions",
        ]

    def get_allowed_actions(self, request) -> list[str]:
        return services.financing_allowed_actions(request, self.context["request"].user)


class FinancingRequestInputSerializer(serializers.Serializer):
    product = serializers.IntegerField(help_text="Id of an offered product (`GET /api/v1/finance/products`).")
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    currency = serializers.CharField(max_length=3, help_text="ISO 4217 code the product lends in.")
    tenor_days = serializers.IntegerField(min_value=1, max_value=3650)
    declarations = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=1,
        max_length=100,
        help_text="Ids of the caller's declarations to pledge.",
    )
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class WithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ProvideInformationInputSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=5000)


class FinancingCursorPagination(KeysetPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


@extend_schema(tags=["finance"])
class FinancingRequestViewSet(IdempotentMixin, viewsets.GenericViewSet):
    """The trader's financing requests (a bank officer reading here sees the requests addressed to the bank)."""

    queryset = FinancingRequest.objects.none()
    serializer_class = TraderFinancingRequestDetailSerializer
    pagination_class = FinancingCursorPagination
    parser_classes = [JSONParser]
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return financing_request_list(actor=self.request.user)

    def get_permissions(self):
        if self.action in ("create", "withdraw", "provide_information"):
            return [IsTrader()]
        return [IsAuthenticated()]

    def _present(self, request_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        financing = financing_request_get(actor=self.request.user, request_id=request_id)
        return Response(
            TraderFinancingRequestDetailSerializer(financing, context=self.get_serializer_context()).data,
            status=status_code,
        )

    def _require_visible(self) -> int:
        request_id = int(self.kwargs["pk"])
        if not financing_request_list(actor=self.request.user).filter(pk=request_id).exists():
            raise Http404
        return request_id

    @extend_schema(
        summary="List financing requests, newest first",
        responses={200: TraderFinancingRequestSerializer(many=True), **errors(403)},
    )
    def list(self, request):
        page = self.paginate_queryset(financing_request_list(actor=request.user))
        return self.get_paginated_response(TraderFinancingRequestSerializer(page, many=True).data)

    @extend_schema(
        summary="Get a financing request with its pledges, money moved, documents and allowed actions",
        responses={200: TraderFinancingRequestDetailSerializer, **errors(403, 404)},
    )
    def retrieve(self, request, pk=None):
        return self._present(int(pk))

    @extend_schema(
        summary="Ask a bank for financing, pledging the caller's declarations",
        request=FinancingRequestInputSerializer,
        responses={201: TraderFinancingRequestDetailSerializer, **errors(400, 403, 404, 409)},
    )
    def create(self, request):
        parsed = FinancingRequestInputSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        data = parsed.validated_data
        created = services.financing_request_create(
            actor=request.user,
            product_id=data["product"],
            amount=data["amount"],
            currency=data["currency"],
            tenor_days=data["tenor_days"],
            declaration_ids=data["declarations"],
            message=data["message"],
        )
        return self._present(created.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Withdraw a request the bank has not decided yet (its pledges are released)",
        request=WithdrawInputSerializer,
        responses={200: TraderFinancingRequestDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        request_id = self._require_visible()
        parsed = WithdrawInputSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        services.financing_request_withdraw(actor=request.user, request_id=request_id, **parsed.validated_data)
        return self._present(request_id)

    @extend_schema(
        summary="Answer the bank's request for information (the request is under review again)",
        request=ProvideInformationInputSerializer,
        responses={200: TraderFinancingRequestDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="provide-information")
    def provide_information(self, request, pk=None):
        request_id = self._require_visible()
        parsed = ProvideInformationInputSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        services.financing_request_provide_information(
            actor=request.user, request_id=request_id, **parsed.validated_data
        )
        return self._present(request_id)


@extend_schema(
    tags=["finance"],
    summary="Financing products every bank offers",
    responses={200: OfferedProductSerializer(many=True), **errors(403)},
)
class FinancingProductListView(generics.ListAPIView):
    serializer_class = OfferedProductSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return financing_products_offered()
