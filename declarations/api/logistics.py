"""The ``logistics/*`` resources (DESIGN §7): carriers', terminals' and IoT platforms' bulk records.

``POST /api/v1/logistics/manifests``, ``/logistics/container-events`` and
``/logistics/sensor-readings`` take a **JSON list** of records (at most 10,000) as the body —
not an object around it. The call is all or nothing: any bad row → 400 and nothing stored,
with ``fields`` keyed ``<row index>.<field>`` (rows counted from 0), e.g.
``"17.container_number"`` or ``"3.lines.0.gross_mass"``. Records whose ``external_id`` the
caller's organisation already sent are counted as duplicates and not stored again. Only users
with the logistics-system role may call these (others 403, anonymous 401); each organisation
lists only its own records. Every POST honours ``Idempotency-Key``.

Rows are checked by the ingest services themselves (``declarations.services.logistics``), not
by DRF serializers, so that 10,000 rows cost milliseconds of validation; the serializers here
describe the records for the OpenAPI schema and present stored records.
"""

from django.db.models import Q
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from portal.api.idempotency import IdempotentMixin
from portal.api.pagination import KeysetPagination
from portal.api.serializers import ErrorSerializer
from portal.choices import Role
from portal.roles import HasRole

from ..choices import ContainerEventType, SensorKind
from ..models import ContainerEvent, Manifest, ManifestLine, SensorReading
from ..services.logistics import (
    MAX_RECORDS,
    container_events_ingest,
    manifests_ingest,
    sensor_readings_ingest,
)
from ..validators import normalise_container_number

IsLogisticsSystem = HasRole.of(Role.LOGISTICS_SYSTEM)

POST_ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer,
        description=(
            "Nothing was stored. `fields` names every bad row and field as `<row index>.<field>` (rows counted "
            f"from 0), e.g. `17.container_number`, `3.lines.0.gross_mass`; more than {MAX_RECORDS:,} records is "
            "reported under `records`."
        ),
    ),
    401: OpenApiResponse(ErrorSerializer, description="No or an invalid token (`Authorization: Token …`)."),
    403: OpenApiResponse(ErrorSerializer, description="The caller is not a logistics system."),
}
LIST_ERRORS = {code: POST_ERRORS[code] for code in (401, 403)} | {
    400: OpenApiResponse(ErrorSerializer, description="A filter is not valid, e.g. a time without its offset."),
}


# --- input, for the schema ---------------------------------------------------------------------------------------


class _RecordInputSerializer(serializers.Serializer):
    external_id = serializers.CharField(
        max_length=100,
        help_text=("Your own id of the record. A record sent again with the same id is not stored twice."),
    )


class ManifestLineInputSerializer(serializers.Serializer):
    transport_document_number = serializers.CharField(max_length=35, help_text="Bill of lading number.")
    consignee_name = serializers.CharField(max_length=200)
    packages = serializers.IntegerField(min_value=1)
    gross_mass = serializers.DecimalField(max_digits=14, decimal_places=3, help_text="Kilograms, > 0.")
    containers = serializers.ListField(
        child=serializers.CharField(max_length=13),
        help_text=("ISO 6346 container numbers with a correct check digit, e.g. CSQU3054383 (stored normalised)."),
    )


class ManifestInputSerializer(_RecordInputSerializer):
    carrier = serializers.CharField(max_length=200)
    vessel = serializers.CharField(max_length=100, help_text="Vessel or barge.")
    voyage = serializers.CharField(max_length=50)
    port_of_loading = serializers.CharField(max_length=5, help_text="UN/LOCODE, e.g. CNSUD.")
    port_of_discharge = serializers.CharField(max_length=5, help_text="UN/LOCODE, e.g. CNSHK.")
    lines = ManifestLineInputSerializer(many=True)


class ContainerEventInputSerializer(_RecordInputSerializer):
    container_number = serializers.CharField(max_length=13, help_text="ISO 6346, e.g. CSQU3054383.")
    event_type = serializers.ChoiceField(choices=ContainerEventType.choices)
    port = serializers.CharField(max_length=5, help_text="UN/LOCODE of the port where it happened.")
    vessel = serializers.CharField(max_length=100, required=False, allow_blank=True)
    voyage = serializers.CharField(max_length=50, required=False, allow_blank=True)
    occurred_at = serializers.DateTimeField(
        help_text=("ISO 8601 with its offset, e.g. 2026-03-01T08:30:00+08:00; at most 5 minutes ahead of the portal.")
    )
    seal_number = serializers.CharField(
        max_length=35, required=False, allow_blank=True, help_text="Seal number seen on the container."
    )
    weight = serializers.DecimalField(
        max_digits=14,
        decimal_places=3,
        required=False,
        allow_null=True,
        help_text="Kilograms, > 0; required for `weighed`.",
    )


class SensorReadingInputSerializer(_RecordInputSerializer):
    container_number = serializers.CharField(max_length=13, help_text="ISO 6346, e.g. CSQU3054383.")
    device = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=SensorKind.choices)
    value = serializers.CharField(
        max_length=100,
        help_text=(
            "`temperature`: °C as a number; `gross_weight`: kg, > 0; `seal_status`: one short word (closed, open, "
            "broken …); `position`: `latitude,longitude` in decimal degrees."
        ),
    )
    read_at = serializers.DateTimeField(help_text="ISO 8601 with its offset; at most 5 minutes ahead.")


class IngestResultSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="Records in the request.")
    stored = serializers.IntegerField(help_text="Records stored now.")
    duplicates = serializers.IntegerField(help_text="Records already stored (same external_id), not stored again.")


# --- output ------------------------------------------------------------------------------------------------------


class ManifestLineSerializer(serializers.ModelSerializer):
    containers = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = ManifestLine
        fields = ["transport_document_number", "consignee_name", "packages", "gross_mass", "containers"]


class ManifestSerializer(serializers.ModelSerializer):
    port_of_loading = serializers.CharField(source="port_of_loading.locode")
    port_of_discharge = serializers.CharField(source="port_of_discharge.locode")
    lines = ManifestLineSerializer(many=True)

    class Meta:
        model = Manifest
        fields = [
            "id",
            "external_id",
            "carrier",
            "vessel",
            "voyage",
            "port_of_loading",
            "port_of_discharge",
            "received_at",
            "lines",
        ]


class ContainerEventSerializer(serializers.ModelSerializer):
    port = serializers.CharField(source="port.locode")

    class Meta:
        model = ContainerEvent
        fields = [
            "id",
            "external_id",
            "container_number",
            "event_type",
            "port",
            "vessel",
            "voyage",
            "occurred_at",
            "seal_number",
            "weight",
            "received_at",
        ]


class SensorReadingSerializer(serializers.ModelSerializer):
    class Meta:
        model = SensorReading
        fields = ["id", "external_id", "container_number", "device", "kind", "value", "read_at", "received_at"]


class LogisticsListQuerySerializer(serializers.Serializer):
    container_number = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text="Only records about this container."
    )
    since = serializers.DateTimeField(
        required=False,
        help_text=(
            "Only records at or after this time (ISO 8601 with offset): the event or reading time; for manifests "
            "the time received."
        ),
    )
    until = serializers.DateTimeField(required=False, help_text="Only records before this time.")

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": ["Must not be before `since`."]})
        return attrs


class ManifestListQuerySerializer(LogisticsListQuerySerializer):
    transport_document = serializers.CharField(
        max_length=35,
        required=False,
        allow_blank=True,
        help_text="Only manifests with a line for this transport document.",
    )


class ContainerEventListQuerySerializer(LogisticsListQuerySerializer):
    event_type = serializers.ChoiceField(choices=ContainerEventType.choices, required=False, allow_blank=True)


class SensorReadingListQuerySerializer(LogisticsListQuerySerializer):
    kind = serializers.ChoiceField(choices=SensorKind.choices, required=False, allow_blank=True)


class NewestFirstPagination(KeysetPagination):
    """Keyset pages, newest stored first: page 1000 costs what page 1 does."""

    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


# --- views -------------------------------------------------------------------------------------------------------


class _LogisticsRecordViewSet(IdempotentMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """List the caller organisation's records of one kind; bulk-create a list of them."""

    permission_classes = [IsLogisticsSystem]
    parser_classes = [JSONParser]
    pagination_class = NewestFirstPagination
    filter_backends: list = []
    model = None
    query_serializer_class: type[serializers.Serializer] = LogisticsListQuerySerializer
    time_field = "received_at"
    ingest = None

    def get_queryset(self):
        # Scope: only the caller's organisation's records, whatever the filters.
        return self.model.objects.filter(source_id=self.request.user.organisation_id)

    def filter_records(self, queryset, query: dict):
        number = normalise_container_number(query.get("container_number") or "")
        if number:
            queryset = queryset.filter(container_number=number)
        return queryset

    def list(self, request, *args, **kwargs):
        query = self.query_serializer_class(data=request.query_params)
        query.is_valid(raise_exception=True)
        queryset = self.filter_records(self.get_queryset(), query.validated_data)
        if query.validated_data.get("since"):
            queryset = queryset.filter(**{f"{self.time_field}__gte": query.validated_data["since"]})
        if query.validated_data.get("until"):
            queryset = queryset.filter(**{f"{self.time_field}__lt": query.validated_data["until"]})
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request, *args, **kwargs):
        result = type(self).ingest(actor=request.user, records=request.data)
        return Response(IngestResultSerializer(result).data, status=status.HTTP_201_CREATED)


INGEST_DESCRIPTION = (
    "The body is a JSON **list** of at most {max} records. All or nothing: if any row is wrong nothing is "
    "stored and the 400 answer names each bad row and field as `<row index>.<field>` (from 0). A record whose "
    "`external_id` your organisation already sent (in this call or before) is counted under `duplicates` and "
    "not stored again. Times need their offset and may be at most 5 minutes ahead; ports are UN/LOCODEs known "
    "to the portal; container numbers must pass ISO 6346. Declarations the new records concern are "
    "re-verified in the background."
).format(max=f"{MAX_RECORDS:,}")


def _records_schema(what: str, query, output, record_input):
    """The list and bulk-create documentation every logistics record endpoint shares."""
    return extend_schema_view(
        list=extend_schema(
            summary=f"List your organisation's {what}",
            parameters=[query],
            responses={200: output(many=True), **LIST_ERRORS},
        ),
        create=extend_schema(
            summary=f"Send {what} in bulk",
            description=INGEST_DESCRIPTION,
            request=record_input(many=True),
            responses={201: IngestResultSerializer, **POST_ERRORS},
        ),
    )


@_records_schema("manifests", ManifestListQuerySerializer, ManifestSerializer, ManifestInputSerializer)
class ManifestViewSet(_LogisticsRecordViewSet):
    """Carriers' manifests (vessel or barge, voyage, ports) with their lines."""

    model = Manifest
    serializer_class = ManifestSerializer
    query_serializer_class = ManifestListQuerySerializer
    ingest = staticmethod(manifests_ingest)

    def get_queryset(self):
        return super().get_queryset().select_related("port_of_loading", "port_of_discharge").prefetch_related("lines")

    def filter_records(self, queryset, query: dict):
        lines = ManifestLine.objects.all()
        filtered = False
        number = normalise_container_number(query.get("container_number") or "")
        if number:
            lines, filtered = lines.filter(containers__icontains=f'"{number}"'), True
        document = (query.get("transport_document") or "").strip()
        if document:
            lines, filtered = lines.filter(transport_document_number=document), True
        if filtered:
            queryset = queryset.filter(Q(pk__in=lines.values("manifest_id")))
        return queryset


@_records_schema(
    "container events", ContainerEventListQuerySerializer, ContainerEventSerializer, ContainerEventInputSerializer
)
class ContainerEventViewSet(_LogisticsRecordViewSet):
    """Terminals' container events: gate in, weighed, loaded, discharged, gate out, departed, arrived."""

    model = ContainerEvent
    serializer_class = ContainerEventSerializer
    query_serializer_class = ContainerEventListQuerySerializer
    time_field = "occurred_at"
    ingest = staticmethod(container_events_ingest)

    def get_queryset(self):
        return super().get_queryset().select_related("port")

    def filter_records(self, queryset, query: dict):
        queryset = super().filter_records(queryset, query)
        if query.get("event_type"):
            queryset = queryset.filter(event_type=query["event_type"])
        return queryset


@_records_schema(
    "sensor readings", SensorReadingListQuerySerializer, SensorReadingSerializer, SensorReadingInputSerializer
)
class SensorReadingViewSet(_LogisticsRecordViewSet):
    """IoT platforms' readings: seal status, temperature, gross weight, position."""

    model = SensorReading
    serializer_class = SensorReadingSerializer
    query_serializer_class = SensorReadingListQuerySerializer
    time_field = "read_at"
    ingest = staticmethod(sensor_readings_ingest)

    def filter_records(self, queryset, query: dict):
        queryset = super().filter_records(queryset, query)
        if query.get("kind"):
            queryset = queryset.filter(kind=query["kind"])
        return queryset


router = SimpleRouter(trailing_slash=False)
router.register("logistics/manifests", ManifestViewSet, basename="logistics-manifest")
router.register("logistics/container-events", ContainerEventViewSet, basename="logistics-container-event")
router.register("logistics/sensor-readings", SensorReadingViewSet, basename="logistics-sensor-reading")
