"""The portal's URLs plus two bare views, only for the benchmark's gunicorn child (bench_settings).

The bare views insert the same rows as ``POST /api/v1/declarations`` and ``…/submit`` — the
declaration, its items and containers; then status, reference and submission time — with a
token look-up and nothing else: no validation, no history, no ledger, no verification queue,
a minimal response. They are the floor the API's throughput is compared with.
"""

import json
from decimal import Decimal

from django.db import transaction
from django.http import HttpResponseForbidden, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from declarations.models import Declaration, DeclarationContainer, DeclarationItem
from portal.models import Port
from portal.urls import urlpatterns as portal_urlpatterns

HEADER_TEXT = [
    "direction",
    "procedure",
    "transport_document_number",
    "consignor_name",
    "consignor_address",
    "consignee_name",
    "consignee_address",
    "incoterm",
]


def _user(request):
    key = request.headers.get("Authorization", "").removeprefix("Token ")
    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token else None


@csrf_exempt
@require_POST
def bare_create(request):
    user = _user(request)
    if user is None:
        return HttpResponseForbidden()
    data = json.loads(request.body)
    ports = dict(
        Port.objects.filter(locode__in=[data["origin_port"], data["transfer_port"], data["foreign_port"]]).values_list(
            "locode", "pk"
        )
    )
    items, containers = data["items"], data["containers"]
    with transaction.atomic():
        declaration = Declaration.objects.bulk_create(
            [
                Declaration(
                    declarant_id=user.organisation_id,
                    created_by=user,
                    origin_port_id=ports[data["origin_port"]],
                    transfer_port_id=ports[data["transfer_port"]],
                    foreign_port_id=ports[data["foreign_port"]],
                    consignee_country_id=data["consignee_country"],
                    invoice_currency_id=data["invoice_currency"],
                    item_count=len(items),
                    container_count=len(containers),
                    total_packages=sum(item["packages"] for item in items),
                    total_gross_mass=sum(Decimal(item["gross_mass"]) for item in items),
                    total_net_mass=sum(Decimal(item["net_mass"]) for item in items),
                    total_value=sum(Decimal(item["value"]) for item in items),
                    **{name: data[name] for name in HEADER_TEXT},
                )
            ]
        )[0]
        DeclarationItem.objects.bulk_create(
            [
                DeclarationItem(
                    declaration=declaration,
                    line_number=number,
                    hs_code_id=item["hs_code"],
                    description=item["description"],
                    origin_country_id=item["origin_country"],
                    quantity=item["quantity"],
                    unit=item["unit"],
                    packages=item["packages"],
                    gross_mass=item["gross_mass"],
                    net_mass=item["net_mass"],
                    value=item["value"],
                )
                for number, item in enumerate(items, 1)
            ]
        )
        DeclarationContainer.objects.bulk_create(
            [
                DeclarationContainer(
                    declaration=declaration,
                    number=container["number"],
                    size_type=container["size_type"],
                    seal_number=container["seal_number"],
                )
                for container in containers
            ]
        )
    return JsonResponse({"id": declaration.pk}, status=201)


@csrf_exempt
@require_POST
def bare_submit(request, pk: int):
    user = _user(request)
    if user is None:
        return HttpResponseForbidden()
    Declaration.objects.filter(pk=pk, declarant_id=user.organisation_id).update(
        status="submitted",
        reference=f"BARE-{pk}",
        submitted_at=timezone.now(),
    )
    return JsonResponse({"id": pk, "status": "submitted"})


urlpatterns = [
    path("bench/bare/declarations", bare_create),
    path("bench/bare/declarations/<int:pk>/submit", bare_submit),
    *portal_urlpatterns,
]
