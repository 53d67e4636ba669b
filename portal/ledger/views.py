"""Public pages: the record verification page reached by a QR code, and the verifier download."""

from __future__ import annotations

from pathlib import Path

from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from . import selectors
from .ratelimit import rate_limited
from .registry import check_code_matches
from .signing import public_key_info

VERIFIER_PATH = Path(__file__).with_name("verifier.py")


@require_GET
@rate_limited("verify")
def verify_lookup(request, reference: str = ""):
    """A form for the reference and check code printed under a QR code; redirects to the result."""
    reference = request.GET.get("reference", reference).strip()
    check = request.GET.get("check", "").strip()
    if reference and check:
        return redirect("ledger-verify-record", reference=reference, check=check)
    return render(request, "portal/verify/lookup.html", {"reference": reference, "check": check})


@require_GET
@rate_limited("verify")
def verify_record(request, reference: str, check: str):
    """Whether the record stored now matches its latest ledger entry, with the entry and its proof.

    An unknown reference and a wrong check code give the same 404 page ("unknown"), so references
    cannot be probed.
    """
    if not check_code_matches(reference, check):
        return _unknown(request, reference)
    verification = selectors.record_verification_get(reference=reference)
    if verification is None:
        return _unknown(request, reference)
    context = {"verification": verification, "public_key": public_key_info()}
    return render(request, "portal/verify/record.html", context)


def _unknown(request, reference: str):
    return render(request, "portal/verify/unknown.html", {"reference": reference}, status=404)


@require_GET
def verifier_download(request):
    """The standalone verifier, as a file to save and run."""
    return FileResponse(
        VERIFIER_PATH.open("rb"),
        as_attachment=True,
        filename="verifier.py",
        content_type="text/x-python; charset=utf-8",
    )
