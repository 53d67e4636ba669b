"""Risk rules editor for customs supervisors: rules, port tolerances, and re-verifying open declarations.

Pages parse the form, call a service in ``services.risk_rules`` and show its field-named
errors on the form. The re-verification job's page polls a progress fragment with htmx every
second until the job has finished, like the logistics uploads.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.choices import Role
from portal.models import Port
from portal.roles import role_required

from .forms_rules import PortRiskSettingsForm, RiskRuleForm
from .models import PortRiskSettings, ReverifyJob, RiskRule
from .services.risk_rules import (
    RULE_FIELDS,
    SETTINGS_FIELDS,
    port_risk_settings_for,
    port_risk_settings_update,
    record_history,
    reverify_job_get,
    reverify_job_progress,
    reverify_job_recent,
    reverify_job_start,
    risk_rule_create,
    risk_rule_disable,
    risk_rule_enable,
    risk_rule_list,
    risk_rule_may_edit,
    risk_rule_update,
)

supervisor_required = role_required(Role.CUSTOMS_SUPERVISOR)


def _add_errors(form, error: ValidationError) -> None:
    for field, field_errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_errors)


@supervisor_required
@require_GET
def rule_list_view(request):
    return render(
        request,
        "declarations/rules/list.html",
        {
            **risk_rule_list(actor=request.user),
            "port_settings": port_risk_settings_for(actor=request.user),
            "jobs": reverify_job_recent(actor=request.user),
        },
    )


@supervisor_required
@require_http_methods(["GET", "POST"])
def rule_create_view(request):
    form = RiskRuleForm(request.POST or None, ports=request.user.ports_served.order_by("locode"))
    if request.method == "POST" and form.is_valid():
        try:
            rule = risk_rule_create(actor=request.user, **form.service_values())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Risk rule “%(name)s” was created; it applies from the next verification.") % {"name": rule.name},
            )
            return redirect("declarations:rules")
    return render(request, "declarations/rules/rule_form.html", {"form": form, "rule": None})


@supervisor_required
@require_http_methods(["GET", "POST"])
def rule_edit_view(request, pk: int):
    rule = get_object_or_404(RiskRule, pk=pk)
    if not risk_rule_may_edit(actor=request.user, rule=rule):
        raise PermissionDenied
    initial = {name: getattr(rule, name) for name in RULE_FIELDS}
    form = RiskRuleForm(request.POST or None, initial=initial, ports=request.user.ports_served.order_by("locode"))
    if request.method == "POST" and form.is_valid():
        try:
            rule = risk_rule_update(actor=request.user, rule_id=rule.pk, **form.service_values())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Risk rule “%(name)s” was saved.") % {"name": rule.name})
            return redirect("declarations:rules")
    return render(
        request,
        "declarations/rules/rule_form.html",
        {
            "form": form,
            "rule": rule,
            "history": record_history(rule, (*RULE_FIELDS, "active")),
        },
    )


@supervisor_required
@require_POST
def rule_disable_view(request, pk: int):
    rule = get_object_or_404(RiskRule, pk=pk)
    if request.POST.get("enable"):
        rule = risk_rule_enable(actor=request.user, rule_id=rule.pk)
        messages.success(request, _("Risk rule “%(name)s” applies again.") % {"name": rule.name})
    else:
        rule = risk_rule_disable(actor=request.user, rule_id=rule.pk)
        messages.success(request, _("Risk rule “%(name)s” was disabled.") % {"name": rule.name})
    return redirect("declarations:rules")


@supervisor_required
@require_http_methods(["GET", "POST"])
def port_settings_view(request, locode: str):
    port = request.user.ports_served.filter(locode=locode.upper()).first()
    if port is None:
        raise Http404
    settings = PortRiskSettings.objects.filter(port=port).first() or PortRiskSettings(port=port)
    form = PortRiskSettingsForm(
        request.POST or None, initial={name: getattr(settings, name) for name in SETTINGS_FIELDS}
    )
    if request.method == "POST" and form.is_valid():
        try:
            port_risk_settings_update(actor=request.user, port_id=port.pk, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("The tolerances of %(port)s were saved; they apply from the next verification.")
                % {"port": port.locode},
            )
            return redirect("declarations:rules")
    return render(
        request,
        "declarations/rules/port_settings.html",
        {
            "form": form,
            "port": port,
            "history": record_history(settings, (*SETTINGS_FIELDS,)) if settings.pk else [],
        },
    )


@supervisor_required
@require_POST
def reverify_start_view(request):
    try:
        job = reverify_job_start(actor=request.user)
    except PermissionDenied as error:
        messages.error(request, str(error))
        return redirect("declarations:rules")
    return redirect("declarations:reverify-detail", job.pk)


def _job(request, pk: int) -> ReverifyJob:
    try:
        return reverify_job_get(actor=request.user, job_id=pk)
    except ReverifyJob.DoesNotExist:
        raise Http404 from None


@supervisor_required
@require_GET
def reverify_detail_view(request, pk: int):
    job = _job(request, pk)
    return render(
        request,
        "declarations/rules/reverify_detail.html",
        {
            "job": job,
            "progress": reverify_job_progress(job=job),
            "ports": Port.objects.filter(pk__in=job.ports.all()),
        },
    )


@supervisor_required
@require_GET
def reverify_progress_view(request, pk: int):
    """The fragment the job's page polls; it stops polling itself once the job has finished."""
    job = _job(request, pk)
    return render(request, "declarations/rules/_reverify_progress.html", {"progress": reverify_job_progress(job=job)})
