"""Officers' work on the queue: assigning a declaration to oneself, and releasing several at once."""

from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import roles
from portal.exceptions import DomainError, TransitionNotAllowed
from portal.models import User
from portal.services import notification_send

from ..choices import AWAITING_DECISION, Action, Lane, Status
from ..models import Assignment, Declaration
from .workflow import declaration_decide

ASSIGNABLE = (*AWAITING_DECISION, Status.INSPECTION_REQUIRED)
BULK_RELEASABLE_LANES = (Lane.GREEN, Lane.YELLOW)


def _officer_name(user: User) -> str:
    return user.get_full_name() or user.username


@transaction.atomic
def declaration_assign(*, actor: User, declaration_id: int, note: str = "") -> Assignment:
    """Make ``actor`` the officer working the declaration, so no one else works it unknowingly.

    Requires customs staff serving the declaration's origin or transfer port, and a declaration
    still awaiting a decision (or an inspection). Taking over another officer's assignment
    requires ``note`` (why); that officer is notified. Assigning oneself again changes nothing.
    History of the assignment records who assigned and the note. Raises ``TransitionNotAllowed``
    or ``DomainError`` (``field="note"``).
    """
    # Lock the declaration: two officers taking it at once are serialised, and the second one
    # then sees the first one's assignment and must give a note to take over.
    declaration = Declaration.objects.select_for_update(of=("self",)).filter(pk=declaration_id).first()
    if declaration is None:
        raise TransitionNotAllowed(_("This declaration no longer exists."))
    ports = [port for port in (declaration.origin_port_id, declaration.transfer_port_id) if port]
    if not roles.is_customs(actor) or not actor.ports_served.filter(pk__in=ports).exists():
        raise TransitionNotAllowed(_("Only officers of the declaration's ports can work on it."))
    if declaration.status not in ASSIGNABLE:
        raise TransitionNotAllowed(
            _("Declaration %(reference)s is now “%(status)s”; there is nothing left to work on.")
            % {"reference": declaration, "status": declaration.get_status_display()}
        )
    note = note.strip()
    assignment = Assignment.objects.select_related("officer").filter(declaration=declaration).first()
    if assignment is not None and assignment.officer_id == actor.pk:
        return assignment
    previous = assignment.officer if assignment is not None else None
    if previous is not None and not note:
        raise DomainError(
            _("%(officer)s is working on %(reference)s since %(since)s; say why you take it over.")
            % {
                "officer": _officer_name(previous),
                "reference": declaration,
                "since": timezone.localtime(assignment.assigned_at).strftime("%Y-%m-%d %H:%M"),
            },
            field="note",
        )
    if assignment is None:
        assignment = Assignment(declaration=declaration)
    assignment.officer = actor
    assignment.assigned_at = timezone.now()
    assignment.note = note[:300]
    assignment._history_user = actor
    assignment._change_reason = (f"take_over: {note}" if previous else "assign")[:100]
    assignment.full_clean(validate_unique=False)
    assignment.save()
    if previous is not None:
        notification_send(
            recipients=[previous],
            subject=_("%(officer)s took over %(reference)s")
            % {"officer": _officer_name(actor), "reference": declaration},
            body=note,
            link=reverse("declarations:detail", args=[declaration.pk]),
        )
    return assignment


@dataclass(frozen=True)
class ReleaseOutcome:
    declaration_id: int
    reference: str
    released: bool
    reason: str = ""


def declaration_release_many(*, actor: User, declaration_ids: list[int]) -> list[ReleaseOutcome]:
    """Release several green or yellow declarations, each on its own through ``declaration_decide``.

    Each declaration is one transaction: locked, its lane checked on the locked row (only green
    and yellow may be released in bulk; red needs its inspection), then decided with every rule
    of a single release (status, port of clearance, holds…). One refusal does not undo the
    others; the outcome says, per declaration in the order given, whether it was released or why not.
    """
    outcomes = []
    seen = set()
    references = dict(Declaration.objects.filter(pk__in=declaration_ids).values_list("pk", "reference"))
    for declaration_id in declaration_ids:
        if declaration_id in seen:
            continue
        seen.add(declaration_id)
        reference = references.get(declaration_id) or str(declaration_id)
        try:
            with transaction.atomic():
                # Lock first: the lane checked here is the lane the release acts on.
                declaration = Declaration.objects.select_for_update(of=("self",)).filter(pk=declaration_id).first()
                if declaration is None:
                    raise TransitionNotAllowed(_("This declaration no longer exists."))
                if declaration.lane not in BULK_RELEASABLE_LANES:
                    raise TransitionNotAllowed(
                        _(
                            "Lane is %(lane)s: only green and yellow declarations are released together; "
                            "open it to decide."
                        )
                        % {"lane": declaration.get_lane_display() or _("not yet set")}
                    )
                declaration_decide(actor=actor, declaration_id=declaration_id, action=Action.RELEASE)
        except DomainError as refusal:
            outcomes.append(ReleaseOutcome(declaration_id, reference, False, refusal.message))
        else:
            outcomes.append(ReleaseOutcome(declaration_id, reference, True))
    return outcomes
