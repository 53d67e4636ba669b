"""The ``declarations`` resource (DESIGN §7): parse, call a service or selector, present.

Scope: a trader sees and changes only their organisation's declarations, customs staff
read the submitted declarations of the ports they serve (``selectors.declaration_list``).
A declaration outside the caller's scope is 404 on every endpoint, never 403. Every POST
honours ``Idempotency-Key`` (``portal.api.idempotency``).
"""

from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from inspections.services import inspection_order
from portal import roles
from portal.api.idempotency import IdempotentMixin
from portal.api.pagination import KeysetPagination
from portal.api.serializers import ErrorSerializer
from portal.choices import Role
from portal.roles import HasRole

from .. import services
from ..choices import Action, allowed_actions
from ..models import Declaration, DeclarationItem
from ..selectors import declaration_get, declaration_list, declaration_visible
from ..services.drafts import declaration_container_values, declaration_header, declaration_item_values
from .serializers import (
    API_ACTIONS,
    CancelInputSerializer,
    CreateQuerySerializer,
    DecisionInputSerializer,
    DeclarationDetailSerializer,
    DeclarationInputSerializer,
    DeclarationListQuerySerializer,
    DeclarationSummarySerializer,
    DocumentSerializer,
)

IsTrader = HasRole.of(Role.TRADER_STAFF)
IsCustoms = HasRole.of(Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR)
TRADER_ACTIONS = {
    "create",
    "update",
    "partial_update",
    "submit",
    "amend",
    "cancel",
    "copy",
    "documents",
    "document_remove",
}

ERROR_DESCRIPTIONS = {
    400: "Invalid input. `fields` names each bad field by its dotted path, e.g. `items.0.net_mass`, "
    "`containers.1.number`, `transfer_port`.",
    403: "Not signed in, or the caller's role may not do this (e.g. customs staff cannot file declarations).",
    404: "No such declaration for this caller (another organisation's declarations are not found).",
    409: "The declaration's status does not allow this now (e.g. submitted twice, or someone acted first).",
}


def errors(*codes: int) -> dict:
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in codes}


INCLUDE_HISTORY = OpenApiParameter(
    "include",
    OpenApiTypes.STR,
    enum=["history"],
    required=False,
    description="`history` adds the status timeline (from the record's history) to the response.",
)
DOCUMENT_ID = OpenApiParameter("document_id", OpenApiTypes.INT, OpenApiParameter.PATH)


# What DeclarationDetailSerializer reads besides the declaration's row and its ports and declarant.
DETAIL_PREFETCHES = {
    "items": Prefetch("items", queryset=DeclarationItem.objects.select_related("hs_code", "origin_country")),
    "containers": "containers",
    "documents": "documents",
}


class DeclarationCursorPagination(KeysetPagination):
    """Keyset pages, newest first: no OFFSET and no COUNT, so page 1000 costs what page 1 does."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


@extend_schema(tags=["declarations"])
class DeclarationViewSet(IdempotentMixin, viewsets.GenericViewSet):
    """Merged declarations: one declaration for the whole two-port route."""

    queryset = Declaration.objects.none()
    serializer_class = DeclarationDetailSerializer
    pagination_class = DeclarationCursorPagination
    parser_classes = [JSONParser]
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return declaration_list(actor=self.request.user)

    def get_permissions(self):
        if self.action in TRADER_ACTIONS:
            return [IsTrader()]
        if self.action == "decide":
            return [IsCustoms()]
        return [IsAuthenticated()]

    # --- helpers ---------------------------------------------------------------------------------------------

    def _declaration_id(self) -> int:
        return int(self.kwargs["pk"])

    def _require_visible(self) -> int:
        """The id from the URL if the caller may see that declaration; 404 otherwise (before any parsing)."""
        declaration_id = self._declaration_id()
        if not declaration_visible(actor=self.request.user, declaration_id=declaration_id):
            raise Http404
        return declaration_id

    def _allowed_actions(self, declaration: Declaration) -> list[str]:
        user = self.request.user
        actions = [
            name for name in allowed_actions(declaration.status, user.role) if name in API_ACTIONS.get(user.role, ())
        ]
        if actions and roles.is_customs(user):
            port = services.clearance_port(declaration)
            if port is None or not roles.serves_port(user, port):
                return []
        return actions

    def _present(
        self, declaration_id: int, *, status_code: int = status.HTTP_200_OK, include_history: bool = False
    ) -> Response:
        try:
            declaration = declaration_get(actor=self.request.user, declaration_id=declaration_id)
        except Declaration.DoesNotExist:
            raise Http404 from None
        return self._respond(declaration, status_code=status_code, include_history=include_history)

    def _present_written(self, declaration: Declaration, *, status_code: int = status.HTTP_200_OK) -> Response:
        """Answer with the declaration a trader's service has just written and returned.

        The service read it within the caller's scope and left what it wrote or read (ports,
        declarant, items, containers) on the instance; only what is missing is read here, as
        ``declaration_get`` would read it.
        """
        cached = getattr(declaration, "_prefetched_objects_cache", {})
        prefetch_related_objects(
            [declaration], *[lookup for name, lookup in DETAIL_PREFETCHES.items() if name not in cached]
        )
        return self._respond(declaration, status_code=status_code)

    def _respond(self, declaration: Declaration, *, status_code: int, include_history: bool = False) -> Response:
        context = {**self.get_serializer_context(), "allowed_actions": self._allowed_actions(declaration)}
        if include_history:
            context["history"] = list(
                declaration.history.select_related("history_user").order_by("history_date", "history_id")
            )
        return Response(DeclarationDetailSerializer(declaration, context=context).data, status=status_code)

    # --- reading ---------------------------------------------------------------------------------------------

    @extend_schema(
        summary="List declarations",
        parameters=[DeclarationListQuerySerializer],
        responses={200: DeclarationSummarySerializer(many=True), **errors(400, 403)},
    )
    def list(self, request):
        query = DeclarationListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        queryset = declaration_list(actor=request.user, **query.validated_data)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(DeclarationSummarySerializer(page, many=True).data)

    @extend_schema(
        summary="Get a declaration with its items, containers, documents and allowed actions",
        parameters=[INCLUDE_HISTORY],
        responses={200: DeclarationDetailSerializer, **errors(403, 404)},
    )
    def retrieve(self, request, pk=None):
        return self._present(self._declaration_id(), include_history=request.query_params.get("include") == "history")

    # --- drafts ----------------------------------------------------------------------------------------------

    @extend_schema(
        summary="Create a draft with its items and containers, or (`?submit=true`) file a complete declaration",
        parameters=[CreateQuerySerializer],
        request=DeclarationInputSerializer,
        responses={201: DeclarationDetailSerializer, **errors(400, 403)},
    )
    def create(self, request):
        query = CreateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        parsed = DeclarationInputSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        service = services.declaration_file if query.validated_data["submit"] else services.declaration_create_draft
        declaration = service(actor=request.user, **parsed.service_input())
        return self._present_written(declaration, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace a draft (header fields, items and containers left out are cleared)",
        request=DeclarationInputSerializer,
        responses={200: DeclarationDetailSerializer, **errors(400, 403, 404, 409)},
    )
    def update(self, request, pk=None):
        declaration_id = self._require_visible()
        parsed = DeclarationInputSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        declaration = services.declaration_update_draft(
            actor=request.user, declaration_id=declaration_id, **parsed.service_input()
        )
        return self._present_written(declaration)

    @extend_schema(
        summary="Change part of a draft (fields left out keep their values; items or containers, if given, "
        "replace the whole list)",
        request=DeclarationInputSerializer,
        responses={200: DeclarationDetailSerializer, **errors(400, 403, 404, 409)},
    )
    def partial_update(self, request, pk=None):
        try:
            declaration = declaration_get(actor=request.user, declaration_id=self._declaration_id())
        except Declaration.DoesNotExist:
            raise Http404 from None
        parsed = DeclarationInputSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        current = {
            "header": declaration_header(declaration),
            "items": [declaration_item_values(item) for item in declaration.items.all()],
            "containers": [declaration_container_values(container) for container in declaration.containers.all()],
        }
        services.declaration_update_draft(
            actor=request.user, declaration_id=declaration.pk, **parsed.service_input(current=current, replace=False)
        )
        return self._present(declaration.pk)

    @extend_schema(
        summary="Copy as a new draft (route, parties and goods items; not the containers)",
        request=None,
        responses={201: DeclarationDetailSerializer, **errors(403, 404)},
    )
    @action(detail=True, methods=["post"])
    def copy(self, request, pk=None):
        copy = services.declaration_copy(actor=request.user, declaration_id=self._require_visible())
        return self._present(copy.pk, status_code=status.HTTP_201_CREATED)

    # --- workflow --------------------------------------------------------------------------------------------

    @extend_schema(
        summary="Submit a draft (everything is checked; a reference number is given)",
        request=None,
        responses={200: DeclarationDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        # The service's locked read is the scope check: another organisation's declaration is 404.
        declaration = services.declaration_submit(actor=request.user, declaration_id=self._declaration_id())
        return self._present_written(declaration)

    @extend_schema(
        summary="Resubmit after customs asked for an amendment",
        request=None,
        responses={200: DeclarationDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        # The service's locked read is the scope check: another organisation's declaration is 404.
        declaration = services.declaration_amend(actor=request.user, declaration_id=self._declaration_id())
        return self._present_written(declaration)

    @extend_schema(
        summary="Cancel a draft or a submitted declaration",
        request=CancelInputSerializer,
        responses={200: DeclarationDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        declaration_id = self._require_visible()
        parsed = CancelInputSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        declaration = services.declaration_cancel(
            actor=request.user, declaration_id=declaration_id, reason=parsed.validated_data["reason"]
        )
        return self._present_written(declaration)

    @extend_schema(
        summary="Customs decision: release, request amendment, order inspection or reject",
        description="Customs officers and supervisors of the port of clearance (the origin port) only.",
        request=DecisionInputSerializer,
        responses={200: DeclarationDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        declaration_id = self._require_visible()
        parsed = DecisionInputSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        if parsed.validated_data["action"] == Action.ORDER_INSPECTION:  # creates the inspection the trader books
            message = parsed.validated_data["message"]
            inspection_order(
                actor=request.user, declaration_id=declaration_id, message=message, override_reason=message
            )
        else:
            services.declaration_decide(actor=request.user, declaration_id=declaration_id, **parsed.validated_data)
        return self._present(declaration_id)

    # --- supporting documents --------------------------------------------------------------------------------

    @extend_schema(
        summary="Attach a supporting document (multipart: kind and file)",
        request={"multipart/form-data": DocumentSerializer},
        responses={201: DocumentSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def documents(self, request, pk=None):
        declaration_id = self._require_visible()
        parsed = DocumentSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        document = services.document_attach(
            actor=request.user,
            declaration_id=declaration_id,
            kind=parsed.validated_data["kind"],
            upload=parsed.validated_data["file"],
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a supporting document from a draft",
        parameters=[DOCUMENT_ID],
        request=None,
        responses={204: None, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["delete"], url_path=r"documents/(?P<document_id>\d+)")
    def document_remove(self, request, pk=None, document_id=None):
        declaration_id = self._require_visible()
        if not Declaration.objects.filter(pk=declaration_id, documents__pk=int(document_id)).exists():
            raise Http404
        services.document_remove(actor=request.user, declaration_id=declaration_id, document_id=int(document_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
