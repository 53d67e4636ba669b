"""The port dashboard page for customs officers and supervisors, its CSV downloads, and "recompute now"."""

import csv
import io

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal.choices import Role
from portal.models import Port
from portal.roles import role_required

from .selectors_dashboard import CHART_KEYS, dashboard_get

customs_required = role_required(Role.CUSTOMS_OFFICER, Role.CUSTOMS_SUPERVISOR)


def _dashboard(request, locode: str = ""):
    try:
        return dashboard_get(actor=request.user, port_locode=locode or request.GET.get("port", ""))
    except Port.DoesNotExist:
        raise Http404 from None


@customs_required
@require_GET
def dashboard_view(request):
    dashboard = _dashboard(request)
    return render(
        request,
        "declarations/dashboard/dashboard.html",
        {
            "dashboard": dashboard,
            "charts": [dashboard.charts[key] for key in CHART_KEYS],
        },
    )


@customs_required
@require_GET
def dashboard_csv_view(request, chart: str):
    if chart not in CHART_KEYS:
        raise Http404
    dashboard = _dashboard(request)
    figures = dashboard.charts[chart]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(figures.columns)
    writer.writerows([["" if value is None else value for value in row] for row in figures.rows])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{dashboard.port.locode}-{chart}.csv"'
    return response


@customs_required
@require_POST
def dashboard_refresh_view(request):
    """Recompute the port's weekly figures now (in the background where a worker runs)."""
    from .tasks import dashboard_refresh

    dashboard = _dashboard(request, request.POST.get("port", ""))
    dashboard_refresh.delay(dashboard.port.pk)
    messages.success(request, _("The figures are being recomputed; reload in a moment."))
    return redirect(f"{reverse('declarations:dashboard')}?{urlencode({'port': dashboard.port.locode})}")
