"""Trader pages for declarations: parse the request, call a service or selector, render or redirect.

Another organisation's declaration is "not found" on every page (the services and
selectors raise Http404 / DoesNotExist), never "forbidden", so its existence is not revealed.
"""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import roles
from portal.choices import Role
from portal.exceptions import TransitionNotAllowed
from portal.roles import role_required

from . import services
from .choices import EDITABLE, FINAL, Action, Status, allowed_actions
from .forms import (
    CancelForm,
    DeclarationFilterForm,
    DeclarationFormSet,
    DocumentForm,
    ImportForm,
    ReferenceChoices,
    SummaryError,
    form_summary,
    summary_from_service,
)
from .models import Declaration
from .selectors import (
    declaration_current_warnings,
    declaration_get,
    declaration_list,
    declaration_page,
    declaration_queue,
    declaration_timeline,
)
from .services.access import declaration_for_trader
from .services.crosscheck import VERIFIABLE
from .services.drafts import declaration_container_values, declaration_header, declaration_item_values
from .services.imports import item_import_template_csv, item_rows_parse
from .verification import declaration_verification_path

trader_required = role_required(Role.TRADER_STAFF)
PAGE_SIZE = 25


def _visible(request, pk: int) -> Declaration:
    """The declaration with its rows, if the signed-in person may see it (its traders, officers of its ports)."""
    try:
        return declaration_get(actor=request.user, declaration_id=pk)
    except Declaration.DoesNotExist:
        raise Http404(_("No such declaration.")) from None


def _is_owner(user, declaration: Declaration) -> bool:
    return roles.is_trader(user) and declaration.declarant_id == user.organisation_id


@trader_required
@require_GET
def declaration_list_view(request):
    """The organisation's declarations, newest first, searched and filtered, a keyset page at a time."""
    filter_form = DeclarationFilterForm(request.GET or None)
    filters = filter_form.filters() if request.GET else {}
    page = declaration_page(
        declaration_list(actor=request.user, **filters),
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        size=PAGE_SIZE,
    )
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    return render(
        request,
        "declarations/list.html",
        {
            "filter_form": filter_form,
            "page": page,
            "query": query.urlencode(),
            "filtered": bool(filters),
        },
    )


def _initial(declaration: Declaration | None) -> dict:
    if declaration is None:
        return {"header": None, "items": [{}], "containers": [{}]}
    items = [declaration_item_values(item) for item in declaration.items.all()]
    containers = [declaration_container_values(container) for container in declaration.containers.all()]
    return {"header": declaration_header(declaration), "items": items or [{}], "containers": containers or [{}]}


def _declaration_form(request, declaration: Declaration | None):
    """Create (``declaration`` None) or edit a draft, or a declaration customs sent back for amendment."""
    reference = ReferenceChoices.load()
    summary: list[SummaryError] = []
    if request.method == "POST":
        add_row = "items" if "add_item" in request.POST else "containers" if "add_container" in request.POST else ""
        form = DeclarationFormSet(request.POST, request.FILES, reference=reference, add_row=add_row)
        if not add_row:
            if form.is_valid():
                data = form.service_input()
                try:
                    with transaction.atomic():  # a rejected document leaves the draft as it was
                        if declaration is None:
                            saved = services.declaration_create_draft(actor=request.user, **data)
                        else:
                            saved = services.declaration_update_draft(
                                actor=request.user, declaration_id=declaration.pk, **data
                            )
                        upload = form.document.cleaned_data.get("file")
                        if upload:
                            services.document_attach(
                                actor=request.user,
                                declaration_id=saved.pk,
                                kind=form.document.cleaned_data["kind"],
                                upload=upload,
                            )
                except ValidationError as error:
                    form.add_service_errors(error)
                except TransitionNotAllowed as error:
                    messages.error(request, error.message)
                    return redirect("declarations:detail", declaration.pk)
                else:
                    if "review" in request.POST:
                        return redirect("declarations:review", saved.pk)
                    messages.success(
                        request,
                        _("Draft saved.")
                        if saved.status == Status.DRAFT
                        else _("Changes saved. Resubmit the declaration when you are ready."),
                    )
                    return redirect("declarations:edit", saved.pk)
            summary = form.summary()
    else:
        form = DeclarationFormSet(reference=reference, initial=_initial(declaration))
    return render(
        request,
        "declarations/form.html",
        {
            "declaration": declaration,
            "form": form,
            "summary": summary,
            "reference": reference,
            "documents": list(declaration.documents.all()) if declaration else [],
        },
        status=200,
    )


@trader_required
@require_http_methods(["GET", "POST"])
def declaration_create_view(request):
    return _declaration_form(request, None)


@trader_required
@require_http_methods(["GET", "POST"])
def declaration_edit_view(request, pk: int):
    declaration = declaration_for_trader(actor=request.user, declaration_id=pk)
    if declaration.status not in EDITABLE:
        messages.error(
            request,
            _("Declaration %(reference)s is %(status)s and can no longer be changed.")
            % {"reference": declaration, "status": declaration.get_status_display()},
        )
        return redirect("declarations:detail", pk)
    return _declaration_form(request, declaration)


def _submit_errors(declaration: Declaration) -> list[SummaryError]:
    """What submit would refuse, checked with the submit rules themselves, linked to the edit form's inputs."""
    from .services.workflow import declaration_submit_errors

    errors = declaration_submit_errors(declaration)
    return summary_from_service(ValidationError(errors)) if errors else []


def _review(request, declaration: Declaration, summary: list[SummaryError] | None = None):
    declaration = _visible(request, declaration.pk)
    if summary is None:
        summary = _submit_errors(declaration)
    return render(
        request,
        "declarations/review.html",
        {
            "declaration": declaration,
            "summary": summary,
            "documents": declaration.documents.all(),
            "edit_url": reverse("declarations:edit", args=[declaration.pk]),
        },
    )


@trader_required
@require_GET
def declaration_review_view(request, pk: int):
    """Everything read-only before it goes to customs, with "Submit" (or "Resubmit") and "Back to edit"."""
    declaration = declaration_for_trader(actor=request.user, declaration_id=pk)
    if declaration.status not in EDITABLE:
        return redirect("declarations:detail", pk)
    return _review(request, declaration)


def _transition(request, pk: int, service, success: str):
    declaration = declaration_for_trader(actor=request.user, declaration_id=pk)
    try:
        declaration = service(actor=request.user, declaration_id=pk)
    except ValidationError as error:
        return _review(request, declaration, summary_from_service(error))
    except TransitionNotAllowed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success % {"reference": declaration})
    return redirect("declarations:detail", pk)


@trader_required
@require_POST
def declaration_submit_view(request, pk: int):
    return _transition(
        request, pk, services.declaration_submit, _("Declaration %(reference)s was submitted to customs.")
    )


@trader_required
@require_POST
def declaration_resubmit_view(request, pk: int):
    return _transition(
        request, pk, services.declaration_amend, _("Declaration %(reference)s was resubmitted to customs.")
    )


@trader_required
@require_POST
def declaration_cancel_view(request, pk: int):
    declaration_for_trader(actor=request.user, declaration_id=pk)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"].strip() if form.is_valid() else ""
    try:
        declaration = services.declaration_cancel(actor=request.user, declaration_id=pk, reason=reason)
    except TransitionNotAllowed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Declaration %(reference)s was cancelled.") % {"reference": declaration})
    return redirect("declarations:detail", pk)


@trader_required
@require_POST
def declaration_copy_view(request, pk: int):
    source = declaration_for_trader(actor=request.user, declaration_id=pk)
    copy = services.declaration_copy(actor=request.user, declaration_id=pk)
    messages.success(
        request,
        _("A new draft was made from %(reference)s. Add the containers of this shipment.") % {"reference": source},
    )
    return redirect("declarations:edit", copy.pk)


@login_required
@require_GET
def declaration_detail_view(request, pk: int):
    """Status, route, parties, goods, documents, timeline and, for its traders, what they may do now."""
    declaration = _visible(request, pk)
    return _detail(request, declaration)


def _verification_context(declaration: Declaration) -> dict:
    return {
        "warnings": declaration_current_warnings(declaration=declaration),
        # Poll while verification can still change something the reader sees.
        "live": declaration.status in VERIFIABLE,
    }


@login_required
@require_GET
def declaration_verification_view(request, pk: int):
    """The verification section alone, polled by the detail page (htmx); 286 tells htmx to stop polling."""
    declaration = _visible(request, pk)
    context = {**_verification_context(declaration), "declaration": declaration}
    response = render(request, "declarations/_verification.html", context)
    if not context["live"]:
        response.status_code = 286
    return response


@role_required(Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR)
@require_GET
def declaration_queue_fragment_view(request):
    """The officer's queue alone, polled by the home page (htmx)."""
    return render(request, "declarations/_queue.html", declaration_queue(actor=request.user))


def _detail(
    request,
    declaration: Declaration,
    document_form: DocumentForm | None = None,
    summary: list[SummaryError] | None = None,
    status: int = 200,
    review_forms: dict | None = None,
):
    owner = _is_owner(request.user, declaration)
    actions = allowed_actions(declaration.status, request.user.role) if owner else []
    if roles.is_customs(request.user):  # the officer's review panel (views_review.py)
        from .views_review import officer_review_context

        verification = officer_review_context(request, declaration, **(review_forms or {}))
    else:
        verification = _verification_context(declaration)
    return render(
        request,
        "declarations/detail.html",
        {
            **verification,
            "declaration": declaration,
            "owner": owner,
            "documents": declaration.documents.all(),
            "timeline": declaration_timeline(declaration=declaration),
            "can_submit": Action.SUBMIT in actions,
            "can_resubmit": Action.AMEND in actions,
            "can_cancel": Action.CANCEL in actions,
            "can_edit": owner and declaration.status in EDITABLE,
            "can_add_documents": owner and declaration.status not in FINAL,
            "can_remove_documents": owner and declaration.status in EDITABLE,
            "cancel_form": CancelForm(),
            "document_form": document_form or DocumentForm(prefix="document"),
            "summary": summary or [],
        },
        status=status,
    )


@trader_required
@require_POST
def document_upload_view(request, pk: int):
    declaration = declaration_for_trader(actor=request.user, declaration_id=pk)
    form = DocumentForm(request.POST, request.FILES, prefix="document", require_file=True)
    if form.is_valid():
        try:
            document = services.document_attach(
                actor=request.user, declaration_id=pk, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            for key, errors in getattr(error, "message_dict", {"file": error.messages}).items():
                for message in errors:
                    form.add_error(key if key in form.fields else None, message)
        except TransitionNotAllowed as error:
            messages.error(request, error.message)
            return redirect("declarations:detail", pk)
        else:
            messages.success(request, _("%(document)s was added.") % {"document": document})
            return redirect(reverse("declarations:detail", args=[pk]) + "#documents")
    declaration = _visible(request, declaration.pk)
    return _detail(request, declaration, document_form=form, summary=form_summary(form))


@login_required
@require_GET
def document_download_view(request, pk: int, document_id: int):
    """The stored file, only to those who may see the declaration."""
    declaration = _visible(request, pk)
    document = next((doc for doc in declaration.documents.all() if doc.pk == document_id), None)
    if document is None:
        raise Http404(_("No such document."))
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@trader_required
@require_POST
def document_remove_view(request, pk: int, document_id: int):
    try:
        services.document_remove(actor=request.user, declaration_id=pk, document_id=document_id)
    except TransitionNotAllowed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The document was removed."))
    return redirect(
        request.POST.get("next")
        if request.POST.get("next") == reverse("declarations:edit", args=[pk])
        else reverse("declarations:detail", args=[pk]) + "#documents"
    )


@login_required
@require_GET
def declaration_receipt_view(request, pk: int):
    """A printable receipt of a submitted declaration with a QR code to its public verification page."""
    declaration = _visible(request, pk)
    if not declaration.reference:
        messages.error(request, _("A receipt is available once the declaration has been submitted."))
        return redirect("declarations:detail", pk)
    url = request.build_absolute_uri(declaration_verification_path(declaration))
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=4, title=_("QR code to verify declaration %(reference)s") % {"reference": declaration})
    return render(
        request,
        "declarations/receipt.html",
        {
            "declaration": declaration,
            "verification_url": url,
            "qr_svg": mark_safe(svg),  # noqa: S308 — segno's own SVG
        },
    )


@trader_required
@require_http_methods(["GET", "POST"])
def item_import_view(request, pk: int):
    """Replace or extend the goods items of an editable declaration from a CSV or XLSX file; all rows or none."""
    declaration = declaration_for_trader(actor=request.user, declaration_id=pk)
    if declaration.status not in EDITABLE:
        messages.error(
            request,
            _("Declaration %(reference)s is %(status)s and can no longer be changed.")
            % {"reference": declaration, "status": declaration.get_status_display()},
        )
        return redirect("declarations:detail", pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    row_errors = []
    if request.method == "POST" and form.is_valid():
        items, row_errors = item_rows_parse(form.cleaned_data["file"])
        if not row_errors:
            existing = []
            if form.cleaned_data["mode"] == ImportForm.APPEND:
                existing = [declaration_item_values(item) for item in declaration.items.all()]
            try:
                services.declaration_update_draft(
                    actor=request.user,
                    declaration_id=pk,
                    header=declaration_header(declaration),
                    items=existing + items,
                    containers=[declaration_container_values(c) for c in declaration.containers.all()],
                )
            except TransitionNotAllowed as error:
                messages.error(request, error.message)
                return redirect("declarations:detail", pk)
            except ValidationError as error:
                form.add_error(None, ValidationError(list(error.messages)))
            else:
                messages.success(request, _("%(count)d item lines were imported.") % {"count": len(items)})
                return redirect(reverse("declarations:edit", args=[pk]) + "#section-items")
    return render(
        request,
        "declarations/import.html",
        {
            "declaration": declaration,
            "form": form,
            "row_errors": row_errors,
        },
        status=200,
    )


@trader_required
@require_GET
def item_import_template_view(request):
    response = HttpResponse(item_import_template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="declaration-items-template.csv"'
    return response
