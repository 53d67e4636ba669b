"""``inspections/slots`` and ``inspections/bookings`` (DESIGN §7): parse, call a service or selector, present.

Scope: traders see their organisation's bookings, customs staff those at sites of their ports
or of declarations touching their ports. Another organisation's booking or inspection is 404.
Every POST honours ``Idempotency-Key``.
"""

from zoneinfo import ZoneInfo

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from portal.api.idempotency import IdempotentMixin
from portal.api.pagination import KeysetPagination
from portal.api.serializers import ErrorSerializer
from portal.choices import Role
from portal.roles import HasRole

from . import selectors, services
from .choices import BookingStatus
from .models import Booking, InspectionSite, InspectionSlot

IsTraderOrCustoms = HasRole.of(Role.TRADER_STAFF, Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR)
IsCustoms = HasRole.of(Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR)

ERROR_DESCRIPTIONS = {
    400: "Invalid input; `fields` names each bad field (e.g. `slot`, `date`).",
    403: "Not signed in, or the caller's role may not do this (only traders and customs staff use bookings; "
    "only customs staff record no-shows).",
    404: "No such booking, inspection or site for this caller (another organisation's records are not found).",
    409: "Not possible now: `slot_taken` when someone booked the slot's last place first (choose another slot), "
    "`transition_not_allowed` when the site's cut-off has passed, the booking is no longer live, the "
    "inspection already has a booking or the declaration no longer waits for inspection.",
}


def errors(*codes: int) -> dict:
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in codes}


class SlotSerializer(serializers.ModelSerializer):
    site = serializers.IntegerField(source="site_id")
    free = serializers.IntegerField()

    class Meta:
        model = InspectionSlot
        fields = ["id", "site", "starts_at", "ends_at", "capacity", "booked", "free"]


class SlotQuerySerializer(serializers.Serializer):
    site = serializers.IntegerField(help_text="Inspection site id.")
    date = serializers.DateField(required=False, help_text="Local date at the site's port; default today.")


class BookingSerializer(serializers.ModelSerializer):
    inspection = serializers.IntegerField(source="inspection_id")
    declaration = serializers.IntegerField(source="inspection.declaration_id")
    declaration_reference = serializers.CharField(source="inspection.declaration.reference")
    slot = SlotSerializer()
    site_name = serializers.CharField(source="slot.site.name_en")
    port = serializers.CharField(source="slot.site.port.locode")

    class Meta:
        model = Booking
        fields = [
            "id",
            "inspection",
            "declaration",
            "declaration_reference",
            "status",
            "slot",
            "site_name",
            "port",
            "booked_at",
            "cancelled_at",
        ]


class BookingCreateSerializer(serializers.Serializer):
    inspection = serializers.IntegerField(help_text="The ordered inspection to book (see the declaration).")
    slot = serializers.IntegerField(help_text="A free slot from `GET /api/v1/inspections/slots`.")


class RescheduleSerializer(serializers.Serializer):
    slot = serializers.IntegerField(help_text="The free slot to move to.")


class BookingQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=BookingStatus.choices, required=False, allow_blank=True)
    site = serializers.IntegerField(required=False)


class BookingPagination(KeysetPagination):
    ordering = ("-booked_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


@extend_schema(tags=["inspections"])
class SlotListView(APIView):
    permission_classes = [IsTraderOrCustoms]

    @extend_schema(
        summary="Free slots of an inspection site on one day",
        description="Slots that still have a place and are before the site's booking cut-off, in start order. "
        "Times are UTC; the day is the site port's local day.",
        parameters=[SlotQuerySerializer],
        responses={200: SlotSerializer(many=True), **errors(400, 403, 404)},
    )
    def get(self, request):
        query = SlotQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        site = (
            InspectionSite.objects.select_related("port").filter(pk=query.validated_data["site"], active=True).first()
        )
        if site is None:
            raise Http404
        day = query.validated_data.get("date") or timezone.localdate(timezone.now(), ZoneInfo(site.port.timezone))
        return Response(SlotSerializer(selectors.slots_free(site=site, day=day), many=True).data)


BOOKING_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema(tags=["inspections"])
class BookingViewSet(IdempotentMixin, viewsets.GenericViewSet):
    """Inspection bookings: the trader's own, or those at the officer's ports."""

    queryset = Booking.objects.none()
    serializer_class = BookingSerializer
    permission_classes = [IsTraderOrCustoms]
    pagination_class = BookingPagination

    def _present(self, booking_id: int, code: int = status.HTTP_200_OK) -> Response:
        booking = selectors.booking_get(actor=self.request.user, booking_id=booking_id)
        return Response(BookingSerializer(booking).data, status=code)

    def _visible(self) -> int:
        try:
            return selectors.booking_get(actor=self.request.user, booking_id=int(self.kwargs["pk"])).pk
        except (ObjectDoesNotExist, ValueError):
            raise Http404 from None

    def _call(self, service, **kwargs):
        try:
            return service(actor=self.request.user, **kwargs)
        except ObjectDoesNotExist:
            raise Http404 from None

    @extend_schema(
        summary="List bookings",
        parameters=[BookingQuerySerializer],
        responses={200: BookingSerializer(many=True), **errors(400, 403)},
    )
    def list(self, request):
        query = BookingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        queryset = selectors.booking_list(
            actor=request.user, status=query.validated_data.get("status", ""), site_id=query.validated_data.get("site")
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(BookingSerializer(page, many=True).data)

    @extend_schema(
        summary="One booking", parameters=[BOOKING_ID], responses={200: BookingSerializer, **errors(403, 404)}
    )
    def retrieve(self, request, pk=None):
        return self._present(self._visible())

    @extend_schema(
        summary="Book a slot for an ordered inspection",
        description="The declarant's staff, or customs staff of the declaration's ports on the trader's behalf. "
        "A slot never takes more bookings than its capacity; whoever loses the race for its last "
        "place gets 409 `slot_taken`.",
        request=BookingCreateSerializer,
        responses={201: BookingSerializer, **errors(400, 403, 404, 409)},
    )
    def create(self, request):
        parsed = BookingCreateSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        booking = self._call(
            services.booking_create,
            inspection_id=parsed.validated_data["inspection"],
            slot_id=parsed.validated_data["slot"],
        )
        return self._present(booking.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Move a live booking to another slot (before the cut-off of both)",
        parameters=[BOOKING_ID],
        request=RescheduleSerializer,
        responses={200: BookingSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        booking_id = self._visible()
        parsed = RescheduleSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        self._call(services.booking_reschedule, booking_id=booking_id, slot_id=parsed.validated_data["slot"])
        return self._present(booking_id)

    @extend_schema(
        summary="Cancel a live booking (before the cut-off)",
        parameters=[BOOKING_ID],
        request=None,
        responses={200: BookingSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        booking_id = self._visible()
        self._call(services.booking_cancel, booking_id=booking_id)
        return self._present(booking_id)

    @extend_schema(
        summary="Record a no-show (customs of the site's port, once the slot has started)",
        parameters=[BOOKING_ID],
        request=None,
        responses={200: BookingSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="no-show", permission_classes=[IsCustoms])
    def no_show(self, request, pk=None):
        booking_id = self._visible()
        self._call(services.booking_no_show, booking_id=booking_id)
        return self._present(booking_id)


router = SimpleRouter(trailing_slash=False)
router.register("inspections/bookings", BookingViewSet, basename="inspection-booking")

# Included from ``portal/api/urls.py`` under /api/v1/.
urlpatterns = [
    path("inspections/slots", SlotListView.as_view(), name="inspection-slots"),
    *router.urls,
]
