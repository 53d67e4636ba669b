"""The trader's financing pages: parse, call a service or selector, render or redirect.

Only the actor's organisation's requests exist here; any other is 404.
"""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.choices import Role
from portal.exceptions import DomainError
from portal.roles import role_required

from . import services
from .forms import FinancingRequestForm, ProvideInformationForm, WithdrawForm
from .models import FinancingProduct
from .selectors_trader import (
    declarations_pledgeable,
    financing_products_offered,
    financing_request_get,
    financing_request_history,
    financing_request_list,
)

trader_only = role_required(Role.TRADER_STAFF)


def _add_errors(form, error: Exception) -> None:
    """Put a service's refusal on the form's fields (or on the form when it names none)."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    elif isinstance(error, ValidationError):
        form.add_error(None, error.messages)
    else:
        form.add_error(error.field if error.field in form.fields else None, error.message)


@trader_only
@require_GET
def request_list_view(request):
    status = request.GET.get("status", "")
    requests = financing_request_list(actor=request.user, status=status or None)[:200]
    return render(request, "finance/trader/list.html", {"requests": requests, "status": status})


def _request_form(request, data=None, files=None):
    # On POST a declaration pledged since the form was shown stays a valid choice, so that the service
    # refuses it naming the request that holds it (rather than "not one of the available choices").
    return FinancingRequestForm(
        data,
        files,
        products=financing_products_offered(),
        declarations=declarations_pledgeable(actor=request.user, include_held=data is not None),
    )


@trader_only
@require_http_methods(["GET", "POST"])
def request_create_view(request):
    form = _request_form(request, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.financing_request_create(
                actor=request.user,
                product_id=data["product"].pk,
                amount=data["amount"],
                currency=data["currency"].code,
                tenor_days=data["tenor_days"],
                declaration_ids=[declaration.pk for declaration in data["declarations"]],
                message=data["message"],
                documents=data["documents"],
            )
        except (ValidationError, DomainError) as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Financing request %(reference)s was sent to %(bank)s.")
                % {"reference": created.reference, "bank": created.bank},
            )
            return redirect("finance:request_detail", created.pk)
    return render(
        request,
        "finance/trader/form.html",
        {"form": form, **_maximum_context(request, form)},
        status=400 if form.is_bound and form.errors else 200,
    )


def _maximum_context(request, form) -> dict:
    """The most the chosen product lends against the chosen declarations, or why it cannot be said."""
    values = form.data if form.is_bound else request.GET
    product = (
        FinancingProduct.objects.select_related("bank").filter(pk=values.get("product") or 0, active=True).first()
        if str(values.get("product", "")).isdigit()
        else None
    )
    ids = [int(pk) for pk in values.getlist("declarations") if str(pk).isdigit()] if hasattr(values, "getlist") else []
    currency = values.get("currency", "")
    declarations = list(declarations_pledgeable(actor=request.user).filter(pk__in=ids))
    context = {
        "maximum": None,
        "maximum_problem": "",
        "ineligible": [],
        "chosen_product": product,
        "chosen_currency": currency,
    }
    if product is None or not declarations or not currency:
        context["maximum_problem"] = _(
            "Choose a product, a currency and at least one declaration to see the most you may ask for."
        )
        return context
    context["ineligible"] = [
        reason
        for declaration in declarations
        if (reason := services.declaration_ineligibility(product=product, declaration=declaration))
    ]
    eligible = [
        declaration
        for declaration in declarations
        if services.declaration_ineligibility(product=product, declaration=declaration) is None
    ]
    try:
        context["maximum"] = (
            services.financing_max_amount(product=product, declarations=eligible, currency=currency)
            if eligible
            else Decimal(0)
        )
    except DomainError as error:
        context["maximum_problem"] = error.message
    return context


@trader_only
@require_GET
def request_maximum_view(request):
    """htmx fragment: the maximum for the form's current choices."""
    form = _request_form(request)
    return render(request, "finance/trader/_maximum.html", _maximum_context(request, form))


@trader_only
@require_GET
def request_detail_view(request, pk: int):
    financing = financing_request_get(actor=request.user, request_id=pk)
    return render(
        request,
        "finance/trader/detail.html",
        {
            "financing": financing,
            "history": financing_request_history(financing),
            "allowed_actions": services.financing_allowed_actions(financing, request.user),
            "provide_form": ProvideInformationForm(prefix="provide"),
            "withdraw_form": WithdrawForm(prefix="withdraw"),
        },
    )


@trader_only
@require_POST
def request_withdraw_view(request, pk: int):
    financing = financing_request_get(actor=request.user, request_id=pk)
    form = WithdrawForm(request.POST, prefix="withdraw")
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.financing_request_withdraw(actor=request.user, request_id=financing.pk, reason=reason)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Financing request %(reference)s was withdrawn; its declarations are free to pledge again.")
            % {"reference": financing.reference},
        )
    return redirect("finance:request_detail", financing.pk)


@trader_only
@require_POST
def request_provide_information_view(request, pk: int):
    financing = financing_request_get(actor=request.user, request_id=pk)
    form = ProvideInformationForm(request.POST, request.FILES, prefix="provide")
    if form.is_valid():
        try:
            services.financing_request_provide_information(
                actor=request.user,
                request_id=financing.pk,
                message=form.cleaned_data["message"],
                documents=form.cleaned_data["documents"],
            )
        except (ValidationError, DomainError) as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your answer was sent to %(bank)s.") % {"bank": financing.bank})
            return redirect("finance:request_detail", financing.pk)
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    return redirect("finance:request_detail", financing.pk)


@trader_only
@require_GET
def request_document_view(request, pk: int, document_id: int):
    financing = financing_request_get(actor=request.user, request_id=pk)
    document = financing.documents.filter(pk=document_id).first()
    if document is None:
        raise Http404(_("No such document."))
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
