from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from . import roles
from .choices import Role
from .ledger.selectors import checkpoint_latest
from .ledger.signing import public_key_info

HOME_TEMPLATES = {
    Role.TRADER_STAFF: "portal/home/trader.html",
    Role.CUSTOMS_OFFICER: "portal/home/customs_officer.html",
    Role.CUSTOMS_SUPERVISOR: "portal/home/customs_supervisor.html",
    Role.BANK_OFFICER: "portal/home/bank_officer.html",
    Role.LOGISTICS_SYSTEM: "portal/home/logistics_system.html",
}


@login_required
def home(request):
    """What waits for the signed-in person, by role."""
    user = request.user
    template = HOME_TEMPLATES.get(user.role) if roles.has_role(user, *HOME_TEMPLATES) else None
    context = {
        "organisation": user.organisation,
        "ports_served": list(user.ports_served.all()) if roles.is_customs(user) else [],
        "role_label": Role(user.role).label if user.role else _("Administrator"),
        "waiting": [],
    }
    if roles.is_trader(user):
        from declarations.selectors import declaration_waiting_for_trader

        context.update(declaration_waiting_for_trader(actor=user))
        from finance.selectors_trader import financing_waiting_for_trader

        context["waiting"] = financing_waiting_for_trader(actor=user)
    elif roles.is_customs(user):
        from declarations.selectors import declaration_queue

        context.update(declaration_queue(actor=user))
    elif roles.is_bank_officer(user):
        from finance.selectors import bank_home_waiting

        context.update(bank_home_waiting(actor=user))
    elif roles.is_logistics_system(user):
        from declarations.services.logistics_uploads import logistics_uploads_waiting

        context["waiting"] = logistics_uploads_waiting(actor=user)
    return render(request, template or "portal/home/no_role.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request):
    """Show the user's API token; POST creates or replaces it."""
    token = Token.objects.filter(user=request.user).first()
    if request.method == "POST":
        if token:
            token.delete()
        token = Token.objects.create(user=request.user)
        messages.success(request, _("A new API token was created. The old one no longer works."))
        return redirect("api-token")
    return render(request, "portal/api_token.html", {"token": token})


def about_verification(request):
    """How anyone can check the portal's records without trusting it: the key, the latest checkpoint, the verifier."""
    context = {
        "public_key": public_key_info(),
        "checkpoint": checkpoint_latest(),
        "api_base": request.build_absolute_uri(reverse("api-ledger-public-key")).removesuffix("public-key"),
    }
    return render(request, "portal/verify/about_details.html", context)


def login_locked_out(request, original_response=None, credentials=None):
    """The sign-in page again, saying the account is locked here for a while (django-axes' lockout response).

    Status 429, so scripts see the throttle too; the form stays, for after the wait.
    """
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {
        "form": form,
        "next": request.POST.get("next", request.GET.get("next", "")),
        "locked_out_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, "registration/login.html", context, status=429)


def not_found(request, exception=None):
    """404 for the whole site: the API's JSON error body under /api/, Django's page elsewhere.

    The URL patterns refuse some paths before any API view runs (``/api/v1/declarations/abc``);
    an API client must still get the documented JSON error, not HTML.
    """
    if request.path.startswith("/api/"):
        from .api.errors import error_body

        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    return defaults.page_not_found(request, exception)
