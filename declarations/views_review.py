"""The officer's side of the declaration page: evidence side by side, decisions and holds.

``declaration_detail_view`` (views.py) adds :func:`officer_review_context` when the viewer is
customs staff; the POST views here parse a form, call ``declaration_decide`` / ``hold_place``
/ ``hold_lift`` (which check every permission) and redirect back, or re-render the page with
the form's error. A decision that lost a race is told who decided first.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from inspections.services import inspection_order
from portal import roles
from portal.exceptions import DomainError, TransitionNotAllowed
from portal.ledger.selectors import record_verification_get

from .choices import Action, Status, allowed_actions
from .models import Declaration
from .selectors import declaration_current_warnings, declaration_get, declaration_visible
from .selectors_review import declaration_evidence_for_review
from .services.crosscheck import VERIFIABLE
from .services.review import HOLDABLE, hold_lift, hold_place, hold_port_for
from .services.workflow import OFFICER_DECISIONS, clearance_port, declaration_decide
from .verification import (
    declaration_verifiable_record,
    declaration_verification_path,
    declaration_verification_reference,
)


class DecisionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(action, Action(action).label) for action in OFFICER_DECISIONS], widget=forms.HiddenInput
    )
    expected_status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    message = forms.CharField(
        label=gettext_lazy("Message"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class HoldForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the hold"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("The port of clearance and the trader read it."),
    )


class LiftForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)


# Labels, help and button style of each decision, in the order the page shows them.
DECISION_COPY = {
    Action.RELEASE: (gettext_lazy("Release"), "", "button"),
    Action.REQUEST_AMENDMENT: (
        gettext_lazy("Request amendment"),
        gettext_lazy("What must the trader change? They see this message."),
        "button",
    ),
    Action.ORDER_INSPECTION: (
        gettext_lazy("Order inspection"),
        gettext_lazy(
            "Optional: what the inspection should look at. To inspect again goods "
            "already inspected, a supervisor gives the reason here."
        ),
        "button",
    ),
    Action.REJECT: (
        gettext_lazy("Reject"),
        gettext_lazy("Why is the declaration rejected? (required)"),
        "button button-danger",
    ),
}
MESSAGE_REQUIRED = (Action.REQUEST_AMENDMENT, Action.REJECT)


def _visible(request, pk: int) -> Declaration:
    try:
        return declaration_get(actor=request.user, declaration_id=pk)
    except Declaration.DoesNotExist:
        raise Http404(_("No such declaration.")) from None


def _require_visible(request, pk: int) -> int:
    """``pk`` if the signed-in person may see the declaration, else Http404: one query, nothing else read
    (for a POST whose service locks and reads the declaration itself)."""
    if not declaration_visible(actor=request.user, declaration_id=pk):
        raise Http404(_("No such declaration."))
    return pk


def _evidence_rows(evidence) -> list[tuple[str, str]]:
    """A warning's evidence dict as (label, readable value) rows."""

    def readable(value) -> str:
        if isinstance(value, dict):
            return "; ".join(f"{key.replace('_', ' ')}: {readable(inner)}" for key, inner in value.items())
        if isinstance(value, (list, tuple)):
            return ", ".join(readable(inner) for inner in value) or "—"
        if value is None or value == "":
            return "—"
        return str(value)

    if not isinstance(evidence, dict):
        return [(_("Evidence"), readable(evidence))]
    return [(key.replace("_", " ").capitalize(), readable(value)) for key, value in evidence.items()]


def review_warnings_context(declaration: Declaration) -> dict:
    warnings = declaration_current_warnings(declaration=declaration)
    flagged_events, flagged_readings = set(), set()
    for warning in warnings:
        warning.evidence_rows = _evidence_rows(warning.evidence)
        if isinstance(warning.evidence, dict):
            flagged_events.update(warning.evidence.get("event_ids") or [])
            flagged_readings.update(warning.evidence.get("reading_ids") or [])
    return {
        "warnings": warnings,
        "flagged_events": flagged_events,
        "flagged_readings": flagged_readings,
        "live": declaration.status in VERIFIABLE,
    }


def officer_review_context(
    request, declaration: Declaration, *, decision_forms: dict | None = None, hold_form: HoldForm | None = None
) -> dict:
    """Everything the review panel shows; a constant number of queries."""
    user = request.user
    served = set(user.ports_served.values_list("pk", flat=True))
    clearance = clearance_port(declaration)
    other_port = hold_port_for(declaration)
    evidence = declaration_evidence_for_review(declaration=declaration)
    decides = clearance is not None and clearance.pk in served
    allowed = set(allowed_actions(declaration.status, user.role)) if decides else set()
    decision_forms = decision_forms or {}
    decisions = []
    for action, (label, help_text, css) in DECISION_COPY.items():
        if action not in allowed:
            continue
        form = decision_forms.get(action) or DecisionForm(
            initial={"action": action, "expected_status": declaration.status}, auto_id=f"id_{action}_%s"
        )
        decisions.append(
            {
                "action": action,
                "label": label,
                "help": help_text,
                "css": css,
                "form": form,
                "needs_message": action != Action.RELEASE,
                "required": action in MESSAGE_REQUIRED,
            }
        )
    own_active = [h for h in evidence.active_holds if other_port is not None and h.port_id == other_port.pk]
    can_hold = (
        other_port is not None
        and other_port.pk in served
        and not decides
        and declaration.status in HOLDABLE
        and not own_active
    )
    verification = None
    if declaration.reference:
        verification = record_verification_get(
            reference=declaration_verification_reference(declaration), record=declaration_verifiable_record(declaration)
        )
    return {
        "officer_review": True,
        **review_warnings_context(declaration),
        "evidence": evidence,
        "clearance_port": clearance,
        "other_port": other_port,
        "decides": decides,
        "decisions": decisions,
        "release_blocked": Action.RELEASE in allowed and bool(evidence.active_holds),
        "can_hold": can_hold,
        "hold_form": hold_form or HoldForm(auto_id="id_hold_%s"),
        "liftable": {hold.pk for hold in evidence.active_holds if hold.port_id in served},
        "lift_form": LiftForm(),
        "ledger": verification,
        "verify_url": declaration_verification_path(declaration) if declaration.reference else "",
    }


@login_required
@require_GET
def review_warnings_view(request, pk: int):
    """The officer's warnings-with-evidence section alone, polled (htmx); 286 tells htmx to stop."""
    declaration = _visible(request, pk)
    if not roles.is_customs(request.user):
        raise Http404(_("No such declaration."))
    # ``oob``: the lane badge of the decision card travels with each poll (htmx out-of-band swap).
    context = {**review_warnings_context(declaration), "declaration": declaration, "oob": True}
    response = render(request, "declarations/review_officer/_warnings.html", context)
    if not context["live"]:
        response.status_code = 286
    return response


def _conflict_message(declaration_id: int, expected_status: str, error: TransitionNotAllowed) -> str:
    """Who changed the declaration since the officer looked at it, or the service's own reason."""
    current = (
        Declaration.history.filter(id=declaration_id)
        .order_by("-history_date", "-history_id")
        .values("status", "reference", "history_user__username", "history_user__first_name", "history_user__last_name")
        .first()
    )
    if current is None or not expected_status or current["status"] == expected_status:
        return error.message
    who = (
        " ".join(part for part in (current["history_user__first_name"], current["history_user__last_name"]) if part)
        or current["history_user__username"]
        or _("the system")
    )
    return _(
        "Declaration %(reference)s is now %(status)s by %(who)s — reload to see what changed; "
        "your decision was not recorded."
    ) % {"reference": current["reference"], "status": Status(current["status"]).label, "who": who}


def _rerender(request, pk: int, **review_forms):
    from .views import _detail

    return _detail(request, _visible(request, pk), review_forms=review_forms, status=400)


@login_required
@require_POST
def declaration_decide_view(request, pk: int):
    """Release, request amendment, order inspection or reject: one POST form per decision."""
    _require_visible(request, pk)
    action = request.POST.get("action", "")
    form = DecisionForm(request.POST, auto_id=f"id_{action}_%s" if action in OFFICER_DECISIONS else "id_%s")
    if not form.is_valid():
        if action not in OFFICER_DECISIONS:
            messages.error(request, _("Choose a decision."))
            return redirect("declarations:detail", pk)
        return _rerender(request, pk, decision_forms={action: form})
    action = form.cleaned_data["action"]
    expected = form.cleaned_data["expected_status"]
    try:
        if action == Action.ORDER_INSPECTION:  # the inspection record is created with the transition
            decided = inspection_order(
                actor=request.user,
                declaration_id=pk,
                message=form.cleaned_data["message"],
                override_reason=form.cleaned_data["message"],
                expected_status=expected,
            ).declaration
        else:
            decided = declaration_decide(
                actor=request.user,
                declaration_id=pk,
                action=action,
                message=form.cleaned_data["message"],
                expected_status=expected,
            )
    except TransitionNotAllowed as error:
        messages.error(request, _conflict_message(pk, expected, error))
        return redirect("declarations:detail", pk)
    except DomainError as error:
        form.add_error("message" if error.field == "message" else None, error.message)
        return _rerender(request, pk, decision_forms={action: form})
    messages.success(
        request,
        _("Declaration %(reference)s: %(status)s. The trader has been notified.")
        % {"reference": decided, "status": decided.get_status_display()},
    )
    return redirect("declarations:detail", pk)


@login_required
@require_POST
def hold_place_view(request, pk: int):
    declaration = _visible(request, pk)
    form = HoldForm(request.POST, auto_id="id_hold_%s")
    if not form.is_valid():
        return _rerender(request, pk, hold_form=form)
    try:
        hold = hold_place(actor=request.user, declaration_id=pk, reason=form.cleaned_data["reason"])
    except TransitionNotAllowed as error:
        messages.error(request, error.message)
        return redirect("declarations:detail", pk)
    except DomainError as error:
        form.add_error("reason" if error.field == "reason" else None, error.message)
        return _rerender(request, pk, hold_form=form)
    messages.success(
        request,
        _("Declaration %(reference)s is held by %(port)s; it cannot be released until you lift the hold.")
        % {"reference": declaration, "port": hold.port.locode},
    )
    return redirect("declarations:detail", pk)


@login_required
@require_POST
def hold_lift_view(request, pk: int, hold_id: int):
    declaration = _visible(request, pk)
    if not declaration.holds.filter(pk=hold_id).exists():
        raise Http404(_("No such hold."))
    form = LiftForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        hold_lift(actor=request.user, hold_id=hold_id, note=note)
    except TransitionNotAllowed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The hold on %(reference)s was lifted.") % {"reference": declaration})
    return redirect(reverse("declarations:detail", args=[pk]) + "#holds")
