from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from portal.models import Country, Currency, HSCode, Port
from portal.selectors import health_report

from .serializers import (
    CountrySerializer,
    CurrencySerializer,
    HSCodeSerializer,
    MeSerializer,
    PortSerializer,
)


class CountryViewSet(viewsets.ReadOnlyModelViewSet):
    """ISO 3166-1 countries."""

    queryset = Country.objects.all()
    serializer_class = CountrySerializer
    lookup_field = "alpha2"


class CurrencyViewSet(viewsets.ReadOnlyModelViewSet):
    """ISO 4217 currencies."""

    queryset = Currency.objects.all()
    serializer_class = CurrencySerializer
    lookup_field = "code"


class PortViewSet(viewsets.ReadOnlyModelViewSet):
    """Ports by UN/LOCODE."""

    queryset = Port.objects.all()
    serializer_class = PortSerializer
    lookup_field = "locode"
    filterset_fields = ["kind", "country"]


class HSCodeFilter(filters.FilterSet):
    chapter = filters.CharFilter(method="filter_chapter", label="2-digit chapter")
    search = filters.CharFilter(method="filter_search", label="code prefix or words in the description")
    sensitive = filters.BooleanFilter(method="filter_sensitive")

    class Meta:
        model = HSCode
        fields = ["is_leaf", "sensitive_reason"]

    def filter_chapter(self, queryset, name, value):
        return queryset.filter(code__startswith=value[:2])

    def filter_search(self, queryset, name, value):
        if value.isdigit():
            return queryset.filter(code__startswith=value)
        return queryset.filter(description_en__icontains=value) | queryset.filter(description_zh__icontains=value)

    def filter_sensitive(self, queryset, name, value):
        return queryset.exclude(sensitive_reason="") if value else queryset.filter(sensitive_reason="")


class HSCodeViewSet(viewsets.ReadOnlyModelViewSet):
    """Harmonized System chapters, headings and subheadings."""

    queryset = HSCode.objects.all()
    serializer_class = HSCodeSerializer
    lookup_field = "code"
    filterset_class = HSCodeFilter


class MeView(generics.RetrieveAPIView):
    """The signed-in user, their organisation and role."""

    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


class HealthView(generics.GenericAPIView):
    """Whether the database and the task broker answer, and when the worker last proved it was alive."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(responses={200: dict, 503: dict})
    def get(self, request):
        report = health_report()
        return Response(report, status=200 if report["ok"] else 503)
