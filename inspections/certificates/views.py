"""Certificate pages: parse → service/selector → render or redirect.

Officers issue from the declaration page (the “Certificates” section links here) and revoke
from a certificate's page; traders and officers download the PDF. Anything outside the
viewer's scope is 404, never 403 (its existence is not revealed).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from declarations.models import Declaration
from portal.choices import Role
from portal.exceptions import DomainError, TransitionNotAllowed
from portal.roles import role_required

from ..choices import CertificateStatus
from ..models import Certificate
from .forms import CertificateIssueForm, CertificateRevokeForm
from .selectors import certificate_get, certificate_list, declaration_for_certificates
from .services import CERTIFIABLE, certificate_issue, certificate_may_issue, certificate_revoke
from .verification import certificate_verification_path

CUSTOMS = (Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR)


def _certificate(request, pk: int) -> Certificate:
    try:
        return certificate_get(actor=request.user, certificate_id=pk)
    except Certificate.DoesNotExist:
        raise Http404 from None


def _declaration(request, pk: int) -> Declaration:
    try:
        return declaration_for_certificates(actor=request.user, declaration_id=pk)
    except Declaration.DoesNotExist:
        raise Http404 from None


@role_required(*CUSTOMS)
@require_GET
def certificate_list_view(request):
    """The certificates of the declarations at the officer's ports, newest first."""
    certificates = certificate_list(actor=request.user)[:200]
    return render(request, "inspections/certificates/list.html", {"certificates": certificates})


@role_required(*CUSTOMS)
@require_http_methods(["GET", "POST"])
def certificate_issue_view(request, declaration_pk: int):
    """Choose the kind and the items, then issue; back to the declaration page."""
    declaration = _declaration(request, declaration_pk)
    form = CertificateIssueForm(request.POST or None, declaration=declaration)
    if request.method == "POST" and form.is_valid():
        try:
            certificate = certificate_issue(
                actor=request.user,
                declaration_id=declaration.pk,
                kind=form.cleaned_data["kind"],
                item_ids=[int(value) for value in form.cleaned_data["items"]],
                remarks=form.cleaned_data["remarks"],
            )
        except TransitionNotAllowed as error:
            messages.error(request, error.message)
            return redirect(reverse("declarations:detail", args=[declaration.pk]) + "#certificates")
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                _("Certificate %(number)s issued. Its PDF is being prepared; the trader has been notified.")
                % {"number": certificate.number},
            )
            return redirect("certificates:detail", certificate.pk)
    context = {
        "declaration": declaration,
        "form": form,
        "certifiable": declaration.status in CERTIFIABLE,
        "may_issue": certificate_may_issue(request.user, declaration),
    }
    return render(request, "inspections/certificates/issue.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def certificate_detail_view(request, pk: int):
    certificate = _certificate(request, pk)
    may_revoke = certificate.status == CertificateStatus.VALID and certificate_may_issue(
        request.user, certificate.declaration
    )
    return render(request, "inspections/certificates/detail.html", _detail_context(request, certificate, may_revoke))


def _detail_context(request, certificate: Certificate, may_revoke: bool, form=None) -> dict:
    return {
        "certificate": certificate,
        "items": certificate.items.all(),
        "verification_path": certificate_verification_path(certificate.number),
        "may_revoke": may_revoke,
        "revoke_form": form or CertificateRevokeForm(),
    }


@role_required(*CUSTOMS)
@require_POST
def certificate_revoke_view(request, pk: int):
    certificate = _certificate(request, pk)
    form = CertificateRevokeForm(request.POST)
    if form.is_valid():
        try:
            certificate_revoke(actor=request.user, certificate_id=certificate.pk, reason=form.cleaned_data["reason"])
        except TransitionNotAllowed as error:
            messages.error(request, error.message)
            return redirect("certificates:detail", certificate.pk)
        except DomainError as error:
            form.add_error("reason", error.message)
        else:
            messages.success(
                request,
                _("Certificate %(number)s revoked. The trader has been notified.") % {"number": certificate.number},
            )
            return redirect("certificates:detail", certificate.pk)
    context = _detail_context(request, certificate, certificate_may_issue(request.user, certificate.declaration), form)
    return render(request, "inspections/certificates/detail.html", context, status=400)


@login_required
@require_GET
def certificate_pdf_view(request, pk: int):
    """The stored PDF; while it is still being rendered, the certificate's page says so."""
    certificate = _certificate(request, pk)
    if not certificate.pdf:
        messages.info(
            request,
            _("The PDF of %(number)s is still being prepared; try again in a moment.") % {"number": certificate.number},
        )
        return redirect("certificates:detail", certificate.pk)
    return FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=True,
        filename=f"{certificate.number}.pdf",
        content_type="application/pdf",
    )
