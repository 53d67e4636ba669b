"""Who may see and who may attempt to change what, for every URL of the portal (DESIGN §8).

Generated from the URL configuration: every pattern found by walking ``get_resolver()`` must
have a row in EXPECTED (a new URL fails ``test_every_url_has_an_expected_row`` until someone
decides who may use it). Each row is requested as every actor of ``ACTORS`` against real records
(``matrix_support.world``), with GET and — where the row has a POST column — with a POST of an
empty body. Every request runs in a savepoint that is rolled back, so no request sees another's
change.

Outcomes: ``ok`` 2xx or a redirect not to sign-in; ``inv`` 400/409/422 (allowed to attempt, the
empty body or the state refused); ``login`` sign-in redirect or 401; ``403`` a role that may
never use the feature; ``404`` another organisation's record or a record outside the officer's
ports; ``405`` method not allowed.

Set ``MATRIX_ACTUAL=/tmp/matrix.txt`` to write the observed rows (to review a new URL's row).
"""

from __future__ import annotations

import copy
import json
import os

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from .matrix_support import ACTORS, OUTCOMES, actor_clients, outcome, url_routes, world

# Each test also runs in pytest-django's savepoint, inside the module's transaction.
pytestmark = pytest.mark.django_db

# ---------------------------------------------------------------------------------------------
# URL parameters: which record fills which parameter. Longest key prefix wins; "" is the default.
# ---------------------------------------------------------------------------------------------
PARAMETERS = {
    "": {
        "pk": lambda w: w["declaration"].pk,
        "format": lambda w: "json",
    },
    "password_reset_confirm": {"uidb64": lambda w: "MQ", "token": lambda w: "set-password"},
    "notification-read": {"notification_id": lambda w: w["notification"].pk},
    "ledger-verify-reference": {"reference": lambda w: w["verify_reference"]},
    "ledger-verify-record": {"reference": lambda w: w["verify_reference"], "check": lambda w: w["check"]},
    "declarations:": {
        "pk": lambda w: w["declaration"].pk,
        "hold_id": lambda w: w["hold"].pk,
        "document_id": lambda w: w["document"].pk,
    },
    "declarations:dashboard-csv": {"chart": lambda w: "lanes"},
    "declarations:rule-": {"pk": lambda w: w["rule"].pk},
    "declarations:port-settings": {"locode": lambda w: "CNSUD"},
    "declarations:reverify-": {"pk": lambda w: w["reverify"].pk},
    "logistics:": {"pk": lambda w: w["upload"].pk, "kind": lambda w: "manifests"},
    "inspections:": {
        "pk": lambda w: w["booked"].pk,
        "booking_id": lambda w: w["booking"].pk,
        "site_id": lambda w: w["site"].pk,
        "closure_id": lambda w: w["closure"].pk,
        "inspection_id": lambda w: w["inspection"].pk,
        "photo_id": lambda w: w["photo"].pk,
    },
    "certificates:": {"pk": lambda w: w["certificate"].pk, "declaration_pk": lambda w: w["inspected"].pk},
    "finance:": {"pk": lambda w: w["financing"].pk, "document_id": lambda w: w["financing_document"].pk},
    "finance:bank_document": {"document_id": lambda w: w["financing_document"].pk},
    "finance:bank_product_edit": {"product_id": lambda w: w["financing"].product_id},
    "api-ledger-": {"seq": lambda w: 1},
    "declaration-": {"pk": lambda w: w["declaration"].pk, "document_id": lambda w: w["document"].pk},
    "inspection-booking-": {"pk": lambda w: w["booking"].pk},
    "certificate-": {"pk": lambda w: w["certificate"].pk},
    "financing-request-": {"pk": lambda w: w["financing"].pk},
    "finance-bank-request-": {"pk": lambda w: w["financing"].pk},
    "country-": {"alpha2": lambda w: "CN"},
    "currency-": {"code": lambda w: "USD"},
    "port-": {"locode": lambda w: "CNSUD"},
    "hscode-": {"code": lambda w: "940360"},
    "/^media/(?P<path>.*)$": {"path": lambda w: w["document"].file.name},
}

# Query strings a page needs to do anything at all (without them it answers 404/400 to everyone).
QUERY = {
    "inspections:site-new": lambda w: f"?port={w['site'].port_id}",
    "inspection-slots": lambda w: f"?site={w['site'].pk}",
}

# Minimal POST bodies where an empty one would be refused before the actor's rights are looked at.
POST_BODY = {
    "declarations:decide": lambda w: {"action": "release"},
    "inspections:reschedule": lambda w: {"slot": w["other_slot"].pk},
    "declaration-decide": lambda w: {"action": "release"},
    "inspection-booking-reschedule": lambda w: {"slot": w["other_slot"].pk},
}

# The admin site is one family: the index and one model's list stand for every admin URL.
ADMIN_URLS = ("/admin/", "/admin/portal/user/")

# ---------------------------------------------------------------------------------------------
# EXPECTED: URL name → (GET row, POST row). Columns are ACTORS (see matrix_support):
#   anon not signed in; trA the declarant's trader staff, trB another trader's; offC customs officer
#   of the clearance port (Shunde), offT of the transfer port (Shekou), offX of an unrelated port
#   (Nansha); sup supervisor of both ports; bkA the bank the request is addressed to, bkB another
#   bank; lgA the carrier that sent the logistics records, lgB another logistics provider.
# Every URL is also POSTed to (an empty body, or POST_BODY's): a read-only URL says NO_POST, so a
# view that starts accepting writes fails here too.
# ---------------------------------------------------------------------------------------------
PUBLIC = "ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok"
SIGNED_IN = "login ok    ok    ok    ok    ok    ok    ok    ok    ok    ok"
NO_POST = "405   405   405   405   405   405   405   405   405   405   405"
SIGNED_IN_NO_POST = "login 405   405   405   405   405   405   405   405   405   405"
SIGN_IN_ALL = "login login login login login login login login login login login"

EXPECTED: dict[str, tuple[str, str]] = {
    # --- Public: verification pages, ledger API, health, schema and docs (anyone, read only)
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "about-verification": (PUBLIC, PUBLIC),
    "api-docs": (PUBLIC, NO_POST),
    "api-health": (PUBLIC, NO_POST),
    "api-ledger-checkpoint-latest": (PUBLIC, NO_POST),
    "api-ledger-checkpoints": (PUBLIC, NO_POST),
    "api-ledger-consistency": ("inv   inv   inv   inv   inv   inv   inv   inv   inv   inv   inv", NO_POST),
    "api-ledger-entry": (PUBLIC, NO_POST),
    "api-ledger-proof": (PUBLIC, NO_POST),
    "api-ledger-public-key": (PUBLIC, NO_POST),
    "api-ledger-tree-head": (PUBLIC, NO_POST),
    "api-redoc": (PUBLIC, NO_POST),
    "api-schema": (PUBLIC, NO_POST),
    "ledger-verifier-download": (PUBLIC, NO_POST),
    "ledger-verify": (PUBLIC, NO_POST),
    "ledger-verify-record": (PUBLIC, NO_POST),
    "ledger-verify-reference": (PUBLIC, NO_POST),
    # --- Signing in and out, passwords, language (django.contrib.auth, i18n)
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "login": (PUBLIC, PUBLIC),
    "logout": (NO_POST, SIGN_IN_ALL),
    "password_change": (SIGNED_IN, SIGNED_IN),
    "password_change_done": (SIGNED_IN, SIGNED_IN_NO_POST),
    "password_reset": (PUBLIC, PUBLIC),
    "password_reset_complete": (PUBLIC, NO_POST),
    "password_reset_confirm": (PUBLIC, PUBLIC),
    "password_reset_done": (PUBLIC, NO_POST),
    "set_language": (PUBLIC, PUBLIC),
    # --- Portal: home, API token, notifications (each user's own)
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "api-token": (SIGNED_IN, SIGNED_IN),
    "home": (SIGNED_IN, SIGNED_IN),
    "notification-read": (SIGNED_IN_NO_POST, "login ok    404   404   404   404   404   404   404   404   404"),
    "notifications": (SIGNED_IN, SIGNED_IN_NO_POST),
    "notifications-count": (SIGNED_IN, SIGNED_IN_NO_POST),
    "notifications-read-all": (SIGNED_IN_NO_POST, SIGNED_IN),
    # --- Declarations pages: the trader's (own organisation only)
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "declarations:cancel": (
        "login 405   405   403   403   403   403   403   403   403   403",
        "login inv   404   403   403   403   403   403   403   403   403",
    ),
    "declarations:copy": (
        "login 405   405   403   403   403   403   403   403   403   403",
        "login ok    404   403   403   403   403   403   403   403   403",
    ),
    "declarations:create": (
        "login ok    ok    403   403   403   403   403   403   403   403",
        "login ok    ok    403   403   403   403   403   403   403   403",
    ),
    "declarations:document-remove": (
        "login 405   405   403   403   403   403   403   403   403   403",
        "login inv   404   403   403   403   403   403   403   403   403",
    ),
    "declarations:document-upload": (
        "login 405   405   403   403   403   403   403   403   403   403",
        "login ok    404   403   403   403   403   403   403   403   403",
    ),
    "declarations:edit": (
        "login inv   404   403   403   403   403   403   403   403   403",
        "login inv   404   403   403   403   403   403   403   403   403",
    ),
    "declarations:import-items": (
        "login inv   404   403   403   403   403   403   403   403   403",
        "login inv   404   403   403   403   403   403   403   403   403",
    ),
    "declarations:import-template": (
        "login ok    ok    403   403   403   403   403   403   403   403",
        "login 405   405   403   403   403   403   403   403   403   403",
    ),
    "declarations:list": (
        "login ok    ok    403   403   403   403   403   403   403   403",
        "login 405   405   403   403   403   403   403   403   403   403",
    ),
    "declarations:resubmit": (
        "login 405   405   403   403   403   403   403   403   403   403",
        "login inv   404   403   403   403   403   403   403   403   403",
    ),
    "declarations:review": (
        "login ok    404   403   403   403   403   403   403   403   403",
        "login 405   405   403   403   403   403   403   403   403   403",
    ),
    "declarations:submit": (
        "login 405   405   403   403   403   403   403   403   403   403",
        "login inv   404   403   403   403   403   403   403   403   403",
    ),
    # --- Declarations pages: shared by the trader and customs of the declaration's ports
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "declarations:detail": ("login ok    404   ok    ok    404   ok    404   404   404   404", SIGNED_IN_NO_POST),
    "declarations:document-download": (
        "login ok    404   ok    ok    404   ok    404   404   404   404",
        SIGNED_IN_NO_POST,
    ),
    "declarations:receipt": ("login ok    404   ok    ok    404   ok    404   404   404   404", SIGNED_IN_NO_POST),
    "declarations:verification": ("login ok    404   ok    ok    404   ok    404   404   404   404", SIGNED_IN_NO_POST),
    # --- Declarations pages: customs review, holds and queues
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "declarations:assign": (
        "login 403   403   ok    ok    404   ok    403   403   403   403",
        "login 403   403   ok    ok    404   ok    403   403   403   403",
    ),
    "declarations:decide": (SIGNED_IN_NO_POST, "login inv   404   inv   inv   404   inv   404   404   404   404"),
    "declarations:hold-lift": (SIGNED_IN_NO_POST, "login inv   404   inv   ok    404   ok    404   404   404   404"),
    "declarations:hold-place": (SIGNED_IN_NO_POST, "login inv   404   inv   inv   404   inv   404   404   404   404"),
    "declarations:officer-queue": (
        "login 403   403   ok    ok    ok    ok    403   403   403   403",
        "login 403   403   405   405   405   405   403   403   403   403",
    ),
    "declarations:officer-queue-list": (
        "login 403   403   ok    ok    ok    ok    403   403   403   403",
        "login 403   403   405   405   405   405   403   403   403   403",
    ),
    "declarations:officer-queue-release": (
        "login 403   403   405   405   405   405   403   403   403   403",
        "login 403   403   inv   inv   inv   inv   403   403   403   403",
    ),
    "declarations:queue-fragment": (
        "login 403   403   ok    ok    ok    ok    403   403   403   403",
        "login 403   403   405   405   405   405   403   403   403   403",
    ),
    "declarations:review-warnings": (
        "login 404   404   ok    ok    404   ok    404   404   404   404",
        SIGNED_IN_NO_POST,
    ),
    # --- Declarations pages: the supervisors' dashboard, risk rules and re-verification
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "declarations:dashboard": (
        "login 403   403   ok    ok    ok    ok    403   403   403   403",
        "login 403   403   405   405   405   405   403   403   403   403",
    ),
    "declarations:dashboard-csv": (
        "login 403   403   ok    ok    ok    ok    403   403   403   403",
        "login 403   403   405   405   405   405   403   403   403   403",
    ),
    "declarations:dashboard-refresh": (
        "login 403   403   405   405   405   405   403   403   403   403",
        "login 403   403   ok    ok    ok    ok    403   403   403   403",
    ),
    "declarations:port-settings": (
        "login 403   403   403   403   403   ok    403   403   403   403",
        "login 403   403   403   403   403   ok    403   403   403   403",
    ),
    "declarations:reverify-detail": (
        "login 403   403   403   403   403   ok    403   403   403   403",
        "login 403   403   403   403   403   405   403   403   403   403",
    ),
    "declarations:reverify-progress": (
        "login 403   403   403   403   403   ok    403   403   403   403",
        "login 403   403   403   403   403   405   403   403   403   403",
    ),
    "declarations:reverify-start": (
        "login 403   403   403   403   403   405   403   403   403   403",
        "login 403   403   403   403   403   ok    403   403   403   403",
    ),
    "declarations:rule-create": (
        "login 403   403   403   403   403   ok    403   403   403   403",
        "login 403   403   403   403   403   ok    403   403   403   403",
    ),
    "declarations:rule-disable": (
        "login 403   403   403   403   403   405   403   403   403   403",
        "login 403   403   403   403   403   ok    403   403   403   403",
    ),
    "declarations:rule-edit": (
        "login 403   403   403   403   403   ok    403   403   403   403",
        "login 403   403   403   403   403   ok    403   403   403   403",
    ),
    "declarations:rules": (
        "login 403   403   403   403   403   ok    403   403   403   403",
        "login 403   403   403   403   403   405   403   403   403   403",
    ),
    # --- Logistics pages: the carrier's own uploads
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "logistics:template": (
        "login 403   403   403   403   403   403   403   403   ok    ok",
        "login 403   403   403   403   403   403   403   403   405   405",
    ),
    "logistics:upload-detail": (
        "login 403   403   403   403   403   403   403   403   ok    404",
        "login 403   403   403   403   403   403   403   403   405   405",
    ),
    "logistics:upload-errors": (
        "login 403   403   403   403   403   403   403   403   ok    404",
        "login 403   403   403   403   403   403   403   403   405   405",
    ),
    "logistics:upload-progress": (
        "login 403   403   403   403   403   403   403   403   ok    404",
        "login 403   403   403   403   403   403   403   403   405   405",
    ),
    "logistics:uploads": (
        "login 403   403   403   403   403   403   403   403   ok    ok",
        "login 403   403   403   403   403   403   403   403   ok    ok",
    ),
    # --- Inspections pages
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "inspections:book": (SIGNED_IN_NO_POST, "login inv   404   inv   inv   404   inv   404   404   404   404"),
    "inspections:cancel": (SIGNED_IN_NO_POST, "login ok    404   ok    ok    404   ok    404   404   404   404"),
    "inspections:closure-add": (
        "login 403   403   403   403   403   405   403   403   403   403",
        "login 403   403   403   403   403   inv   403   403   403   403",
    ),
    "inspections:closure-remove": (
        "login 403   403   403   403   403   405   403   403   403   403",
        "login 403   403   403   403   403   ok    403   403   403   403",
    ),
    "inspections:declaration": ("login ok    404   ok    ok    404   ok    404   404   404   404", SIGNED_IN_NO_POST),
    "inspections:home": (SIGNED_IN, SIGNED_IN_NO_POST),
    "inspections:no-show": (
        "login 403   403   405   405   405   405   403   403   403   403",
        "login 403   403   inv   404   404   inv   403   403   403   403",
    ),
    "inspections:photo": ("login ok    404   ok    ok    404   ok    404   404   404   404", SIGNED_IN_NO_POST),
    "inspections:record": (
        "login 403   403   ok    ok    404   ok    403   403   403   403",
        "login 403   403   inv   inv   404   inv   403   403   403   403",
    ),
    "inspections:reschedule": (SIGNED_IN_NO_POST, "login ok    404   ok    ok    404   ok    404   404   404   404"),
    "inspections:site-day": (
        "login 403   403   ok    404   404   ok    403   403   403   403",
        "login 403   403   405   405   405   405   403   403   403   403",
    ),
    "inspections:site-edit": (
        "login 403   403   403   403   403   ok    403   403   403   403",
        "login 403   403   403   403   403   inv   403   403   403   403",
    ),
    "inspections:site-new": (
        "login 403   403   403   403   403   ok    403   403   403   403",
        "login 403   403   403   403   403   inv   403   403   403   403",
    ),
    "inspections:sites": (
        "login 403   403   403   403   403   ok    403   403   403   403",
        "login 403   403   403   403   403   405   403   403   403   403",
    ),
    # --- Certificates pages
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "certificates:detail": ("login ok    404   ok    ok    404   ok    404   404   404   404", SIGNED_IN_NO_POST),
    "certificates:issue": (
        "login 403   403   ok    ok    404   ok    403   403   403   403",
        "login 403   403   ok    ok    404   ok    403   403   403   403",
    ),
    "certificates:list": (
        "login 403   403   ok    ok    ok    ok    403   403   403   403",
        "login 403   403   405   405   405   405   403   403   403   403",
    ),
    "certificates:pdf": ("login ok    404   ok    ok    404   ok    404   404   404   404", SIGNED_IN_NO_POST),
    "certificates:revoke": (
        "login 403   403   405   405   405   405   403   403   403   403",
        "login 403   403   inv   inv   404   inv   403   403   403   403",
    ),
    # --- Financing pages: the trader's
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "finance:request_create": (
        "login ok    ok    403   403   403   403   403   403   403   403",
        "login ok    ok    403   403   403   403   403   403   403   403",
    ),
    "finance:request_detail": (
        "login ok    404   403   403   403   403   403   403   403   403",
        "login 405   405   403   403   403   403   403   403   403   403",
    ),
    "finance:request_document": (
        "login ok    404   403   403   403   403   403   403   403   403",
        "login 405   405   403   403   403   403   403   403   403   403",
    ),
    "finance:request_list": (
        "login ok    ok    403   403   403   403   403   403   403   403",
        "login 405   405   403   403   403   403   403   403   403   403",
    ),
    "finance:request_maximum": (
        "login ok    ok    403   403   403   403   403   403   403   403",
        "login 405   405   403   403   403   403   403   403   403   403",
    ),
    "finance:request_provide_information": (
        "login 405   405   403   403   403   403   403   403   403   403",
        "login inv   404   403   403   403   403   403   403   403   403",
    ),
    "finance:request_withdraw": (
        "login 405   405   403   403   403   403   403   403   403   403",
        "login ok    404   403   403   403   403   403   403   403   403",
    ),
    # --- Financing pages: the bank's (finance/views_bank.py)
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "finance:bank_approve": (
        "login 403   403   403   403   403   403   405   405   403   403",
        "login 403   403   403   403   403   403   inv   404   403   403",
    ),
    "finance:bank_ask_information": (
        "login 403   403   403   403   403   403   405   405   403   403",
        "login 403   403   403   403   403   403   inv   404   403   403",
    ),
    "finance:bank_close": (
        "login 403   403   403   403   403   403   405   405   403   403",
        "login 403   403   403   403   403   403   inv   404   403   403",
    ),
    "finance:bank_disburse": (
        "login 403   403   403   403   403   403   405   405   403   403",
        "login 403   403   403   403   403   403   inv   404   403   403",
    ),
    "finance:bank_document": (
        "login 403   403   403   403   403   403   ok    404   403   403",
        "login 403   403   403   403   403   403   405   405   403   403",
    ),
    "finance:bank_queue": (
        "login 403   403   403   403   403   403   ok    ok    403   403",
        "login 403   403   403   403   403   403   405   405   403   403",
    ),
    "finance:bank_products": (
        "login 403   403   403   403   403   403   ok    ok    403   403",
        "login 403   403   403   403   403   403   405   405   403   403",
    ),
    "finance:bank_product_new": (
        "login 403   403   403   403   403   403   ok    ok    403   403",
        "login 403   403   403   403   403   403   inv   inv   403   403",
    ),
    # Another bank's product is not found; the empty POST of its own is refused as invalid.
    "finance:bank_product_edit": (
        "login 403   403   403   403   403   403   ok    404   403   403",
        "login 403   403   403   403   403   403   inv   404   403   403",
    ),
    "finance:bank_rate_new": (
        "login 403   403   403   403   403   403   ok    ok    403   403",
        "login 403   403   403   403   403   403   inv   inv   403   403",
    ),
    "finance:bank_reject": (
        "login 403   403   403   403   403   403   405   405   403   403",
        "login 403   403   403   403   403   403   inv   404   403   403",
    ),
    "finance:bank_repay": (
        "login 403   403   403   403   403   403   405   405   403   403",
        "login 403   403   403   403   403   403   inv   404   403   403",
    ),
    "finance:bank_request_detail": (
        "login 403   403   403   403   403   403   ok    404   403   403",
        "login 403   403   403   403   403   403   405   405   403   403",
    ),
    # --- API: who am I, the browsable root, reference data (any signed-in user)
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "api-me": (SIGNED_IN, SIGNED_IN_NO_POST),
    "api-root": (SIGNED_IN, SIGNED_IN_NO_POST),
    "api-root.<format>": (SIGNED_IN, SIGNED_IN_NO_POST),
    "country-detail": (SIGNED_IN, SIGNED_IN_NO_POST),
    "country-detail.<format>": (SIGNED_IN, SIGNED_IN_NO_POST),
    "country-list": (SIGNED_IN, SIGNED_IN_NO_POST),
    "country-list.<format>": (SIGNED_IN, SIGNED_IN_NO_POST),
    "currency-detail": (SIGNED_IN, SIGNED_IN_NO_POST),
    "currency-detail.<format>": (SIGNED_IN, SIGNED_IN_NO_POST),
    "currency-list": (SIGNED_IN, SIGNED_IN_NO_POST),
    "currency-list.<format>": (SIGNED_IN, SIGNED_IN_NO_POST),
    "hscode-detail": (SIGNED_IN, SIGNED_IN_NO_POST),
    "hscode-detail.<format>": (SIGNED_IN, SIGNED_IN_NO_POST),
    "hscode-list": (SIGNED_IN, SIGNED_IN_NO_POST),
    "hscode-list.<format>": (SIGNED_IN, SIGNED_IN_NO_POST),
    "port-detail": (SIGNED_IN, SIGNED_IN_NO_POST),
    "port-detail.<format>": (SIGNED_IN, SIGNED_IN_NO_POST),
    "port-list": (SIGNED_IN, SIGNED_IN_NO_POST),
    "port-list.<format>": (SIGNED_IN, SIGNED_IN_NO_POST),
    # --- API: declarations
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "declaration-amend": (SIGNED_IN_NO_POST, "login inv   404   403   403   403   403   403   403   403   403"),
    "declaration-assign": (
        "login 403   403   405   405   405   405   403   403   403   403",
        "login 403   403   ok    ok    404   ok    403   403   403   403",
    ),
    "declaration-cancel": (SIGNED_IN_NO_POST, "login inv   404   403   403   403   403   403   403   403   403"),
    "declaration-copy": (SIGNED_IN_NO_POST, "login ok    404   403   403   403   403   403   403   403   403"),
    "declaration-decide": (SIGNED_IN_NO_POST, "login 403   403   inv   inv   404   inv   403   403   403   403"),
    "declaration-detail": ("login ok    404   ok    ok    404   ok    404   404   404   404", SIGNED_IN_NO_POST),
    "declaration-document-remove": (SIGNED_IN_NO_POST, SIGNED_IN_NO_POST),
    "declaration-documents": (SIGNED_IN_NO_POST, "login inv   404   403   403   403   403   403   403   403   403"),
    "declaration-list": (SIGNED_IN, "login ok    ok    403   403   403   403   403   403   403   403"),
    "declaration-queue": (
        "login 403   403   ok    ok    ok    ok    403   403   403   403",
        "login 403   403   405   405   405   405   403   403   403   403",
    ),
    "declaration-submit": (SIGNED_IN_NO_POST, "login inv   404   403   403   403   403   403   403   403   403"),
    # --- API: logistics records (logistics systems push; each sees its own)
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "logistics-container-event-list": (
        "login 403   403   403   403   403   403   403   403   ok    ok",
        "login 403   403   403   403   403   403   403   403   inv   inv",
    ),
    "logistics-manifest-list": (
        "login 403   403   403   403   403   403   403   403   ok    ok",
        "login 403   403   403   403   403   403   403   403   inv   inv",
    ),
    "logistics-sensor-reading-list": (
        "login 403   403   403   403   403   403   403   403   ok    ok",
        "login 403   403   403   403   403   403   403   403   inv   inv",
    ),
    # --- API: inspections and certificates
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "certificate-detail": ("login ok    404   ok    ok    404   ok    404   404   404   404", SIGNED_IN_NO_POST),
    "certificate-list": (SIGNED_IN, "login 403   403   inv   inv   inv   inv   403   403   403   403"),
    "certificate-pdf": ("login ok    404   ok    ok    404   ok    404   404   404   404", SIGNED_IN_NO_POST),
    "certificate-revoke": (SIGNED_IN_NO_POST, "login 403   403   inv   inv   404   inv   403   403   403   403"),
    "inspection-booking-cancel": (
        "login 405   405   405   405   405   405   403   403   403   403",
        "login ok    404   ok    ok    404   ok    403   403   403   403",
    ),
    "inspection-booking-detail": (
        "login ok    404   ok    ok    404   ok    403   403   403   403",
        "login 405   405   405   405   405   405   403   403   403   403",
    ),
    "inspection-booking-list": (
        "login ok    ok    ok    ok    ok    ok    403   403   403   403",
        "login inv   inv   inv   inv   inv   inv   403   403   403   403",
    ),
    "inspection-booking-no-show": (
        "login 403   403   405   405   405   405   403   403   403   403",
        "login 403   403   inv   404   404   inv   403   403   403   403",
    ),
    "inspection-booking-reschedule": (
        "login 405   405   405   405   405   405   403   403   403   403",
        "login ok    404   ok    ok    404   ok    403   403   403   403",
    ),
    "inspection-slots": (
        "login ok    ok    ok    ok    ok    ok    403   403   403   403",
        "login 405   405   405   405   405   405   403   403   403   403",
    ),
    # --- API: financing, trader side (finance/api.py) and bank side (finance/api_bank.py)
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "finance-bank-request-close": (
        "login 403   403   403   403   403   403   405   405   403   403",
        "login 403   403   403   403   403   403   inv   404   403   403",
    ),
    "finance-bank-request-decide": (
        "login 403   403   403   403   403   403   405   405   403   403",
        "login 403   403   403   403   403   403   inv   404   403   403",
    ),
    "finance-bank-request-detail": (
        "login 403   403   403   403   403   403   ok    404   403   403",
        "login 403   403   403   403   403   403   405   405   403   403",
    ),
    "finance-bank-request-disbursements": (
        "login 403   403   403   403   403   403   405   405   403   403",
        "login 403   403   403   403   403   403   inv   404   403   403",
    ),
    "finance-bank-request-list": (
        "login 403   403   403   403   403   403   ok    ok    403   403",
        "login 403   403   403   403   403   403   405   405   403   403",
    ),
    "finance-bank-request-repayments": (
        "login 403   403   403   403   403   403   405   405   403   403",
        "login 403   403   403   403   403   403   inv   404   403   403",
    ),
    "financing-product-list": (SIGNED_IN, SIGNED_IN_NO_POST),
    "financing-request-detail": ("login ok    404   404   404   404   404   ok    404   404   404", SIGNED_IN_NO_POST),
    "financing-request-list": (SIGNED_IN, "login inv   inv   403   403   403   403   403   403   403   403"),
    "financing-request-provide-information": (
        SIGNED_IN_NO_POST,
        "login inv   404   403   403   403   403   403   403   403   403",
    ),
    "financing-request-withdraw": (
        SIGNED_IN_NO_POST,
        "login ok    404   403   403   403   403   403   403   403   403",
    ),
    # --- Admin: one family; no actor of the matrix is staff, so all go to the admin sign-in
    #                                            anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "admin:*": (SIGN_IN_ALL, SIGN_IN_ALL),
}

# The API's other writes (PUT, PATCH, DELETE), with the same columns; an empty JSON body.
OTHER_METHODS: dict[str, dict[str, str]] = {
    #                                              anon  trA   trB   offC  offT  offX  sup   bkA   bkB   lgA   lgB
    "declaration-detail": {
        "PUT": "login inv   404   403   403   403   403   403   403   403   403",
        "PATCH": "login inv   404   403   403   403   403   403   403   403   403",
    },
    "declaration-document-remove": {"DELETE": "login inv   404   403   403   403   403   403   403   403   403"},
}

# Rows that fail today in files another engineer is finishing (finance/views_bank.py,
# finance/api_bank.py, templates/finance/bank/*): EXPECTED says what DESIGN requires.
KNOWN_MISMATCHES: dict[str, str] = {}

ROUTES = url_routes()
KEYS = sorted({route.key for route in ROUTES})
ROUTE_BY_KEY = {}
for _route in ROUTES:
    ROUTE_BY_KEY.setdefault(_route.key, _route)


def _parameters_for(key: str) -> dict:
    values: dict = {}
    for prefix in sorted(PARAMETERS, key=len):
        if key.startswith(prefix):
            values.update(PARAMETERS[prefix])
    return values


def _url(key: str, records: dict) -> list[str]:
    if key == "admin:*":
        return list(ADMIN_URLS)
    route = ROUTE_BY_KEY[key]
    fillers = _parameters_for(key)
    kwargs = {param: fillers[param](records) for param in route.params}
    if route.name is None:
        path = route.route
        for param, value in kwargs.items():
            path = path.replace(f"(?P<{param}>.*)", str(value))
        return [path.replace("^", "").replace("$", "")]
    return [reverse(route.name, kwargs=kwargs) + (QUERY[key](records) if key in QUERY else "")]


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker, tmp_path_factory):
    """The records and one signed-in client per actor, built once; everything is rolled back at the end."""
    media = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            records = world()
            yield records, actor_clients(records["users"])
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _attempt(client, method: str, url: str, body: dict) -> str:
    api = url.startswith("/api/")
    cookies = copy.deepcopy(client.cookies)  # a logout or a language change must not outlive its request
    # A savepoint per request: a permitted change is undone before the next actor tries.
    with transaction.atomic():
        if method == "GET":
            response = client.get(url)
        elif method != "POST":
            response = client.generic(method, url, data=json.dumps(body), content_type="application/json")
        elif api:
            response = client.post(url, data=json.dumps(body), content_type="application/json")
        else:
            response = client.post(url, data=body)
        transaction.set_rollback(True)
    client.cookies = cookies
    if response.streaming:
        b"".join(response.streaming_content)  # the client's wrapper closes the file, as a WSGI server would
    return outcome(response, api=api)


def _row(text: str) -> list[str]:
    cells = text.split()
    assert len(cells) == len(ACTORS), f"a row needs {len(ACTORS)} cells: {text!r}"
    assert set(cells) <= set(OUTCOMES), f"unknown outcome in {text!r}; use one of {OUTCOMES}"
    return cells


def _params():
    for key in KEYS:
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_MISMATCHES[key])] if key in KNOWN_MISMATCHES else []
        yield pytest.param(key, id=key, marks=marks)


def test_every_url_has_an_expected_row():
    missing = [key for key in KEYS if key not in EXPECTED]
    assert not missing, "URL patterns without a row in EXPECTED (decide who may use them):\n  " + "\n  ".join(missing)


def test_every_expected_row_names_a_url():
    stale = sorted(set(EXPECTED) - set(KEYS))
    assert not stale, f"rows in EXPECTED for URLs that no longer exist: {stale}"


def test_every_put_patch_and_delete_has_an_expected_row():
    implemented = {route.key: set(route.other_methods) for route in ROUTES if route.other_methods}
    declared = {key: set(rows) for key, rows in OTHER_METHODS.items()}
    assert implemented == declared, "OTHER_METHODS must list exactly the PUT/PATCH/DELETE the API implements"


def test_uploads_are_served_only_by_views_that_check_who_asks():
    """Regression: under DEBUG, ``static(MEDIA_URL)`` served every upload to anyone, signed in or not
    (logistics CSV files at guessable paths ``logistics-uploads/<organisation>/<yyyy>/<mm>/<kind>.csv``)."""
    serving_files = [route.route for route in ROUTES if route.key.startswith("/") and "media" in route.route]
    assert not serving_files, f"URL patterns serving MEDIA_ROOT without an access check: {serving_files}"


@pytest.mark.parametrize("key", list(_params()))
def test_who_may_use(matrix, key):
    records, clients = matrix
    expected_get, expected_post = EXPECTED.get(key, (None, None))
    mismatches = []
    actual_rows = {}
    checks = [("GET", expected_get), ("POST", expected_post)]
    route = ROUTE_BY_KEY.get(key)
    checks += [(method, OTHER_METHODS.get(key, {}).get(method)) for method in sorted(route.other_methods)]
    for method, expected in checks:
        for url in _url(key, records):
            body = POST_BODY[key](records) if key in POST_BODY else {}
            actual = [_attempt(clients[actor], method, url, body) for actor in ACTORS]
            actual_rows.setdefault(method, actual)
            if expected is not None:
                mismatches += [
                    f"{method} {url} as {actor}: expected {want}, got {got}"
                    for actor, want, got in zip(ACTORS, _row(expected), actual, strict=True)
                    if want != got
                ]
    if os.environ.get("MATRIX_ACTUAL"):
        with open(os.environ["MATRIX_ACTUAL"], "a") as out:
            out.write(f"{key!r}: { ({method: ' '.join(row) for method, row in actual_rows.items()})!r},\n")
    assert key in EXPECTED, f"no row in EXPECTED for {key}"
    assert not mismatches, "\n".join(mismatches)
