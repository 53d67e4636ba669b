"""The bank's own products and rate table (``/financing/bank/products/``): bank officers only,
their own bank only; the services check the rules and name the bad fields."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from portal.choices import Role
from portal.roles import role_required

from . import services
from .forms_products import ExchangeRateForm, ProductForm
from .models import ExchangeRate, FinancingProduct

bank_only = role_required(Role.BANK_OFFICER)


def _apply_errors(form, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@bank_only
@require_GET
def bank_products_view(request):
    """The bank's products and its rate table, newest rates first."""
    bank_id = request.user.organisation_id
    products = FinancingProduct.objects.filter(bank_id=bank_id).prefetch_related("currencies")
    rates = ExchangeRate.objects.filter(bank_id=bank_id).order_by("-valid_from", "-id")[:50]
    return render(request, "finance/bank/products.html", {"products": products, "rates": rates})


@bank_only
@require_http_methods(["GET", "POST"])
def bank_product_edit_view(request, product_id: int | None = None):
    """Create a product, or change one of the bank's own (another bank's is 404)."""
    product = None
    if product_id is not None:
        product = FinancingProduct.objects.filter(pk=product_id, bank_id=request.user.organisation_id).first()
        if product is None:
            raise Http404(_("No such product."))
    if request.method == "POST":
        form = ProductForm(request.POST)
        if form.is_valid():
            try:
                services.product_upsert(actor=request.user, product_id=product_id, **form.service_arguments())
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("The product was saved."))
                return redirect("finance:bank_products")
    elif product is not None:
        form = ProductForm(
            initial={
                "kind": product.kind,
                "name_en": product.name_en,
                "name_zh": product.name_zh,
                "currencies": ", ".join(product.currencies.values_list("code", flat=True)),
                "max_advance_percent": product.max_advance_percent,
                "min_tenor_days": product.min_tenor_days,
                "max_tenor_days": product.max_tenor_days,
                "accepted_statuses": product.accepted_statuses,
                "exports_only": product.exports_only,
                "active": product.active,
            }
        )
    else:
        form = ProductForm()
    return render(
        request,
        "finance/bank/product_form.html",
        {"form": form, "product": product},
        status=400 if form.errors else 200,
    )


@bank_only
@require_http_methods(["GET", "POST"])
def bank_rate_new_view(request):
    """Record a new rate in the bank's table; the newest rate for a pair is the one used."""
    form = ExchangeRateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.exchange_rate_set(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("The rate was recorded."))
            return redirect("finance:bank_products")
    return render(request, "finance/bank/rate_form.html", {"form": form}, status=400 if form.errors else 200)
