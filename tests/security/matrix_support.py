"""The authorization matrix's machinery: walking the URL configuration, one world of records, and outcomes.

Kept apart from ``test_authorization_matrix.py`` so that the test file is mostly its EXPECTED table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

# Columns of the EXPECTED table, in order.
ACTORS = (
    "anon",  # not signed in
    "trA",  # trader staff of the declarant (organisation A)
    "trB",  # trader staff of another trader
    "offC",  # customs officer of the clearance port (Shunde, CNSUD)
    "offT",  # customs officer of the transfer port of the integrated pair (Shekou, CNSHK)
    "offX",  # customs officer of an unrelated port (Nansha, CNNSA)
    "sup",  # customs supervisor of both ports of the pair
    "bkA",  # bank officer of the bank the financing request is addressed to
    "bkB",  # bank officer of another bank
    "lgA",  # logistics system of the carrier that sent the manifest, events and readings
    "lgB",  # logistics system of another logistics provider
)

# Outcome classes, as written in the table.
OK = "ok"  # 2xx, or a redirect that is not to a sign-in page
INVALID = "inv"  # 400/409/415/422, or a redirect with an error message: the attempt reached the rules and was refused
LOGIN = "login"  # redirect to the sign-in page (pages) or 401 (API)
FORBIDDEN = "403"  # a role that may never use this feature
NOT_FOUND = "404"  # another organisation's record, a record outside the officer's ports, or no such record
NOT_ALLOWED = "405"  # method not allowed (checked before or after the role, as the view does it)
OUTCOMES = (OK, INVALID, LOGIN, FORBIDDEN, NOT_FOUND, NOT_ALLOWED)


@dataclass(frozen=True)
class Route:
    key: str  # the URL name with its namespace; the route itself when unnamed; "admin:*" for the admin site
    name: str | None
    route: str
    params: tuple[str, ...]
    other_methods: frozenset[str] = frozenset()  # PUT, PATCH, DELETE where a DRF view implements them


def _other_methods(callback) -> frozenset[str]:
    actions = getattr(callback, "actions", None)  # a DRF viewset route: method → action
    if actions:
        names = set(actions)
    elif hasattr(callback, "cls"):  # a DRF APIView (or a Django class-based view)
        names = {name for name in ("put", "patch", "delete") if hasattr(callback.cls, name)}
    else:
        names = set()
    return frozenset(name.upper() for name in names & {"put", "patch", "delete"})


def _pattern_params(pattern) -> tuple[str, ...]:
    converters = getattr(pattern, "converters", None)
    if converters:
        return tuple(converters)
    return tuple(re.compile(str(pattern)).groupindex)


def url_routes() -> list[Route]:
    """Every URL pattern of the project, found by walking ``get_resolver()`` through its includes."""
    found: list[Route] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str | None, params: tuple[str, ...]) -> None:
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            entry_params = params + _pattern_params(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, route, inner, entry_params)
                continue
            assert isinstance(entry, URLPattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            if namespace == "admin":
                key = "admin:*"
            elif name is None:
                key = route
            elif "format" in entry_params:
                key = f"{name}.<format>"  # DRF's format-suffix twin of a named route
            else:
                key = name
            found.append(
                Route(
                    key=key, name=name, route=route, params=entry_params, other_methods=_other_methods(entry.callback)
                )
            )

    walk(get_resolver(), "/", None, ())
    return found


def _refused_with_message(response) -> bool:
    """A page that redirects with an error message refused the change (e.g. "Only customs staff of CNSHK …")."""
    from django.contrib import messages

    storage = getattr(response.wsgi_request, "_messages", None)
    return any(message.level >= messages.ERROR for message in getattr(storage, "_queued_messages", ()))


def outcome(response, *, api: bool) -> str:
    """The outcome class of one response; a 5xx (or anything unexpected) is returned as its status code."""
    code = response.status_code
    if code in (301, 302, 303, 307, 308):
        location = response["Location"]
        if "/accounts/login/" in location or "/admin/login/" in location:
            return LOGIN
        return INVALID if _refused_with_message(response) else OK
    if 200 <= code < 300:
        return OK
    if code == 401:
        return LOGIN
    if code in (400, 409, 415, 422):
        return INVALID
    if code in (403, 404, 405):
        return str(code)
    return str(code)


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def world() -> dict:
    """The records every request of the matrix is made against, built through the project's services."""
    from declarations.choices import Action
    from declarations.services import declaration_system_transition
    from declarations.services.crosscheck import declaration_verify
    from declarations.services.documents import document_attach
    from declarations.services.logistics_uploads import logistics_upload_create, logistics_upload_process
    from declarations.services.review import hold_place
    from declarations.services.risk_rules import reverify_job_start, risk_rule_create
    from declarations.verification import declaration_verification_reference
    from finance.choices import ProductKind
    from finance.services import financing_request_create
    from inspections.certificates.services import certificate_issue, certificate_pdf_render
    from inspections.services import booking_create, inspection_order, inspection_result_record, site_closure_add
    from portal.ledger.registry import check_code
    from portal.ledger.services import checkpoint_create
    from portal.models import Port
    from portal.services import notification_send
    from tests import factories
    from tests.declarations import evidence
    from tests.finance.support import bank_with_products, released_declaration, submitted_declaration
    from tests.inspections.conftest import future_slot, red_declaration, site_at

    users = {
        "trA": factories.trader(),
        "trB": factories.trader(),
        "offC": factories.customs_officer(ports=("CNSUD",)),
        "offT": factories.customs_officer(ports=("CNSHK",)),
        "offX": factories.customs_officer(ports=("CNNSA",)),
        "sup": factories.customs_supervisor(ports=("CNSUD", "CNSHK")),
        "lgA": factories.logistics_system(),
        "lgB": factories.logistics_system(),
    }
    users["bkA"], products = bank_with_products()
    users["bkB"], _other_products = bank_with_products()
    trader, officer, supervisor = users["trA"], users["offC"], users["sup"]
    carrier = users["lgA"].organisation

    # A submitted integrated export with its logistics evidence from carrier A, verified; a document; a hold.
    declaration = submitted_declaration(trader=trader)
    container = declaration.containers.first().number
    evidence.manifest_for(declaration, source=carrier)
    evidence.event(container, "gate_in", "CNSUD", source=carrier)
    evidence.reading(container, "seal_status", "closed", source=carrier)
    declaration_verify(declaration_id=declaration.pk)
    declaration.refresh_from_db()
    if declaration.status == "submitted":
        declaration = declaration_system_transition(
            declaration_id=declaration.pk, action=Action.START_REVIEW, lane="yellow"
        )
    document = document_attach(
        actor=trader,
        declaration_id=declaration.pk,
        kind="invoice",
        upload=SimpleUploadedFile("invoice.pdf", PDF, content_type="application/pdf"),
    )
    hold = hold_place(actor=users["offT"], declaration_id=declaration.pk, reason="Seal seen differently at Shekou")

    # An inspection ordered and booked at Shunde.
    site = site_at("CNSUD")
    slot = future_slot(site)
    other_slot = future_slot(site, days=4)
    booked = red_declaration(trader)
    inspection = inspection_order(actor=officer, declaration_id=booked.pk, message="Check the wood")
    booking = booking_create(actor=trader, inspection_id=inspection.pk, slot_id=slot.pk)
    closure, _moved = site_closure_add(
        actor=supervisor, site_id=site.pk, day=timezone.localdate() + timedelta(days=9), reason="Holiday"
    )

    # An inspection passed (with a photo) and a certificate issued for it.
    inspected = red_declaration(trader)
    passed = inspection_order(actor=officer, declaration_id=inspected.pk)
    inspection_result_record(
        actor=officer,
        inspection_id=passed.pk,
        result="passed",
        photos=[SimpleUploadedFile("yard.png", PNG, content_type="image/png")],
    )
    photo = passed.photos.get()
    certificate = certificate_issue(
        actor=officer,
        declaration_id=inspected.pk,
        kind="phytosanitary",
        item_ids=list(inspected.items.values_list("pk", flat=True)),
    )
    certificate_pdf_render(certificate_id=certificate.pk)

    # A financing request of trader A to bank A pledging A's departed export, with a document.
    departed = released_declaration(trader=trader, departed=True)
    financing = financing_request_create(
        actor=trader,
        product_id=products[ProductKind.EXPORT_TAX_REBATE].pk,
        amount=Decimal("10000"),
        currency="CNY",
        tenor_days=90,
        declaration_ids=[departed.pk],
        message="Rebate advance",
        documents=[SimpleUploadedFile("contract.pdf", PDF, content_type="application/pdf")],
    )
    financing_document = financing.documents.first()

    # The supervisor's workspace: a rule of Shunde and a re-verification run.
    rule = risk_rule_create(
        actor=supervisor, name="Tables from anywhere", score=10, port=Port.objects.get(locode="CNSUD"), hs_prefix="9403"
    )
    reverify = reverify_job_start(actor=supervisor)

    # Carrier A's CSV upload, a notification of trader A, a signed checkpoint of the ledger.
    upload = logistics_upload_create(
        actor=users["lgA"],
        kind="manifests",
        file=SimpleUploadedFile("manifests.csv", b"external_id,carrier\nM-9,\n", content_type="text/csv"),
    )
    logistics_upload_process(upload_id=upload.pk)  # the worker's step: the row is refused, so errors.csv exists
    notification_send(recipients=[trader], subject="Matrix notification", body="", link="/")
    notification = trader.notifications.order_by("-pk").first()
    checkpoint_create(only_if_grown=False)

    return {
        "users": users,
        "declaration": declaration,
        "document": document,
        "hold": hold,
        "site": site,
        "slot": slot,
        "other_slot": other_slot,
        "booked": booked,
        "inspection": inspection,
        "booking": booking,
        "closure": closure,
        "inspected": inspected,
        "passed": passed,
        "photo": photo,
        "certificate": certificate,
        "departed": departed,
        "financing": financing,
        "financing_document": financing_document,
        "rule": rule,
        "reverify": reverify,
        "upload": upload,
        "notification": notification,
        "verify_reference": declaration_verification_reference(declaration),
        "check": check_code(declaration_verification_reference(declaration)),
    }


def actor_clients(users: dict) -> dict[str, Client]:
    """One client per actor, signed in with ``force_login``; each from its own address (rate limits)."""
    clients = {"anon": Client(REMOTE_ADDR="10.9.0.1")}
    for number, (actor, user) in enumerate(users.items(), start=2):
        client = Client(REMOTE_ADDR=f"10.9.0.{number}")
        client.force_login(user)
        clients[actor] = client
    return clients
