"""The officer queue for customs systems (DESIGN §7): ``GET /api/v1/declarations/queue`` and
``POST /api/v1/declarations/{id}/assign``.

Same filters, order and scope as the queue page (``declarations.officer_queue``); pages are
cut by keyset, so a system walking the queue with ``cursor`` never gets a row twice or misses
one when declarations arrive meanwhile. Customs staff only (others 403); a declaration outside
the caller's ports is 404.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.idempotency import IdempotentMixin
from portal.api.serializers import ErrorSerializer
from portal.choices import Role
from portal.roles import HasRole

from ..choices import AWAITING_DECISION, Lane, Status, WarningCode
from ..officer_queue import LANE_KEYS, MAX_PAGE_SIZE, NOT_VERIFIED, QueueFilters, declaration_queue_page
from ..selectors import declaration_visible
from ..services.assignment import declaration_assign

IsCustoms = HasRole.of(Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR)

QUEUE_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="A filter is not valid; `fields` names it."),
    403: OpenApiResponse(ErrorSerializer, description="Not signed in, or not customs staff."),
}
ASSIGN_ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="Taking over another officer's assignment needs a `note`; `fields.note` says who is working on it.",
    ),
    403: OpenApiResponse(ErrorSerializer, description="Not signed in, or not customs staff."),
    404: OpenApiResponse(ErrorSerializer, description="No such declaration at the caller's ports."),
    409: OpenApiResponse(
        ErrorSerializer,
        description="The declaration no longer awaits a decision, or the caller does not serve its ports.",
    ),
}


class QueueQuerySerializer(serializers.Serializer):
    lane = serializers.ChoiceField(
        choices=[*Lane.values, NOT_VERIFIED],
        required=False,
        allow_blank=True,
        help_text="`red`, `yellow`, `green`, or `none` for not yet verified.",
    )
    status = serializers.ChoiceField(choices=[s.value for s in AWAITING_DECISION], required=False, allow_blank=True)
    warning_code = serializers.ChoiceField(
        choices=WarningCode.values,
        required=False,
        allow_blank=True,
        help_text="Declarations whose current version has this warning.",
    )
    trader = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="The declarant organisation's id."
    )
    hs_chapter = serializers.RegexField(
        r"^\d{2}$",
        required=False,
        allow_blank=True,
        help_text="Two digits; declarations with any goods item in the chapter.",
    )
    submitted_from = serializers.DateField(required=False, help_text="Submitted on or after this day (port time).")
    submitted_to = serializers.DateField(required=False, help_text="Submitted on or before this day (port time).")
    search = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="A reference, container number or transport document number.",
    )
    cursor = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="From `next` or `previous` of an earlier page."
    )
    direction = serializers.ChoiceField(choices=["next", "previous"], required=False, default="next")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=50)


class QueueAssigneeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    assigned_at = serializers.DateTimeField()


class QueueRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    lane = serializers.CharField(help_text="`red`, `yellow`, `green`, or empty when not yet verified.")
    declarant = serializers.IntegerField(source="declarant_id")
    declarant_name = serializers.CharField(source="declarant.name_en")
    origin_port = serializers.CharField(source="origin_port.locode", allow_null=True)
    transfer_port = serializers.CharField(source="transfer_port.locode", allow_null=True)
    transport_document_number = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    warning_count = serializers.IntegerField()
    warning_codes = serializers.ListField(child=serializers.CharField())
    on_hold = serializers.BooleanField()
    assignee = serializers.SerializerMethodField(help_text="The officer working on it, or null.")

    @extend_schema_field(QueueAssigneeSerializer(allow_null=True))
    def get_assignee(self, row) -> dict | None:
        if row.assignee is None:
            return None
        return {
            "username": row.assignee.username,
            "name": row.assignee.get_full_name() or row.assignee.username,
            "assigned_at": serializers.DateTimeField().to_representation(row.assigned_at),
        }


class QueueLaneCountsSerializer(serializers.Serializer):
    red = serializers.IntegerField()
    yellow = serializers.IntegerField()
    green = serializers.IntegerField()
    none = serializers.IntegerField(help_text="Not yet verified.")


class QueuePageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True, help_text="URL of the next page, or null.")
    previous = serializers.CharField(allow_null=True, help_text="URL of the previous page, or null.")
    lane_counts = QueueLaneCountsSerializer(help_text="Declarations per lane for the filters other than `lane`.")
    results = QueueRowSerializer(many=True)


class AssignInputSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when taking over another officer's assignment: why.",
    )


class AssignmentSerializer(serializers.Serializer):
    declaration = serializers.IntegerField(source="declaration_id")
    officer = serializers.CharField(source="officer.username")
    assigned_at = serializers.DateTimeField()
    note = serializers.CharField()


@extend_schema(tags=["declarations"])
class DeclarationQueueView(APIView):
    """The caller's queue: declarations awaiting a decision at the ports they serve."""

    permission_classes = [IsCustoms]

    @extend_schema(
        summary="Officer queue: awaiting a decision, red → yellow → green → not verified, then oldest",
        description="Same filters and order as the queue page. Walk it with `cursor` (from `next`); "
        "`lane_counts` counts the declarations of each lane for the other filters.",
        parameters=[QueueQuerySerializer],
        responses={200: QueuePageSerializer, **QUEUE_ERRORS},
    )
    def get(self, request):
        query = QueueQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = dict(query.validated_data)
        cursor, direction, size = values.pop("cursor", ""), values.pop("direction"), values.pop("page_size")
        page = declaration_queue_page(
            actor=request.user,
            filters=QueueFilters.of(values),
            size=size,
            after=cursor if direction == "next" else "",
            before=cursor if direction == "previous" else "",
        )
        return Response(
            {
                "next": self._link(request, page["next"], "next"),
                "previous": self._link(request, page["previous"], "previous"),
                "lane_counts": {lane: page["lane_counts"][lane] for lane in LANE_KEYS},
                "results": QueueRowSerializer(page["rows"], many=True).data,
            }
        )

    @staticmethod
    def _link(request, cursor: str, direction: str) -> str | None:
        if not cursor:
            return None
        params = request.query_params.copy()
        params["cursor"] = cursor
        params["direction"] = direction
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


@extend_schema(tags=["declarations"])
class DeclarationAssignView(IdempotentMixin, APIView):
    """Assign a declaration to the caller (customs staff of its ports)."""

    permission_classes = [IsCustoms]

    @extend_schema(
        summary="Assign to me (taking over another officer's assignment needs a note)",
        request=AssignInputSerializer,
        responses={200: AssignmentSerializer, **ASSIGN_ERRORS},
    )
    def post(self, request, pk: int):
        if not declaration_visible(actor=request.user, declaration_id=pk):
            raise Http404
        parsed = AssignInputSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        assignment = declaration_assign(actor=request.user, declaration_id=pk, note=parsed.validated_data["note"])
        return Response(AssignmentSerializer(assignment).data, status=status.HTTP_200_OK)
