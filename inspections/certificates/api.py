"""The ``certificates`` resource (DESIGN §7): list (scoped), read, issue, revoke, PDF.

Scope as on the pages: traders see their organisation's certificates, customs staff those
of declarations whose clearance or transfer port they serve; anything else is 404. Issue
and revoke are customs-only (403 for other roles) and honour ``Idempotency-Key``.
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from declarations.models import Declaration
from portal.api.idempotency import IdempotentMixin
from portal.api.pagination import KeysetPagination
from portal.api.serializers import ErrorSerializer
from portal.choices import Role
from portal.exceptions import DomainError
from portal.roles import HasRole

from ..choices import CertificateKind, CertificateStatus
from ..models import Certificate
from .selectors import certificate_get, certificate_list, declaration_for_certificates
from .services import certificate_issue, certificate_revoke
from .verification import certificate_verification_url

IsCustoms = HasRole.of(Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR)

ERROR_DESCRIPTIONS = {
    400: "Invalid input; `fields` names each bad field (`kind`, `items`, `reason`).",
    403: "Not signed in, or the caller's role may not do this (only customs staff issue and revoke).",
    404: "No such certificate or declaration for this caller (other organisations' records are not found).",
    409: "The state does not allow this now: the declaration is not inspected or released, the certificate is "
    "already revoked, the PDF is still being rendered, or a request with the same Idempotency-Key is running.",
}


def errors(*codes: int) -> dict:
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in codes}


class PdfNotReady(DomainError):
    status_code = 409
    code = "pdf_not_ready"


class CertificateItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    line = serializers.IntegerField(source="line_number")
    hs_code = serializers.CharField(source="hs_code_id")
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
    unit = serializers.CharField()


class CertificateSerializer(serializers.ModelSerializer):
    declaration_reference = serializers.CharField(source="declaration.reference")
    items = CertificateItemSerializer(many=True)
    issued_by = serializers.CharField(source="issued_by.username")
    pdf_ready = serializers.SerializerMethodField()
    verification_url = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "declaration",
            "declaration_reference",
            "items",
            "remarks",
            "issued_at",
            "issued_by",
            "revoked_at",
            "revocation_reason",
            "pdf_ready",
            "pdf_sha256",
            "pdf_rendered_at",
            "verification_url",
        ]

    def get_pdf_ready(self, certificate: Certificate) -> bool:
        return bool(certificate.pdf)

    def get_verification_url(self, certificate: Certificate) -> str:
        return certificate_verification_url(certificate.number)


class CertificateIssueInputSerializer(serializers.Serializer):
    declaration = serializers.IntegerField(help_text="Id of an inspected, released or departed declaration.")
    kind = serializers.ChoiceField(choices=CertificateKind.choices)
    items = serializers.ListField(
        child=serializers.IntegerField(),
        allow_empty=False,
        help_text="Ids of the declaration's items the certificate covers (some or all).",
    )
    remarks = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class CertificateRevokeInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Shown to anyone who verifies the certificate.")


class CertificateListQuerySerializer(serializers.Serializer):
    declaration = serializers.IntegerField(required=False, help_text="Only this declaration's certificates.")
    status = serializers.ChoiceField(choices=CertificateStatus.choices, required=False)


class CertificateCursorPagination(KeysetPagination):
    ordering = ("-issued_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


@extend_schema(tags=["certificates"])
class CertificateViewSet(IdempotentMixin, viewsets.GenericViewSet):
    """Export inspection and quarantine certificates (health, quality, phytosanitary, origin)."""

    queryset = Certificate.objects.none()
    serializer_class = CertificateSerializer
    pagination_class = CertificateCursorPagination
    parser_classes = [JSONParser]
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return certificate_list(actor=self.request.user)

    def get_permissions(self):
        if self.action in ("create", "revoke"):
            return [IsCustoms()]
        return [IsAuthenticated()]

    def _certificate(self) -> Certificate:
        try:
            return certificate_get(actor=self.request.user, certificate_id=int(self.kwargs["pk"]))
        except Certificate.DoesNotExist:
            raise Http404 from None

    def _present(self, certificate_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        certificate = certificate_get(actor=self.request.user, certificate_id=certificate_id)
        return Response(CertificateSerializer(certificate).data, status=status_code)

    @extend_schema(
        summary="List certificates",
        parameters=[CertificateListQuerySerializer],
        responses={200: CertificateSerializer(many=True), **errors(400, 403)},
    )
    def list(self, request):
        query = CertificateListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        queryset = certificate_list(actor=request.user, declaration_id=query.validated_data.get("declaration"))
        if certificate_status := query.validated_data.get("status"):
            queryset = queryset.filter(status=certificate_status)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(CertificateSerializer(page, many=True).data)

    @extend_schema(summary="Get a certificate", responses={200: CertificateSerializer, **errors(403, 404)})
    def retrieve(self, request, pk=None):
        return Response(CertificateSerializer(self._certificate()).data)

    @extend_schema(
        summary="Issue a certificate for some or all items of a declaration",
        request=CertificateIssueInputSerializer,
        responses={201: CertificateSerializer, **errors(400, 403, 404, 409)},
    )
    def create(self, request):
        parsed = CertificateIssueInputSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        data = parsed.validated_data
        try:
            declaration_for_certificates(actor=request.user, declaration_id=data["declaration"])
        except Declaration.DoesNotExist:
            raise Http404 from None
        try:
            certificate = certificate_issue(
                actor=request.user,
                declaration_id=data["declaration"],
                kind=data["kind"],
                item_ids=data["items"],
                remarks=data["remarks"],
            )
        except DomainError as error:
            if error.field == "item_ids":
                error.field = "items"
            raise
        return self._present(certificate.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke a certificate, with the reason verifiers will read",
        request=CertificateRevokeInputSerializer,
        responses={200: CertificateSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        certificate = self._certificate()
        parsed = CertificateRevokeInputSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        certificate_revoke(actor=request.user, certificate_id=certificate.pk, reason=parsed.validated_data["reason"])
        return self._present(certificate.pk)

    @extend_schema(
        summary="Download the certificate's PDF",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **errors(403, 404, 409)},
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        certificate = self._certificate()
        if not certificate.pdf:
            raise PdfNotReady("The PDF of this certificate is still being rendered; retry in a few seconds.")
        return FileResponse(
            certificate.pdf.open("rb"),
            as_attachment=True,
            filename=f"{certificate.number}.pdf",
            content_type="application/pdf",
        )


router = SimpleRouter(trailing_slash=False)
router.register("certificates", CertificateViewSet, basename="certificate")
urlpatterns = router.urls
